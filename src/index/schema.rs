//! The index schema, built in one function ([`Fields::build`]), and the list of
//! languages that get their own analysed text fields.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// A language group: its code and the name of the tokenizer its fields use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lang {
    /// ISO 639-1 code, or `other` for everything without a dedicated analyzer.
    pub code: &'static str,
    /// Registered tokenizer name.
    pub tokenizer: &'static str,
    /// Other codes indexed in this group (Malay with Indonesian: one stemmer
    /// serves both, and the language detector cannot tell them apart).
    pub also: &'static [&'static str],
}

/// Every language with its own text fields. The last entry (`other`) takes every
/// language silkroute has no analyzer for.
pub(crate) const LANGS: &[Lang] = &[
    Lang {
        code: "en",
        tokenizer: "sr_en",
        also: &[],
    },
    Lang {
        code: "de",
        tokenizer: "sr_de",
        also: &[],
    },
    Lang {
        code: "fr",
        tokenizer: "sr_fr",
        also: &[],
    },
    Lang {
        code: "es",
        tokenizer: "sr_es",
        also: &[],
    },
    Lang {
        code: "it",
        tokenizer: "sr_it",
        also: &[],
    },
    Lang {
        code: "pt",
        tokenizer: "sr_pt",
        also: &[],
    },
    Lang {
        code: "nl",
        tokenizer: "sr_nl",
        also: &[],
    },
    Lang {
        code: "sv",
        tokenizer: "sr_sv",
        also: &[],
    },
    Lang {
        code: "pl",
        tokenizer: "sr_pl",
        also: &[],
    },
    Lang {
        code: "ja",
        tokenizer: "sr_ja",
        also: &[],
    },
    Lang {
        code: "zh",
        tokenizer: "sr_zh",
        also: &[],
    },
    Lang {
        code: "ko",
        tokenizer: "sr_ko",
        also: &[],
    },
    Lang {
        code: "ru",
        tokenizer: "sr_ru",
        also: &[],
    },
    Lang {
        code: "ar",
        tokenizer: "sr_ar",
        also: &[],
    },
    Lang {
        code: "tr",
        tokenizer: "sr_tr",
        also: &[],
    },
    Lang {
        code: "th",
        tokenizer: "sr_th",
        also: &[],
    },
    Lang {
        code: "id",
        tokenizer: "sr_id",
        also: &["ms"],
    },
    Lang {
        code: "other",
        tokenizer: "sr_other",
        also: &[],
    },
];

/// Index of the `other` group in [`LANGS`].
pub(crate) const OTHER: usize = LANGS.len() - 1;

/// Tokenizer of the language-neutral `words` field (typo and prefix matching).
pub(crate) const WORDS_TOKENIZER: &str = "sr_words";

/// Position of the language group for an ISO 639-1 code (`other` when unknown).
pub(crate) fn lang_slot(code: &str) -> usize {
    let code = code.trim().to_ascii_lowercase();
    let code = code.split(['-', '_']).next().unwrap_or("");
    LANGS
        .iter()
        .position(|l| l.code == code || l.also.contains(&code))
        .unwrap_or(OTHER)
}

/// The four analysed text fields of one language group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LangFields {
    pub title: Field,
    pub bullets: Field,
    pub description: Field,
    pub attributes: Field,
}

/// Every field of the schema, by role.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    /// `sku|market` (`source` for the source listing): raw, the upsert key.
    pub doc_id: Field,
    /// The sku as given: raw, stored; `delete_listing` deletes by it.
    pub sku: Field,
    /// The sku lower-cased: raw, for exact (never fuzzy) matching.
    pub sku_key: Field,
    /// Model numbers (`wh-1000xm5`) lower-cased: raw, exact matching.
    pub model: Field,
    /// Per-language analysed text, same order as [`LANGS`].
    pub langs: Vec<LangFields>,
    /// Every Latin-script word folded and lower-cased, unstemmed: typo and prefix matching.
    pub words: Field,
    /// Market id or `source`: raw, fast (filter and facet).
    pub market: Field,
    /// Language code of this version: raw, fast.
    pub language: Field,
    /// Status: raw, fast.
    pub status: Field,
    /// Brand: raw, fast.
    pub brand: Field,
    /// Category as given: raw, fast (facet).
    pub category: Field,
    /// Lower-cased category path prefixes and segments: raw (filter).
    pub category_key: Field,
    /// Price amount: f64 fast + indexed (range filter, sort).
    pub price: Field,
    /// Currency code: stored.
    pub currency: Field,
    /// Last change: date fast + indexed (sort).
    pub updated_at: Field,
    /// Stored-only copies for results and snippets.
    pub stored_title: Field,
    /// Stored bullets, joined by newlines.
    pub stored_bullets: Field,
    /// Stored description.
    pub stored_description: Field,
}

impl Fields {
    /// Build the schema and keep each field's handle.
    pub(crate) fn build() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let raw_fast = STRING | FAST | STORED;
        let doc_id = b.add_text_field("doc_id", STRING);
        let sku = b.add_text_field("sku", STRING | STORED);
        let sku_key = b.add_text_field("sku_key", STRING);
        let model = b.add_text_field("model", STRING);
        let mut langs = Vec::with_capacity(LANGS.len());
        for l in LANGS {
            let opts = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(l.tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            langs.push(LangFields {
                title: b.add_text_field(&format!("title_{}", l.code), opts.clone()),
                bullets: b.add_text_field(&format!("bullets_{}", l.code), opts.clone()),
                description: b.add_text_field(&format!("description_{}", l.code), opts.clone()),
                attributes: b.add_text_field(&format!("attributes_{}", l.code), opts),
            });
        }
        let words = b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(WORDS_TOKENIZER)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        );
        let market = b.add_text_field("market", raw_fast.clone());
        let language = b.add_text_field("language", raw_fast.clone());
        let status = b.add_text_field("status", raw_fast.clone());
        let brand = b.add_text_field("brand", raw_fast.clone());
        let category = b.add_text_field("category", raw_fast);
        let category_key = b.add_text_field("category_key", STRING);
        let price = b.add_f64_field("price", FAST | INDEXED | STORED);
        let currency = b.add_text_field("currency", STORED);
        let updated_at = b.add_date_field("updated_at", FAST | INDEXED | STORED);
        let stored_title = b.add_text_field("stored_title", STORED);
        let stored_bullets = b.add_text_field("stored_bullets", STORED);
        let stored_description = b.add_text_field("stored_description", STORED);
        let schema = b.build();
        let fields = Fields {
            doc_id,
            sku,
            sku_key,
            model,
            langs,
            words,
            market,
            language,
            status,
            brand,
            category,
            category_key,
            price,
            currency,
            updated_at,
            stored_title,
            stored_bullets,
            stored_description,
        };
        (schema, fields)
    }
}

/// Names of the facet fields, in the order of [`crate::index::Facets`]' members.
pub(crate) const FACET_FIELDS: [&str; 5] = ["market", "language", "status", "brand", "category"];
