//! Where silkroute keeps its files: one data directory holding the installed
//! models, the store, the search index and job outputs.
//!
//! Resolution order: an explicit path (the `--data-dir` flag), `$SILKROUTE_HOME`,
//! then `$XDG_DATA_HOME/silkroute`, then `~/.local/share/silkroute`.

use std::path::{Path, PathBuf};

/// The data directory and the well-known paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Use `explicit` if given, else the environment's default (see module docs).
    pub fn resolve(explicit: Option<&Path>) -> Self {
        if let Some(p) = explicit {
            return Self::at(p);
        }
        if let Some(p) = std::env::var_os("SILKROUTE_HOME").filter(|p| !p.is_empty()) {
            return Self::at(PathBuf::from(p));
        }
        if let Some(p) = std::env::var_os("XDG_DATA_HOME").filter(|p| !p.is_empty()) {
            return Self::at(PathBuf::from(p).join("silkroute"));
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        Self::at(home.join(".local/share/silkroute"))
    }

    /// A data directory at exactly this path.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Installed model files (`<id>.gguf`).
    pub fn models(&self) -> PathBuf {
        self.root.join("models")
    }

    /// The SQLite store.
    pub fn store(&self) -> PathBuf {
        self.root.join("silkroute.db")
    }

    /// The tantivy index directory.
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }

    /// How far the search index has followed the store's change feed.
    pub fn index_cursor(&self) -> PathBuf {
        self.root.join("index-feed.json")
    }

    /// Job outputs (one folder per job).
    pub fn jobs(&self) -> PathBuf {
        self.root.join("jobs")
    }

    /// The seller's example bank: every reviewed translation, searched for
    /// worked examples (a tantivy index, see `localize::ExampleBank`).
    pub fn bank(&self) -> PathBuf {
        self.root.join("bank")
    }

    /// User-supplied market profiles (`*.toml`), added to the built-in ones.
    pub fn markets(&self) -> PathBuf {
        self.root.join("markets")
    }
}

/// Make a rename or a new file in `dir` durable: fsync the directory itself
/// (the file's own fsync does not cover its directory entry). A no-op where
/// directories cannot be opened (not Unix).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Replace `path` with `bytes` durably: a temporary file in the same
/// directory, written and fsynced, renamed over `path`, then the directory
/// fsynced. A crash leaves either the old file or the new one, whole.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".silkroute-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}
