//! [`SearchQuery`] and how it becomes a tantivy query.
//!
//! User text never reaches tantivy's `QueryParser`: it is split here into words and
//! quoted phrases, each analysed with every language's analyzer, and the query tree
//! is built from those terms. Characters that are syntax to tantivy (`:`, `(`, `*`,
//! `^`, …) are ordinary separators, so no input can cause a syntax error.
//!
//! Per word, any of these matches (a union), and every word must match:
//! - the sku, exactly (boost [`SKU_BOOST`]), and model numbers, exactly
//!   ([`MODEL_BOOST`]): never fuzzy;
//! - the analysed (stemmed/segmented) term in each language's title, bullets,
//!   description and attributes fields, boosted 4, 2, 1.5 and 1; the language the
//!   query is detected to be in (whatlang) or the `lang` filter gets ×1.5;
//! - typo tolerance on the unstemmed `words` field, as Meilisearch counts it: one typo
//!   from 5 characters, two from 9, none for words with digits (constant low score).
//!   The automaton leaves out the word itself ([`ExceptTerm`]): the language
//!   clauses match it already, and its postings, usually the largest of the
//!   expansion, were most of the typo clause's cost;
//! - for the last word, when the text does not end in a space, a prefix match
//!   (search-as-you-type), with the same typo allowance.
//!
//! Quoted text is a phrase in each language's fields. Filters are constant-score
//! clauses that do not change the ranking.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::Term;
use tantivy::query::{
    AllQuery, AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper,
    EnableScoring, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy_fst::Automaton;

use super::IndexError;
use super::analyzers::{analyzer, tokens};
use super::document::{category_filter_key, detect_language, model_number};
use super::schema::{Fields, LANGS, WORDS_TOKENIZER, lang_slot};
use crate::listing::Status;

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most words (and phrases) in one query.
pub const MAX_QUERY_WORDS: usize = 32;
/// Largest page size.
pub const MAX_PER_PAGE: usize = 100;
/// Deepest result reachable by paging (`page * per_page`).
pub const MAX_RESULT_WINDOW: usize = 10_000;
/// Longest filter value, in bytes.
pub const MAX_FILTER_BYTES: usize = 256;

/// Boost of an exact sku match.
pub const SKU_BOOST: f32 = 200.0;
/// Boost of an exact model-number match.
pub const MODEL_BOOST: f32 = 100.0;
const FIELD_BOOSTS: [f32; 4] = [4.0, 2.0, 1.5, 1.0];
const DETECTED_LANG_BOOST: f32 = 1.5;
const TYPO_SCORE: f32 = 0.5;
const PREFIX_SCORE: f32 = 0.7;

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Cheapest first.
    Price,
    /// Most expensive first.
    PriceDesc,
    /// Most recently changed first.
    Updated,
    /// Most check findings first (the versions a reviewer should look at).
    Findings,
}

impl Sort {
    /// Parse `relevance`, `price`, `price_desc`, `updated` or `findings`.
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "relevance" => Sort::Relevance,
            "price" => Sort::Price,
            "price_desc" => Sort::PriceDesc,
            "updated" => Sort::Updated,
            "findings" => Sort::Findings,
            _ => return None,
        })
    }
}

/// What to search for: free text plus filters, order and page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// Free text: words, `"quoted phrases"`, skus, model numbers. Empty lists all.
    pub text: String,
    /// Only this market (`source` for source listings).
    pub market: Option<String>,
    /// Only this language (ISO 639-1); the text is analysed for it alone.
    pub lang: Option<String>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this brand (exact).
    pub brand: Option<String>,
    /// Only this category: the full path, a path prefix or one segment, any case.
    pub category: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// Result order.
    pub sort: Sort,
    /// Page number, from 1.
    pub page: usize,
    /// Hits per page (1 to [`MAX_PER_PAGE`]).
    pub per_page: usize,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            market: None,
            lang: None,
            status: None,
            brand: None,
            category: None,
            min_price: None,
            max_price: None,
            sort: Sort::Relevance,
            page: 1,
            per_page: 20,
        }
    }
}

impl SearchQuery {
    /// A query for `text` with default filters and paging.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }

    /// Check bounds; returns the offset of the first hit.
    pub(crate) fn validate(&self) -> Result<usize, IndexError> {
        let bad =
            |field: &'static str, message: String| IndexError::InvalidQuery { field, message };
        if self.text.len() > MAX_QUERY_BYTES {
            return Err(bad(
                "text",
                format!(
                    "{} bytes, over the {MAX_QUERY_BYTES}-byte limit",
                    self.text.len()
                ),
            ));
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return Err(bad("per_page", format!("must be 1 to {MAX_PER_PAGE}")));
        }
        if self.page == 0 {
            return Err(bad("page", "pages start at 1".into()));
        }
        let offset = (self.page - 1).saturating_mul(self.per_page);
        if offset.saturating_add(self.per_page) > MAX_RESULT_WINDOW {
            return Err(bad(
                "page",
                format!("results past {MAX_RESULT_WINDOW} are not reachable: narrow the search"),
            ));
        }
        for (field, v) in [
            ("market", &self.market),
            ("lang", &self.lang),
            ("brand", &self.brand),
            ("category", &self.category),
        ] {
            if let Some(v) = v
                && v.len() > MAX_FILTER_BYTES
            {
                return Err(bad(
                    field,
                    format!("over the {MAX_FILTER_BYTES}-byte limit"),
                ));
            }
        }
        for (field, v) in [("min_price", self.min_price), ("max_price", self.max_price)] {
            if let Some(v) = v
                && !v.is_finite()
            {
                return Err(bad(field, "not a number".into()));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_price, self.max_price)
            && lo > hi
        {
            return Err(bad("min_price", format!("{lo} is above max_price {hi}")));
        }
        Ok(offset)
    }
}

/// The query text split into words and quoted phrases.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedText {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    /// The last word may be incomplete (no trailing space, not in a phrase).
    pub last_is_prefix: bool,
}

/// Query-syntax characters of other engines (`title:x`, `(a)`, `x*`, `x^2`,
/// `x~1`, `+x`, `!x`): word separators here, so `title:bottle` searches
/// `title` and `bottle`. `-`, `.`, `/` stay inside words (model numbers).
const SYNTAX_CHARS: &[char] = &[
    ':', '(', ')', '[', ']', '{', '}', '^', '~', '*', '+', '!', '\\',
];

fn split_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| c.is_whitespace() || SYNTAX_CHARS.contains(&c))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
}

pub(crate) fn parse_text(text: &str) -> Result<ParsedText, IndexError> {
    let mut out = ParsedText::default();
    let mut rest = text;
    let mut last_word_at_end = false;
    while !rest.is_empty() {
        if let Some(i) = rest.find('"') {
            let (before, after) = rest.split_at(i);
            out.words.extend(split_words(before));
            let after = &after[1..];
            // An unbalanced quote runs to the end of the text.
            let end = after.find('"').unwrap_or(after.len());
            let phrase = after[..end].trim();
            if !phrase.is_empty() {
                out.phrases.push(phrase.to_string());
            }
            rest = after.get(end + 1..).unwrap_or("");
            last_word_at_end = false;
        } else {
            out.words.extend(split_words(rest));
            last_word_at_end = !rest.ends_with(char::is_whitespace) && !rest.trim().is_empty();
            rest = "";
        }
    }
    out.last_is_prefix = last_word_at_end;
    if out.words.len() + out.phrases.len() > MAX_QUERY_WORDS {
        return Err(IndexError::InvalidQuery {
            field: "text",
            message: format!(
                "{} words, over the limit of {MAX_QUERY_WORDS}",
                out.words.len() + out.phrases.len()
            ),
        });
    }
    Ok(out)
}

/// Typos allowed in a word of `chars` characters (Meilisearch's defaults).
pub(crate) fn typo_budget(word: &str) -> u8 {
    if word.chars().any(|c| c.is_numeric()) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The built query and what the snippet generators need from it.
pub(crate) struct BuiltQuery {
    pub query: Box<dyn Query>,
    /// Analysed terms per language slot, for highlighting.
    pub highlight: Vec<BTreeSet<String>>,
    /// Words matched with typos or as prefixes (on the `words` field): the
    /// snippet marks the words of each hit they matched.
    pub fuzzy: Vec<FuzzyWord>,
}

/// A query word matched with typo tolerance or as a prefix.
#[derive(Debug, Clone)]
pub(crate) struct FuzzyWord {
    /// The word as the `words` analyzer gives it (lower-cased, folded).
    pub term: String,
    /// Edits allowed.
    pub typos: u8,
    /// Matches any word it is (within `typos`) a prefix of.
    pub prefix: bool,
}

impl FuzzyWord {
    /// Whether a `words`-analysed word of a document matches this query word
    /// (as tantivy's Levenshtein automaton does, a transposition being one edit).
    pub(crate) fn matches(&self, word: &str) -> bool {
        let typos = usize::from(self.typos);
        if !self.prefix {
            return word != self.term && strsim::osa_distance(&self.term, word) <= typos;
        }
        let n = self.term.chars().count();
        // Any prefix of `word` within `typos` edits (its length within `typos` of n).
        (n.saturating_sub(typos)..=n + typos).any(|len| {
            let p: String = word.chars().take(len).collect();
            p.chars().count() == len && strsim::osa_distance(&self.term, &p) <= typos
        })
    }
}

/// Builds tantivy queries for one index schema.
pub(crate) struct QueryBuilder<'a> {
    fields: &'a Fields,
    analyzers: Vec<TextAnalyzer>,
    words_analyzer: TextAnalyzer,
    fuzzy: Vec<FuzzyWord>,
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    if (by - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, by))
    }
}

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

impl<'a> QueryBuilder<'a> {
    pub(crate) fn new(fields: &'a Fields) -> Self {
        QueryBuilder {
            fields,
            analyzers: LANGS.iter().map(|l| analyzer(l.tokenizer)).collect(),
            words_analyzer: analyzer(WORDS_TOKENIZER),
            fuzzy: Vec::new(),
        }
    }

    pub(crate) fn build(&mut self, q: &SearchQuery) -> Result<BuiltQuery, IndexError> {
        let parsed = parse_text(&q.text)?;
        let slots: Vec<usize> = match &q.lang {
            Some(l) => vec![lang_slot(l)],
            None => (0..LANGS.len()).collect(),
        };
        let preferred = match &q.lang {
            Some(l) => Some(lang_slot(l)),
            None if q.text.chars().count() >= 12 => detect_language(&q.text).map(lang_slot),
            None => None,
        };
        let mut highlight = vec![BTreeSet::new(); LANGS.len()];
        self.fuzzy.clear();
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let n = parsed.words.len();
        for (i, word) in parsed.words.iter().enumerate() {
            let prefix = parsed.last_is_prefix && i + 1 == n;
            if let Some(clause) = self.word_clause(word, prefix, &slots, preferred, &mut highlight)
            {
                must.push((Occur::Must, clause));
            }
        }
        for phrase in &parsed.phrases {
            if let Some(clause) = self.phrase_clause(phrase, &slots, preferred, &mut highlight) {
                must.push((Occur::Must, clause));
            }
        }
        let text_query: Box<dyn Query> = if must.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(must))
        };
        let mut clauses = vec![(Occur::Must, text_query)];
        let f = self.fields;
        let raw = |field, v: &str| term_query(Term::from_field_text(field, v));
        if let Some(m) = &q.market {
            clauses.push(filter(raw(f.market, m)));
        }
        if let Some(l) = &q.lang {
            clauses.push(filter(raw(f.language, l)));
        }
        if let Some(s) = q.status {
            clauses.push(filter(raw(f.status, s.as_str())));
        }
        if let Some(b) = &q.brand {
            clauses.push(filter(raw(f.brand, b.trim())));
        }
        if let Some(c) = &q.category {
            clauses.push(filter(raw(f.category_key, &category_filter_key(c))));
        }
        if q.min_price.is_some() || q.max_price.is_some() {
            let bound = |v: Option<f64>| match v {
                Some(v) => Bound::Included(Term::from_field_f64(f.price, v)),
                None => Bound::Unbounded,
            };
            clauses.push(filter(Box::new(RangeQuery::new(
                bound(q.min_price),
                bound(q.max_price),
            ))));
        }
        let query: Box<dyn Query> = if clauses.len() == 1 {
            clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery))
        } else {
            Box::new(BooleanQuery::new(clauses))
        };
        Ok(BuiltQuery {
            query,
            highlight,
            fuzzy: std::mem::take(&mut self.fuzzy),
        })
    }

    /// Per-language clauses for analysed `text`: one per field, boosted.
    fn lang_clauses(
        &mut self,
        text: &str,
        slots: &[usize],
        preferred: Option<usize>,
        highlight: &mut [BTreeSet<String>],
        out: &mut Vec<Box<dyn Query>>,
    ) {
        for &slot in slots {
            let toks = tokens(&mut self.analyzers[slot], text);
            if toks.is_empty() {
                continue;
            }
            for (_, t) in &toks {
                highlight[slot].insert(t.clone());
            }
            let lf = self.fields.langs[slot];
            let lang_boost = if preferred == Some(slot) {
                DETECTED_LANG_BOOST
            } else {
                1.0
            };
            let consecutive =
                LANGS[slot].code != "zh" && toks.windows(2).all(|w| w[1].0 == w[0].0 + 1);
            for (field, b) in [lf.title, lf.bullets, lf.description, lf.attributes]
                .into_iter()
                .zip(FIELD_BOOSTS)
            {
                let q: Box<dyn Query> = if toks.len() == 1 {
                    term_query(Term::from_field_text(field, &toks[0].1))
                } else if consecutive {
                    let first = toks[0].0;
                    let picked: Vec<&(usize, String)> = match &bigram_cover(&toks) {
                        Some(ix) => ix.iter().map(|&i| &toks[i]).collect(),
                        None => toks.iter().collect(),
                    };
                    Box::new(PhraseQuery::new_with_offset(
                        picked
                            .into_iter()
                            .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
                            .collect(),
                    ))
                } else {
                    Box::new(BooleanQuery::intersection(
                        toks.iter()
                            .map(|(_, t)| term_query(Term::from_field_text(field, t)))
                            .collect(),
                    ))
                };
                out.push(boost(q, b * lang_boost));
            }
        }
    }

    fn word_clause(
        &mut self,
        word: &str,
        prefix: bool,
        slots: &[usize],
        preferred: Option<usize>,
        highlight: &mut [BTreeSet<String>],
    ) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let mut should: Vec<Box<dyn Query>> = Vec::new();
        let key = word
            .trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | '\'' | '`'))
            .to_lowercase();
        if !key.is_empty() {
            should.push(boost(
                term_query(Term::from_field_text(f.sku_key, &key)),
                SKU_BOOST,
            ));
        }
        if let Some(m) = model_number(word) {
            should.push(boost(
                term_query(Term::from_field_text(f.model, &m)),
                MODEL_BOOST,
            ));
        }
        let before = should.len();
        self.lang_clauses(word, slots, preferred, highlight, &mut should);
        let analysed = should.len() > before;
        let w = tokens(&mut self.words_analyzer, word);
        if let [(_, t)] = w.as_slice() {
            let term = Term::from_field_text(f.words, t);
            let typos = typo_budget(t);
            if prefix && t.chars().count() >= 2 {
                self.fuzzy.push(FuzzyWord {
                    term: t.clone(),
                    typos,
                    prefix: true,
                });
                should.push(Box::new(ConstScoreQuery::new(
                    TypoQuery::boxed(FuzzyTermQuery::new_prefix(term, typos, true), f.words, t),
                    PREFIX_SCORE,
                )));
            } else if typos > 0 {
                self.fuzzy.push(FuzzyWord {
                    term: t.clone(),
                    typos,
                    prefix: false,
                });
                should.push(Box::new(ConstScoreQuery::new(
                    TypoQuery::boxed(FuzzyTermQuery::new(term, typos, true), f.words, t),
                    TYPO_SCORE,
                )));
            }
        }
        // A word that is only punctuation (`*`, `(`, `:`) matches nothing and
        // must not make the whole query empty: drop it.
        if !analysed && w.is_empty() && model_number(word).is_none() {
            return None;
        }
        Some(Box::new(BooleanQuery::union(should)))
    }

    fn phrase_clause(
        &mut self,
        phrase: &str,
        slots: &[usize],
        preferred: Option<usize>,
        highlight: &mut [BTreeSet<String>],
    ) -> Option<Box<dyn Query>> {
        let mut should = Vec::new();
        self.lang_clauses(phrase, slots, preferred, highlight, &mut should);
        if should.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::union(should)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_splits_into_words_and_phrases() {
        let p = parse_text(r#"steel "water bottle" 750"#).unwrap();
        assert_eq!(p.words, vec!["steel", "750"]);
        assert_eq!(p.phrases, vec!["water bottle"]);
        assert!(p.last_is_prefix);
        let p = parse_text("bottle ").unwrap();
        assert!(!p.last_is_prefix);
        let p = parse_text(r#"a "unbalanced quote"#).unwrap();
        assert_eq!(p.phrases, vec!["unbalanced quote"]);
        assert!(!p.last_is_prefix);
    }

    fn accepts(a: &ExceptTerm, word: &str) -> bool {
        let mut s = a.start();
        for &b in word.as_bytes() {
            s = a.accept(&s, b);
        }
        a.is_match(&s)
    }

    #[test]
    fn typo_automaton_leaves_out_the_word_itself() {
        let field = Field::from_field_id(0);
        let except = |q: FuzzyTermQuery, word: &str| ExceptTerm {
            dfa: q.automaton().unwrap(),
            except: word.as_bytes().to_vec(),
        };
        let typo = except(
            FuzzyTermQuery::new(Term::from_field_text(field, "lampe"), 1, true),
            "lampe",
        );
        for w in ["lampen", "lamp", "lampa", "lmape"] {
            assert!(accepts(&typo, w), "{w}");
        }
        for w in ["lampe", "lampenschirm", "lam", ""] {
            assert!(!accepts(&typo, w), "{w}");
        }
        let prefix = except(
            FuzzyTermQuery::new_prefix(Term::from_field_text(field, "lam"), 0, true),
            "lam",
        );
        for w in ["lamp", "lampe", "lampenschirm"] {
            assert!(accepts(&prefix, w), "{w}");
        }
        for w in ["lam", "la", "lum"] {
            assert!(!accepts(&prefix, w), "{w}");
        }
    }

    #[test]
    fn a_bigram_chain_is_covered_by_every_other_bigram_and_the_last() {
        let toks = |v: &[&str]| -> Vec<(usize, String)> {
            v.iter()
                .enumerate()
                .map(|(i, t)| (i, t.to_string()))
                .collect()
        };
        assert_eq!(
            bigram_cover(&toks(&["ヨガ", "ガマ", "マッ", "ット"])),
            Some(vec![0, 2, 3])
        );
        assert_eq!(
            bigram_cover(&toks(&["キッ", "ッチ", "チン"])),
            Some(vec![0, 2])
        );
        // Two bigrams, or tokens that are not one chain: as they are.
        assert_eq!(bigram_cover(&toks(&["まな", "な板"])), None);
        assert_eq!(bigram_cover(&toks(&["ヨガ", "マッ", "ット"])), None);
        assert_eq!(bigram_cover(&toks(&["usb", "b充", "充電"])), None);
    }

    #[test]
    fn typo_budget_follows_meilisearch() {
        assert_eq!(typo_budget("cup"), 0);
        assert_eq!(typo_budget("bottle"), 1);
        assert_eq!(typo_budget("stainless"), 2);
        assert_eq!(typo_budget("12345678"), 0);
        assert_eq!(typo_budget("wh1000xm5"), 0);
    }

    #[test]
    fn too_many_words_is_a_clear_error() {
        let text = "a ".repeat(MAX_QUERY_WORDS + 1);
        assert!(matches!(
            parse_text(&text),
            Err(IndexError::InvalidQuery { field: "text", .. })
        ));
    }
}

/// The terms a Levenshtein automaton accepts, except one exact term.
pub(crate) struct ExceptTerm {
    dfa: DfaWrapper,
    except: Vec<u8>,
}

/// Bytes of [`ExceptTerm::except`] matched so far; `u32::MAX` once diverged.
const DIVERGED: u32 = u32::MAX;

impl Automaton for ExceptTerm {
    type State = (u32, u32);

    fn start(&self) -> (u32, u32) {
        (self.dfa.start(), 0)
    }

    fn is_match(&self, s: &(u32, u32)) -> bool {
        self.dfa.is_match(&s.0) && s.1 as usize != self.except.len()
    }

    fn can_match(&self, s: &(u32, u32)) -> bool {
        self.dfa.can_match(&s.0)
    }

    fn accept(&self, s: &(u32, u32), byte: u8) -> (u32, u32) {
        let at = s.1;
        let next = if at != DIVERGED && self.except.get(at as usize) == Some(&byte) {
            at + 1
        } else {
            DIVERGED
        };
        (self.dfa.accept(&s.0, byte), next)
    }
}

/// Typo-tolerant (or prefix) match on the `words` field that leaves out the
/// query word itself.
#[derive(Clone)]
struct TypoQuery {
    field: Field,
    automaton: Arc<ExceptTerm>,
}

impl TypoQuery {
    fn boxed(fuzzy: FuzzyTermQuery, field: Field, word: &str) -> Box<dyn Query> {
        match fuzzy.automaton() {
            Ok(dfa) => Box::new(TypoQuery {
                field,
                automaton: Arc::new(ExceptTerm {
                    dfa,
                    except: word.as_bytes().to_vec(),
                }),
            }),
            // Only a distance over tantivy's maximum fails, and the budget is at
            // most 2: let tantivy report it if it ever happens.
            Err(_) => Box::new(fuzzy),
        }
    }
}

impl std::fmt::Debug for TypoQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypoQuery")
            .field("field", &self.field)
            .field("except", &String::from_utf8_lossy(&self.automaton.except))
            .finish()
    }
}

impl Query for TypoQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<ExceptTerm>::new(
            self.field,
            self.automaton.clone(),
        )))
    }
}

/// For a chain of overlapping CJK bigrams (one run of characters), the fewest
/// bigrams that still cover every character: every other one, and the last.
///
/// `ヨガマット` is `ヨガ ガマ マッ ット` at positions 0–3; the phrase `ヨガ@0 マッ@2
/// ット@3` pins the same five characters with fewer position lists to read (p99
/// of the benchmark's filtered Japanese queries 19–25 → 16–18 ms). Positions
/// count tokens, so a document whose two CJK runs are split by exactly one other
/// token (`ヨガ x マット`) also matches: a rare loss of precision, in the manner
/// of bigram search itself.
fn bigram_cover(toks: &[(usize, String)]) -> Option<Vec<usize>> {
    if toks.len() < 3 {
        return None;
    }
    let chained = toks.windows(2).all(|w| {
        let mut a = w[0].1.chars();
        let mut b = w[1].1.chars();
        let (Some(_), Some(a2), None) = (a.next(), a.next(), a.next()) else {
            return false;
        };
        let (Some(b1), Some(_), None) = (b.next(), b.next(), b.next()) else {
            return false;
        };
        a2 == b1 && super::analyzers::is_cjk(a2)
    });
    if !chained {
        return None;
    }
    let mut ix: Vec<usize> = (0..toks.len()).step_by(2).collect();
    if ix.last() != Some(&(toks.len() - 1)) {
        ix.push(toks.len() - 1);
    }
    Some(ix)
}
