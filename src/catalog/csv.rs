//! CSV and TSV: a streaming, decoding row source ([`CsvRows`]), the tabular
//! row-to-listing stage shared with XLSX ([`Tabular`]), and the CSV/TSV writer.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use encoding_rs::{Encoding, UTF_8};

use super::columns::{CANONICAL_HEADER, Columns, canonical_row, guard_formula};
use super::{
    CatalogError, CatalogWriter, Item, MAX_RECORD_BYTES, ReadOptions, Record, Reject, STOP_PREFIX,
    detect, persist, temp_for,
};
use crate::listing::Listing;

/// Bytes sniffed for encoding and delimiter detection.
const SNIFF_BYTES: usize = 64 * 1024;

/// A source of header-aligned rows: `(line, cells)` or a reject.
pub(crate) trait Rows: Send {
    /// The next non-blank row.
    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), Reject>>;
}

/// Counts bytes handed to the CSV parser since the last record, and fails the read
/// when one record grows past [`MAX_RECORD_BYTES`] (an unterminated quote).
struct Guarded<R> {
    inner: R,
    since_record: Arc<AtomicUsize>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.since_record.fetch_add(n, Ordering::Relaxed) + n;
        if total > MAX_RECORD_BYTES + 64 * 1024 {
            return Err(io::Error::other(format!(
                "a record runs past {MAX_RECORD_BYTES} bytes (an unterminated quote?)"
            )));
        }
        Ok(n)
    }
}

/// Rows of a CSV/TSV file, decoded to UTF-8.
pub(crate) struct CsvRows {
    rdr: csv::Reader<Guarded<Box<dyn Read + Send>>>,
    record: csv::ByteRecord,
    since_record: Arc<AtomicUsize>,
    width: usize,
    file: String,
    legacy: Option<&'static Encoding>,
    done: bool,
}

impl CsvRows {
    /// Open, sniff the encoding and delimiter, read the header. Returns the rows,
    /// the header and the encoding's name.
    pub fn open(
        path: &Path,
        file: &str,
        encoding: Option<&str>,
        delimiter: Option<u8>,
    ) -> Result<(CsvRows, Vec<String>, String), CatalogError> {
        let mut f = File::open(path).map_err(|e| CatalogError::io(path, e))?;
        let (prefix, complete) = super::read_prefix(&mut f, path, SNIFF_BYTES)?;
        let enc: &'static Encoding = match encoding {
            Some(label) => Encoding::for_label(label.trim().as_bytes())
                .ok_or_else(|| CatalogError::Encoding(label.to_string()))?,
            None => detect::sniff_encoding(&prefix, complete),
        };
        let delim = match delimiter {
            Some(d) => d,
            None => detect::sniff_delimiter(&enc.decode(&prefix).0),
        };
        let source = io::Cursor::new(prefix).chain(f);
        let stream: Box<dyn Read + Send> = if enc == UTF_8 {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(UTF_8))
                    .utf8_passthru(true)
                    .strip_bom(true)
                    .build(source),
            )
        } else {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(enc))
                    .strip_bom(true)
                    .build(source),
            )
        };
        let since_record = Arc::new(AtomicUsize::new(0));
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delim)
            .from_reader(Guarded {
                inner: stream,
                since_record: since_record.clone(),
            });
        let mut rows = CsvRows {
            rdr,
            record: csv::ByteRecord::new(),
            since_record,
            width: 0,
            file: file.to_string(),
            legacy: (enc != UTF_8).then_some(enc),
            done: false,
        };
        let header = loop {
            match rows.rdr.read_byte_record(&mut rows.record) {
                Ok(true) if is_blank(&rows.record) => continue,
                Ok(true) => {
                    break rows
                        .record
                        .iter()
                        .map(|c| {
                            String::from_utf8_lossy(c)
                                .trim()
                                .trim_start_matches('\u{feff}')
                                .to_string()
                        })
                        .collect::<Vec<_>>();
                }
                Ok(false) => {
                    return Err(CatalogError::unusable(
                        path,
                        "the file is empty (no header row)",
                    ));
                }
                Err(e) => {
                    return Err(CatalogError::unusable(
                        path,
                        format!("cannot read the header: {e}"),
                    ));
                }
            }
        };
        rows.width = header.len();
        Ok((rows, header, enc.name().to_string()))
    }
}

fn is_blank(r: &csv::ByteRecord) -> bool {
    r.iter().all(|c| c.iter().all(u8::is_ascii_whitespace))
}

impl Rows for CsvRows {
    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), Reject>> {
        loop {
            if self.done {
                return None;
            }
            let at = self.rdr.position().line();
            self.since_record.store(0, Ordering::Relaxed);
            match self.rdr.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) if is_blank(&self.record) => continue,
                Ok(true) => {}
                Err(e) => {
                    self.done = true;
                    let line = e.position().map_or(at, |p| p.line());
                    return Some(Err(Reject {
                        file: self.file.clone(),
                        line,
                        column: None,
                        reason: format!("{STOP_PREFIX}{e}"),
                    }));
                }
            }
            let line = self.record.position().map_or(at, |p| p.line());
            let reject = |column: Option<String>, reason: String| Reject {
                file: self.file.clone(),
                line,
                column,
                reason,
            };
            if self.record.len() != self.width {
                return Some(Err(reject(
                    None,
                    format!(
                        "row has {} fields, the header has {} (broken quoting or a stray delimiter?)",
                        self.record.len(),
                        self.width
                    ),
                )));
            }
            let mut cells = Vec::with_capacity(self.width);
            for (i, raw) in self.record.iter().enumerate() {
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => t,
                    Err(e) => {
                        return Some(Err(reject(
                            Some(format!("column {}", i + 1)),
                            format!(
                                "undecodable byte sequence (not UTF-8) at byte {} of the cell",
                                e.valid_up_to()
                            ),
                        )));
                    }
                };
                if let Some(enc) = self.legacy
                    && text.contains('\u{fffd}')
                {
                    return Some(Err(reject(
                        Some(format!("column {}", i + 1)),
                        format!("undecodable byte sequence in {}", enc.name()),
                    )));
                }
                cells.push(text.to_string());
            }
            return Some(Ok((line, cells)));
        }
    }
}

/// Rows -> listings through a header mapping (CSV, TSV and XLSX).
pub(crate) struct Tabular {
    rows: Box<dyn Rows>,
    columns: Columns,
    currency: Option<String>,
    file: String,
}

impl Tabular {
    pub fn new(
        rows: Box<dyn Rows>,
        header: Vec<String>,
        file: &str,
        path: &Path,
        opts: &ReadOptions,
    ) -> Result<Self, CatalogError> {
        let columns = Columns::new(header, &opts.mapping)?;
        columns
            .has_required()
            .map_err(|m| CatalogError::unusable(path, m))?;
        Ok(Self {
            rows,
            columns,
            currency: opts.currency.clone(),
            file: file.to_string(),
        })
    }
}

impl Iterator for Tabular {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        let (line, cells) = match self.rows.next_row()? {
            Ok(r) => r,
            Err(r) => return Some(Err(r)),
        };
        Some(
            match self.columns.listing(&cells, self.currency.as_deref()) {
                Ok(listing) => Ok(Record { line, listing }),
                Err((column, reason)) => Err(Reject {
                    file: self.file.clone(),
                    line,
                    column,
                    reason,
                }),
            },
        )
    }
}

/// Writes silkroute's canonical CSV/TSV ([`CANONICAL_HEADER`]).
pub(crate) struct CsvWriter {
    wtr: csv::Writer<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl CsvWriter {
    pub fn create(path: &Path, delimiter: u8) -> Result<Self, CatalogError> {
        let tmp = temp_for(path)?;
        let mut wtr = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(tmp);
        wtr.write_record(CANONICAL_HEADER)
            .map_err(|e| CatalogError::write(path, e.to_string()))?;
        Ok(Self {
            wtr,
            path: path.to_path_buf(),
        })
    }
}

impl CatalogWriter for CsvWriter {
    fn write(&mut self, listing: &Listing) -> Result<(), CatalogError> {
        let row = canonical_row(listing);
        self.wtr
            .write_record(row.iter().map(|c| guard_formula(c).into_owned()))
            .map_err(|e| CatalogError::write(&self.path, format!("sku `{}`: {e}", listing.sku)))
    }

    fn finish(self: Box<Self>) -> Result<(), CatalogError> {
        let path = self.path;
        let tmp = self
            .wtr
            .into_inner()
            .map_err(|e| CatalogError::write(&path, e.to_string()))?;
        persist(tmp, &path)
    }
}
