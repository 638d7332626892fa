//! The rejects file: one CSV row per rejected record (file, line, column, reason),
//! written next to a converted catalog so nothing is lost.

use std::path::{Path, PathBuf};

use super::{CatalogError, Reject, persist, temp_for};

/// Streams rejects to a CSV file (`file,line,column,reason`).
pub struct RejectWriter {
    wtr: csv::Writer<tempfile::NamedTempFile>,
    path: PathBuf,
    count: u64,
}

impl RejectWriter {
    /// Create the file (moved into place by [`finish`](Self::finish)).
    pub fn create(path: &Path) -> Result<Self, CatalogError> {
        let mut wtr = csv::Writer::from_writer(temp_for(path)?);
        wtr.write_record(["file", "line", "column", "reason"])
            .map_err(|e| CatalogError::write(path, e.to_string()))?;
        Ok(Self {
            wtr,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    /// Append one reject.
    pub fn write(&mut self, r: &Reject) -> Result<(), CatalogError> {
        self.count += 1;
        let line = r.line.to_string();
        let cells = [
            r.file.as_str(),
            line.as_str(),
            r.column.as_deref().unwrap_or(""),
            r.reason.as_str(),
        ];
        self.wtr
            .write_record(cells.iter().map(|c| super::guard_formula(c).into_owned()))
            .map_err(|e| CatalogError::write(&self.path, e.to_string()))
    }

    /// Rejects written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flush and move the file into place.
    pub fn finish(self) -> Result<(), CatalogError> {
        let path = self.path;
        let tmp = self
            .wtr
            .into_inner()
            .map_err(|e| CatalogError::write(&path, e.to_string()))?;
        persist(tmp, &path)
    }
}

/// Write all rejects to a CSV file at once.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), CatalogError> {
    let mut w = RejectWriter::create(path)?;
    for r in rejects {
        w.write(r)?;
    }
    w.finish()
}
