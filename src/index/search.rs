//! Running a [`SearchQuery`]: ranking or sorting, pagination, facet counts over the
//! whole result set, and snippets with the byte ranges that matched (plain text:
//! whoever shows one escapes it for its medium, HTML page or terminal).
//!
//! Facets are counted alongside by the collector in `facets.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Score, TantivyDocument};

use super::IndexError;
use super::analyzers::{analyzer, tokens};
use super::facets::{FacetCounts, Facets};
use super::query::{FuzzyWord, QueryBuilder, SearchQuery, Sort};
use super::schema::{LANGS, WORDS_TOKENIZER, lang_slot};
use super::writer::SearchIndex;
use crate::listing::Status;

/// Longest snippet, in characters.
pub const SNIPPET_CHARS: usize = 200;

/// A piece of a listing's text and the parts of it that matched the query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// Plain text (escape it before putting it in HTML).
    pub text: String,
    /// Byte ranges of `text` that matched, in order, not overlapping, each on
    /// character boundaries.
    pub highlights: Vec<std::ops::Range<usize>>,
}

impl Snippet {
    /// From a text and any ranges: out-of-bounds or split-character ranges are
    /// dropped, overlapping or touching ones merged.
    pub fn new(text: String, ranges: &[std::ops::Range<usize>]) -> Self {
        let mut sorted: Vec<_> = ranges
            .iter()
            .filter(|r| r.start < r.end && text.get(r.start..r.end).is_some())
            .cloned()
            .collect();
        sorted.sort_by_key(|r| (r.start, r.end));
        let mut highlights: Vec<std::ops::Range<usize>> = Vec::new();
        for r in sorted {
            match highlights.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => highlights.push(r),
            }
        }
        Snippet { text, highlights }
    }

    /// The text in order, cut into (piece, matched) parts; empty pieces left out.
    pub fn parts(&self) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        let mut at = 0;
        for r in &self.highlights {
            if let Some(before) = self.text.get(at..r.start).filter(|b| !b.is_empty()) {
                out.push((before, false));
            }
            if let Some(hl) = self.text.get(r.clone()) {
                out.push((hl, true));
            }
            at = r.end;
        }
        if let Some(rest) = self.text.get(at..).filter(|b| !b.is_empty()) {
            out.push((rest, false));
        }
        out
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The listing's sku.
    pub sku: String,
    /// Market id, `source` for the source listing.
    pub market: String,
    /// Language of this version.
    pub language: String,
    /// Title, plain text (escape it before putting it in HTML).
    pub title: String,
    /// Review status.
    pub status: Status,
    /// Price amount.
    pub price: Option<f64>,
    /// Price currency.
    pub currency: Option<String>,
    /// A piece of the description (or bullets, or title) with the words that
    /// matched.
    pub snippet: Snippet,
    /// Relevance score (0 when sorted by price, date or findings).
    pub score: f32,
    /// Check findings on this version.
    pub findings: u64,
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Documents that matched (all pages).
    pub total: u64,
    /// This page's hits.
    pub hits: Vec<Hit>,
    /// Facet counts over all matching documents.
    pub facets: Facets,
    /// Time spent, in milliseconds.
    pub took_ms: f64,
}

impl SearchIndex {
    /// Run a search. Bad parameters give [`IndexError::InvalidQuery`]; no text can
    /// cause a syntax error.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let offset = q.validate()?;
        let inner = &self.inner;
        let built = QueryBuilder::new(&inner.fields).build(q)?;
        let searcher = inner.reader.searcher();
        let top = TopDocs::with_limit(q.per_page).and_offset(offset);
        let run = |e| inner.err("search", e);
        let facet_counts = FacetCounts::new(&inner.facet_cache);
        let (page, (total, facets)): (Vec<(f32, DocAddress)>, _) = match q.sort {
            Sort::Relevance => searcher
                .search(&built.query, &(top.order_by_score(), facet_counts))
                .map_err(run)?,
            Sort::Price | Sort::PriceDesc => {
                let order = if q.sort == Sort::Price {
                    Order::Asc
                } else {
                    Order::Desc
                };
                let (docs, facets) = searcher
                    .search(
                        &built.query,
                        &(top.order_by_fast_field::<f64>("price", order), facet_counts),
                    )
                    .map_err(run)?;
                (docs.into_iter().map(|(_, d)| (0.0, d)).collect(), facets)
            }
            Sort::Updated => {
                let (docs, facets) = searcher
                    .search(
                        &built.query,
                        &(
                            top.order_by_fast_field::<tantivy::DateTime>("updated_at", Order::Desc),
                            facet_counts,
                        ),
                    )
                    .map_err(run)?;
                (docs.into_iter().map(|(_, d)| (0.0, d)).collect(), facets)
            }
            Sort::Findings => {
                let (docs, facets) = searcher
                    .search(
                        &built.query,
                        &(
                            top.order_by_fast_field::<u64>("findings", Order::Desc),
                            facet_counts,
                        ),
                    )
                    .map_err(run)?;
                (docs.into_iter().map(|(_, d)| (0.0, d)).collect(), facets)
            }
        };
        let f = &inner.fields;
        let mut generators: HashMap<usize, [SnippetGenerator; 3]> = HashMap::new();
        let mut hits = Vec::with_capacity(page.len());
        let mut fuzzy_seen = HashMap::new();
        for (score, addr) in page {
            let doc: TantivyDocument = searcher
                .doc(addr)
                .map_err(|e| inner.err("load document", e))?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let language = text(f.language);
            let slot = lang_slot(&language);
            let title = text(f.stored_title);
            let sources = [
                text(f.stored_description),
                text(f.stored_bullets),
                title.clone(),
            ];
            let make_gens = |terms: &BTreeSet<String>| {
                let terms: BTreeMap<String, Score> =
                    terms.iter().map(|t| (t.clone(), 1.0)).collect();
                let lf = f.langs[slot];
                let make = |field| {
                    SnippetGenerator::new(
                        terms.clone(),
                        analyzer(LANGS[slot].tokenizer),
                        field,
                        SNIPPET_CHARS,
                    )
                };
                [make(lf.description), make(lf.bullets), make(lf.title)]
            };
            // Words this hit matched only with a typo or as a prefix: mark them too.
            let extra = fuzzy_terms(&built.fuzzy, slot, &sources, &mut fuzzy_seen);
            let snippet = if extra.is_empty() {
                let gens = generators
                    .entry(slot)
                    .or_insert_with(|| make_gens(&built.highlight[slot]));
                snippet(gens, &sources)
            } else {
                let mut terms = built.highlight[slot].clone();
                terms.extend(extra);
                snippet(&make_gens(&terms), &sources)
            };
            hits.push(Hit {
                sku: text(f.sku),
                market: text(f.market),
                language,
                title,
                status: Status::parse(&text(f.status)).unwrap_or_default(),
                price: doc.get_first(f.price).and_then(|v| v.as_f64()),
                currency: doc
                    .get_first(f.currency)
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                snippet,
                score,
                findings: doc
                    .get_first(f.findings)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
            });
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// The language-analysed terms of the words in `sources` that a typo-tolerant
/// or prefix query word matched (so the snippet can mark them).
///
/// `seen` remembers, across the hits of one query, whether each word matched:
/// a page's documents share most of their words, and edit distances are costly.
fn fuzzy_terms(
    fuzzy: &[FuzzyWord],
    slot: usize,
    sources: &[String; 3],
    seen: &mut HashMap<String, bool>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if fuzzy.is_empty() {
        return out;
    }
    let mut words = analyzer(WORDS_TOKENIZER);
    let mut lang = analyzer(LANGS[slot].tokenizer);
    for text in sources {
        let mut stream = words.token_stream(text);
        while let Some(t) = stream.next() {
            let matched = match seen.get(&t.text) {
                Some(&m) => m,
                None => {
                    let m = fuzzy.iter().any(|w| w.matches(&t.text));
                    seen.insert(t.text.clone(), m);
                    m
                }
            };
            if matched && let Some(original) = text.get(t.offset_from..t.offset_to) {
                out.extend(tokens(&mut lang, original).into_iter().map(|(_, t)| t));
            }
        }
    }
    out
}

/// The first source text with a highlighted term, else the start of the first
/// non-empty one.
fn snippet(gens: &[SnippetGenerator; 3], sources: &[String; 3]) -> Snippet {
    for (g, s) in gens.iter().zip(sources) {
        if s.is_empty() {
            continue;
        }
        let snip = g.snippet(s);
        if !snip.is_empty() {
            return Snippet::new(snip.fragment().to_string(), snip.highlighted());
        }
    }
    let first = sources
        .iter()
        .find(|s| !s.is_empty())
        .map_or("", |s| s.as_str());
    Snippet::new(first.chars().take(SNIPPET_CHARS).collect(), &[])
}

#[cfg(test)]
mod tests {
    use super::Snippet;

    #[test]
    fn a_snippet_is_plain_text_with_merged_ranges() {
        // Overlapping, touching, out-of-bounds and mid-character ranges.
        let s = Snippet::new("a <b>&é ok".into(), &[6..9, 2..5, 4..6, 8..9, 9..40, 7..8]);
        assert_eq!(s.highlights, vec![2..9]);
        assert_eq!(
            s.parts(),
            vec![("a ", false), ("<b>&é ", true), ("ok", false)]
        );
        let none = Snippet::new("plain".into(), &[]);
        assert_eq!(none.parts(), vec![("plain", false)]);
    }
}
