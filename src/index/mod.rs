//! Search: every listing version (the source and each localization) in a tantivy
//! index on disk, with per-language analysis, typo tolerance, filters, facets and
//! highlighted snippets.
//!
//! The main type is [`SearchIndex`]: [`SearchIndex::open`] it on the data
//! directory's `index/` folder, [`upsert`](SearchIndex::upsert) an [`IndexDoc`] built
//! with [`IndexDoc::from_source`] or [`IndexDoc::from_localized`] whenever the store
//! saves a listing, and [`search`](SearchIndex::search) with a [`SearchQuery`].
//! Neither the store nor the localization pipeline writes the index: the server
//! writes it (its [`IndexFollower`] re-indexes every sku the store's change feed
//! names, whoever changed it), `silkroute batch` and `silkroute index rebuild`
//! write it after the store has saved a listing, and `silkroute search` and the
//! server search it.
//!
//! One file per concern: `schema` (fields, built in one function), `analyzers`
//! (tokenizers per language), `document` (listing → document), `follow` (the
//! server's follower of the store's change feed), `writer` (the one
//! `IndexWriter` and the commit policy), `query` (user text → query tree, never
//! through tantivy's query parser), `search` (ranking, snippets) and `facets`
//! (facet counts, with the per-segment cache the writer's reader warms).
//!
//! ```
//! use silkroute::index::{IndexDoc, SearchIndex, SearchQuery};
//! use silkroute::{Listing, Status};
//!
//! let index = SearchIndex::open_in_ram()?;
//! let listing = Listing {
//!     sku: "BOT-1".into(),
//!     title: "Insulated steel water bottle".into(),
//!     language: Some("en".into()),
//!     ..Default::default()
//! };
//! index.upsert(&IndexDoc::from_source(&listing, Status::Draft, chrono::Utc::now()))?;
//! index.commit()?;
//! let found = index.search(&SearchQuery::text("botle"))?; // one typo
//! assert_eq!(found.hits[0].sku, "BOT-1");
//! # Ok::<(), silkroute::index::IndexError>(())
//! ```

use std::path::PathBuf;

mod analyzers;
mod document;
mod facets;
mod follow;
mod pairs;
mod query;
mod schema;
mod search;
mod writer;

pub use analyzers::stems;
pub use document::{IndexDoc, SOURCE_MARKET};
pub use facets::{Facets, MAX_FACET_VALUES};
pub use follow::{
    FeedCursor, FollowError, IndexFollower, Rebuilt, catch_up, rebuild_from_store, reindex_sku,
};
pub use pairs::{PairHit, PairIndex, SegmentPair};
pub use query::{
    MAX_PER_PAGE, MAX_QUERY_BYTES, MAX_QUERY_WORDS, MAX_RESULT_WINDOW, SearchQuery, Sort,
};
pub use search::{Hit, SearchResults, Snippet};
pub use writer::{IndexOptions, MAX_KEY_BYTES, SearchIndex};

/// Languages with their own analyzer (ISO 639-1); any other language is indexed
/// with a plain lower-casing, accent-folding analyzer.
pub fn analysed_languages() -> Vec<&'static str> {
    schema::LANGS
        .iter()
        .map(|l| l.code)
        .filter(|c| *c != "other")
        .collect()
}

/// What can go wrong in the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index directory could not be opened or created.
    #[error("cannot open the search index in {dir}: {source}")]
    Open {
        /// The index directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: tantivy::TantivyError,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The index on disk was written with another schema.
    #[error(
        "the search index in {dir} was built by another silkroute version: run `silkroute index rebuild`"
    )]
    SchemaMismatch {
        /// The index directory.
        dir: PathBuf,
    },
    /// There is no index in the directory (opening read-only creates none).
    #[error("no search index in {dir}: run `silkroute index rebuild`")]
    Missing {
        /// The index directory.
        dir: PathBuf,
    },
    /// A write to an index opened with [`SearchIndex::open_read_only`].
    #[error("the search index{} is open read-only", dir.as_ref().map(|d| format!(" in {}", d.display())).unwrap_or_default())]
    ReadOnly {
        /// The index directory.
        dir: Option<PathBuf>,
    },
    /// Another process holds the index writer.
    #[error("the search index{} is in use by another silkroute process", dir.as_ref().map(|d| format!(" in {}", d.display())).unwrap_or_default())]
    Locked {
        /// The index directory (`None` in RAM).
        dir: Option<PathBuf>,
    },
    /// A tantivy operation failed.
    #[error("search index{}: {op} failed: {source}", dir.as_ref().map(|d| format!(" in {}", d.display())).unwrap_or_default())]
    Tantivy {
        /// What was being done.
        op: &'static str,
        /// The index directory (`None` in RAM).
        dir: Option<PathBuf>,
        /// Why.
        #[source]
        source: tantivy::TantivyError,
    },
    /// A document that cannot be indexed.
    #[error("document {doc_id}: {reason}")]
    InvalidDoc {
        /// `sku|market` (cut to 80 bytes).
        doc_id: String,
        /// What is wrong.
        reason: String,
    },
    /// A search parameter out of bounds.
    #[error("search parameter `{field}`: {message}")]
    InvalidQuery {
        /// The parameter.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}
