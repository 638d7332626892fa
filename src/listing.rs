//! Listing types: what a seller brings ([`Listing`]) and what silkroute makes of it
//! for one market ([`LocalizedListing`]).
//!
//! These are plain serde types shared by every other module: the catalog readers
//! produce [`Listing`]s, the localization pipeline turns them into
//! [`LocalizedListing`]s, the store persists both and the index searches both.
//! Nothing here does I/O; validation that needs only the listing itself lives here
//! ([`Listing::validate`]), validation that needs the file (line numbers, duplicate
//! skus) lives in `catalog`.

use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Largest cell silkroute accepts, in bytes (64 KiB). Larger cells are rejected.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// The languages silkroute recognises in listing text, as `whatlang` names them
/// and as ISO 639-1 codes: the languages of the marketplaces silkroute serves and
/// of the sellers who use it. Detection only chooses among these, which makes it
/// about 3x faster than scoring all of whatlang's 69 and keeps a short English
/// title from being taken for Afrikaans or Latin.
const LANGUAGES: &[(whatlang::Lang, &str)] = {
    use whatlang::Lang::*;
    &[
        (Eng, "en"),
        (Cmn, "zh"),
        (Jpn, "ja"),
        (Kor, "ko"),
        (Deu, "de"),
        (Fra, "fr"),
        (Spa, "es"),
        (Por, "pt"),
        (Ita, "it"),
        (Nld, "nl"),
        (Swe, "sv"),
        (Pol, "pl"),
        (Tur, "tr"),
        (Rus, "ru"),
        (Ukr, "uk"),
        (Ara, "ar"),
        (Heb, "he"),
        (Hin, "hi"),
        (Tha, "th"),
        (Vie, "vi"),
        (Ind, "id"),
        (Ces, "cs"),
        (Dan, "da"),
        (Fin, "fi"),
        (Ell, "el"),
    ]
};

/// The ISO 639-1 code of a `whatlang` language, for the languages silkroute
/// recognises.
pub fn language_code(lang: whatlang::Lang) -> Option<&'static str> {
    LANGUAGES.iter().find(|(l, _)| *l == lang).map(|(_, c)| *c)
}

/// Languages written right to left (ISO 639-1): Arabic, Hebrew, Persian, Urdu.
const RTL_LANGUAGES: [&str; 4] = ["ar", "he", "fa", "ur"];

/// The language of a code or locale, without its region (`zh-CN`, `pt_BR` → `zh`, `pt`).
pub fn base_language(lang: &str) -> &str {
    lang.split(['-', '_']).next().unwrap_or(lang)
}

/// Whether text in `lang` (ISO 639-1, or a locale such as `ar-AE`) is written
/// right to left: pages render such fields with `dir="rtl"`.
pub fn is_rtl(lang: &str) -> bool {
    let code = base_language(lang);
    RTL_LANGUAGES.iter().any(|l| l.eq_ignore_ascii_case(code))
}

/// Whether `lang` (ISO 639-1, or a locale such as `zh-TW`) is Chinese, Japanese
/// or Korean: written in CJK characters, without spaces between words.
pub fn is_cjk_language(lang: &str) -> bool {
    let code = base_language(lang);
    ["zh", "ja", "ko"]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(code))
}

/// Below this `whatlang` confidence a Latin-script guess is not taken.
const MIN_LATIN_CONFIDENCE: f64 = 0.3;

/// Detect the language of listing text (ISO 639-1), choosing only among the
/// languages silkroute recognises; `None` when the text gives no answer. The one
/// detector for the catalog readers, the pipeline and the search index.
pub fn detect_language(text: &str) -> Option<&'static str> {
    static DETECTOR: std::sync::LazyLock<whatlang::Detector> = std::sync::LazyLock::new(|| {
        whatlang::Detector::with_allowlist(LANGUAGES.iter().map(|(l, _)| *l).collect())
    });
    let info = DETECTOR.detect(&crate::html::strip_tags(text))?;
    // On a few words whatlang's guess among Latin-script languages is often
    // wrong ("Steel water bottle" scores as Dutch at confidence 0.08, "Gourde
    // isotherme en acier inoxydable" as English at 0.23; whole English sentences
    // score 0.6 to 0.9): no answer beats a wrong one.
    if info.script() == whatlang::Script::Latin && info.confidence() < MIN_LATIN_CONFIDENCE {
        return None;
    }
    language_code(info.lang())
}

/// The language of `text` among every language `whatlang` knows, with its
/// confidence: the ISO 639-1 code where silkroute has one, `"other"` where not.
/// For checking that a text *is in* a given language (the `wrong_language`
/// check): there a language outside silkroute's list must count as another
/// language, where [`detect_language`]'s allowlist, made for choosing a
/// listing's language, would force it onto the nearest listed one.
pub fn detect_any_language(text: &str) -> Option<(&'static str, f64)> {
    let info = whatlang::detect(text)?;
    Some((
        language_code(info.lang()).unwrap_or("other"),
        info.confidence(),
    ))
}

/// One ordered key/value attribute such as `Color = Blue` or `Weight = 1.2 kg`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Attribute name as the seller wrote it (`Material`).
    pub name: String,
    /// Attribute value (`Stainless steel`).
    pub value: String,
}

impl Attribute {
    /// Build an attribute from a name and a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// One translatable field of a listing, as warnings, conversions, progress
/// events and round-trip scores name it. Its [`Display`](std::fmt::Display) is
/// the name the API and files carry (`title`, `bullets[2]`, `description`,
/// `attributes.Color`, `keywords[0]`), and [`FromStr`](std::str::FromStr)
/// reads exactly those names back: a name that parses prints as itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldId {
    /// The title.
    Title,
    /// The bullet at this index (0-based).
    Bullet(usize),
    /// The description.
    Description,
    /// The attribute of this name.
    Attribute(String),
    /// The keyword at this index (0-based).
    Keyword(usize),
}

impl FieldId {
    /// The kind of text the field holds, as prompts, the example bank and the
    /// quality settings name it: `title`, `bullet`, `description`, `attribute`,
    /// `keyword`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Bullet(_) => "bullet",
            Self::Description => "description",
            Self::Attribute(_) => "attribute",
            Self::Keyword(_) => "keyword",
        }
    }

    /// The field's text in a listing; `None` when the listing has no such
    /// bullet, attribute or keyword. An attribute is its first of that name.
    pub fn text_in<'a>(&self, listing: &'a Listing) -> Option<&'a str> {
        match self {
            Self::Title => Some(&listing.title),
            Self::Bullet(i) => listing.bullets.get(*i).map(String::as_str),
            Self::Description => Some(&listing.description),
            Self::Attribute(name) => listing
                .attributes
                .iter()
                .find(|a| &a.name == name)
                .map(|a| a.value.as_str()),
            Self::Keyword(i) => listing.keywords.get(*i).map(String::as_str),
        }
    }
}

impl std::fmt::Display for FieldId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Title => f.write_str("title"),
            Self::Bullet(i) => write!(f, "bullets[{i}]"),
            Self::Description => f.write_str("description"),
            Self::Attribute(name) => write!(f, "attributes.{name}"),
            Self::Keyword(i) => write!(f, "keywords[{i}]"),
        }
    }
}

/// A name that is not a [`FieldId`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a listing field (title, bullets[N], description, attributes.NAME, keywords[N])"
)]
pub struct UnknownField(pub String);

impl std::str::FromStr for FieldId {
    type Err = UnknownField;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the digits `Display` writes: `bullets[01]` or `bullets[+1]`
        // would not print back as themselves.
        let index = |prefix: &str| -> Option<usize> {
            let n = s.strip_prefix(prefix)?.strip_suffix(']')?;
            let canonical = !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'));
            canonical.then(|| n.parse().ok()).flatten()
        };
        match s {
            "title" => Ok(Self::Title),
            "description" => Ok(Self::Description),
            _ => {
                if let Some(i) = index("bullets[") {
                    Ok(Self::Bullet(i))
                } else if let Some(i) = index("keywords[") {
                    Ok(Self::Keyword(i))
                } else if let Some(name) = s.strip_prefix("attributes.") {
                    Ok(Self::Attribute(name.to_string()))
                } else {
                    Err(UnknownField(s.to_string()))
                }
            }
        }
    }
}

/// The ISO 4217 alphabetic codes in use (the standard's current list, with
/// funds and precious metals), sorted.
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// Whether `code` is an ISO 4217 currency code (upper case, as the standard
/// writes them): `EUR` is, `AAA` and `eur` are not.
pub fn is_iso4217(code: &str) -> bool {
    ISO_4217.binary_search(&code).is_ok()
}

/// A price: an exact decimal amount and an ISO 4217 currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// Exact amount (never a float), serialized as a string such as `"19.99"`.
    pub amount: Decimal,
    /// ISO 4217 code, upper case (`USD`, `EUR`, `JPY`).
    pub currency: String,
}

/// One variant of a product (a size or colour of the same item), as Shopify keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The variant's own sku, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Option values in order (`Size = M`, `Color = Red`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Attribute>,
    /// The variant's price, in the listing's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Any other per-variant columns, passed through untouched.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extra: IndexMap<String, String>,
}

/// A source listing as the seller brings it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// Stock keeping unit: required, unique within a catalog.
    pub sku: String,
    /// Product title: required.
    pub title: String,
    /// Description, plain text or simple HTML.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Bullet points, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bullets: Vec<String>,
    /// Brand name; never translated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Category, free text or a path such as `Home > Kitchen > Bottles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Ordered attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// Price with currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Image URLs, passed through untouched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Source language, ISO 639-1 (`en`, `zh`); detected when the file does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Variants (Shopify), kept in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Columns silkroute does not interpret, passed through untouched.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub extra: IndexMap<String, String>,
}

/// Why a listing is not acceptable on its own (without file context).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// A required field is empty.
    #[error("field `{0}` is required")]
    Missing(&'static str),
    /// A field is longer than [`MAX_CELL_BYTES`].
    #[error("field `{field}` is {len} bytes, over the {max}-byte limit")]
    TooLong {
        /// The field's name.
        field: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A currency that is not three ASCII letters.
    #[error("currency `{0}` is not an ISO 4217 code")]
    Currency(String),
}

impl Listing {
    /// Check what can be checked on the listing alone: required fields, cell sizes,
    /// currency code. Returns the first problem, naming the field.
    pub fn validate(&self) -> Result<(), ListingError> {
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every problem [`validate`](Self::validate) would find, in field order, so a
    /// seller can fix a row in one go.
    pub fn problems(&self) -> Vec<ListingError> {
        let mut out = Vec::new();
        if self.sku.trim().is_empty() {
            out.push(ListingError::Missing("sku"));
        }
        if self.title.trim().is_empty() {
            out.push(ListingError::Missing("title"));
        }
        let mut checks: Vec<(String, &str)> = vec![
            ("sku".into(), &self.sku),
            (FieldId::Title.to_string(), &self.title),
            (FieldId::Description.to_string(), &self.description),
        ];
        for (i, b) in self.bullets.iter().enumerate() {
            checks.push((FieldId::Bullet(i).to_string(), b));
        }
        for a in &self.attributes {
            checks.push((FieldId::Attribute(a.name.clone()).to_string(), &a.value));
        }
        for (field, value) in checks {
            if value.len() > MAX_CELL_BYTES {
                out.push(ListingError::TooLong {
                    field,
                    len: value.len(),
                    max: MAX_CELL_BYTES,
                });
            }
        }
        if let Some(p) = &self.price
            && !(p.currency.len() == 3 && p.currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            out.push(ListingError::Currency(p.currency.clone()));
        }
        out
    }

    /// All the listing's text joined, for language detection and search.
    pub fn text_for_detection(&self) -> String {
        let mut s = self.title.clone();
        for b in &self.bullets {
            s.push('\n');
            s.push_str(b);
        }
        if !self.description.is_empty() {
            s.push('\n');
            s.push_str(&self.description);
        }
        s
    }
}

/// Review status of a localized listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Saved, not localized yet.
    #[default]
    Draft,
    /// Localized and every check passed.
    Localized,
    /// Localized, but a check failed: a person must look.
    NeedsReview,
    /// A person approved it.
    Approved,
}

impl Status {
    /// The snake_case name used in files, the store and the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Localized => "localized",
            Status::NeedsReview => "needs_review",
            Status::Approved => "approved",
        }
    }

    /// Parse the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Status::Draft,
            "localized" => Status::Localized,
            "needs_review" => Status::NeedsReview,
            "approved" => Status::Approved,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named problem found in one field of a localized listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The field (`title`, `bullets[2]`, `description`, `attributes.Color`: a
    /// [`FieldId`] as it prints), or a name for several fields or none of them
    /// (`bullets`, `keywords`, `price`).
    pub field: String,
    /// Stable machine name of the check (`number_missing`, `wrong_language`, …).
    pub code: String,
    /// What a person should know, in English.
    pub message: String,
}

/// A quantity silkroute rewrote itself in one field, or deliberately kept: the
/// explanation of every number it wrote that the source does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The field (`title`, `bullets[2]`, `description`).
    pub field: String,
    /// The quantity as the source wrote it (`9/16 inch`, `120 ft-lb`).
    pub from: String,
    /// As the localized text has it (`9/16 Zoll`, `163 Nm`).
    pub to: String,
    /// Why: `converted`, or `standard_size:<family>` (kept in its unit).
    pub rule: String,
}

/// Where a localized listing came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Model id or file name that wrote it.
    pub model: String,
    /// When it was written (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A listing localized for one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedListing {
    /// The source listing's sku.
    pub sku: String,
    /// Market profile id (`amazon.de`).
    pub market: String,
    /// Target language, ISO 639-1.
    pub language: String,
    /// Localized title.
    pub title: String,
    /// Localized description.
    #[serde(default)]
    pub description: String,
    /// Localized bullets, same order as the source.
    #[serde(default)]
    pub bullets: Vec<String>,
    /// Localized attributes (names and values).
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// Localized search keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Price in the market's currency, when converted.
    #[serde(default)]
    pub price: Option<Price>,
    /// Brand, unchanged.
    #[serde(default)]
    pub brand: Option<String>,
    /// Category, as given.
    #[serde(default)]
    pub category: Option<String>,
    /// Image URLs, unchanged.
    #[serde(default)]
    pub images: Vec<String>,
    /// Every warning the checks raised.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// Quantities converted, or kept as standard sizes, per field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
    /// Review status.
    pub status: Status,
    /// Model and time.
    pub provenance: Provenance,
    /// Round-trip score per field (0-100): chrF of the field translated back
    /// into the source language against the source. Low means the meaning may
    /// have drifted. Empty when the round trip did not run.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub roundtrip: std::collections::BTreeMap<String, u8>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_titles_are_detected_among_silkroute_languages() {
        // Too short to tell English from Dutch: no guess rather than a wrong one.
        assert!(matches!(
            super::detect_language("Steel water bottle 500 ml"),
            None | Some("en")
        ));
        assert_eq!(
            super::detect_language(
                "Stainless steel water bottle that keeps your drinks cold for the whole day"
            ),
            Some("en")
        );
        assert_eq!(
            super::detect_language(
                "Die Trinkflasche aus Edelstahl hält Getränke den ganzen Tag kalt"
            ),
            Some("de")
        );
        assert_eq!(super::detect_language("不锈钢保温杯 500毫升"), Some("zh"));
        assert_eq!(
            super::detect_language("ステンレス製ボトル、保冷"),
            Some("ja")
        );
        assert_eq!(super::detect_language("12345"), None);
        assert_eq!(
            super::detect_language("Gourde isotherme en acier inoxydable"),
            None,
            "a wrong guess (English) is worse than none"
        );
        assert_eq!(
            super::detect_language(
                "<p>Die <b>Trinkflasche</b> aus Edelstahl hält Getränke den ganzen Tag kalt</p>"
            ),
            Some("de"),
            "markup is not language"
        );
    }

    use super::*;

    fn listing() -> Listing {
        Listing {
            sku: "A-1".into(),
            title: "Bottle".into(),
            ..Default::default()
        }
    }

    #[test]
    fn validate_names_the_missing_field() {
        let mut l = listing();
        assert_eq!(l.validate(), Ok(()));
        l.title = "  ".into();
        assert_eq!(l.validate(), Err(ListingError::Missing("title")));
        l.sku.clear();
        assert_eq!(l.validate(), Err(ListingError::Missing("sku")));
    }

    #[test]
    fn validate_bounds_cells_and_currency() {
        let mut l = listing();
        l.bullets = vec!["ok".into(), "x".repeat(MAX_CELL_BYTES + 1)];
        assert!(
            matches!(l.validate(), Err(ListingError::TooLong { field, .. }) if field == "bullets[1]")
        );
        let mut l = listing();
        l.price = Some(Price {
            amount: Decimal::new(1999, 2),
            currency: "usd".into(),
        });
        assert_eq!(l.validate(), Err(ListingError::Currency("usd".into())));
    }

    #[test]
    fn field_ids_print_as_todays_names_and_parse_back() {
        let ids = [
            (FieldId::Title, "title"),
            (FieldId::Bullet(0), "bullets[0]"),
            (FieldId::Bullet(12), "bullets[12]"),
            (FieldId::Description, "description"),
            (FieldId::Attribute("Color".into()), "attributes.Color"),
            (FieldId::Attribute("Размер".into()), "attributes.Размер"),
            // A name may hold anything, dots and brackets included.
            (FieldId::Attribute("a.b[1]".into()), "attributes.a.b[1]"),
            (FieldId::Attribute(String::new()), "attributes."),
            (FieldId::Keyword(2), "keywords[2]"),
        ];
        for (id, name) in ids {
            assert_eq!(id.to_string(), name);
            assert_eq!(name.parse::<FieldId>(), Ok(id), "{name}");
        }
        assert_eq!(FieldId::Bullet(3).kind(), "bullet");
        assert_eq!(FieldId::Attribute("x".into()).kind(), "attribute");
    }

    #[test]
    fn only_field_names_parse_and_each_prints_as_itself() {
        for bad in [
            "",
            "Title",
            "price",
            "keywords",
            "bullets",
            "bullets[]",
            "bullets[x]",
            "bullets[-1]",
            "bullets[+1]",
            "bullets[01]",
            "bullets[1",
            "bullets[1]x",
            "keywords[ 1]",
            "attributes",
            "bullets[99999999999999999999999]",
        ] {
            assert_eq!(
                bad.parse::<FieldId>(),
                Err(UnknownField(bad.to_string())),
                "{bad}"
            );
        }
        for name in ["bullets[0]", "bullets[10]", "keywords[7]", "attributes.[0]"] {
            assert_eq!(name.parse::<FieldId>().unwrap().to_string(), name);
        }
    }

    #[test]
    fn a_field_id_finds_its_text_in_a_listing() {
        let l = Listing {
            bullets: vec!["b0".into()],
            attributes: vec![
                Attribute::new("Color", "Blue"),
                Attribute::new("Color", "Red"),
            ],
            keywords: vec!["k0".into()],
            description: "<p>d</p>".into(),
            ..listing()
        };
        assert_eq!(FieldId::Title.text_in(&l), Some("Bottle"));
        assert_eq!(FieldId::Bullet(0).text_in(&l), Some("b0"));
        assert_eq!(FieldId::Bullet(1).text_in(&l), None);
        assert_eq!(FieldId::Description.text_in(&l), Some("<p>d</p>"));
        assert_eq!(
            FieldId::Attribute("Color".into()).text_in(&l),
            Some("Blue"),
            "the first of that name"
        );
        assert_eq!(FieldId::Attribute("Size".into()).text_in(&l), None);
        assert_eq!(FieldId::Keyword(0).text_in(&l), Some("k0"));
    }

    #[test]
    fn price_serializes_exactly() {
        let p = Price {
            amount: Decimal::new(1999, 2),
            currency: "USD".into(),
        };
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(s, r#"{"amount":"19.99","currency":"USD"}"#);
        let back: Price = serde_json::from_str(&s).unwrap();
        assert_eq!(back, p);
    }
}
