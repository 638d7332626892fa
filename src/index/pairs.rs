//! [`PairIndex`]: a small tantivy index of bilingual segment pairs (a source
//! segment and its translation), searched by BM25 over the source side. The
//! localization pipeline uses it to find worked examples for a segment
//! (`localize::ExampleBank`): the built-in example bank lives in RAM, the
//! seller's approved translations in `<data dir>/bank/`.
//!
//! The source side is analysed with the search index's analyzer for its
//! language (stemmed words for European languages, jieba for Chinese, bigrams
//! for Japanese and Korean), one text field per language group, so a query
//! matches the same way a catalog search does. A pair is keyed by a raw id
//! (an upsert deletes the id, then adds), filtered by its language pair
//! (`en-de`) and may be preferred by its kind (`title`, `bullet` …).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term};

use super::IndexError;
use super::analyzers::{analyzer, register, tokens};
use super::schema::{LANGS, lang_slot};

/// Most distinct query terms used from one segment (longer segments are cut).
const MAX_QUERY_TERMS: usize = 64;
/// Writer memory for the (small) pair index: tantivy's minimum for one thread.
const WRITER_HEAP_BYTES: usize = 15_000_000;

/// One bilingual pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentPair {
    /// Upsert key (unique in its index).
    pub key: String,
    /// Source language (ISO 639-1).
    pub source_lang: String,
    /// Target language.
    pub target_lang: String,
    /// `title`, `bullet`, `attribute`, `description`, `keyword`.
    pub kind: String,
    /// Product category, if known.
    pub category: String,
    /// Source text.
    pub source: String,
    /// Its translation.
    pub target: String,
}

/// A pair found for a query, with its BM25 score (plus the kind bonus).
#[derive(Debug, Clone, PartialEq)]
pub struct PairHit {
    /// The pair.
    pub pair: SegmentPair,
    /// Relevance.
    pub score: f32,
}

#[derive(Debug, Clone)]
struct PairFields {
    key: Field,
    /// `src-tgt`, raw: the filter.
    lang_pair: Field,
    kind: Field,
    category: Field,
    /// Analysed source text, one field per [`LANGS`] group.
    source_text: Vec<Field>,
    source: Field,
    target: Field,
}

fn build_schema() -> (Schema, PairFields) {
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING | STORED);
    let lang_pair = b.add_text_field("lang_pair", STRING | STORED);
    let kind = b.add_text_field("kind", STRING | STORED);
    let category = b.add_text_field("category", STRING | STORED);
    let source_text = LANGS
        .iter()
        .map(|l| {
            let opts = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(l.tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            );
            b.add_text_field(&format!("source_{}", l.code), opts)
        })
        .collect();
    let source = b.add_text_field("source", STORED);
    let target = b.add_text_field("target", STORED);
    (
        b.build(),
        PairFields {
            key,
            lang_pair,
            kind,
            category,
            source_text,
            source,
            target,
        },
    )
}

fn lang_pair(src: &str, tgt: &str) -> String {
    format!(
        "{}-{}",
        src.trim().to_lowercase(),
        tgt.trim().to_lowercase()
    )
}

/// A searchable set of segment pairs (in RAM or in a directory).
pub struct PairIndex {
    fields: PairFields,
    index: Index,
    reader: IndexReader,
    /// Created on the first write (a read-only user never takes the lock).
    writer: Mutex<Option<IndexWriter>>,
    dir: Option<PathBuf>,
    read_only: bool,
}

impl std::fmt::Debug for PairIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairIndex")
            .field("dir", &self.dir)
            .field("pairs", &self.len())
            .finish_non_exhaustive()
    }
}

impl PairIndex {
    /// An empty index in RAM.
    pub fn in_ram() -> Result<Self, IndexError> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, fields, None, false)
    }

    /// The index in `dir`, created (with the directory) when missing. The
    /// writer lock is taken on the first write, not here.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let (schema, fields) = build_schema();
        let open_err = |source| IndexError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        let mmap = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let index = if Index::exists(&mmap).map_err(|e| open_err(e.into()))? {
            let index = Index::open(mmap).map_err(open_err)?;
            if index.schema() != schema {
                return Err(IndexError::SchemaMismatch {
                    dir: dir.to_path_buf(),
                });
            }
            index
        } else {
            Index::create(mmap, schema, Default::default()).map_err(open_err)?
        };
        Self::from_index(index, fields, Some(dir.to_path_buf()), false)
    }

    /// The index in `dir` for searching only (no writer, ever); `None` when
    /// there is none yet.
    pub fn open_read_only(dir: &Path) -> Result<Option<Self>, IndexError> {
        if !dir.join("meta.json").is_file() {
            return Ok(None);
        }
        let (schema, fields) = build_schema();
        let open_err = |source| IndexError::Open {
            dir: dir.to_path_buf(),
            source,
        };
        let mmap = MmapDirectory::open(dir).map_err(|e| open_err(e.into()))?;
        let index = Index::open(mmap).map_err(open_err)?;
        if index.schema() != schema {
            return Err(IndexError::SchemaMismatch {
                dir: dir.to_path_buf(),
            });
        }
        Self::from_index(index, fields, Some(dir.to_path_buf()), true).map(Some)
    }

    fn from_index(
        index: Index,
        fields: PairFields,
        dir: Option<PathBuf>,
        read_only: bool,
    ) -> Result<Self, IndexError> {
        register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(if dir.is_some() {
                ReloadPolicy::OnCommitWithDelay
            } else {
                ReloadPolicy::Manual
            })
            .try_into()
            .map_err(|source| IndexError::Tantivy {
                op: "open reader",
                dir: dir.clone(),
                source,
            })?;
        Ok(Self {
            fields,
            index,
            reader,
            writer: Mutex::new(None),
            dir,
            read_only,
        })
    }

    fn err(&self, op: &'static str, source: TantivyError) -> IndexError {
        match source {
            TantivyError::LockFailure(..) => IndexError::Locked {
                dir: self.dir.clone(),
            },
            source => IndexError::Tantivy {
                op,
                dir: self.dir.clone(),
                source,
            },
        }
    }

    /// Number of pairs (as of the last commit).
    pub fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    /// True when no pair is committed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Add or replace pairs (by key) and commit them: searchable on return.
    pub fn upsert(&self, pairs: &[SegmentPair]) -> Result<(), IndexError> {
        if self.read_only {
            return Err(IndexError::ReadOnly {
                dir: self.dir.clone(),
            });
        }
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let w = self
                .index
                .writer_with_num_threads(1, WRITER_HEAP_BYTES)
                .map_err(|e| self.err("open writer", e))?;
            *guard = Some(w);
        }
        let Some(w) = guard.as_mut() else {
            unreachable!("set above")
        };
        let f = &self.fields;
        for p in pairs {
            w.delete_term(Term::from_field_text(f.key, &p.key));
            let mut d = TantivyDocument::new();
            d.add_text(f.key, &p.key);
            d.add_text(f.lang_pair, lang_pair(&p.source_lang, &p.target_lang));
            d.add_text(f.kind, &p.kind);
            d.add_text(f.category, &p.category);
            d.add_text(f.source_text[lang_slot(&p.source_lang)], &p.source);
            d.add_text(f.source, &p.source);
            d.add_text(f.target, &p.target);
            w.add_document(d).map_err(|e| self.err("add pair", e))?;
        }
        w.commit().map_err(|e| self.err("commit", e))?;
        self.reader.reload().map_err(|e| self.err("reload", e))
    }

    /// The `k` pairs of `source_lang → target_lang` whose source is most like
    /// `text` (BM25), pairs of `prefer_kind` getting `kind_bonus` on top. Pairs
    /// sharing no term with `text` are never returned. Terms with a digit are
    /// left out of the query: a shared number says nothing of what a pair is
    /// about, and on short pairs it outweighed the words (a Chinese kettle
    /// listing's "1.5 L" retrieved "Attribute value: 5.3", a bag of 30 nut
    /// packs "乳胶气球×30", thirty balloons).
    pub fn search(
        &self,
        source_lang: &str,
        target_lang: &str,
        text: &str,
        prefer_kind: Option<&str>,
        kind_bonus: f32,
        k: usize,
    ) -> Result<Vec<PairHit>, IndexError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let slot = lang_slot(source_lang);
        let field = f.source_text[slot];
        let mut a = analyzer(LANGS[slot].tokenizer);
        let mut terms: Vec<String> = Vec::new();
        for (_, t) in tokens(&mut a, text) {
            if t.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            if !terms.contains(&t) {
                terms.push(t);
            }
            if terms.len() == MAX_QUERY_TERMS {
                break;
            }
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let text_q: Vec<Box<dyn Query>> = terms
            .iter()
            .map(|t| {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                )) as Box<dyn Query>
            })
            .collect();
        let pair_q = TermQuery::new(
            Term::from_field_text(f.lang_pair, &lang_pair(source_lang, target_lang)),
            IndexRecordOption::Basic,
        );
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(pair_q), 0.0)),
            ),
            (Occur::Must, Box::new(BooleanQuery::union(text_q))),
        ];
        if let Some(kind) = prefer_kind.filter(|_| kind_bonus > 0.0) {
            let kq = TermQuery::new(
                Term::from_field_text(f.kind, kind),
                IndexRecordOption::Basic,
            );
            clauses.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(kq), kind_bonus)),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(k).order_by_score())
            .map_err(|e| self.err("search pairs", e))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| self.err("read pair", e))?;
            let s = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let lp = s(f.lang_pair);
            let (sl, tl) = lp.split_once('-').unwrap_or(("", ""));
            out.push(PairHit {
                pair: SegmentPair {
                    key: s(f.key),
                    source_lang: sl.to_string(),
                    target_lang: tl.to_string(),
                    kind: s(f.kind),
                    category: s(f.category),
                    source: s(f.source),
                    target: s(f.target),
                },
                score,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(key: &str, src: &str, tgt: &str, kind: &str, s: &str, t: &str) -> SegmentPair {
        SegmentPair {
            key: key.into(),
            source_lang: src.into(),
            target_lang: tgt.into(),
            kind: kind.into(),
            category: "tools".into(),
            source: s.into(),
            target: t.into(),
        }
    }

    #[test]
    fn finds_similar_sources_of_the_same_pair_and_prefers_the_kind() {
        let ix = PairIndex::in_ram().unwrap();
        ix.upsert(&[
            pair(
                "1",
                "en",
                "de",
                "title",
                "Deep socket set, 3/8 inch drive, chrome vanadium",
                "Steckschlüsselsatz",
            ),
            pair(
                "2",
                "en",
                "de",
                "bullet",
                "Sockets resist rust thanks to the chrome finish",
                "Rost",
            ),
            pair(
                "3",
                "en",
                "fr",
                "title",
                "Deep socket set, 3/8 inch drive",
                "Jeu de douilles",
            ),
            pair(
                "4",
                "en",
                "de",
                "bullet",
                "Soft cotton towel for the kitchen",
                "Handtuch",
            ),
            pair(
                "5",
                "zh",
                "en",
                "title",
                "套筒扳手套装 铬钒钢",
                "Socket wrench set, chrome vanadium steel",
            ),
        ])
        .unwrap();
        assert_eq!(ix.len(), 5);
        let hits = ix
            .search("en", "de", "Socket set with rusting sockets", None, 0.0, 5)
            .unwrap();
        let keys: Vec<&str> = hits.iter().map(|h| h.pair.key.as_str()).collect();
        assert_eq!(keys.len(), 2, "{keys:?}: only en-de pairs sharing a term");
        assert!(!keys.contains(&"3") && !keys.contains(&"4"));
        // Stemming: "rusting" finds "rust".
        let hits = ix.search("en", "de", "rusting", None, 0.0, 5).unwrap();
        assert_eq!(hits[0].pair.key, "2");
        // The kind bonus decides between two otherwise similar pairs.
        let hits = ix
            .search("en", "de", "socket", Some("bullet"), 5.0, 1)
            .unwrap();
        assert_eq!(hits[0].pair.key, "2");
        let hits = ix
            .search("en", "de", "socket", Some("title"), 5.0, 1)
            .unwrap();
        assert_eq!(hits[0].pair.key, "1");
        // Chinese through jieba.
        let hits = ix.search("zh", "en", "铬钒钢套筒", None, 0.0, 3).unwrap();
        assert_eq!(
            hits[0].pair.target,
            "Socket wrench set, chrome vanadium steel"
        );
        assert!(ix.search("en", "de", "", None, 0.0, 3).unwrap().is_empty());
        // Numbers are no evidence: "3/8" alone finds nothing, and beside a word
        // it does not pull in the pair that shares it.
        assert!(
            ix.search("en", "de", "3/8", None, 0.0, 3)
                .unwrap()
                .is_empty()
        );
        let hits = ix.search("en", "de", "3/8 cotton", None, 0.0, 3).unwrap();
        let keys: Vec<&str> = hits.iter().map(|h| h.pair.key.as_str()).collect();
        assert_eq!(keys, ["4"]);
    }

    #[test]
    fn upsert_replaces_by_key_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ix = PairIndex::open(dir.path()).unwrap();
            ix.upsert(&[pair(
                "a",
                "en",
                "de",
                "title",
                "Garden hose reel",
                "Schlauchtrommel",
            )])
            .unwrap();
            ix.upsert(&[pair(
                "a",
                "en",
                "de",
                "title",
                "Garden hose reel",
                "Gartenschlauch-Trommel",
            )])
            .unwrap();
            assert_eq!(ix.len(), 1);
        }
        let ro = PairIndex::open_read_only(dir.path()).unwrap().unwrap();
        let hits = ro.search("en", "de", "hose", None, 0.0, 3).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].pair.target, "Gartenschlauch-Trommel");
        assert!(matches!(
            ro.upsert(&[pair("b", "en", "de", "title", "x", "y")]),
            Err(IndexError::ReadOnly { .. })
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(PairIndex::open_read_only(empty.path()).unwrap().is_none());
    }
}
