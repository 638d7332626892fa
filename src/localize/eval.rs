//! The evaluation program's library side: load the dev set in `tests/data/eval/`,
//! run the naive baseline (one prompt per listing) and the full pipeline, and score
//! both per language: chrF, share of fields passing every check, share flagged,
//! and critical errors (a number, unit, size, brand or model number wrong or
//! missing against the reference), flagged or not.
//!
//! Two splits: the dev split (`tests/data/eval/*.jsonl`, units left as written) and
//! the critical split (`tests/data/eval/critical/*.jsonl`: standard sizes, compound
//! units, HTML descriptions, loanwords and brands, units converted for the market).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Instant;

use regex::Regex;

use serde::Deserialize;

use super::LocalizeError;
use super::checks::{self, CheckOptions, Finding, Severity};
use super::chrf::ChrfStats;
use super::html;
use super::pipeline::{LocalizeOptions, Pipeline, is_blocking};
use super::spans::{self, ProtectRules, SpanKind};
use super::units::{self, Unit, UnitSystem};
use crate::listing::Listing;
use crate::llm::GenerateRequest;
use crate::market::{MarketRegistry, MeasurementSystem, NumberFormat};

const MAX_DEV_SET_BYTES: u64 = 8 * 1024 * 1024;

/// Title and bullets in one language.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EvalText {
    /// Title.
    pub title: String,
    /// Bullets.
    #[serde(default)]
    pub bullets: Vec<String>,
    /// Description (HTML allowed).
    #[serde(default)]
    pub description: String,
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
    /// Convert units for the market (the critical split); the dev split keeps them.
    pub convert_units: bool,
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
    /// Fields with a critical error (a number, unit, size, brand or model number
    /// wrong or missing against the reference) and no blocking warning.
    pub critical_unflagged: usize,
    /// Fields with a critical error, flagged or not.
    pub critical: usize,
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
            "{:<7} {:<8} {:>5} {:>7} {:>7} {:>8} {:>8} {:>14} {:>9}",
            "pair",
            "system",
            "chrF",
            "fields",
            "pass%",
            "flagged%",
            "critical",
            "crit.unflagged",
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
                    "{:<7} {:<8} {:>5.1} {:>7} {:>7.1} {:>8.1} {:>8} {:>14} {:>9.1}",
                    l.pair,
                    name,
                    s.chrf,
                    s.fields,
                    pct(s.passing),
                    pct(s.flagged),
                    s.critical,
                    s.critical_unflagged,
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

/// A number in a text, with its unit when one follows it.
#[derive(Debug, Clone, PartialEq)]
struct Fact {
    value: f64,
    unit: Option<&'static Unit>,
}

impl Fact {
    fn base(&self) -> f64 {
        self.unit.map_or(self.value, |u| u.to_base(self.value))
    }
    fn dimension(&self) -> &str {
        self.unit.map_or("", |u| u.dimension.as_str())
    }
}

static FACT: LazyLock<Regex> = LazyLock::new(|| {
    let unit = units::table().pattern();
    Regex::new(&format!(
        r"(\d+[ \-]\d+/\d+|\d+/\d+|\d+(?:[.,\u{{a0}}\u{{202f}} ]\d{{3}})*(?:[.,]\d+)?)(?:[ \u{{a0}}\-]?({unit}))?"
    ))
    .expect("static regex")
});

/// A field's text without tags or entities, for scoring.
fn text_only(s: &str) -> String {
    html::decode_entities(&crate::listing::strip_tags(s))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The numbers of a text written in `nf` (tags stripped), with their units.
fn facts(text: &str, nf: &NumberFormat) -> Vec<Fact> {
    let plain = text_only(text);
    FACT.captures_iter(&plain)
        .filter_map(|c| {
            let n = c.get(1)?.as_str();
            let value = units::parse_number(n, nf).or_else(|| units::parse_quantity(n))?;
            let unit = c
                .get(2)
                .and_then(|u| units::table().lookup(u.as_str()))
                .map(|m| m.unit);
            Some(Fact { value, unit })
        })
        .collect()
}

/// Whether `out` states the fact `want` (the reference's): the same dimension and
/// value within 2% (rounding of conversions), and the same unit where the reference
/// keeps a unit of the other system (a standard size: 9/16 Zoll is not 14,3 mm).
fn same_fact(want: &Fact, out: &Fact, market: MeasurementSystem) -> bool {
    if want.dimension() != out.dimension() {
        return false;
    }
    let kept = want.unit.is_some_and(|u| {
        matches!(
            (u.system, market),
            (UnitSystem::Imperial, MeasurementSystem::Metric)
                | (UnitSystem::Metric, MeasurementSystem::Imperial)
        )
    });
    if kept && want.unit.map(|u| &u.id) != out.unit.map(|u| &u.id) {
        return false;
    }
    let (a, b) = (want.base(), out.base());
    (a - b).abs() <= a.abs().max(b.abs()) * 0.02 + 1e-9
}

/// A critical error of `output` against the reference: a fact (number, unit, size)
/// of the reference missing or one of the output's wrong, the brand missing, or a
/// model number of the source missing. `None` when there is none.
fn critical_error(
    source: &str,
    reference: &str,
    output: &str,
    brand: Option<&str>,
    nf: &NumberFormat,
    market: MeasurementSystem,
) -> Option<String> {
    let want = facts(reference, nf);
    let mut got = facts(output, nf);
    for w in &want {
        match got.iter().position(|g| same_fact(w, g, market)) {
            Some(i) => {
                got.remove(i);
            }
            None => {
                return Some(format!(
                    "missing {} {}",
                    w.value,
                    w.unit.map_or("", |u| u.id.as_str())
                ));
            }
        }
    }
    if let Some(g) = got.first() {
        return Some(format!(
            "wrong {} {}",
            g.value,
            g.unit.map_or("", |u| u.id.as_str())
        ));
    }
    if let Some(b) = brand.filter(|b| source.contains(*b) && reference.contains(*b))
        && !output.contains(b)
    {
        return Some(format!("brand {b} missing"));
    }
    let p = spans::protect(source, &ProtectRules::default());
    p.spans
        .iter()
        .filter(|s| s.kind == SpanKind::ModelNumber && reference.contains(&s.original))
        .find(|s| !output.contains(&s.original))
        .map(|s| format!("model number {} missing", s.original))
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
        let nf = &profile.number_format;
        // Without conversion, the reference keeps the source's units as they are.
        let system = if opts.convert_units {
            profile.measurement
        } else if src == "en" {
            MeasurementSystem::Imperial
        } else {
            MeasurementSystem::Metric
        };
        let mut row = LangReport {
            pair: format!("{src}→{tgt}"),
            ..Default::default()
        };

        // Naive: one prompt per listing, all submitted together.
        let t0 = Instant::now();
        let reqs = items
            .iter()
            .map(|l| {
                let mut lines = l.source.bullets.clone();
                if !l.source.description.is_empty() {
                    lines.push(format!("Description: {}", text_only(&l.source.description)));
                }
                let m = pipeline.templates().naive(
                    src.as_str(),
                    tgt.as_str(),
                    &l.source.title,
                    &lines,
                )?;
                let budget: usize = l.source.title.len()
                    + l.source.description.len()
                    + l.source.bullets.iter().map(|b| b.len() + 4).sum::<usize>();
                Ok(GenerateRequest::new(m, (budget * 3 / 2 + 64).min(1024)))
            })
            .collect::<Result<Vec<_>, LocalizeError>>()?;
        let outs = pipeline.generator().generate_many(reqs);
        row.naive.seconds = t0.elapsed().as_secs_f64();
        row.naive.listings = items.len();
        for (l, o) in items.iter().zip(outs) {
            let text = o.map(|g| g.text).unwrap_or_default();
            let has_desc = !l.source.description.is_empty();
            let (title, mut bullets) =
                parse_naive(&text, l.source.bullets.len() + usize::from(has_desc));
            let desc = if has_desc {
                bullets
                    .pop()
                    .map(|d| {
                        d.trim_start_matches(|c: char| c != ':' && c != '：')
                            .trim_start_matches([':', '：'])
                            .trim()
                            .to_string()
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let r = &l.refs[&tgt];
            let (mut hyp, mut srcs, mut refs) =
                (vec![&title], vec![&l.source.title], vec![&r.title]);
            hyp.extend(bullets.iter());
            srcs.extend(l.source.bullets.iter());
            refs.extend(r.bullets.iter());
            if has_desc && !r.description.is_empty() {
                hyp.push(&desc);
                srcs.push(&l.source.description);
                refs.push(&r.description);
            }
            for ((h, s), rf) in hyp.into_iter().zip(srcs).zip(refs) {
                let s_ = &mut row.naive;
                s_.stats.add(&text_only(h), &text_only(rf));
                s_.fields += 1;
                let bad = naive_findings(s, h, &src, &tgt)
                    .iter()
                    .any(|f| f.severity == Severity::Error);
                if bad {
                    s_.flagged += 1;
                } else {
                    s_.passing += 1;
                }
                if critical_error(s, rf, h, l.brand.as_deref(), nf, system).is_some() {
                    s_.critical += 1;
                    // The naive system presents everything as done.
                    s_.critical_unflagged += 1;
                }
            }
        }
        row.naive.chrf = row.naive.stats.score();

        // Pipeline: several listings at a time so the engine batches their segments.
        let t0 = Instant::now();
        let lopts = LocalizeOptions {
            convert_units: opts.convert_units,
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
                                        description: l.source.description.clone(),
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
            if !l.source.description.is_empty() && !r.description.is_empty() {
                fields.push((
                    "description".to_string(),
                    out.description.clone(),
                    &l.source.description,
                    &r.description,
                ));
            }
            for (name, h, s, rf) in fields {
                let p = &mut row.pipeline;
                p.stats.add(&text_only(&h), &text_only(rf));
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
                if let Some(why) = critical_error(s, rf, &h, l.brand.as_deref(), nf, system) {
                    p.critical += 1;
                    if !flagged {
                        p.critical_unflagged += 1;
                        tracing::info!(listing = %l.id, pair = %row.pair, field = %name, %why, output = %h, "critical error not flagged");
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
    fn critical_errors_against_the_reference() {
        let de = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let m = MeasurementSystem::Metric;
        let crit =
            |src: &str, rf: &str, out: &str| critical_error(src, rf, out, Some("Sony"), &de, m);
        assert!(
            crit(
                "Sony WH-1000XM5, 30 h",
                "Sony WH-1000XM5, 30 Std.",
                "Sony WH-1000XM5, 30 h"
            )
            .is_none()
        );
        assert!(
            crit(
                "Sony WH-1000XM5, 30 h",
                "Sony WH-1000XM5, 30 h",
                "Sony WH-1000XM4, 30 h"
            )
            .is_some()
        );
        assert!(crit("Sony bottle", "Sony Flasche", "Flasche").is_some());
        // A standard size must keep its unit; a converted quantity may differ in rounding.
        assert!(
            crit(
                "Socket 9/16 in",
                "Stecknuss 9/16 Zoll",
                "Stecknuss 9/16 Zoll"
            )
            .is_none()
        );
        assert!(crit("Socket 9/16 in", "Stecknuss 9/16 Zoll", "Stecknuss 14,3 mm").is_some());
        assert!(
            crit(
                "Socket 9/16 in",
                "Stecknuss 9/16 Zoll",
                "Stecknuss 1-9/16 Zoll"
            )
            .is_some()
        );
        assert!(crit("120 ft-lb", "163 Nm Drehmoment", "162,7 Nm Drehmoment").is_none());
        assert!(crit("120 ft-lb", "163 Nm Drehmoment", "36,6 m Drehmoment").is_some());
        assert!(crit("x", "<p>Gewicht 1,5 kg</p>", "Gewicht: 1,5 kg").is_none());
        assert!(crit("x", "12.500 mAh", "12500 mAh").is_none());
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
