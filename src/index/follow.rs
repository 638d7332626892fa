//! [`IndexFollower`]: keeps the search index current with the store by
//! following the store's index feed (one `(seq, sku)` row per change to a
//! listing or a localization, written by the store's triggers, whoever made the
//! change: the server, a `silkroute worker` on another machine, a batch run).
//! The server runs one: it is the one process that writes the index.
//!
//! Each round reads the feed after the cursor, re-indexes each sku named from
//! the store (its source listing and every current localization, or removes it
//! when it is gone), commits, and then saves the cursor, with the store's id, in
//! `<data dir>/index-feed.json` (so a restart catches up, and an index built
//! from another store is followed from the start). Between rounds it waits for
//! PostgreSQL's `NOTIFY` (at most `poll`, which is also the polling fallback:
//! SQLite, a lost listening connection).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{IndexDoc, IndexError, SearchIndex};
use crate::listing::Status;
use crate::store::{Store, StoreError};

/// Feed rows read per round.
const BATCH: usize = 500;

/// Errors of following the feed.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The cursor file could not be written.
    #[error("{path}: {source}")]
    Cursor {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// How far the index has followed a store's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    /// The store's id ([`crate::store::StoreBackend::store_id`]).
    pub store: String,
    /// The last feed sequence number applied.
    pub seq: i64,
}

impl FeedCursor {
    /// The cursor saved in `path`, if any (an unreadable file is none: the
    /// follower then starts from the beginning, which is always correct).
    pub fn load(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Save atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), FollowError> {
        let io = |source| FollowError::Cursor {
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string(self).map_err(|e| io(e.into()))?;
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now())
}

/// Re-index one sku from the store: its source listing (draft until a
/// localization exists) and every current localization; nothing when it is
/// gone. Not committed.
pub fn reindex_sku(store: &Store, index: &SearchIndex, sku: &str) -> Result<(), FollowError> {
    index.delete_listing(sku)?;
    let locs = store.localizations_of(sku)?;
    if let Some(listing) = store.listing(sku)? {
        let status = if locs.is_empty() {
            Status::Draft
        } else {
            Status::Localized
        };
        let at = locs
            .iter()
            .map(|l| parse_time(&l.updated_at))
            .max()
            .unwrap_or_else(Utc::now);
        index.upsert(&IndexDoc::from_source(&listing, status, at))?;
    }
    for l in &locs {
        index.upsert(&IndexDoc::from_localized(
            &l.listing,
            parse_time(&l.updated_at),
        ))?;
    }
    Ok(())
}

/// Apply the feed after `cursor` to the index, committing after each batch
/// and saving the cursor to `cursor_file`. Returns the number of feed rows
/// applied.
pub fn catch_up(
    store: &Store,
    index: &SearchIndex,
    cursor: &mut FeedCursor,
    cursor_file: &Path,
) -> Result<u64, FollowError> {
    let mut applied = 0;
    loop {
        let rows = store.feed_since(cursor.seq, BATCH)?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(applied);
        };
        let mut skus: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        for sku in skus {
            if let Err(e) = reindex_sku(store, index, sku) {
                match e {
                    // A document the index refuses (an over-long key) must
                    // not stop the feed: it is skipped and logged.
                    FollowError::Index(e) => {
                        tracing::warn!(sku, error = %e, "not indexed")
                    }
                    other => return Err(other),
                }
            }
        }
        index.commit()?;
        applied += rows.len() as u64;
        cursor.seq = last;
        cursor.save(cursor_file)?;
    }
}

/// Follows the feed on a thread of its own until stopped (or dropped).
pub struct IndexFollower {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl IndexFollower {
    /// Start following. The cursor comes from `cursor_file` when it belongs to
    /// this store, else the whole feed is applied from the start.
    pub fn start(
        store: Arc<Store>,
        index: Arc<SearchIndex>,
        cursor_file: PathBuf,
        poll: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("index-follower".into())
            .spawn(move || follow(&store, &index, &cursor_file, poll, &flag))
            .ok();
        if handle.is_none() {
            tracing::error!("cannot start the index follower thread");
        }
        Self { stop, handle }
    }

    /// Stop after the current round.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for IndexFollower {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn follow(store: &Store, index: &SearchIndex, file: &Path, poll: Duration, stop: &AtomicBool) {
    let mut cursor: Option<FeedCursor> = None;
    let mut failing = false;
    while !stop.load(Ordering::SeqCst) {
        let round = (|| -> Result<u64, FollowError> {
            if cursor.is_none() {
                let id = store.store_id()?;
                let saved = FeedCursor::load(file).filter(|c| c.store == id);
                if saved.is_none() {
                    tracing::info!("index follower: following the store's feed from the start");
                }
                cursor = Some(saved.unwrap_or(FeedCursor { store: id, seq: 0 }));
            }
            let c = cursor.as_mut().expect("set above");
            catch_up(store, index, c, file)
        })();
        match round {
            Ok(n) => {
                if failing {
                    tracing::info!("index follower: store reachable again");
                    failing = false;
                }
                if n > 0 {
                    tracing::debug!(changes = n, "index follower: applied");
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "index follower: retrying");
                }
                failing = true;
                std::thread::sleep(poll.min(Duration::from_secs(2)));
                continue;
            }
        }
        // Wait for a notification (PostgreSQL), at most `poll`.
        if let Err(e) = store.wait_for_feed(poll) {
            tracing::debug!(error = %e, "index follower: listening failed; polling");
            std::thread::sleep(poll.min(Duration::from_secs(1)));
        }
    }
}
