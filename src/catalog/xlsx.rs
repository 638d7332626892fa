//! XLSX: rows of the first (or a named) sheet through `calamine`, and the canonical
//! layout written by `rust_xlsxwriter` in constant-memory mode.

use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader};
use rust_xlsxwriter::{Workbook, XlsxError};

use super::columns::{CANONICAL_HEADER, canonical_row, guard_formula};
use super::csv::Rows;
use super::{CatalogError, CatalogWriter, MAX_XLSX_BYTES, Reject, persist, temp_for};
use crate::listing::Listing;

/// Excel's row limit.
const MAX_ROWS: u32 = 1_048_576;
/// Excel's limit on the characters in one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// The rows of one sheet (calamine reads a whole sheet at once).
pub(crate) struct XlsxRows {
    range: Range<Data>,
    next: usize,
    first_row: u64,
    width: usize,
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        other => other.to_string(),
    }
}

impl XlsxRows {
    pub fn open(
        path: &Path,
        _file: &str,
        sheet: Option<&str>,
    ) -> Result<(Self, Vec<String>), CatalogError> {
        let size = std::fs::metadata(path)
            .map_err(|e| CatalogError::io(path, e))?
            .len();
        if size > MAX_XLSX_BYTES {
            return Err(CatalogError::unusable(
                path,
                format!(
                    "workbook is {size} bytes, over the {MAX_XLSX_BYTES}-byte limit; export it as CSV"
                ),
            ));
        }
        let mut wb = calamine::open_workbook_auto(path)
            .map_err(|e| CatalogError::unusable(path, format!("not a readable workbook: {e}")))?;
        let names = wb.sheet_names();
        let name = match sheet {
            Some(s) => names
                .iter()
                .find(|n| n.as_str() == s)
                .cloned()
                .ok_or_else(|| {
                    CatalogError::unusable(
                        path,
                        format!("no sheet named `{s}` (sheets: {})", names.join(", ")),
                    )
                })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| CatalogError::unusable(path, "the workbook has no sheets"))?,
        };
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| CatalogError::unusable(path, format!("sheet `{name}`: {e}")))?;
        let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
        let mut rows = XlsxRows {
            width: range.width(),
            range,
            next: 0,
            first_row,
        };
        let header = loop {
            let Some(row) = rows.row(rows.next) else {
                return Err(CatalogError::unusable(
                    path,
                    format!("sheet `{name}` is empty (no header row)"),
                ));
            };
            rows.next += 1;
            let cells: Vec<String> = row.iter().map(|c| c.trim().to_string()).collect();
            if cells.iter().any(|c| !c.is_empty()) {
                break cells;
            }
        };
        Ok((rows, header))
    }
}

impl XlsxRows {
    /// Cells of one row (relative to the range start), padded to the width.
    fn row(&self, r: usize) -> Option<Vec<String>> {
        if r >= self.range.height() {
            return None;
        }
        Some(
            (0..self.width)
                .map(|c| self.range.get((r, c)).map(cell_text).unwrap_or_default())
                .collect(),
        )
    }
}

impl Rows for XlsxRows {
    fn next_row(&mut self) -> Option<Result<(u64, Vec<String>), Reject>> {
        loop {
            let cells = self.row(self.next)?;
            let line = self.first_row + self.next as u64 + 1;
            self.next += 1;
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Some(Ok((line, cells)));
        }
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
