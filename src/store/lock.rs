//! The data directory lock: one silkroute process per data directory. An
//! exclusive advisory lock (`flock`, through std's `File::try_lock`) on
//! `silkroute.lock`, held as long as the [`DirLock`] lives; the kernel drops it
//! when the process dies, even by `kill -9`, so there is no stale lock to clean.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;

use super::StoreError;

/// Name of the lock file inside the data directory.
pub(crate) const LOCK_FILE: &str = "silkroute.lock";

/// A held lock on a data directory.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Take the lock or say who holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    holder: holder.trim().chars().take(64).collect(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Say who holds it, for the message another process prints. Best effort:
        // the lock, not this text, is what excludes.
        let _ = file.set_len(0);
        let _ = write!(file, "pid {}", std::process::id());
        Ok(Self { _file: file })
    }
}
