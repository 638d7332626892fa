//! The evaluation program's library side: load the dev set in `tests/data/eval/`,
//! run the naive baseline (one prompt per listing) and the full pipeline, and score
//! both per language: chrF, share of fields passing every check, share flagged,
//! and corruption of numbers, brands and model numbers that was not flagged.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::Deserialize;

use super::LocalizeError;
use super::checks::{self, CheckOptions, Finding, Severity};
use super::chrf::ChrfStats;
use super::pipeline::{LocalizeOptions, Pipeline, is_blocking};
use super::spans::{self, ProtectRules, SpanKind};
use crate::listing::Listing;
use crate::llm::GenerateRequest;
use crate::market::MarketRegistry;

const MAX_DEV_SET_BYTES: u64 = 8 * 1024 * 1024;

/// Title and bullets in one language.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EvalText {
    /// Title.
    pub title: String,
    /// Bullets.
    #[serde(default)]
    pub bullets: Vec<String>,
}

/// One dev-set listing with its reference translations.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EvalListing {
    /// Id.
    pub id: String,
    /// Source language.
    pub lang: String,
    /// Brand.
    #[serde(default)]
    pub brand: Option<String>,
    /// Source text.
    pub source: EvalText,
    /// References by language.
    pub refs: BTreeMap<String, EvalText>,
}

/// Load every `*.jsonl` in `dir` (one listing per line).
pub fn load_dev_set(dir: &Path) -> Result<Vec<EvalListing>, LocalizeError> {
    let io = |path: &Path, source| LocalizeError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let size = std::fs::metadata(&p).map_err(|e| io(&p, e))?.len();
        if size > MAX_DEV_SET_BYTES {
            return Err(LocalizeError::Input {
                file: p.display().to_string(),
                line: 0,
                field: String::new(),
                message: "file too large".into(),
            });
        }
        let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let l: EvalListing = serde_json::from_str(line).map_err(|e| LocalizeError::Input {
                file: p.display().to_string(),
                line: i + 1,
                field: String::new(),
                message: e.to_string(),
            })?;
            out.push(l);
        }
    }
    Ok(out)
}

/// Which listings and languages to run.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// At most this many listings per source language.
    pub limit: Option<usize>,
    /// Only these target languages (empty = all).
    pub langs: Vec<String>,
    /// Listings localized at the same time through the pipeline (engine batching).
    pub concurrency: usize,
}

/// Scores of one system on one language.
#[derive(Debug, Clone, Default)]
pub struct SystemReport {
    /// chrF over all fields.
    pub chrf: f64,
    /// Fields scored.
    pub fields: usize,
    /// Fields passing every check.
    pub passing: usize,
    /// Fields flagged (needs review).
    pub flagged: usize,
    /// Fields with a number, brand or model number corrupted and not flagged.
    pub corrupt_unflagged: usize,
    /// Fields with such corruption, flagged or not.
    pub corrupt: usize,
    /// Wall-clock seconds for this language.
    pub seconds: f64,
    /// Listings run.
    pub listings: usize,
    stats: ChrfStats,
}

/// Both systems on one target language.
#[derive(Debug, Clone, Default)]
pub struct LangReport {
    /// Source → target, e.g. `en→de`.
    pub pair: String,
    /// Naive: one prompt per listing, nothing checked (checks run only to measure).
    pub naive: SystemReport,
    /// The full pipeline.
    pub pipeline: SystemReport,
}

/// The whole evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Model id.
    pub model: String,
    /// One row per language pair.
    pub langs: Vec<LangReport>,
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "model: {}", self.model)?;
        writeln!(
            f,
            "{:<7} {:<8} {:>5} {:>7} {:>7} {:>8} {:>8} {:>10} {:>9}",
            "pair",
            "system",
            "chrF",
            "fields",
            "pass%",
            "flagged%",
            "corrupt",
            "unflagged",
            "s/listing"
        )?;
        for l in &self.langs {
            for (name, s) in [("naive", &l.naive), ("pipeline", &l.pipeline)] {
                let pct = |n: usize| {
                    if s.fields == 0 {
                        0.0
                    } else {
                        100.0 * n as f64 / s.fields as f64
                    }
                };
                writeln!(
                    f,
                    "{:<7} {:<8} {:>5.1} {:>7} {:>7.1} {:>8.1} {:>8} {:>10} {:>9.1}",
                    l.pair,
                    name,
                    s.chrf,
                    s.fields,
                    pct(s.passing),
                    pct(s.flagged),
                    s.corrupt,
                    s.corrupt_unflagged,
                    if s.listings == 0 {
                        0.0
                    } else {
                        s.seconds / s.listings as f64
                    }
                )?;
            }
        }
        Ok(())
    }
}

/// Numbers, brand and model numbers of the source that the output lost or changed.
fn corrupted(source: &str, output: &str, brand: Option<&str>) -> bool {
    if !checks::numbers(source, output).is_empty() {
        return true;
    }
    if let Some(b) = brand.filter(|b| source.contains(*b))
        && !output.contains(b)
    {
        return true;
    }
    let p = spans::protect(source, &ProtectRules::default());
    p.spans
        .iter()
        .filter(|s| s.kind == SpanKind::ModelNumber)
        .any(|s| !output.contains(&s.original))
}

/// The checks a naive output would fail (to measure it the same way).
fn naive_findings(source: &str, output: &str, src: &str, tgt: &str) -> Vec<Finding> {
    let mut f = checks::numbers(source, output);
    let o = CheckOptions::default();
    f.extend(checks::wrong_language(output, tgt));
    f.extend(super::untranslated::untranslated(
        source,
        output,
        src,
        tgt,
        &[],
    ));
    f.extend(checks::length_ratio(source, output, src, tgt, &o));
    f.extend(checks::repetition_loop(source, output));
    let _ = src;
    f
}

fn parse_naive(text: &str, bullets: usize) -> (String, Vec<String>) {
    let mut title = String::new();
    let mut out = Vec::new();
    for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(t) = l.strip_prefix("Title:") {
            if title.is_empty() {
                title = t.trim().to_string();
            }
        } else if let Some(b) = l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")) {
            out.push(b.trim().to_string());
        } else if title.is_empty() {
            title = l.to_string();
        }
    }
    out.resize(bullets, String::new());
    (title, out)
}

/// Run the dev set through both systems.
pub fn run_eval(
    pipeline: &Pipeline,
    registry: &MarketRegistry,
    set: &[EvalListing],
    opts: &EvalOptions,
) -> Result<EvalReport, LocalizeError> {
    let mut pairs: BTreeMap<(String, String), Vec<&EvalListing>> = BTreeMap::new();
    let mut per_src: BTreeMap<&str, usize> = BTreeMap::new();
    for l in set {
        let n = per_src.entry(&l.lang).or_default();
        if opts.limit.is_some_and(|lim| *n >= lim) {
            continue;
        }
        *n += 1;
        for tgt in l.refs.keys() {
            if opts.langs.is_empty() || opts.langs.contains(tgt) {
                pairs
                    .entry((l.lang.clone(), tgt.clone()))
                    .or_default()
                    .push(l);
            }
        }
    }
    let mut report = EvalReport {
        model: pipeline.model_id(),
        langs: Vec::new(),
    };
    for ((src, tgt), items) in pairs {
        let profile = registry.get(&format!("shopify-{tgt}"))?;
        let mut row = LangReport {
            pair: format!("{src}→{tgt}"),
            ..Default::default()
        };

        // Naive: one prompt per listing, all submitted together.
        let t0 = Instant::now();
        let reqs = items
            .iter()
            .map(|l| {
                let m = pipeline.templates().naive(
                    src.as_str(),
                    tgt.as_str(),
                    &l.source.title,
                    &l.source.bullets,
                )?;
                let budget: usize = l.source.title.len()
                    + l.source.bullets.iter().map(|b| b.len() + 4).sum::<usize>();
                Ok(GenerateRequest::new(m, (budget * 3 / 2 + 64).min(1024)))
            })
            .collect::<Result<Vec<_>, LocalizeError>>()?;
        let outs = pipeline.generator().generate_many(reqs);
        row.naive.seconds = t0.elapsed().as_secs_f64();
        row.naive.listings = items.len();
        for (l, o) in items.iter().zip(outs) {
            let text = o.map(|g| g.text).unwrap_or_default();
            let (title, bullets) = parse_naive(&text, l.source.bullets.len());
            let r = &l.refs[&tgt];
            let hyp = std::iter::once(&title).chain(bullets.iter());
            let srcs = std::iter::once(&l.source.title).chain(l.source.bullets.iter());
            let refs = std::iter::once(&r.title).chain(r.bullets.iter());
            for ((h, s), rf) in hyp.zip(srcs).zip(refs) {
                let s_ = &mut row.naive;
                s_.stats.add(h, rf);
                s_.fields += 1;
                let bad = naive_findings(s, h, &src, &tgt)
                    .iter()
                    .any(|f| f.severity == Severity::Error);
                if bad {
                    s_.flagged += 1;
                } else {
                    s_.passing += 1;
                }
                if corrupted(s, h, l.brand.as_deref()) {
                    s_.corrupt += 1;
                    // The naive system presents everything as done.
                    s_.corrupt_unflagged += 1;
                }
            }
        }
        row.naive.chrf = row.naive.stats.score();

        // Pipeline: several listings at a time so the engine batches their segments.
        let t0 = Instant::now();
        let lopts = LocalizeOptions {
            convert_units: false,
            optimize_title: false,
            source_lang: Some(src.clone()),
            ..Default::default()
        };
        let conc = opts.concurrency.max(1);
        let results: Vec<Result<crate::LocalizedListing, LocalizeError>> =
            std::thread::scope(|scope| {
                let chunks: Vec<Vec<(usize, &&EvalListing)>> = (0..conc)
                    .map(|k| {
                        items
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| i % conc == k)
                            .collect()
                    })
                    .collect();
                let handles: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        let lopts = &lopts;
                        scope.spawn(move || {
                            chunk
                                .into_iter()
                                .map(|(i, l)| {
                                    let listing = Listing {
                                        sku: l.id.clone(),
                                        title: l.source.title.clone(),
                                        bullets: l.source.bullets.clone(),
                                        brand: l.brand.clone(),
                                        language: Some(l.lang.clone()),
                                        ..Default::default()
                                    };
                                    (i, pipeline.localize(&listing, profile, lopts))
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                let mut all: Vec<(usize, Result<_, _>)> = handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect();
                all.sort_by_key(|(i, _)| *i);
                all.into_iter().map(|(_, r)| r).collect()
            });
        row.pipeline.seconds = t0.elapsed().as_secs_f64();
        row.pipeline.listings = items.len();
        for (l, res) in items.iter().zip(results) {
            let out = res?;
            let r = &l.refs[&tgt];
            let mut fields = vec![(
                "title".to_string(),
                out.title.clone(),
                &l.source.title,
                &r.title,
            )];
            for (i, (s, rf)) in l.source.bullets.iter().zip(&r.bullets).enumerate() {
                fields.push((
                    format!("bullets[{i}]"),
                    out.bullets.get(i).cloned().unwrap_or_default(),
                    s,
                    rf,
                ));
            }
            for (name, h, s, rf) in fields {
                let p = &mut row.pipeline;
                p.stats.add(&h, rf);
                p.fields += 1;
                let flagged = out
                    .warnings
                    .iter()
                    .any(|w| w.field == name && is_blocking(&w.code));
                if flagged {
                    p.flagged += 1;
                } else {
                    p.passing += 1;
                }
                if corrupted(s, &h, l.brand.as_deref()) {
                    p.corrupt += 1;
                    if !flagged {
                        p.corrupt_unflagged += 1;
                    }
                }
            }
        }
        row.pipeline.chrf = row.pipeline.stats.score();
        report.langs.push(row);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_set_loads_and_is_complete() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval");
        let set = load_dev_set(&dir).unwrap();
        let en: Vec<_> = set.iter().filter(|l| l.lang == "en").collect();
        assert!(en.len() >= 40, "{} English listings", en.len());
        for l in &en {
            for t in ["de", "fr", "es", "ja"] {
                let r = l
                    .refs
                    .get(t)
                    .unwrap_or_else(|| panic!("{} lacks {t}", l.id));
                assert_eq!(r.bullets.len(), l.source.bullets.len(), "{} {t}", l.id);
            }
        }
        let zh: Vec<_> = set.iter().filter(|l| l.lang == "zh").collect();
        assert!(zh.len() >= 10);
        assert!(zh.iter().all(|l| l.refs.contains_key("en")));
    }

    #[test]
    fn corruption_and_naive_parsing() {
        assert!(!corrupted(
            "Sony WH-1000XM5, 30 h",
            "Sony WH-1000XM5, 30 Std.",
            Some("Sony")
        ));
        assert!(corrupted(
            "Sony WH-1000XM5, 30 h",
            "Sony WH-1000XM4, 30 Std.",
            Some("Sony")
        ));
        assert!(corrupted("Socket 9/16 in", "Stecknuss 1-9/16 Zoll", None));
        assert!(corrupted("Acme bottle", "Bouteille", Some("Acme")));
        let (t, b) = parse_naive("Title: Flasche\n- kalt\n- dicht\n- extra", 2);
        assert_eq!(
            (t.as_str(), b.len()),
            ("Flasche", 2),
            "bullets beyond the source are dropped"
        );
        let (t, b) = parse_naive("Flasche", 2);
        assert_eq!(
            (t.as_str(), b),
            ("Flasche", vec![String::new(), String::new()])
        );
    }
}
