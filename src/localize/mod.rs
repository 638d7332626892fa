//! Localization: turns a [`Listing`](crate::Listing) into a
//! [`LocalizedListing`](crate::LocalizedListing) for one market, with checks that
//! catch what a small model gets wrong.
//!
//! Main type: [`Pipeline`]. It segments the listing field by field (title, each
//! bullet, the description's HTML text nodes, attribute values, keywords; each
//! field named by a [`FieldId`](crate::listing::FieldId)), protects
//! brands, model numbers, URLs, tags, numbers with units and glossary terms behind
//! placeholders ([`protect`]), asks the model through the [`Generate`](crate::llm::Generate)
//! trait (all segments at once, so the engine batches them), restores and checks
//! every segment ([`check_segment`]), retries failures with other sampling, lints
//! the result against the market profile ([`lint_field`]) and marks anything that
//! still fails `needs_review`. Each step is one function of `pipeline.rs`, whose
//! module docs list them in order. Pure parts (spans, units, prices, linter,
//! checks, chrF) are plain functions. Called by the CLI (`silkroute localize`,
//! `silkroute eval`), the server and batch jobs.

mod ages;
mod animals;
mod approx;
mod checks;
mod chrf;
mod claims;
mod connectivity;
mod eval;
mod gender;
mod glossary;
mod html;
mod language;
mod language_names;
mod lint;
mod marks;
mod mbr;
mod pieces;
mod pipeline;
mod price;
mod prompt;
mod property;
mod quality;
mod retrieval;
mod seasons;
mod source_clean;
mod spans;
mod terminology;
mod tm;
mod units;
mod untranslated;

use std::path::PathBuf;

pub use checks::{
    CheckOptions, Finding, SegmentCheck, Severity, check_segment, edited_numbers, unknown_units,
};
pub use chrf::{ChrfStats, chrf};
pub use eval::{
    EvalEvent, EvalListing, EvalOptions, EvalReport, EvalSystem, FieldFinding, FieldRecord,
    LangReport, ROUNDTRIP_BAD_QUANTILE, ROUNDTRIP_MAX_FLAGGED, SystemOutput, SystemReport,
    eval_size, load_dev_set, run_eval,
};
pub use glossary::{Glossary, GlossaryEntry};
pub use html::{extract as html_text_pieces, rebuild as html_rebuild, sanitize as html_sanitize};
pub use language::{LanguageData, data as language_data, leaked_labels, strip_label};
pub use lint::{FieldKind, Violation, cut_at_word, fix as lint_fix, lint_bullet_count, lint_field};
pub use mbr::{Threshold, calibrate_threshold, mbr_pick, mbr_utilities, roundtrip_score, spearman};
pub use pipeline::{
    FieldEvent, LocalizeOptions, Pipeline, PipelineOptions, check_output, is_blocking,
};
pub use price::{PriceConverter, RateSource, Rates};
pub use prompt::{ExamplePair, Templates, TranslatePrompt, language_name};
pub use quality::{
    BestOf, MAX_BEST_OF, QualityConfig, QualityOptions, RetrievalConfig, RoundTripConfig,
};
pub use retrieval::{
    BANK_CATEGORIES, BANK_KINDS, BankLine, Example, ExampleBank, ExampleOrigin, MAX_PAIR_CHARS,
    RetrievalOptions, approved_pairs, parse_bank,
};
pub use source_clean::clean as clean_source;
pub use spans::{
    ProtectRules, Protected, QuantityNote, Restored, Span, SpanIssue, SpanKind, Term, protect,
    restore,
};
pub use terminology::{Hint, Terminology};
pub use tm::{InMemoryTm, TmKey, TranslationMemory, normalise};
pub use units::{
    SizeFamily, Unit, UnitMatch, UnitSystem, UnitTable, format_number, parse_number,
    parse_quantity, round_sensibly, table as unit_table,
};
pub use untranslated::untranslated;

fn field_suffix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!(", field `{field}`")
    }
}

/// Errors of the localization pipeline.
#[derive(Debug, thiserror::Error)]
pub enum LocalizeError {
    /// A seller file (glossary, rates, terminology, dev set) has a bad row.
    #[error("{file}: line {line}{}: {message}", field_suffix(.field))]
    Input {
        /// File name.
        file: String,
        /// 1-based line (0 = the whole file).
        line: usize,
        /// Column name, when one is to blame.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The listing itself is not acceptable.
    #[error("listing: {0}")]
    Listing(#[from] crate::listing::ListingError),
    /// The description's HTML could not be processed.
    #[error("description HTML: {0}")]
    Html(String),
    /// A prompt template is broken.
    #[error("template {name}: {message}")]
    Template {
        /// Template file name.
        name: String,
        /// The template engine's message.
        message: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The model runtime failed for the whole listing (engine stopped, queue full).
    #[error("language model: {0}")]
    Llm(#[from] crate::llm::LlmError),
    /// The example bank's index failed.
    #[error("example bank: {0}")]
    Bank(String),
    /// The market profile is unusable.
    #[error(transparent)]
    Market(#[from] crate::market::MarketError),
}
