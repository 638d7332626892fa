//! silkroute: a self-hosted server and CLI that localizes product listings for
//! foreign markets with a small language model running locally through `candle`,
//! and indexes every version with `tantivy`.
//!
//! Modules, one per concern:
//! - [`job`]: resumable batch jobs (a catalog into several markets) and their runner.
//! - [`catalog`]: catalog files in and out (CSV/TSV, JSON, JSON Lines, XLSX, Shopify), streamed, with rejects.
//! - [`html`]: HTML escaping, entity decoding and tag stripping, shared by every module.
//! - [`index`]: the tantivy search index (every listing version, every language).
//! - [`listing`]: the listing types every other module shares.
//! - [`llm`]: the language model runtime (GGUF models through candle, batched engine).
//! - [`localize`]: the localization pipeline (segments, protected spans, checks, linter) and [`market`] profiles.
//! - [`paths`]: the data directory layout.
//! - [`script`]: which writing system a character belongs to (CJK, Han, kana).
//! - [`store`]: the SQLite store (listings, localizations, glossaries, memory, jobs).
//! - [`server`]: the web app and JSON API (`silkroute serve`).
//!
//! The binary's command line lives in `cli`, outside the library API.
#![warn(missing_docs)]

pub mod catalog;
pub mod html;
pub mod index;
pub mod job;
pub mod listing;
pub mod llm;
pub mod localize;
pub mod market;
pub mod paths;
pub mod script;
pub mod server;
pub mod store;

pub use listing::{
    Attribute, Conversion, FieldId, Listing, LocalizedListing, Price, Status, Variant, Warning,
};
