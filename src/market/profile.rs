//! The profile type, its TOML form, validation and the registry of profiles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest profile file accepted (64 KiB).
const MAX_PROFILE_BYTES: u64 = 64 * 1024;
/// At most this many user profiles are read from one directory.
const MAX_USER_PROFILES: usize = 256;

/// Errors of the market module.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// A profile file is not valid TOML or does not match the profile format.
    #[error("market profile {source_name}: {message}")]
    Parse {
        /// File name (or `builtin:<name>`).
        source_name: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A profile parsed but a value is out of range.
    #[error("market profile {source_name}: field `{field}`: {message}")]
    Invalid {
        /// File name (or `builtin:<name>`).
        source_name: String,
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A profile file could not be read.
    #[error("market profile {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A profile file is larger than the limit.
    #[error("market profile {path}: {size} bytes, over the {MAX_PROFILE_BYTES}-byte limit")]
    TooLarge {
        /// The path.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// No profile with this id.
    #[error("unknown market `{id}` (known: {known})")]
    Unknown {
        /// The id asked for.
        id: String,
        /// The ids that exist, comma separated.
        known: String,
    },
}

/// Metric or imperial (US customary) units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasurementSystem {
    /// Millimetres, kilograms, litres, degrees Celsius.
    Metric,
    /// Inches, pounds, fluid ounces, degrees Fahrenheit.
    Imperial,
}

/// How numbers are written in the market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    /// Decimal separator (`.` or `,`).
    pub decimal: String,
    /// Thousands separator (`,`, `.`, a space or empty).
    pub grouping: String,
}

/// Price conventions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRules {
    /// Digits after the decimal separator (2, or 0 for JPY).
    pub decimals: u32,
    /// Currency symbol (`€`, `$`, `¥`).
    pub symbol: String,
    /// Whether the symbol goes before the amount (`$19.99`) or after (`19,99 €`).
    pub symbol_before: bool,
    /// VAT (or GST) in percent that prices shown to buyers must include (`19`
    /// for Germany, `5` for the UAE); `None` where listings show prices without
    /// it. A net price converted from another currency gets it added.
    #[serde(default)]
    pub vat_percent: Option<Decimal>,
    /// The market's psychological price ending, when it has one.
    #[serde(default)]
    pub ending: Option<PriceEnding>,
}

/// A psychological price ending: converted prices go to the nearest amount that
/// ends in `value` within each `step` (`0.99` in `1`: 18.37 -> 17.99, 18.62 ->
/// 18.99; `0.90` in `1`: 59.12 -> 58.90; `900` in `1000`: 27,340 -> 26,900),
/// never to zero or below; halfway goes up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceEnding {
    /// What every price ends in, below `step`.
    pub value: Decimal,
    /// The unit the ending repeats in (1, 10, 100, 1000).
    pub step: Decimal,
}

impl PriceEnding {
    /// The amount nearest to `amount` that ends in `value` (and is above zero).
    pub fn apply(&self, amount: Decimal) -> Decimal {
        if self.step <= Decimal::ZERO {
            return amount;
        }
        let mid = (amount / self.step).floor() * self.step + self.value;
        [mid - self.step, mid, mid + self.step]
            .into_iter()
            .filter(|c| *c > Decimal::ZERO)
            .min_by(|a, b| {
                let (da, db) = ((*a - amount).abs(), (*b - amount).abs());
                da.cmp(&db).then(b.cmp(a))
            })
            .unwrap_or(amount)
    }
}

/// Title rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleRules {
    /// Maximum length in characters, spaces included.
    pub max_chars: usize,
    /// Characters not allowed unless part of the brand.
    #[serde(default)]
    pub banned_chars: String,
    /// No word may occur more often than this (0 = no limit).
    #[serde(default)]
    pub max_word_repeat: usize,
    /// Words exempt from the repetition rule (articles, prepositions, conjunctions).
    #[serde(default)]
    pub repeat_exempt: Vec<String>,
}

/// Bullet point rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletRules {
    /// Maximum number of bullets (0 = the market has no bullets; they go into the description).
    pub max_count: usize,
    /// Maximum characters per bullet.
    pub max_chars: usize,
    /// Symbols not allowed in bullets.
    #[serde(default)]
    pub banned_symbols: String,
    /// Whether emoji are banned.
    #[serde(default)]
    pub ban_emoji: bool,
}

/// Description rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionRules {
    /// Maximum characters (HTML tags included).
    pub max_chars: usize,
    /// Allowed HTML tag names; empty = no HTML at all.
    #[serde(default)]
    pub allowed_html: Vec<String>,
}

/// Contact information rules (all fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRules {
    /// No phone numbers.
    pub ban_phone: bool,
    /// No e-mail addresses.
    pub ban_email: bool,
    /// No URLs.
    pub ban_url: bool,
}

/// Search terms (backend keywords).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchTermRules {
    /// Maximum size in UTF-8 bytes, keywords joined by spaces.
    pub max_bytes: usize,
}

/// One marketplace's language, formats and listing rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketProfile {
    /// Id (`amazon.de`, `shopify-es`), the name users pass on the command line.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Profile version; bump when rules change (part of translation-memory keys).
    pub version: u32,
    /// Target language, ISO 639-1.
    pub language: String,
    /// Locale (`de-DE`).
    pub locale: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// Units the market expects.
    pub measurement: MeasurementSystem,
    /// Number format.
    pub number_format: NumberFormat,
    /// How dates are written, as a `strftime` pattern (`%d.%m.%Y`, `%Y/%m/%d`);
    /// `None` keeps dates as the source writes them.
    #[serde(default)]
    pub date_format: Option<String>,
    /// Price conventions.
    pub price: PriceRules,
    /// Title rules.
    pub title: TitleRules,
    /// Bullet rules.
    pub bullets: BulletRules,
    /// Description rules.
    pub description: DescriptionRules,
    /// Promotional phrases banned everywhere (case-insensitive).
    #[serde(default)]
    pub promotional_phrases: Vec<String>,
    /// Contact information rules.
    pub contact: ContactRules,
    /// Search term rules.
    pub search_terms: SearchTermRules,
    /// Short hash of the profile's content (computed, not read).
    #[serde(skip)]
    pub fingerprint: String,
}

impl MarketProfile {
    /// Parse and validate one profile; `source_name` names the file in errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, MarketError> {
        let mut p: MarketProfile = toml::from_str(text).map_err(|e| MarketError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        p.validate(source_name)?;
        let digest = Sha256::digest(text.as_bytes());
        p.fingerprint = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(p)
    }

    /// A date in the market's format ([`date_format`](Self::date_format)), or ISO
    /// 8601 when the profile has none.
    pub fn format_date(&self, date: chrono::NaiveDate) -> String {
        match &self.date_format {
            Some(f) => date.format(f).to_string(),
            None => date.format("%Y-%m-%d").to_string(),
        }
    }

    /// Whether text in the market's language is written right to left.
    pub fn is_rtl(&self) -> bool {
        crate::listing::is_rtl(&self.language)
    }

    /// Id, version and fingerprint: what translation-memory keys record.
    pub fn version_key(&self) -> String {
        format!("{}@{}:{}", self.id, self.version, self.fingerprint)
    }

    fn validate(&self, source_name: &str) -> Result<(), MarketError> {
        let bad = |field: &str, message: &str| {
            Err(MarketError::Invalid {
                source_name: source_name.to_string(),
                field: field.to_string(),
                message: message.to_string(),
            })
        };
        if self.id.is_empty()
            || self.id.len() > 64
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return bad("id", "must be 1-64 characters of a-z, 0-9, '.', '-', '_'");
        }
        if self.language.len() != 2 || !self.language.chars().all(|c| c.is_ascii_lowercase()) {
            return bad("language", "must be an ISO 639-1 code such as `de`");
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return bad("currency", "must be an ISO 4217 code such as `EUR`");
        }
        if !matches!(self.number_format.decimal.as_str(), "." | ",") {
            return bad("number_format.decimal", "must be `.` or `,`");
        }
        if self.number_format.grouping == self.number_format.decimal {
            return bad(
                "number_format.grouping",
                "must differ from the decimal separator",
            );
        }
        if self.price.decimals > 4 {
            return bad("price.decimals", "must be 0-4");
        }
        if self.title.max_chars == 0 || self.title.max_chars > 2000 {
            return bad("title.max_chars", "must be 1-2000");
        }
        if self.bullets.max_chars > 5000 {
            return bad("bullets.max_chars", "must be at most 5000");
        }
        if self.description.max_chars == 0 || self.description.max_chars > 100_000 {
            return bad("description.max_chars", "must be 1-100000");
        }
        if self.search_terms.max_bytes > 10_000 {
            return bad("search_terms.max_bytes", "must be at most 10000");
        }
        if let Some(v) = self.price.vat_percent
            && !(Decimal::ZERO..=Decimal::from(50)).contains(&v)
        {
            return bad("price.vat_percent", "must be 0-50");
        }
        if let Some(e) = &self.price.ending {
            if e.step <= Decimal::ZERO || e.value < Decimal::ZERO || e.value >= e.step {
                return bad(
                    "price.ending",
                    "needs 0 <= value < step and a positive step",
                );
            }
            if e.value.normalize().scale() > self.price.decimals
                || e.step.normalize().scale() > self.price.decimals
            {
                return bad(
                    "price.ending",
                    "value and step must fit the market's price decimals",
                );
            }
        }
        if let Some(f) = &self.date_format {
            use chrono::format::{Item, StrftimeItems};
            if f.is_empty()
                || f.len() > 32
                || StrftimeItems::new(f).any(|i| matches!(i, Item::Error))
            {
                return bad(
                    "date_format",
                    "must be a strftime pattern such as `%d.%m.%Y`",
                );
            }
        }
        Ok(())
    }
}

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../markets/", $name, ".toml")))),*]
    };
}

/// The profiles shipped in `markets/`.
const BUILTIN: &[(&str, &str)] = builtin!(
    "aliexpress-ar",
    "aliexpress-en",
    "aliexpress-es",
    "aliexpress-fr",
    "aliexpress-ja",
    "aliexpress-ko",
    "aliexpress-nl",
    "aliexpress-pl",
    "aliexpress-pt",
    "aliexpress-ru",
    "aliexpress-tr",
    "allegro",
    "amazon.ae-ar",
    "amazon.ae-en",
    "amazon.co.jp",
    "amazon.co.uk",
    "amazon.com",
    "amazon.com.br",
    "amazon.com.mx",
    "amazon.com.tr",
    "amazon.de",
    "amazon.es",
    "amazon.fr",
    "amazon.it",
    "amazon.nl",
    "amazon.pl",
    "amazon.sa-ar",
    "amazon.sa-en",
    "coupang",
    "google-merchant-de",
    "google-merchant-en",
    "google-merchant-es",
    "google-merchant-fr",
    "google-merchant-it",
    "google-merchant-ja",
    "google-merchant-zh",
    "lazada-id",
    "lazada-my-en",
    "lazada-my-ms",
    "lazada-ph",
    "lazada-sg",
    "lazada-th",
    "lazada-vn",
    "mercadolibre-ar",
    "mercadolibre-cl",
    "mercadolibre-co",
    "mercadolibre-mx",
    "mercadolivre-br",
    "noon-ae-ar",
    "noon-ae-en",
    "noon-sa-ar",
    "noon-sa-en",
    "ozon",
    "shein-de",
    "shein-en",
    "shein-es",
    "shein-fr",
    "shein-it",
    "shein-nl",
    "shein-pl",
    "shein-pt",
    "shopee-br",
    "shopee-id",
    "shopee-my-en",
    "shopee-my-ms",
    "shopee-ph",
    "shopee-sg",
    "shopee-th",
    "shopee-vn",
    "shopify-de",
    "shopify-en",
    "shopify-es",
    "shopify-fr",
    "shopify-it",
    "shopify-ja",
    "shopify-zh",
    "temu-de",
    "temu-en",
    "temu-es",
    "temu-fr",
    "temu-it",
    "temu-nl",
    "temu-pl",
    "temu-pt",
    "temu-uk",
    "wildberries",
);

/// All known profiles by id: the built-in ones plus any the user added.
#[derive(Debug, Clone, Default)]
pub struct MarketRegistry {
    profiles: BTreeMap<String, MarketProfile>,
}

impl MarketRegistry {
    /// The built-in profiles only.
    pub fn builtin() -> Result<Self, MarketError> {
        let mut profiles = BTreeMap::new();
        for (name, text) in BUILTIN {
            let p = MarketProfile::from_toml(text, &format!("builtin:markets/{name}.toml"))?;
            profiles.insert(p.id.clone(), p);
        }
        Ok(Self { profiles })
    }

    /// Built-in profiles plus `dir/*.toml` (a missing directory is fine). A user
    /// profile with a built-in id replaces it.
    pub fn with_user_dir(dir: &Path) -> Result<Self, MarketError> {
        let mut r = Self::builtin()?;
        r.load_dir(dir)?;
        Ok(r)
    }

    /// Add every `*.toml` in `dir`, in name order.
    pub fn load_dir(&mut self, dir: &Path) -> Result<usize, MarketError> {
        let io = |path: &Path, source| MarketError::Io {
            path: path.to_path_buf(),
            source,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io(dir, e)),
        };
        let mut paths = Vec::new();
        for e in entries {
            let path = e.map_err(|e| io(dir, e))?.path();
            if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        paths.truncate(MAX_USER_PROFILES);
        for path in &paths {
            let size = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
            if size > MAX_PROFILE_BYTES {
                return Err(MarketError::TooLarge {
                    path: path.clone(),
                    size,
                });
            }
            let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
            let p = MarketProfile::from_toml(&text, &path.display().to_string())?;
            self.profiles.insert(p.id.clone(), p);
        }
        Ok(paths.len())
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Result<&MarketProfile, MarketError> {
        self.profiles.get(id).ok_or_else(|| MarketError::Unknown {
            id: id.to_string(),
            known: self.profiles.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    /// All profiles, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &MarketProfile> {
        self.profiles.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_load_and_follow_amazon_rules() {
        let r = MarketRegistry::builtin().unwrap();
        assert_eq!(r.iter().count(), BUILTIN.len());
        let de = r.get("amazon.de").unwrap();
        assert_eq!(de.language, "de");
        assert_eq!(de.currency, "EUR");
        assert_eq!(de.measurement, MeasurementSystem::Metric);
        assert_eq!(de.number_format.decimal, ",");
        assert_eq!(de.title.max_chars, 200);
        assert!(de.title.banned_chars.contains('¦'));
        assert_eq!(de.description.allowed_html, vec!["br".to_string()]);
        assert!(de.search_terms.max_bytes < 250);
        let us = r.get("amazon.com").unwrap();
        assert_eq!(us.measurement, MeasurementSystem::Imperial);
        let g = r.get("google-merchant-fr").unwrap();
        assert_eq!((g.title.max_chars, g.description.max_chars), (150, 5000));
        assert_eq!(r.get("amazon.co.jp").unwrap().price.decimals, 0);
    }

    #[test]
    fn price_endings_go_to_the_nearest_charm_price() {
        let e = |v: &str, s: &str| PriceEnding {
            value: v.parse().unwrap(),
            step: s.parse().unwrap(),
        };
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(e("0.99", "1").apply(d("18.37")), d("17.99"));
        assert_eq!(e("0.99", "1").apply(d("18.62")), d("18.99"));
        assert_eq!(e("0.99", "1").apply(d("0.30")), d("0.99"), "never zero");
        assert_eq!(e("0.90", "1").apply(d("59.12")), d("58.90"));
        assert_eq!(e("900", "1000").apply(d("27340")), d("26900"));
        assert_eq!(e("9", "10").apply(d("1294")), d("1299"));
        assert_eq!(e("0", "1000").apply(d("198700")), d("199000"));
    }

    #[test]
    fn dates_and_direction_follow_the_market() {
        let r = MarketRegistry::builtin().unwrap();
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(r.get("amazon.de").unwrap().format_date(day), "09.03.2026");
        assert_eq!(r.get("amazon.com").unwrap().format_date(day), "03/09/2026");
        assert_eq!(r.get("coupang").unwrap().format_date(day), "2026.03.09");
        assert!(r.get("noon-ae-ar").unwrap().is_rtl());
        assert!(!r.get("noon-ae-en").unwrap().is_rtl());
        let bad = BUILTIN.iter().find(|(n, _)| *n == "amazon.de").unwrap().1;
        let bad = bad.replace("date_format = \"%d.%m.%Y\"", "date_format = \"%Q\"");
        let e = MarketProfile::from_toml(&bad, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("date_format"), "{e}");
    }

    #[test]
    fn unknown_market_lists_known_ids() {
        let r = MarketRegistry::builtin().unwrap();
        let e = r.get("ebay.de").unwrap_err().to_string();
        assert!(e.contains("ebay.de") && e.contains("amazon.de"), "{e}");
    }

    #[test]
    fn user_profiles_load_and_bad_ones_name_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let base = BUILTIN.iter().find(|(n, _)| *n == "amazon.de").unwrap().1;
        let mine = base.replace("id = \"amazon.de\"", "id = \"my-shop\"");
        std::fs::write(dir.path().join("mine.toml"), mine).unwrap();
        let r = MarketRegistry::with_user_dir(dir.path()).unwrap();
        assert_eq!(r.get("my-shop").unwrap().language, "de");

        let bad = base.replace("currency = \"EUR\"", "currency = \"euro\"");
        std::fs::write(dir.path().join("zbad.toml"), bad).unwrap();
        let e = MarketRegistry::with_user_dir(dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("zbad.toml") && e.contains("currency"), "{e}");

        std::fs::write(dir.path().join("zbad.toml"), "id = 3\n").unwrap();
        let e = MarketRegistry::with_user_dir(dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("zbad.toml") && e.contains("line 1"), "{e}");
    }
}
