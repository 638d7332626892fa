//! Market profiles: the language, currency, number format and listing rules of one
//! marketplace (Amazon.de, a Shopify store in Spanish, a Google Merchant feed).
//!
//! Main type: [`MarketProfile`], read from TOML. The built-in profiles live in
//! `markets/` at the repository root and are compiled in with `include_str!`;
//! users add their own as `<DataDir>/markets/*.toml` ([`MarketRegistry::load_dir`]).
//! The localization pipeline (`localize`) reads a profile to convert units and
//! prices and to lint the result; the CLI lists and shows them.

mod profile;

pub use profile::{
    BulletRules, ContactRules, DescriptionRules, MarketError, MarketProfile, MarketRegistry,
    MeasurementSystem, NumberFormat, PriceEnding, PriceRules, SearchTermRules, TitleRules,
};
