//! CSV and TSV: a streaming, decoding row source ([`CsvRows`]), the tabular
//! row-to-listing stage shared with XLSX ([`Tabular`]), and the CSV/TSV writer.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, UTF_8};

use super::columns::{CANONICAL_HEADER, Columns, canonical_row, guard_formula};
use super::{
    CatalogError, CatalogWriter, Draft, Item, MAX_RECORD_BYTES, ReadOptions, Reject, STOP_PREFIX,
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

/// Bytes of decoded text remembered behind the parser (the `csv` reader buffers 8 KiB).
const RECENT_BYTES: usize = 64 * 1024;

/// Sits between the decoder and the CSV parser: counts bytes since the last record
/// and fails the read when one record grows past [`MAX_RECORD_BYTES`] (an
/// unterminated quote), and remembers the last [`RECENT_BYTES`] bytes so the row
/// source can tell how a record ended (see [`CsvRows::start_line`]).
struct Guarded<R> {
    inner: R,
    since_record: usize,
    /// Bytes handed to the parser so far.
    total: u64,
    /// Ring buffer: byte at stream offset `o` is `recent[o % RECENT_BYTES]`.
    recent: Vec<u8>,
    /// The decoder returned end of file.
    eof: bool,
}

impl<R> Guarded<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            since_record: 0,
            total: 0,
            recent: vec![0; RECENT_BYTES],
            eof: false,
        }
    }

    /// The byte at stream offset `offset`, if it is still remembered.
    fn byte_at(&self, offset: u64) -> Option<u8> {
        (offset < self.total && self.total - offset <= RECENT_BYTES as u64)
            .then(|| self.recent[(offset % RECENT_BYTES as u64) as usize])
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
        }
        for (i, &b) in buf[..n].iter().enumerate() {
            self.recent[((self.total + i as u64) % RECENT_BYTES as u64) as usize] = b;
        }
        self.total += n as u64;
        self.since_record += n;
        if self.since_record > MAX_RECORD_BYTES + 64 * 1024 {
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
    width: usize,
    header: Vec<String>,
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
        let stream: Box<dyn Read + Send> = if enc == UTF_8 {
            // UTF-8 goes to the parser as raw bytes, so an invalid sequence is
            // rejected with its row and column instead of becoming U+FFFD
            let skip = if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
                3
            } else {
                0
            };
            let mut prefix = prefix;
            prefix.drain(..skip);
            Box::new(io::Cursor::new(prefix).chain(f))
        } else {
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(enc))
                    .strip_bom(true)
                    .build(io::Cursor::new(prefix).chain(f)),
            )
        };
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delim)
            .from_reader(Guarded::new(stream));
        let mut rows = CsvRows {
            rdr,
            record: csv::ByteRecord::new(),
            width: 0,
            header: Vec::new(),
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
        rows.header = header.clone();
        Ok((rows, header, enc.name().to_string()))
    }
}

impl CsvRows {
    /// Whether the byte before the parser's position is a line feed.
    fn ends_with_lf(&self) -> bool {
        let end = self.rdr.position().byte();
        end.checked_sub(1)
            .and_then(|o| self.rdr.get_ref().byte_at(o))
            == Some(b'\n')
    }

    /// The physical line where the record just read starts. `csv` reports the
    /// position before any blank lines it skipped (and, after a CRLF record,
    /// before the pending LF), so count back from the end instead: the line the
    /// parser is on, less the line breaks inside the record's cells, less one when
    /// the record's terminator was a consumed LF (not when the record ran into the
    /// end of the file, where a final LF belongs to an unclosed quoted cell).
    fn start_line(&self) -> u64 {
        let end = self.rdr.position();
        let inside: u64 = self
            .record
            .iter()
            .map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum();
        let g = self.rdr.get_ref();
        let ran_into_eof = g.eof && end.byte() == g.total;
        let lf_terminated = !ran_into_eof && self.ends_with_lf();
        match end.line().checked_sub(inside + u64::from(lf_terminated)) {
            Some(l) if l >= 1 => l,
            _ => self.record.position().map_or(1, |p| p.line()),
        }
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
            self.rdr.get_mut().since_record = 0;
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
            let line = self.start_line();
            let reject = |column: Option<String>, reason: String| Reject {
                file: self.file.clone(),
                line,
                column,
                reason,
            };
            if self.record.len() != self.width {
                let last_multiline = self
                    .record
                    .iter()
                    .next_back()
                    .is_some_and(|c| c.contains(&b'\n'));
                let reason = if self.record.len() < self.width && last_multiline {
                    let end = self.rdr.position().line() - u64::from(self.ends_with_lf());
                    format!(
                        "a quote opened in column {} is never closed: the cell runs on to line {end} \
                         and swallows the lines in between ({} fields, the header has {})",
                        self.record.len(),
                        self.record.len(),
                        self.width
                    )
                } else {
                    format!(
                        "row has {} fields, the header has {} (broken quoting or a stray delimiter?)",
                        self.record.len(),
                        self.width
                    )
                };
                return Some(Err(reject(None, reason)));
            }
            let mut cells = Vec::with_capacity(self.width);
            for (i, raw) in self.record.iter().enumerate() {
                let name = || {
                    self.header
                        .get(i)
                        .filter(|h| !h.is_empty())
                        .cloned()
                        .unwrap_or_else(|| format!("column {}", i + 1))
                };
                let text = match std::str::from_utf8(raw) {
                    Ok(t) => t,
                    Err(e) => {
                        return Some(Err(reject(
                            Some(name()),
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
                        Some(name()),
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
}

impl Tabular {
    pub fn new(
        rows: Box<dyn Rows>,
        header: Vec<String>,
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
        let row = self.columns.listing(&cells, self.currency.as_deref());
        Some(Ok(Draft {
            line,
            listing: row.listing,
            problems: row.problems,
            bare_price: row.bare_price,
        }))
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
