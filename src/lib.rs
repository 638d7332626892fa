//! silkroute: a self-hosted server and CLI that localizes product listings for
//! foreign markets with a small language model running locally through `candle`,
//! and indexes every version with `tantivy`.
//!
//! Modules, one per concern:
//! - [`listing`]: the listing types every other module shares.
//! - [`llm`]: the language model runtime (GGUF models through candle, batched engine).
//! - [`paths`]: the data directory layout.
//! - [`server`]: the web app and JSON API (`silkroute serve`).
//!
//! The binary's command line lives in `cli`, outside the library API.
#![warn(missing_docs)]

pub mod listing;
pub mod llm;
pub mod paths;
pub mod server;

pub use listing::{Attribute, Listing, LocalizedListing, Price, Status, Variant, Warning};
