//! [`SearchIndex`]: opening the index, the single writer, and the commit policy.
//!
//! Exactly one `IndexWriter` lives behind a mutex. Upserts and deletes go to it and
//! mark the index dirty; a background committer thread commits a dirty index every
//! [`IndexOptions::commit_interval`] (500 ms by default) and reloads the reader, so a
//! saved listing is searchable within a second without a commit per save. Callers
//! that need it at once (tests, the CLI, a batch import) call [`SearchIndex::commit`].
//! Dropping the index commits what is pending.
//!
//! A commit is atomic (tantivy writes the new segments, then swaps `meta.json`): a
//! crash loses at most the uncommitted changes, never what was committed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyError, Term, Warmer};

use super::IndexError;
use super::analyzers::register;
use super::document::{IndexDoc, doc_id};
use super::facets::FacetCache;
use super::schema::Fields;

/// Longest sku or market accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// How the index writes.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Memory the writer may use for its in-memory segments, in bytes, all
    /// threads together (at least 15 MB per thread). Default 64 MiB.
    pub writer_heap_bytes: usize,
    /// Indexing threads. Default: available cores, at most 4.
    pub writer_threads: usize,
    /// Commit a dirty index this often; `None` commits only on [`SearchIndex::commit`].
    pub commit_interval: Option<Duration>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_heap_bytes: 64 << 20,
            writer_threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(4),
            commit_interval: Some(Duration::from_millis(500)),
        }
    }
}

pub(crate) struct Inner {
    pub fields: Fields,
    pub reader: IndexReader,
    /// `None` when opened read-only.
    writer: Mutex<Option<IndexWriter>>,
    dirty: AtomicBool,
    /// Where the index lives (`None` in RAM), for error messages.
    pub dir: Option<PathBuf>,
    /// Facet ordinals per document, per segment: the reader's warmer.
    pub facet_cache: Arc<FacetCache>,
}

impl Inner {
    fn writer(&self) -> Result<MappedMutexGuard<'_>, IndexError> {
        // A panic while holding the lock leaves the writer usable: tantivy's own
        // state is only changed by its methods, which do not panic half-way.
        let g = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if g.is_none() {
            return Err(IndexError::ReadOnly {
                dir: self.dir.clone(),
            });
        }
        Ok(MappedMutexGuard(g))
    }

    fn commit_locked(&self, w: &mut IndexWriter) -> Result<(), IndexError> {
        self.dirty.store(false, Ordering::SeqCst);
        if let Err(e) = w.commit() {
            self.dirty.store(true, Ordering::SeqCst);
            return Err(self.err("commit", e));
        }
        self.reader
            .reload()
            .map_err(|e| self.err("reload reader", e))
    }

    pub(crate) fn err(&self, op: &'static str, source: TantivyError) -> IndexError {
        IndexError::Tantivy {
            op,
            dir: self.dir.clone(),
            source,
        }
    }
}

/// The writer lock of an index opened for writing (never holds `None`).
struct MappedMutexGuard<'a>(MutexGuard<'a, Option<IndexWriter>>);

impl std::ops::Deref for MappedMutexGuard<'_> {
    type Target = IndexWriter;
    fn deref(&self) -> &IndexWriter {
        // Checked in `Inner::writer`; the option never changes after opening.
        self.0.as_ref().expect("checked when the guard was made")
    }
}

impl std::ops::DerefMut for MappedMutexGuard<'_> {
    fn deref_mut(&mut self) -> &mut IndexWriter {
        self.0.as_mut().expect("checked when the guard was made")
    }
}

struct Committer {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<()>,
}

/// The search index: one per data directory, shared by the server and the CLI.
/// Cheap to share behind an `Arc`; every method takes `&self`.
pub struct SearchIndex {
    pub(crate) inner: Arc<Inner>,
    committer: Option<Committer>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Open the index in `dir`, creating it (and the directory) when missing.
    pub fn open(dir: &Path) -> Result<SearchIndex, IndexError> {
        Self::open_with(dir, IndexOptions::default())
    }

    /// [`SearchIndex::open`] with explicit options.
    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<SearchIndex, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (schema, fields) = Fields::build();
        let open_err = |source| IndexError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        let mmap = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let index = if Index::exists(&mmap).map_err(|e| open_err(e.into()))? {
            let index = Index::open(mmap).map_err(open_err)?;
            if index.schema() != schema {
                return Err(IndexError::SchemaMismatch {
                    dir: dir.to_path_buf(),
                });
            }
            index
        } else {
            Index::create(mmap, schema, Default::default()).map_err(open_err)?
        };
        Self::from_index(index, fields, Some(dir.to_path_buf()), options)
    }

    /// Open an existing index in `dir` for searching only: no writer, no lock, so
    /// it works while another process (`silkroute serve`) writes the index. The
    /// reader follows that process's commits. Writes answer
    /// [`IndexError::ReadOnly`].
    pub fn open_read_only(dir: &Path) -> Result<SearchIndex, IndexError> {
        let (schema, fields) = Fields::build();
        let open_err = |source| IndexError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        if !dir.join("meta.json").is_file() {
            return Err(IndexError::Missing {
                dir: dir.to_path_buf(),
            });
        }
        let mmap = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let mut index = Index::open(mmap).map_err(open_err)?;
        if index.schema() != schema {
            return Err(IndexError::SchemaMismatch {
                dir: dir.to_path_buf(),
            });
        }
        register(&index);
        search_threads(&mut index);
        let (reader, facet_cache) = open_reader(&index).map_err(open_err)?;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                fields,
                reader,
                writer: Mutex::new(None),
                dirty: AtomicBool::new(false),
                dir: Some(dir.to_path_buf()),
                facet_cache,
            }),
            committer: None,
        })
    }

    /// Delete whatever is in `dir` and create an empty index there (used by
    /// `silkroute index rebuild` when the schema changed).
    pub fn recreate(dir: &Path, options: IndexOptions) -> Result<SearchIndex, IndexError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|source| IndexError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Self::open_with(dir, options)
    }

    /// A fresh index in memory (tests, benchmarks).
    pub fn open_in_ram() -> Result<SearchIndex, IndexError> {
        Self::open_in_ram_with(IndexOptions::default())
    }

    /// [`SearchIndex::open_in_ram`] with explicit options.
    pub fn open_in_ram_with(options: IndexOptions) -> Result<SearchIndex, IndexError> {
        let (schema, fields) = Fields::build();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, fields, None, options)
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        dir: Option<PathBuf>,
        options: IndexOptions,
    ) -> Result<SearchIndex, IndexError> {
        register(&index);
        search_threads(&mut index);
        let threads = options.writer_threads.max(1);
        let heap = options.writer_heap_bytes.max(threads * 15_000_000);
        let writer =
            index
                .writer_with_num_threads(threads, heap)
                .map_err(|source| match source {
                    TantivyError::LockFailure(..) => IndexError::Locked { dir: dir.clone() },
                    source => IndexError::Tantivy {
                        op: "open writer",
                        dir: dir.clone(),
                        source,
                    },
                })?;
        let (reader, facet_cache) = open_reader(&index).map_err(|source| IndexError::Tantivy {
            op: "open reader",
            dir: dir.clone(),
            source,
        })?;
        let inner = Arc::new(Inner {
            fields,
            reader,
            writer: Mutex::new(Some(writer)),
            dirty: AtomicBool::new(false),
            dir,
            facet_cache,
        });
        let committer = options
            .commit_interval
            .map(|every| spawn_committer(Arc::clone(&inner), every));
        Ok(SearchIndex { inner, committer })
    }

    /// Add or replace one listing version (keyed by `sku|market`). Visible after
    /// the next commit (at most one commit interval away).
    pub fn upsert(&self, doc: &IndexDoc) -> Result<(), IndexError> {
        check_key("sku", &doc.sku, &doc.doc_id())?;
        check_key("market", &doc.market, &doc.doc_id())?;
        let tdoc = doc.to_tantivy(&self.inner.fields);
        let w = self.inner.writer()?;
        w.delete_term(Term::from_field_text(
            self.inner.fields.doc_id,
            &doc.doc_id(),
        ));
        w.add_document(tdoc)
            .map_err(|e| self.inner.err("add document", e))?;
        self.inner.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Put a job's committed localization, and its source listing when given,
    /// into the index: the one way job results reach it (the server's runner and
    /// `silkroute batch` alike). No commit per item: the background committer
    /// makes them searchable within one interval, and dropping the index commits
    /// the rest. The index is derived from the store, so what a crash loses here
    /// `silkroute index rebuild` restores.
    pub fn add_committed(
        &self,
        source: Option<&crate::listing::Listing>,
        loc: &crate::listing::LocalizedListing,
    ) -> Result<(), IndexError> {
        let now = chrono::Utc::now();
        if let Some(src) = source {
            self.upsert(&IndexDoc::from_source(
                src,
                crate::listing::Status::Localized,
                now,
            ))?;
        }
        self.upsert(&IndexDoc::from_localized(loc, now))
    }

    /// Delete every version of a listing (its source and all localizations).
    pub fn delete_listing(&self, sku: &str) -> Result<(), IndexError> {
        let w = self.inner.writer()?;
        w.delete_term(Term::from_field_text(self.inner.fields.sku, sku));
        self.inner.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Delete one version of a listing (`market` is `source` for the source).
    pub fn delete_version(&self, sku: &str, market: &str) -> Result<(), IndexError> {
        let w = self.inner.writer()?;
        w.delete_term(Term::from_field_text(
            self.inner.fields.doc_id,
            &doc_id(sku, market),
        ));
        self.inner.dirty.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Commit pending changes and make them visible to searches now.
    pub fn commit(&self) -> Result<(), IndexError> {
        let mut w = self.inner.writer()?;
        self.inner.commit_locked(&mut w)
    }

    /// Replace the whole index with `docs`, in one commit: searches see the old
    /// index until the new one is complete. An invalid document aborts the rebuild
    /// and leaves the old index as it was. Returns the number of documents indexed.
    pub fn rebuild(&self, docs: impl Iterator<Item = IndexDoc>) -> Result<u64, IndexError> {
        let mut w = self.inner.writer()?;
        let result = (|| {
            w.delete_all_documents()
                .map_err(|e| self.inner.err("delete all", e))?;
            let mut n = 0u64;
            for doc in docs {
                check_key("sku", &doc.sku, &doc.doc_id())?;
                check_key("market", &doc.market, &doc.doc_id())?;
                w.add_document(doc.to_tantivy(&self.inner.fields))
                    .map_err(|e| self.inner.err("add document", e))?;
                n += 1;
            }
            Ok(n)
        })();
        match result {
            Ok(n) => {
                self.inner.commit_locked(&mut w)?;
                Ok(n)
            }
            Err(e) => {
                let _ = w.rollback();
                Err(e)
            }
        }
    }

    /// Documents visible to searches now.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Segments the current searcher sees.
    pub fn segment_count(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    /// Bytes the index takes on disk (0 in RAM).
    pub fn size_on_disk(&self) -> u64 {
        fn walk(p: &Path) -> u64 {
            let Ok(rd) = std::fs::read_dir(p) else {
                return 0;
            };
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        }
        self.inner.dir.as_deref().map_or(0, walk)
    }
}

/// The index's reader, reloading on commits, with the facet tables as its
/// warmer (see [`FacetCache`]).
fn open_reader(index: &Index) -> tantivy::Result<(IndexReader, Arc<FacetCache>)> {
    let facet_cache = Arc::new(FacetCache::default());
    let weak: Weak<FacetCache> = Arc::downgrade(&facet_cache);
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .warmers(vec![weak as Weak<dyn Warmer>])
        .try_into()?;
    Ok((reader, facet_cache))
}

/// Search the segments of an index in parallel, on up to 4 threads: a query's
/// latency is then its slowest segment's, not the sum (p99 over the benchmark's
/// mix of 1,000 queries on 400,000 documents: see benches/index.rs).
fn search_threads(index: &mut Index) {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4);
    if n > 1
        && let Err(e) = index.set_multithread_executor(n)
    {
        tracing::warn!(error = %e, "searching on one thread");
    }
}

fn check_key(field: &'static str, value: &str, doc_id: &str) -> Result<(), IndexError> {
    let reason = if value.trim().is_empty() {
        format!("`{field}` is empty")
    } else if value.len() > MAX_KEY_BYTES {
        format!("`{field}` is over {MAX_KEY_BYTES} bytes")
    } else {
        return Ok(());
    };
    let mut doc_id = doc_id.to_string();
    if doc_id.len() > 80 {
        let mut end = 80;
        while !doc_id.is_char_boundary(end) {
            end -= 1;
        }
        doc_id.truncate(end);
    }
    Err(IndexError::InvalidDoc { doc_id, reason })
}

fn spawn_committer(inner: Arc<Inner>, every: Duration) -> Committer {
    let (stop, rx) = mpsc::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("silkroute-index-commit".into())
        .spawn(move || {
            loop {
                match rx.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                if !inner.dirty.load(Ordering::SeqCst) {
                    continue;
                }
                // Never wait behind a long rebuild: try again next tick.
                let Ok(mut g) = inner.writer.try_lock() else {
                    continue;
                };
                let Some(w) = g.as_mut() else { return };
                if let Err(e) = inner.commit_locked(w) {
                    tracing::warn!(error = %e, "background index commit failed");
                }
            }
        })
        .expect("spawning a thread only fails when the OS is out of resources");
    Committer { stop, handle }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        if let Some(c) = self.committer.take() {
            let _ = c.stop.send(());
            let _ = c.handle.join();
        }
        if self.inner.dirty.load(Ordering::SeqCst)
            && let Err(e) = self.commit()
        {
            tracing::warn!(error = %e, "index commit on close failed");
        }
    }
}
