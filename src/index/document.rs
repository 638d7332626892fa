//! [`IndexDoc`]: one listing version (the source or one localization) as the index
//! sees it, and its conversion to a tantivy document.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;

use super::schema::{Fields, lang_slot};
use crate::listing::{Listing, LocalizedListing, Status};

/// Market name of the source version of a listing.
pub const SOURCE_MARKET: &str = "source";

/// Longest text indexed per field, in bytes; longer text is cut at a char boundary.
pub(crate) const MAX_FIELD_BYTES: usize = 64 * 1024;

/// One version of a listing, ready to index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDoc {
    /// The listing's sku.
    pub sku: String,
    /// Market id (`amazon.de`), or [`SOURCE_MARKET`] for the source listing.
    pub market: String,
    /// ISO 639-1 language of the text (`und` when unknown).
    pub language: String,
    /// Title.
    pub title: String,
    /// Bullet points.
    pub bullets: Vec<String>,
    /// Description.
    pub description: String,
    /// Attribute values and keywords, as `name: value` lines.
    pub attributes: Vec<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Category (free text or a `A > B > C` path).
    pub category: Option<String>,
    /// Review status.
    pub status: Status,
    /// Price amount.
    pub price: Option<f64>,
    /// Price currency.
    pub currency: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Check findings on this version (warnings of a localization; 0 for a
    /// source listing): `sort=findings` lists the most first.
    pub findings: u64,
}

fn attribute_lines(attrs: &[crate::listing::Attribute], keywords: &[String]) -> Vec<String> {
    attrs
        .iter()
        .map(|a| format!("{}: {}", a.name, a.value))
        .chain(keywords.iter().cloned())
        .collect()
}

/// The ISO 639-1 code of the text's language (see [`crate::listing::detect_language`]).
pub(crate) fn detect_language(text: &str) -> Option<&'static str> {
    crate::listing::detect_language(text)
}

impl IndexDoc {
    /// The source version of a listing. Its language is the listing's, or detected
    /// from its text when the listing does not say.
    pub fn from_source(listing: &Listing, status: Status, updated_at: DateTime<Utc>) -> IndexDoc {
        let language = listing
            .language
            .clone()
            .filter(|l| !l.trim().is_empty())
            .or_else(|| detect_language(&listing.text_for_detection()).map(str::to_string))
            .unwrap_or_else(|| "und".to_string());
        IndexDoc {
            sku: listing.sku.clone(),
            market: SOURCE_MARKET.to_string(),
            language,
            title: listing.title.clone(),
            bullets: listing.bullets.clone(),
            description: listing.description.clone(),
            attributes: attribute_lines(&listing.attributes, &listing.keywords),
            brand: listing.brand.clone(),
            category: listing.category.clone(),
            status,
            price: listing.price.as_ref().and_then(|p| p.amount.to_f64()),
            currency: listing.price.as_ref().map(|p| p.currency.clone()),
            updated_at,
            findings: 0,
        }
    }

    /// One localized version.
    pub fn from_localized(l: &LocalizedListing, updated_at: DateTime<Utc>) -> IndexDoc {
        IndexDoc {
            sku: l.sku.clone(),
            market: l.market.clone(),
            language: l.language.clone(),
            title: l.title.clone(),
            bullets: l.bullets.clone(),
            description: l.description.clone(),
            attributes: attribute_lines(&l.attributes, &l.keywords),
            brand: l.brand.clone(),
            category: l.category.clone(),
            status: l.status,
            price: l.price.as_ref().and_then(|p| p.amount.to_f64()),
            currency: l.price.as_ref().map(|p| p.currency.clone()),
            updated_at,
            findings: l.warnings.len() as u64,
        }
    }

    /// The upsert key: `sku|market`.
    pub fn doc_id(&self) -> String {
        doc_id(&self.sku, &self.market)
    }

    pub(crate) fn to_tantivy(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(f.doc_id, self.doc_id());
        d.add_text(f.sku, &self.sku);
        d.add_text(f.sku_key, self.sku.trim().to_lowercase());
        let lf = f.langs[lang_slot(&self.language)];
        let title = bounded(&self.title);
        d.add_text(lf.title, title);
        d.add_text(f.stored_title, title);
        d.add_text(f.words, title);
        let bullets = bounded_join(&self.bullets);
        if !bullets.is_empty() {
            d.add_text(lf.bullets, &bullets);
            d.add_text(f.words, &bullets);
            d.add_text(f.stored_bullets, &bullets);
        }
        let description = bounded(&self.description);
        if !description.is_empty() {
            d.add_text(lf.description, description);
            d.add_text(f.words, description);
            d.add_text(f.stored_description, description);
        }
        let attributes = bounded_join(&self.attributes);
        if !attributes.is_empty() {
            d.add_text(lf.attributes, &attributes);
            d.add_text(f.words, &attributes);
        }
        let mut models = model_numbers(title);
        models.extend(model_numbers(&attributes));
        models.sort();
        models.dedup();
        for m in models {
            d.add_text(f.model, m);
        }
        d.add_text(f.market, &self.market);
        d.add_text(f.language, &self.language);
        d.add_text(f.status, self.status.as_str());
        if let Some(b) = self.brand.as_deref().filter(|b| !b.trim().is_empty()) {
            d.add_text(f.brand, bounded(b.trim()));
        }
        if let Some(c) = self.category.as_deref().filter(|c| !c.trim().is_empty()) {
            d.add_text(f.category, bounded(c.trim()));
            for key in category_keys(c) {
                d.add_text(f.category_key, key);
            }
        }
        if let Some(p) = self.price.filter(|p| p.is_finite()) {
            d.add_f64(f.price, p);
        }
        if let Some(c) = &self.currency {
            d.add_text(f.currency, c);
        }
        d.add_date(
            f.updated_at,
            tantivy::DateTime::from_timestamp_micros(self.updated_at.timestamp_micros()),
        );
        d.add_u64(f.findings, self.findings);
        d
    }
}

/// The upsert key of a version.
pub(crate) fn doc_id(sku: &str, market: &str) -> String {
    format!("{sku}|{market}")
}

fn bounded(s: &str) -> &str {
    if s.len() <= MAX_FIELD_BYTES {
        return s;
    }
    let mut end = MAX_FIELD_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn bounded_join(parts: &[String]) -> String {
    let joined = parts.join("\n");
    bounded(&joined).to_string()
}

/// Keys a category filter matches: the lower-cased path, each path prefix and
/// each segment (`home > kitchen`, `kitchen`, …).
pub(crate) fn category_keys(category: &str) -> Vec<String> {
    let segments: Vec<String> = category
        .split(['>', '/'])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let mut keys = Vec::new();
    for i in 0..segments.len() {
        keys.push(segments[..=i].join(" > "));
        keys.push(segments[i].clone());
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Normalise a category filter the way [`category_keys`] does.
pub(crate) fn category_filter_key(category: &str) -> String {
    category
        .split(['>', '/'])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" > ")
}

/// Normalise one word as a model-number candidate: lower-cased, surrounding
/// punctuation removed. `None` unless it looks like a model number: 4 to 32
/// characters of letters, digits and `-_./`, with at least one letter and one digit,
/// and not a plain measurement such as `500ml` or `1.5l`.
pub(crate) fn model_number(word: &str) -> Option<String> {
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if w.len() < 4 || w.len() > 32 {
        return None;
    }
    if !w
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return None;
    }
    let has_digit = w.chars().any(|c| c.is_ascii_digit());
    let has_alpha = w.chars().any(|c| c.is_ascii_alphabetic());
    if !has_digit || !has_alpha {
        return None;
    }
    // A number followed by a short unit is a measurement, not a model.
    let unit_start = w.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(w.len());
    let (num, unit) = w.split_at(unit_start);
    if !num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unit.len() <= 3
        && unit.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    Some(w.to_ascii_lowercase())
}

/// Every model number in `text`.
pub(crate) fn model_numbers(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '[' | ']'))
        .filter_map(model_number)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_numbers_are_found_and_units_are_not() {
        assert_eq!(
            model_numbers("Sony WH-1000XM5 headphones, 250g, 500ml (black) RTX4090"),
            vec!["wh-1000xm5", "rtx4090"]
        );
    }

    #[test]
    fn category_keys_cover_prefixes_and_segments() {
        let k = category_keys("Home > Kitchen > Bottles");
        assert!(k.contains(&"kitchen".to_string()));
        assert!(k.contains(&"home > kitchen".to_string()));
        assert!(k.contains(&"home > kitchen > bottles".to_string()));
        assert_eq!(category_filter_key(" Home>Kitchen "), "home > kitchen");
    }
}
