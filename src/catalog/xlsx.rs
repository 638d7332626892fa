//! XLSX: rows of the first (or a named) sheet, streamed straight from the
//! workbook's XML, and the canonical layout written by `rust_xlsxwriter` in
//! constant-memory mode.
//!
//! The reader is written here rather than taken from `calamine` because an
//! uploaded workbook is hostile input and calamine cannot bound itself: it
//! builds a dense grid from the extent of the cells (one cell in A1 and one in
//! XFD1048576 is a 17-billion-cell allocation and an abort), and it inflates
//! every part without a limit (a zip bomb). Here nothing is allocated from a
//! count or a dimension the file declares:
//!
//! - the zip's entry count is read from its end record before the directory is
//!   parsed ([`MAX_ZIP_ENTRIES`]);
//! - every part is inflated through [`Bounded`], which stops at a byte limit per
//!   part ([`MAX_SHEET_XML_BYTES`], [`MAX_SHARED_STRINGS_XML_BYTES`],
//!   [`MAX_PART_BYTES`]) and at one XML token longer than [`MAX_XML_TOKEN`], so
//!   no single event can grow the parser's buffer past it;
//! - shared strings are counted as they are read ([`MAX_SHARED_STRINGS`]);
//! - the sheet is streamed row by row on a thread of its own (the zip entry
//!   borrows its archive), so memory holds one row: a row with a cell beyond
//!   column [`MAX_COLUMNS`](super::MAX_COLUMNS), or over
//!   [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES), is a reject; more than
//!   [`MAX_XLSX_CELLS`] cells stops the read with a reject that says so.
//!
//! Cell values are read as calamine showed them: numbers in their shortest form
//! (whole numbers without `.0`), booleans as `TRUE`/`FALSE`, errors as written
//! (`#N/A`), dates as their serial number, rich text joined, phonetic runs left
//! out, `_xHHHH_` escapes decoded.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use quick_xml::events::{BytesStart, Event};
use rust_xlsxwriter::{Workbook, XlsxError};

use super::columns::{CANONICAL_HEADER, canonical_row, guard_formula};
use super::csv::Rows;
use super::{
    CatalogError, CatalogWriter, MAX_COLUMNS, MAX_RECORD_BYTES, MAX_XLSX_BYTES, Reject,
    STOP_PREFIX, persist, temp_for,
};
use crate::listing::Listing;

/// Excel's row limit.
const MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on the characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;
/// Most entries a workbook's zip may hold (a real one has a few dozen).
pub const MAX_ZIP_ENTRIES: u64 = 10_000;
/// Most bytes of a small part (workbook, relationships) once inflated.
pub const MAX_PART_BYTES: u64 = 8 * 1024 * 1024;
/// Most bytes of the shared-strings part once inflated.
pub const MAX_SHARED_STRINGS_XML_BYTES: u64 = 128 * 1024 * 1024;
/// Most shared strings.
pub const MAX_SHARED_STRINGS: usize = 1_000_000;
/// Most bytes of the sheet's XML once inflated.
pub const MAX_SHEET_XML_BYTES: u64 = 512 * 1024 * 1024;
/// Longest run of XML without a `<`: bounds every event the parser buffers.
pub const MAX_XML_TOKEN: usize = 1024 * 1024;
/// Most non-empty cells read from one sheet.
pub const MAX_XLSX_CELLS: u64 = 20_000_000;
/// Rows read ahead of the consumer by the sheet thread.
const ROWS_AHEAD: usize = 64;

/// An inflating reader that fails once more than `limit` bytes came out, or
/// once `MAX_XML_TOKEN` bytes passed without a `<`.
struct Bounded<R> {
    inner: R,
    part: String,
    limit: u64,
    total: u64,
    since_lt: usize,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > self.limit {
            return Err(io::Error::other(format!(
                "part `{}` inflates to more than {} bytes (a zip bomb?)",
                self.part, self.limit
            )));
        }
        for &b in &buf[..n] {
            if b == b'<' {
                self.since_lt = 0;
            } else {
                self.since_lt += 1;
            }
        }
        if self.since_lt > MAX_XML_TOKEN {
            return Err(io::Error::other(format!(
                "part `{}` has a token over {MAX_XML_TOKEN} bytes",
                self.part
            )));
        }
        Ok(n)
    }
}

type Archive = zip::ZipArchive<BufReader<File>>;

/// The number of entries the zip's end-of-central-directory record declares
/// (zip64 records included), read before the directory itself is parsed.
fn declared_entries(f: &mut File, len: u64) -> io::Result<Option<u64>> {
    let tail = len.min(66_000 + 22);
    f.seek(SeekFrom::Start(len - tail))?;
    let mut buf = vec![0u8; tail as usize];
    f.read_exact(&mut buf)?;
    f.seek(SeekFrom::Start(0))?;
    let Some(eocd) = buf.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let Some(rec) = buf.get(eocd..eocd + 22) else {
        return Ok(None);
    };
    let n = u64::from(u16::from_le_bytes([rec[10], rec[11]]));
    if n != 0xFFFF {
        return Ok(Some(n));
    }
    // zip64: the locator sits just before the end record and points at the
    // zip64 end record, whose entry count is at offset 32.
    let Some(loc) = eocd.checked_sub(20).and_then(|s| buf.get(s..s + 20)) else {
        return Ok(Some(n));
    };
    if &loc[..4] != b"PK\x06\x07" {
        return Ok(Some(n));
    }
    let at = u64::from_le_bytes(loc[8..16].try_into().unwrap_or([0; 8]));
    if at + 56 > len {
        return Ok(None);
    }
    let mut rec64 = [0u8; 56];
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(&mut rec64)?;
    f.seek(SeekFrom::Start(0))?;
    Ok(Some(u64::from_le_bytes(
        rec64[32..40].try_into().unwrap_or([0; 8]),
    )))
}

fn open_archive(path: &Path) -> Result<Archive, CatalogError> {
    let mut f = File::open(path).map_err(|e| CatalogError::io(path, e))?;
    let len = f.metadata().map_err(|e| CatalogError::io(path, e))?.len();
    if len > MAX_XLSX_BYTES {
        return Err(CatalogError::unusable(
            path,
            format!(
                "workbook is {len} bytes, over the {MAX_XLSX_BYTES}-byte limit; export it as CSV"
            ),
        ));
    }
    let not_xlsx = || {
        CatalogError::unusable(
            path,
            "not an XLSX workbook (save it as .xlsx, or export it as CSV)",
        )
    };
    if len < 22 {
        return Err(not_xlsx());
    }
    match declared_entries(&mut f, len).map_err(|e| CatalogError::io(path, e))? {
        None => return Err(not_xlsx()),
        Some(n) if n > MAX_ZIP_ENTRIES => {
            return Err(CatalogError::unusable(
                path,
                format!(
                    "the workbook's zip lists {n} entries, over the limit of {MAX_ZIP_ENTRIES}"
                ),
            ));
        }
        Some(_) => {}
    }
    zip::ZipArchive::new(BufReader::new(f)).map_err(|_| not_xlsx())
}

/// One part inflated through [`Bounded`], or `None` when absent.
fn part<'a>(
    zip: &'a mut Archive,
    path: &Path,
    name: &str,
    limit: u64,
) -> Result<Option<quick_xml::Reader<BufReader<Bounded<impl Read + 'a>>>>, CatalogError> {
    let entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(CatalogError::unusable(path, format!("part `{name}`: {e}")));
        }
    };
    if entry.size() > limit {
        return Err(CatalogError::unusable(
            path,
            format!(
                "part `{name}` declares {} bytes, over the {limit}-byte limit",
                entry.size()
            ),
        ));
    }
    let bounded = Bounded {
        inner: entry,
        part: name.to_string(),
        limit,
        total: 0,
        since_lt: 0,
    };
    let mut r = quick_xml::Reader::from_reader(BufReader::new(bounded));
    r.config_mut().check_end_names = false;
    Ok(Some(r))
}

fn xml_err(path: &Path, name: &str, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::unusable(path, format!("part `{name}`: {e}"))
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key || a.key.as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(Cow::into_owned)
        })
}

/// Sheet names in order with the part each one is in.
fn sheets(zip: &mut Archive, path: &Path) -> Result<Vec<(String, String)>, CatalogError> {
    const WB: &str = "xl/workbook.xml";
    const RELS: &str = "xl/_rels/workbook.xml.rels";
    let mut targets = Vec::new();
    if let Some(mut r) = part(zip, path, RELS, MAX_PART_BYTES)? {
        let mut buf = Vec::new();
        loop {
            match r
                .read_event_into(&mut buf)
                .map_err(|e| xml_err(path, RELS, e))?
            {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                    if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                        targets.push((id, t));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    let mut r = part(zip, path, WB, MAX_PART_BYTES)?
        .ok_or_else(|| CatalogError::unusable(path, "not an XLSX workbook (no xl/workbook.xml)"))?;
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        match r
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(path, WB, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let name = attr(&e, "name").unwrap_or_default();
                let target = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "id")
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(Cow::into_owned)
                    })
                    .and_then(|id| targets.iter().find(|(i, _)| *i == id))
                    .map(|(_, t)| t.clone());
                let part = match target {
                    Some(t) if t.starts_with('/') => t.trim_start_matches('/').to_string(),
                    Some(t) => format!("xl/{t}"),
                    None => format!("xl/worksheets/sheet{}.xml", out.len() + 1),
                };
                out.push((name, part));
                if out.len() > 10_000 {
                    return Err(CatalogError::unusable(path, "too many sheets"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Decode Excel's `_xHHHH_` escapes (control characters, and `_x005F_` for `_`).
fn unescape_excel(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut copied = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let h = s.get(at + 2..at + 6)?;
        (b.get(at + 6) == Some(&b'_') && h.bytes().all(|c| c.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(h, 16).ok())
            .flatten()
    };
    while i + 7 <= b.len() {
        if b[i] == b'_'
            && b[i + 1] == b'x'
            && let Some(u) = hex4(i)
        {
            {
                out.push_str(&s[copied..i]);
                let mut c = char::from_u32(u);
                let mut step = 7;
                if (0xD800..0xDC00).contains(&u)
                    && let Some(lo) = hex4(i + 7).filter(|lo| (0xDC00..0xE000).contains(lo))
                {
                    c = char::from_u32(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                    step = 14;
                }
                out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                i += step;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

/// The text of a string item (`<si>` or `<is>`) up to its end tag: `<t>` runs
/// joined, phonetic runs (`<rPh>`) left out.
fn read_rich<R: BufRead>(
    r: &mut quick_xml::Reader<R>,
    end: &str,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<String, String> {
    let mut out = String::new();
    let mut in_t = false;
    let mut preserve = false;
    let mut phonetic = 0u32;
    let mut run = String::new();
    loop {
        buf.clear();
        match r.read_event_into(buf).map_err(|e| e.to_string())? {
            Event::Start(e) => match e.local_name().as_ref() {
                "rPh" => phonetic += 1,
                "t" if phonetic == 0 => {
                    in_t = true;
                    preserve = attr(&e, "space").as_deref() == Some("preserve");
                    run.clear();
                }
                _ => {}
            },
            Event::End(e) => {
                let name = e.local_name();
                if name.as_ref() == "rPh" {
                    phonetic = phonetic.saturating_sub(1);
                } else if name.as_ref() == "t" && in_t {
                    in_t = false;
                    let v = if preserve {
                        run.as_str()
                    } else {
                        run.trim_matches([' ', '\t', '\r', '\n'])
                    };
                    out.push_str(&unescape_excel(v));
                } else if name.as_ref() == end {
                    return Ok(out);
                }
            }
            Event::Text(t) if in_t => run.push_str(&t.xml10_content()),
            Event::CData(t) if in_t => run.push_str(&t.xml10_content()),
            Event::GeneralRef(e) if in_t => push_entity(&e, &mut run)?,
            Event::Eof => return Err("unexpected end of the part".into()),
            _ => {}
        }
        if run.len() + out.len() > limit {
            return Err(format!("a string over {limit} bytes"));
        }
    }
}

fn push_entity(e: &quick_xml::events::BytesRef<'_>, out: &mut String) -> Result<(), String> {
    if let Some(s) = quick_xml::escape::resolve_xml_entity(e) {
        out.push_str(s);
        return Ok(());
    }
    match e.resolve_char_ref() {
        Ok(Some(c)) => {
            out.push(c);
            Ok(())
        }
        _ => Err(format!("unknown entity `&{};`", &**e)),
    }
}

fn shared_strings(zip: &mut Archive, path: &Path) -> Result<Vec<String>, CatalogError> {
    const SST: &str = "xl/sharedStrings.xml";
    let Some(mut r) = part(zip, path, SST, MAX_SHARED_STRINGS_XML_BYTES)? else {
        return Ok(Vec::new());
    };
    // Grown as strings are read, never reserved from the file's `count`.
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut inner = Vec::new();
    loop {
        buf.clear();
        match r
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(path, SST, e))?
        {
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                if out.len() >= MAX_SHARED_STRINGS {
                    return Err(CatalogError::unusable(
                        path,
                        format!("more than {MAX_SHARED_STRINGS} shared strings"),
                    ));
                }
                let s = read_rich(&mut r, "si", &mut inner, MAX_RECORD_BYTES)
                    .map_err(|e| xml_err(path, SST, e))?;
                out.push(s);
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => {
                if out.len() >= MAX_SHARED_STRINGS {
                    return Err(CatalogError::unusable(
                        path,
                        format!("more than {MAX_SHARED_STRINGS} shared strings"),
                    ));
                }
                out.push(String::new());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// `B12` -> (column 1, row 12); both 0-based column and 1-based row.
fn cell_ref(r: &str) -> Option<(u64, u64)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let mut col = 0u64;
    for b in r[..letters].bytes() {
        col = col * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    let row = r[letters..].parse::<u64>().ok()?;
    Some((col - 1, row))
}

fn column_name(mut col: u64) -> String {
    let mut s = Vec::new();
    col += 1;
    while col > 0 {
        let r = ((col - 1) % 26) as u8;
        s.push(b'A' + r);
        col = (col - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A number as calamine showed it: whole numbers without a fraction.
fn number_text(v: &str) -> String {
    match v.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Ok(f) if f.is_finite() => format!("{f}"),
        _ => v.trim().to_string(),
    }
}

/// What the sheet thread sends: a row `(sheet row, cells from column A)` or a reject.
type RowMsg = Result<(u64, Vec<String>), Reject>;

/// Reads one sheet's `<sheetData>`, one row at a time.
struct SheetReader<'s, R: BufRead> {
    xml: quick_xml::Reader<R>,
    strings: &'s [String],
    file: String,
    cells: u64,
    buf: Vec<u8>,
    inner: Vec<u8>,
    next_row: u64,
    done: bool,
}

impl<R: BufRead> SheetReader<'_, R> {
    fn reject(&self, line: u64, column: Option<String>, reason: String) -> Reject {
        Reject {
            file: self.file.clone(),
            line,
            column,
            reason,
        }
    }

    fn stop(&mut self, line: u64, reason: String) -> RowMsg {
        self.done = true;
        Err(self.reject(line, None, format!("{STOP_PREFIX}{reason}")))
    }

    /// The next row with a non-empty cell, a rejected row, or `None` at the end.
    fn next(&mut self) -> Option<RowMsg> {
        while !self.done {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev,
                Err(e) => return Some(self.stop(self.next_row, format!("bad sheet XML: {e}"))),
            };
            match ev {
                Event::Start(e) if e.local_name().as_ref() == "row" => {
                    let line = attr(&e, "r")
                        .and_then(|r| r.parse::<u64>().ok())
                        .unwrap_or(self.next_row);
                    self.next_row = line + 1;
                    match self.row(line) {
                        Ok(Some(cells)) => return Some(Ok((line, cells))),
                        Ok(None) => continue,
                        Err(msg) => return Some(msg),
                    }
                }
                Event::Empty(e) if e.local_name().as_ref() == "row" => {
                    self.next_row = attr(&e, "r")
                        .and_then(|r| r.parse::<u64>().ok())
                        .map_or(self.next_row + 1, |r| r + 1);
                }
                Event::Eof => self.done = true,
                _ => {}
            }
        }
        None
    }

    /// The cells of the row whose start tag was just read, up to its end tag.
    /// `Ok(None)` for a row with no text.
    fn row(&mut self, line: u64) -> Result<Option<Vec<String>>, RowMsg> {
        let mut cells: Vec<String> = Vec::new();
        let mut bytes = 0usize;
        let mut bad: Option<(Option<String>, String)> = None;
        let mut next_col = 0u64;
        loop {
            self.buf.clear();
            let ev = match self.xml.read_event_into(&mut self.buf) {
                Ok(ev) => ev.into_owned(),
                Err(e) => return Err(self.stop(line, format!("bad sheet XML: {e}"))),
            };
            let (start, empty) = match &ev {
                Event::Start(e) if e.local_name().as_ref() == "c" => (e.clone(), false),
                Event::Empty(e) if e.local_name().as_ref() == "c" => (e.clone(), true),
                Event::End(e) if e.local_name().as_ref() == "row" => break,
                Event::Eof => return Err(self.stop(line, "the sheet ends inside a row".into())),
                _ => continue,
            };
            let col = attr(&start, "r")
                .and_then(|r| cell_ref(&r))
                .map_or(next_col, |(c, _)| c);
            next_col = col + 1;
            let kind = attr(&start, "t").unwrap_or_default();
            let text = if empty {
                String::new()
            } else {
                match self.cell(&kind) {
                    Ok(t) => t,
                    Err(e) => return Err(self.stop(line, e)),
                }
            };
            if text.is_empty() {
                continue;
            }
            self.cells += 1;
            if self.cells > MAX_XLSX_CELLS {
                return Err(self.stop(
                    line,
                    format!("the sheet has more than {MAX_XLSX_CELLS} cells; export it as CSV"),
                ));
            }
            if bad.is_some() {
                continue;
            }
            if col >= MAX_COLUMNS as u64 {
                bad = Some((
                    Some(column_name(col)),
                    format!(
                        "cell {}{line} is beyond column {} ({MAX_COLUMNS}), the most a row may use",
                        column_name(col),
                        column_name(MAX_COLUMNS as u64 - 1)
                    ),
                ));
                cells = Vec::new();
                continue;
            }
            bytes += text.len();
            if bytes > MAX_RECORD_BYTES {
                bad = Some((None, format!("row is over {MAX_RECORD_BYTES} bytes")));
                cells = Vec::new();
                continue;
            }
            let c = col as usize;
            if cells.len() <= c {
                cells.resize(c + 1, String::new());
            }
            cells[c] = text;
        }
        if let Some((column, reason)) = bad {
            return Err(Err(self.reject(line, column, reason)));
        }
        Ok((!cells.iter().all(|c| c.trim().is_empty())).then_some(cells))
    }

    /// The value of a cell whose start tag was just read, as text.
    fn cell(&mut self, kind: &str) -> Result<String, String> {
        let mut value: Option<String> = None;
        loop {
            self.buf.clear();
            let ev = self
                .xml
                .read_event_into(&mut self.buf)
                .map_err(|e| format!("bad sheet XML: {e}"))?;
            match ev {
                Event::Start(e) if e.local_name().as_ref() == "v" => {
                    let mut v = String::new();
                    loop {
                        self.inner.clear();
                        match self
                            .xml
                            .read_event_into(&mut self.inner)
                            .map_err(|e| format!("bad sheet XML: {e}"))?
                        {
                            Event::Text(t) => v.push_str(&t.xml10_content()),
                            Event::CData(t) => v.push_str(&t.xml10_content()),
                            Event::GeneralRef(e) => push_entity(&e, &mut v)?,
                            Event::End(_) => break,
                            Event::Eof => return Err("the sheet ends inside a cell".into()),
                            _ => {}
                        }
                        if v.len() > MAX_RECORD_BYTES {
                            return Err(format!("a cell over {MAX_RECORD_BYTES} bytes"));
                        }
                    }
                    value = Some(v);
                }
                Event::Start(e) if e.local_name().as_ref() == "is" => {
                    value = Some(read_rich(
                        &mut self.xml,
                        "is",
                        &mut self.inner,
                        MAX_RECORD_BYTES,
                    )?);
                }
                Event::End(e) if e.local_name().as_ref() == "c" => break,
                Event::Eof => return Err("the sheet ends inside a cell".into()),
                _ => {}
            }
        }
        let Some(v) = value else {
            return Ok(String::new());
        };
        Ok(match kind {
            "s" => v
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| self.strings.get(i))
                .cloned()
                .unwrap_or_default(),
            "inlineStr" => v,
            "str" | "e" | "d" => unescape_excel(&v).into_owned(),
            "b" => match v.trim() {
                "1" | "true" => "TRUE".into(),
                _ => "FALSE".into(),
            },
            _ => number_text(&v),
        })
    }
}

/// The rows of one sheet, from a thread that streams the sheet's XML.
pub(crate) struct XlsxRows {
    rx: Receiver<RowMsg>,
    width: usize,
}

impl XlsxRows {
    pub fn open(
        path: &Path,
        file: &str,
        sheet: Option<&str>,
    ) -> Result<(Self, Vec<String>), CatalogError> {
        let mut zip = open_archive(path)?;
        let names = sheets(&mut zip, path)?;
        let listed = || {
            names
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (name, part_name) = match sheet {
            Some(s) => names.iter().find(|(n, _)| n == s).cloned().ok_or_else(|| {
                CatalogError::unusable(path, format!("no sheet named `{s}` (sheets: {})", listed()))
            })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| CatalogError::unusable(path, "the workbook has no sheets"))?,
        };
        let strings = shared_strings(&mut zip, path)?;
        let (tx, rx) = sync_channel::<RowMsg>(ROWS_AHEAD);
        let (ready_tx, ready_rx) = sync_channel::<Result<(), CatalogError>>(1);
        let (path_buf, file) = (path.to_path_buf(), file.to_string());
        std::thread::Builder::new()
            .name("silkroute-xlsx".into())
            .spawn(move || stream_sheet(zip, &path_buf, &part_name, &strings, file, &tx, &ready_tx))
            .map_err(|e| CatalogError::io(path, e))?;
        ready_rx
            .recv()
            .map_err(|_| CatalogError::unusable(path, "the sheet reader stopped"))??;
        let mut rows = XlsxRows { rx, width: 0 };
        let header = {
            match rows.rx.recv() {
                Ok(Ok((_, cells))) => cells,
                Ok(Err(r)) if r.reason.starts_with(STOP_PREFIX) => {
                    return Err(CatalogError::unusable(
                        path,
                        r.reason.trim_start_matches(STOP_PREFIX).to_string(),
                    ));
                }
                Ok(Err(r)) => {
                    return Err(CatalogError::unusable(
                        path,
                        format!("header row {}: {}", r.line, r.reason),
                    ));
                }
                Err(_) => {
                    return Err(CatalogError::unusable(
                        path,
                        format!("sheet `{name}` is empty (no header row)"),
                    ));
                }
            }
        };
        let header: Vec<String> = header.iter().map(|c| c.trim().to_string()).collect();
        rows.width = header.len();
        Ok((rows, header))
    }
}

fn stream_sheet(
    mut zip: Archive,
    path: &Path,
    part_name: &str,
    strings: &[String],
    file: String,
    tx: &SyncSender<RowMsg>,
    ready: &SyncSender<Result<(), CatalogError>>,
) {
    let xml = match part(&mut zip, path, part_name, MAX_SHEET_XML_BYTES) {
        Ok(Some(x)) => x,
        Ok(None) => {
            let _ = ready.send(Err(CatalogError::unusable(
                path,
                format!("the sheet's part `{part_name}` is missing"),
            )));
            return;
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        return;
    }
    let mut reader = SheetReader {
        xml,
        strings,
        file,
        cells: 0,
        buf: Vec::new(),
        inner: Vec::new(),
        next_row: 1,
        done: false,
    };
    while let Some(msg) = reader.next() {
        if tx.send(msg).is_err() {
            return; // the reader was dropped
        }
    }
}

impl Rows for XlsxRows {
    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), Reject>> {
        let msg = self.rx.recv().ok()?;
        Some(msg.map(|(line, mut cells)| {
            if cells.len() < self.width {
                cells.resize(self.width, String::new());
            }
            (line, cells)
        }))
    }
}

/// Writes the canonical layout to the first sheet of a new workbook.
pub(crate) struct XlsxWriter {
    wb: Workbook,
    path: PathBuf,
    row: u32,
}

fn xerr(path: &Path, e: XlsxError) -> CatalogError {
    CatalogError::write(path, e.to_string())
}

impl XlsxWriter {
    pub fn create(path: &Path) -> Result<Self, CatalogError> {
        let mut wb = Workbook::new();
        let ws = wb
            .add_worksheet_with_constant_memory()
            .map_err(|e| xerr(path, e))?;
        ws.set_name("Listings").map_err(|e| xerr(path, e))?;
        for (c, h) in CANONICAL_HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h)
                .map_err(|e| xerr(path, e))?;
        }
        Ok(Self {
            wb,
            path: path.to_path_buf(),
            row: 1,
        })
    }
}

impl CatalogWriter for XlsxWriter {
    fn write(&mut self, listing: &Listing) -> Result<(), CatalogError> {
        if self.row >= MAX_ROWS {
            return Err(CatalogError::write(
                &self.path,
                format!("XLSX holds at most {MAX_ROWS} rows; write CSV instead"),
            ));
        }
        let ws = self
            .wb
            .worksheet_from_index(0)
            .map_err(|e| xerr(&self.path, e))?;
        for (c, value) in canonical_row(listing).iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let v = guard_formula(value);
            if v.chars().count() > MAX_CELL_CHARS {
                return Err(CatalogError::write(
                    &self.path,
                    format!(
                        "sku `{}`: field `{}` is over Excel's {MAX_CELL_CHARS}-character cell limit",
                        listing.sku, CANONICAL_HEADER[c]
                    ),
                ));
            }
            ws.write_string(self.row, c as u16, v.as_ref())
                .map_err(|e| {
                    CatalogError::write(&self.path, format!("sku `{}`: {e}", listing.sku))
                })?;
        }
        self.row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), CatalogError> {
        let tmp = temp_for(&self.path)?;
        self.wb.save(tmp.path()).map_err(|e| xerr(&self.path, e))?;
        persist(tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs_and_names() {
        assert_eq!(cell_ref("A1"), Some((0, 1)));
        assert_eq!(cell_ref("XFD1048576"), Some((16383, 1_048_576)));
        assert_eq!(cell_ref("1A"), None);
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(16383), "XFD");
        assert_eq!(column_name(26), "AA");
    }

    #[test]
    fn excel_escapes() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("a_x005F_x000D_"), "a_x000D_");
        assert_eq!(unescape_excel("_xD83D__xDE00_"), "😀");
        assert_eq!(unescape_excel("plain_x"), "plain_x");
        assert_eq!(number_text("24.99"), "24.99");
        assert_eq!(number_text("9.0"), "9");
    }
}
