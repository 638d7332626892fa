//! Running a [`SearchQuery`]: ranking or sorting, pagination, facet counts over the
//! whole result set, and highlighted, HTML-escaped snippets for the page.
//!
//! Facets are counted by [`FacetCounts`], a collector that looks up each matching
//! document's value ordinals in a per-segment table ([`SegmentFacets`], read once
//! from the five raw fast fields and cached) and resolves ordinals to strings once
//! per segment: no stored-field access, no aggregation JSON.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::index::SegmentId;
use tantivy::schema::Value;

use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, Order, Score, Searcher, SearcherGeneration, SegmentOrdinal, SegmentReader,
    TantivyDocument, Warmer,
};

use super::IndexError;
use super::analyzers::{analyzer, tokens};
use super::query::{FuzzyWord, QueryBuilder, SearchQuery, Sort};
use super::schema::{FACET_FIELDS, LANGS, WORDS_TOKENIZER, lang_slot};
use super::writer::SearchIndex;
use crate::listing::Status;

/// Most values returned per facet (the most frequent first).
pub const MAX_FACET_VALUES: usize = 50;
/// Longest snippet, in characters, before HTML escaping.
pub const SNIPPET_CHARS: usize = 200;

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
    /// A piece of the description (or bullets, or title) with every HTML special
    /// character escaped and matched terms wrapped in `<mark>…</mark>`.
    pub snippet_html: String,
    /// Relevance score (0 when sorted by price, date or findings).
    pub score: f32,
    /// Check findings on this version.
    pub findings: u64,
}

/// Counts per value for each filterable field, over every document that matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    /// Per market.
    pub market: Vec<(String, u64)>,
    /// Per language.
    pub language: Vec<(String, u64)>,
    /// Per status.
    pub status: Vec<(String, u64)>,
    /// Per brand.
    pub brand: Vec<(String, u64)>,
    /// Per category.
    pub category: Vec<(String, u64)>,
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
        let facet_counts = FacetCounts {
            cache: &inner.facet_cache,
        };
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
            let snippet_html = if extra.is_empty() {
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
                snippet_html,
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
/// non-empty one, escaped.
fn snippet(gens: &[SnippetGenerator; 3], sources: &[String; 3]) -> String {
    for (g, s) in gens.iter().zip(sources) {
        if s.is_empty() {
            continue;
        }
        let mut snip = g.snippet(s);
        if !snip.is_empty() {
            snip.set_snippet_prefix_postfix("<mark>", "</mark>");
            return snip.to_html();
        }
    }
    let first = sources
        .iter()
        .find(|s| !s.is_empty())
        .map_or("", |s| s.as_str());
    let cut: String = first.chars().take(SNIPPET_CHARS).collect();
    escape_html(&cut)
}

/// Escape `&`, `<`, `>`, `"` and `'`.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Facet counting.

/// Per segment: the facet value ordinal of every document in each facet field,
/// and each field's ordinal → value dictionary.
///
/// Read once per segment and kept: a segment's documents never change (a delete
/// only hides them), so the cache is keyed by segment id and stays right. With it,
/// counting facets over a query's matches is array lookups; reading the five
/// fast-field columns per matching document instead was a third of a query's
/// time on 400,000 documents (perf over `cargo bench --bench index`).
pub(crate) struct SegmentFacets {
    /// `ords[doc * FACET_FIELDS.len() + field]`, [`NO_VALUE`] when the document
    /// has none.
    ords: Vec<u32>,
    /// Per facet field, ordinal → value.
    values: Vec<Vec<String>>,
}

const NO_VALUE: u32 = u32::MAX;

impl SegmentFacets {
    fn read(reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let n = FACET_FIELDS.len();
        let max_doc = reader.max_doc() as usize;
        let mut ords = vec![NO_VALUE; max_doc * n];
        let mut values = Vec::with_capacity(n);
        for (f, name) in FACET_FIELDS.iter().enumerate() {
            let Some(col) = reader.fast_fields().str(name)? else {
                values.push(Vec::new());
                continue;
            };
            let mut dict = Vec::with_capacity(col.num_terms());
            let mut buf = String::new();
            for ord in 0..col.num_terms() as u64 {
                buf.clear();
                col.ord_to_str(ord, &mut buf)?;
                dict.push(buf.clone());
            }
            for doc in 0..max_doc {
                if let Some(ord) = col.term_ords(doc as DocId).next()
                    && (ord as usize) < dict.len()
                {
                    ords[doc * n + f] = ord as u32;
                }
            }
            values.push(dict);
        }
        Ok(SegmentFacets { ords, values })
    }
}

/// [`SegmentFacets`] of the segments that live searchers have.
#[derive(Default)]
pub(crate) struct FacetCache(Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>);

impl FacetCache {
    fn map(&self) -> MutexGuard<'_, HashMap<SegmentId, Arc<SegmentFacets>>> {
        // The map is only ever inserted into or pruned: a poisoned lock holds a
        // consistent map.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = reader.segment_id();
        if let Some(f) = self.map().get(&id) {
            return Ok(f.clone());
        }
        // Read outside the lock: other segments are read in parallel meanwhile.
        let read = Arc::new(SegmentFacets::read(reader)?);
        self.map().insert(id, read.clone());
        Ok(read)
    }
}

/// The reader warms the table of each new segment when it loads a new searcher
/// (at open and after each commit or merge), off the query path, and drops the
/// tables of segments that no live searcher has any more.
impl Warmer for FacetCache {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for reader in searcher.segment_readers() {
            // A failure here must not stop the reader from loading: the query
            // that needs the table reads it again and reports the error.
            if let Err(e) = self.get(reader) {
                tracing::warn!(error = %e, "reading facet values of a segment");
            }
        }
        Ok(())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        let live: HashSet<SegmentId> = live_generations
            .iter()
            .flat_map(|g| g.segments().keys().copied())
            .collect();
        self.map().retain(|id, _| live.contains(id));
    }
}

/// Counts matching documents and, per facet field, matching documents per value.
struct FacetCounts<'a> {
    cache: &'a FacetCache,
}

struct SegmentFacetCounts {
    facets: Arc<SegmentFacets>,
    counts: Vec<Vec<u32>>,
    total: u64,
}

/// Per segment: total and, per facet field, value → count.
type SegmentFruit = (u64, Vec<HashMap<String, u64>>);

impl Collector for FacetCounts<'_> {
    type Fruit = (u64, Facets);
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounts> {
        let facets = self.cache.get(reader)?;
        let counts = facets.values.iter().map(|v| vec![0; v.len()]).collect();
        Ok(SegmentFacetCounts {
            facets,
            counts,
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<(u64, Facets)> {
        let mut total = 0;
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); FACET_FIELDS.len()];
        for (t, maps) in fruits {
            total += t;
            for (into, from) in merged.iter_mut().zip(maps) {
                for (k, v) in from {
                    *into.entry(k).or_default() += v;
                }
            }
        }
        let mut lists = merged.into_iter().map(|m| {
            let mut v: Vec<(String, u64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(MAX_FACET_VALUES);
            v
        });
        let mut next = || lists.next().unwrap_or_default();
        Ok((
            total,
            Facets {
                market: next(),
                language: next(),
                status: next(),
                brand: next(),
                category: next(),
            },
        ))
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        let n = FACET_FIELDS.len();
        let at = doc as usize * n;
        let Some(row) = self.facets.ords.get(at..at + n) else {
            return;
        };
        for (&ord, counts) in row.iter().zip(self.counts.iter_mut()) {
            if let Some(c) = counts.get_mut(ord as usize) {
                *c += 1;
            }
        }
    }

    fn harvest(self) -> SegmentFruit {
        let maps = self
            .counts
            .into_iter()
            .zip(&self.facets.values)
            .map(|(counts, values)| {
                counts
                    .into_iter()
                    .zip(values)
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, v)| (v.clone(), u64::from(n)))
                    .collect()
            })
            .collect();
        (self.total, maps)
    }
}
