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
use serde::{Deserialize, Serialize};

use super::LocalizeError;
use super::checks::{self, CheckOptions, Finding, Severity};
use super::chrf::{ChrfStats, chrf};
use super::mbr::{Threshold, calibrate_threshold, spearman};
use super::pipeline::{LocalizeOptions, Pipeline, is_blocking};
use super::source_clean;
use super::spans::{self, ProtectRules, SpanKind};
use super::units::{self, Unit, UnitSystem};
use crate::html;
use crate::listing::{FieldId, Listing};
use crate::llm::GenerateRequest;
use crate::market::{MarketRegistry, MeasurementSystem, NumberFormat};
use crate::script;

const MAX_DEV_SET_BYTES: u64 = 8 * 1024 * 1024;

/// Title and bullets in one language.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
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

/// One system to evaluate: a named pipeline, or the naive baseline (one prompt
/// per listing through that pipeline's generator and templates, nothing checked).
#[derive(Debug, Clone, Copy)]
pub struct EvalSystem<'a> {
    /// Its name in the table and the `--out` records (`naive`, `baseline`, `pipeline`).
    pub name: &'a str,
    /// The pipeline (for the naive system: whose generator and templates to use).
    pub pipeline: &'a Pipeline,
    /// Run the naive baseline instead of the pipeline.
    pub naive: bool,
}

/// Scores of one system on one language.
#[derive(Debug, Clone, Default)]
pub struct SystemReport {
    /// System name.
    pub name: String,
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
    /// Spearman correlation of the round-trip score with the field's chrF
    /// against the reference (systems with the round trip).
    pub spearman: Option<f64>,
    /// A round-trip threshold fitted on these fields ([`ROUNDTRIP_BAD_QUANTILE`],
    /// [`ROUNDTRIP_MAX_FLAGGED`]).
    pub threshold: Option<Threshold>,
    stats: ChrfStats,
    /// (round-trip score, sentence chrF) per field that has one.
    roundtrip: Vec<(f64, f64)>,
}

/// For fitting round-trip thresholds: a field is bad when its chrF against the
/// reference is in the lowest fifth of its language's fields.
pub const ROUNDTRIP_BAD_QUANTILE: f64 = 0.2;
/// For fitting round-trip thresholds: flag at most this share of fields.
pub const ROUNDTRIP_MAX_FLAGGED: f64 = 0.1;

/// Every system on one target language.
#[derive(Debug, Clone, Default)]
pub struct LangReport {
    /// Source → target, e.g. `en→de`.
    pub pair: String,
    /// One report per system, in the order they were given.
    pub systems: Vec<SystemReport>,
}

impl LangReport {
    /// The report of the system called `name`.
    pub fn system(&self, name: &str) -> Option<&SystemReport> {
        self.systems.iter().find(|s| s.name == name)
    }
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
            "{:<7} {:<10} {:>5} {:>7} {:>7} {:>8} {:>8} {:>14} {:>9}",
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
            for s in &l.systems {
                let pct = |n: usize| {
                    if s.fields == 0 {
                        0.0
                    } else {
                        100.0 * n as f64 / s.fields as f64
                    }
                };
                writeln!(
                    f,
                    "{:<7} {:<10} {:>5.1} {:>7} {:>7.1} {:>8.1} {:>8} {:>14} {:>9.1}",
                    l.pair,
                    s.name,
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
        let rt: Vec<(&str, &SystemReport)> = self
            .langs
            .iter()
            .flat_map(|l| l.systems.iter().map(move |s| (l.pair.as_str(), s)))
            .filter(|(_, s)| s.spearman.is_some() || s.threshold.is_some())
            .collect();
        if !rt.is_empty() {
            writeln!(
                f,
                "\nround trip vs chrF: {:<7} {:<10} {:>8} {:>9} {:>8} {:>6} {:>6}",
                "pair", "system", "spearman", "threshold", "flagged%", "bad%", "good%"
            )?;
            for (pair, s) in rt {
                let t = s.threshold;
                writeln!(
                    f,
                    "                    {:<7} {:<10} {:>8} {:>9} {:>8} {:>6} {:>6}",
                    pair,
                    s.name,
                    s.spearman.map_or("-".into(), |r| format!("{r:.3}")),
                    t.map_or("-".into(), |t| format!("{:.1}", t.below)),
                    t.map_or("-".into(), |t| format!("{:.1}", 100.0 * t.flagged_share)),
                    t.map_or("-".into(), |t| format!("{:.0}", 100.0 * t.bad_caught)),
                    t.map_or("-".into(), |t| format!("{:.0}", 100.0 * t.good_flagged)),
                )?;
            }
        }
        Ok(())
    }
}

/// A finding on one field of one system's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldFinding {
    /// Check code (`number_missing` …).
    pub code: String,
    /// What it says.
    pub message: String,
    /// True when it sends the field to review.
    pub blocking: bool,
}

/// One system's output for one field, as written to `--out`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemOutput {
    /// The text.
    pub output: String,
    /// Sentence chrF against the reference.
    pub chrf: f64,
    /// Sent to review.
    pub flagged: bool,
    /// Its critical error against the reference (a number, unit, size, brand
    /// or model number wrong or missing), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<String>,
    /// The findings on this field.
    pub findings: Vec<FieldFinding>,
    /// Its round-trip score (0-100), when the system has the round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roundtrip: Option<u8>,
}

/// One field of one dev-set listing in one language pair, with every system's
/// output: a line of `silkroute eval --out`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRecord {
    /// Dev-set listing id.
    pub id: String,
    /// `en→de`.
    pub pair: String,
    /// `title`, `bullets[0]` …
    pub field: String,
    /// Source text.
    pub source: String,
    /// Reference translation.
    pub reference: String,
    /// Output per system name.
    pub systems: BTreeMap<String, SystemOutput>,
}

/// What `run_eval` reports while it runs.
#[derive(Debug)]
pub enum EvalEvent<'a> {
    /// A system starts on a language pair.
    Started {
        /// `en→de`.
        pair: &'a str,
        /// System name.
        system: &'a str,
        /// Listings it will run.
        listings: usize,
    },
    /// A listing finished (for the naive system: all of them at once).
    Listing {
        /// `en→de`.
        pair: &'a str,
        /// System name.
        system: &'a str,
        /// Listings done so far on this pair.
        done: usize,
    },
    /// Every field of a language pair, all systems done (in dev-set order).
    Records(&'a [FieldRecord]),
}

/// A number in a text, with its unit when one follows it.
#[derive(Debug, Clone, PartialEq)]
struct Fact {
    value: f64,
    unit: Option<&'static Unit>,
    /// No unit was read, and a word follows the number: a unit name the table
    /// does not read may be there ("61 سم", "61 см", "2분", "60 godzin",
    /// "1000 lumenów": silkroute writes the new languages' unit words but
    /// reads none, and inflected forms are endless), so against a quantity
    /// with a unit the value alone is compared.
    unread: bool,
    /// Its unit was written 度, which Japanese and Chinese write for a
    /// temperature and for an angle alike ("360度回転" against the
    /// reference's "360°", which names no unit the table reads).
    degree: bool,
}

impl Fact {
    fn base(&self) -> f64 {
        self.unit.map_or(self.value, |u| u.to_base(self.value))
    }
    /// The fact's dimension. A count ("12 pieces", "2-Pack") or a multiplier
    /// ("#8 x 1 inch" read as 8 x) is a bare number, as the reference or the
    /// output may write it ("12-teilig", "x #8").
    fn dimension(&self) -> &str {
        match self.unit.map_or("", |u| u.dimension.as_str()) {
            "count" | "multiplier" => "",
            d => d,
        }
    }
}

static FACT: LazyLock<Regex> = LazyLock::new(|| {
    // A unit ends at an ASCII word boundary: Japanese and Chinese write the next
    // word without a space ("203 Nmトルク", "15.9 kgの"), where a Unicode boundary
    // would not see the unit at all.
    // A mixed number ("1 1/2") starts a word: in "DN15 1/2 inch" the 15 ends a
    // code, it is no 15½ inches.
    let unit = units::table().pattern().replace(r"\b", r"(?-u:\b)");
    Regex::new(&format!(
        r"((?-u:\b)\d+[ \-]\d+/\d+|\d+/\d+|\d+(?:[.,\u{{a0}}\u{{202f}} ]\d{{3}})*(?:[.,]\d+)?)(?:[ \u{{a0}}\-]?({unit}))?"
    ))
    .expect("static regex")
});

/// A token that measures rather than names: digits, then only a unit or a word
/// (`180x70cm`, `0-150mm`, `2-Pack`, `4-hour`, `10-Inch`). Its numbers are facts,
/// compared as such; it is no model number to find verbatim ("180 x 70 cm" is right).
static MEASURE_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d+(?:[.,]\d+)?(?:\s*[x×*~\-/]\s*\d+(?:[.,]\d+)?)*\s*-?\s*[A-Za-z]+$")
        .expect("static regex")
});

/// How Chinese and English sources write numbers (decimal point, comma grouping).
static SOURCE_FORMAT: LazyLock<NumberFormat> = LazyLock::new(|| NumberFormat {
    decimal: ".".into(),
    grouping: ",".into(),
});

/// A field's text without tags or entities, for scoring.
fn text_only(s: &str) -> String {
    html::decode_entities(&html::strip_tags(s))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The numbers of a text written in `nf` (tags stripped), with their units.
fn facts(text: &str, nf: &NumberFormat) -> Vec<Fact> {
    let plain = ungrouped_spaces(&text_only(text));
    let mut split = Vec::new();
    let mut found: Vec<Fact> = FACT
        .captures_iter(&plain)
        .filter_map(|c| {
            let n = c.get(1)?.as_str();
            // A fraction that is none: "0-400/0-1500 rpm" is two ranges, not
            // 400/0 after a 0 ("400/0" divides by zero; a mixed number's
            // fraction is below one). Its numbers count one by one.
            if let Some(parts) = no_fraction(n) {
                split.extend(parts);
                return None;
            }
            let value = units::parse_number(n, nf).or_else(|| units::parse_quantity(n))?;
            // The ASCII boundary also ends a unit before an accented letter:
            // "2 téléphones" is no 2 t (tonnes), "5 mètres" no 5 m. A unit
            // followed by a letter of a spaced script is no unit, nor is the
            // `in` of "3-in-1" (the pipeline's own reading: spans.rs).
            let unit = c
                .get(2)
                .filter(|u| {
                    let rest = &plain[u.end()..];
                    let word_follows =
                        rest.starts_with(|ch: char| ch.is_alphabetic() && !script::is_cjk(ch));
                    let preposition = u.as_str() == "in" && spans::preposition_follows(rest);
                    !(word_follows || preposition)
                })
                .and_then(|u| units::table().lookup(u.as_str()))
                .map(|m| m.unit);
            let after = plain[c.get(0)?.end()..].trim_start_matches([' ', '\u{a0}']);
            // "1600万", "16 million", "16.000.000": one number.
            let scale = unit
                .is_none()
                .then(|| spans::multiplier_at(after))
                .flatten();
            let value = scale.map_or(value, |(m, _)| value * m);
            let unread =
                unit.is_none() && scale.is_none() && after.starts_with(char::is_alphabetic);
            let degree = unit.is_some() && c.get(2).is_some_and(|u| u.as_str() == "度");
            Some(Fact {
                value,
                unit,
                unread,
                degree,
            })
        })
        .collect();
    found.extend(split.into_iter().map(|value| Fact {
        value,
        unit: None,
        unread: false,
        degree: false,
    }));
    found
}

/// `text` with a space between two runs of digits that is no thousands
/// separator made a break ("; "): "aço inox 316 1000 ml" is 316 and 1000 ml,
/// not 316 100 and 0 ml. A space groups where the runs after it have three
/// digits each and the first has one to three ("1 000 000").
fn ungrouped_spaces(text: &str) -> String {
    static SPACED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d+(?: \d+)+").expect("static regex"));
    SPACED
        .replace_all(text, |c: &regex::Captures<'_>| {
            let runs: Vec<&str> = c[0].split(' ').collect();
            let grouped = runs[0].len() <= 3 && runs[1..].iter().all(|r| r.len() == 3);
            runs.join(if grouped { " " } else { "; " })
        })
        .into_owned()
}

/// The numbers of `n` one by one when it is written as a fraction or a mixed
/// number but reads as none: a zero denominator, or a mixed number ("1-1/2",
/// "1 1/2") whose fraction is one or more. `None` for any other number.
fn no_fraction(n: &str) -> Option<Vec<f64>> {
    let (head, frac) = n.split_once('/')?;
    let (whole, num) = match head.rsplit_once([' ', '-']) {
        Some((w, x)) => (Some(w), x),
        None => (None, head),
    };
    let (num, den): (f64, f64) = (num.parse().ok()?, frac.parse().ok()?);
    if den != 0.0 && (whole.is_none() || num < den) {
        return None;
    }
    Some(
        n.split([' ', '-', '/'])
            .filter_map(|x| x.parse().ok())
            .collect(),
    )
}

/// Whether `out` states the fact `want` (the reference's): the same dimension and
/// value within 2% (rounding of conversions), and the same unit where the reference
/// keeps a unit of the other system (a standard size: 9/16 Zoll is not 14,3 mm).
fn same_fact(want: &Fact, out: &Fact, market: MeasurementSystem) -> bool {
    // Within 2%: the rounding of a conversion.
    let close = |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 0.02 + 1e-9;
    let unread = (want.unread && out.unit.is_some()) || (out.unread && want.unit.is_some());
    // 度 against a number with no unit read or another 度: an angle or a
    // temperature, the value decides.
    let degree = (want.degree || out.degree)
        && (want.unit.is_none() || out.unit.is_none() || want.degree && out.degree);
    if unread || degree {
        return close(want.value, out.value);
    }
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
    close(want.base(), out.base())
}

/// A critical error of `output` against the reference: a fact (number, unit, size)
/// of the reference missing or one of the output's wrong, the brand missing, or a
/// model number of the source missing. `None` when there is none. `moved` are
/// texts the pipeline moves out of this field into another (a Chinese title's
/// gifts), whose numbers are not missing.
#[allow(clippy::too_many_arguments)] // one private function, each argument a plain value
fn critical_error(
    source: &str,
    reference: &str,
    output: &str,
    lang: &str,
    brand: Option<&str>,
    moved: &[String],
    nf: &NumberFormat,
    market: MeasurementSystem,
) -> Option<String> {
    let want = facts(reference, nf);
    let mut got = facts(output, nf);
    // A number the output writes as a word ("Four 360° wheels", "四つ") states
    // the reference's digit; one that is no number of the source is wrong.
    let plain = text_only(output);
    got.extend(
        checks::number_words_in(&plain, lang)
            .into_iter()
            .map(|(_, value)| Fact {
                value,
                unit: None,
                unread: false,
                degree: false,
            }),
    );
    // A gift the pipeline moves out of a Chinese title into a bullet of its own
    // ("送10根胶棒") is in the listing, not lost: its numbers are no missing fact.
    let moved: Vec<Fact> =
        moved
            .iter()
            .flat_map(|g| {
                facts(g, &SOURCE_FORMAT).into_iter().chain(
                    spans::count_words(g, "zh")
                        .into_iter()
                        .map(|(_, _, n)| Fact {
                            value: f64::from(n),
                            unit: None,
                            unread: false,
                            degree: false,
                        }),
                )
            })
            .collect();
    for w in &want {
        match got.iter().position(|g| same_fact(w, g, market)) {
            Some(i) => {
                got.remove(i);
            }
            None if moved.iter().any(|m| same_fact(w, m, market)) => {}
            None => {
                return Some(format!(
                    "missing {} {}",
                    w.value,
                    w.unit.map_or("", |u| u.id.as_str())
                ));
            }
        }
    }
    // A number the output keeps from the source (a year the reference drops as
    // promotion, 2024新款) is not a changed number.
    // So is a count the source writes as a word ("三口" → "3 ports", "two
    // pockets" → "2つ"), as the pipeline writes it, where the reference spells it.
    let counts = ["en", "zh"]
        .into_iter()
        .flat_map(|lang| spans::count_words(source, lang))
        .map(|(_, _, n)| Fact {
            value: f64::from(n),
            unit: None,
            unread: false,
            degree: false,
        });
    // And a number the source gives in words of any language ("a pair", "一半").
    let worded = checks::source_numbers(&[source])
        .into_iter()
        .map(|value| Fact {
            value,
            unit: None,
            unread: false,
            degree: false,
        });
    let own = facts(source, nf)
        .into_iter()
        .chain(facts(source, &SOURCE_FORMAT))
        .chain(counts)
        .chain(worded)
        .collect::<Vec<_>>();
    got.retain(|g| !own.iter().any(|o| same_fact(o, g, market)));
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
        .filter(|s| {
            s.kind == SpanKind::ModelNumber
                && !MEASURE_TOKEN.is_match(&s.original)
                && reference.contains(&s.original)
        })
        .find(|s| !output.contains(&s.original))
        .map(|s| format!("model number {} missing", s.original))
}

/// The checks a naive output would fail (to measure it the same way).
fn naive_findings(source: &str, output: &str, src: &str, tgt: &str) -> Vec<Finding> {
    // Judged against the source the pipeline translates: a Chinese source without its
    // promotion words and years used as "new" (a dropped 2024新款 is no lost number).
    let cleaned = source_clean::clean_text(source, src);
    let source = cleaned.as_str();
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
    f
}

/// The market a target language is scored for: Shopify's (plain rules) where
/// there is one, else the first profile of that language by id.
fn eval_profile<'a>(
    registry: &'a MarketRegistry,
    lang: &str,
) -> Result<&'a crate::market::MarketProfile, LocalizeError> {
    if let Ok(p) = registry.get(&format!("shopify-{lang}")) {
        return Ok(p);
    }
    let mut of_lang: Vec<_> = registry.iter().filter(|p| p.language == lang).collect();
    of_lang.sort_by(|a, b| a.id.cmp(&b.id));
    match of_lang.first() {
        Some(p) => Ok(p),
        None => Ok(registry.get(&format!("shopify-{lang}"))?),
    }
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

/// (field, source, reference) of a listing's scored fields: the title, the
/// bullets and the description.
fn scored_fields<'a>(l: &'a EvalListing, tgt: &str) -> Vec<(FieldId, &'a str, &'a str)> {
    let r = &l.refs[tgt];
    let mut out = vec![(FieldId::Title, l.source.title.as_str(), r.title.as_str())];
    for (i, (s, rf)) in l.source.bullets.iter().zip(&r.bullets).enumerate() {
        out.push((FieldId::Bullet(i), s.as_str(), rf.as_str()));
    }
    if !l.source.description.is_empty() && !r.description.is_empty() {
        out.push((
            FieldId::Description,
            l.source.description.as_str(),
            r.description.as_str(),
        ));
    }
    out
}

/// One system's outputs for one listing: per scored field, the text, its
/// findings and its round-trip score.
type ListingOutput = Vec<(String, Vec<FieldFinding>, Option<u8>)>;

/// The naive baseline on one pair: one prompt per listing, all submitted together.
fn run_naive(
    pipeline: &Pipeline,
    items: &[&EvalListing],
    src: &str,
    tgt: &str,
) -> Result<Vec<ListingOutput>, LocalizeError> {
    let reqs = items
        .iter()
        .map(|l| {
            let mut lines = l.source.bullets.clone();
            if !l.source.description.is_empty() {
                lines.push(format!("Description: {}", text_only(&l.source.description)));
            }
            let m = pipeline
                .templates()
                .naive(src, tgt, &l.source.title, &lines)?;
            let budget: usize = l.source.title.len()
                + l.source.description.len()
                + l.source.bullets.iter().map(|b| b.len() + 4).sum::<usize>();
            Ok(GenerateRequest::new(m, (budget * 3 / 2 + 64).min(1024)))
        })
        .collect::<Result<Vec<_>, LocalizeError>>()?;
    let outs = pipeline.generator().generate_many(reqs);
    Ok(items
        .iter()
        .zip(outs)
        .map(|(l, o)| {
            let text = o.map(|g| g.text).unwrap_or_default();
            let has_desc = !l.source.description.is_empty();
            let (title, mut bullets) =
                parse_naive(&text, l.source.bullets.len() + usize::from(has_desc));
            // The description comes back as the last line, after its label.
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
            scored_fields(l, tgt)
                .into_iter()
                .map(|(field, s, _)| {
                    let h = match field {
                        FieldId::Title => title.clone(),
                        FieldId::Description => desc.clone(),
                        FieldId::Bullet(i) => bullets.get(i).cloned().unwrap_or_default(),
                        // Not scored.
                        FieldId::Attribute(_) | FieldId::Keyword(_) => String::new(),
                    };
                    (h, s)
                })
                .map(|(h, s)| {
                    let findings = naive_findings(s, &h, src, tgt)
                        .into_iter()
                        .map(|f| FieldFinding {
                            code: f.code.to_string(),
                            blocking: f.severity == Severity::Error,
                            message: f.message,
                        })
                        .collect();
                    (h, findings, None)
                })
                .collect()
        })
        .collect())
}

/// The pipeline on one pair: several listings at a time so the engine batches
/// their segments; `on_done` is called as each listing finishes.
fn run_pipeline(
    pipeline: &Pipeline,
    profile: &crate::market::MarketProfile,
    items: &[&EvalListing],
    src: &str,
    tgt: &str,
    opts: &EvalOptions,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<ListingOutput>, LocalizeError> {
    let lopts = LocalizeOptions {
        convert_units: opts.convert_units,
        optimize_title: false,
        source_lang: Some(src.to_string()),
        ..Default::default()
    };
    let conc = opts.concurrency.max(1);
    let results: Vec<Result<crate::LocalizedListing, LocalizeError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..conc)
                .map(|k| {
                    let lopts = &lopts;
                    scope.spawn(move || {
                        items
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| i % conc == k)
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
                                let r = pipeline.localize(&listing, profile, lopts);
                                on_done();
                                (i, r)
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
    let mut out = Vec::with_capacity(items.len());
    for (l, res) in items.iter().zip(results) {
        let loc = res?;
        out.push(
            scored_fields(l, tgt)
                .into_iter()
                .map(|(field, _, _)| {
                    let text = match field {
                        FieldId::Title => loc.title.clone(),
                        FieldId::Description => loc.description.clone(),
                        FieldId::Bullet(i) => loc.bullets.get(i).cloned().unwrap_or_default(),
                        // Not scored.
                        FieldId::Attribute(_) | FieldId::Keyword(_) => String::new(),
                    };
                    let name = field.to_string();
                    let findings = loc
                        .warnings
                        .iter()
                        .filter(|w| w.field == name)
                        .map(|w| FieldFinding {
                            code: w.code.clone(),
                            message: w.message.clone(),
                            blocking: is_blocking(&w.code),
                        })
                        .collect();
                    (text, findings, loc.roundtrip.get(&name).copied())
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Run the dev set through every system, language pair by language pair.
pub fn run_eval(
    systems: &[EvalSystem<'_>],
    registry: &MarketRegistry,
    set: &[EvalListing],
    opts: &EvalOptions,
    on_event: &(dyn Fn(EvalEvent<'_>) + Sync),
) -> Result<EvalReport, LocalizeError> {
    let pairs = eval_pairs(set, opts);
    let mut report = EvalReport {
        model: systems
            .first()
            .map(|s| s.pipeline.model_id())
            .unwrap_or_default(),
        langs: Vec::new(),
    };
    for ((src, tgt), items) in pairs {
        let profile = eval_profile(registry, &tgt)?;
        let nf = &profile.number_format;
        // Without conversion, the reference keeps the source's units as they are.
        let system = if opts.convert_units {
            profile.measurement
        } else if src == "en" {
            MeasurementSystem::Imperial
        } else {
            MeasurementSystem::Metric
        };
        let pair = format!("{src}→{tgt}");
        let mut records: Vec<FieldRecord> = items
            .iter()
            .flat_map(|l| {
                scored_fields(l, &tgt)
                    .into_iter()
                    .map(|(field, s, r)| FieldRecord {
                        id: l.id.clone(),
                        pair: pair.clone(),
                        field: field.to_string(),
                        source: s.to_string(),
                        reference: r.to_string(),
                        systems: BTreeMap::new(),
                    })
            })
            .collect();
        let mut row = LangReport {
            pair: pair.clone(),
            systems: Vec::new(),
        };
        for sys in systems {
            on_event(EvalEvent::Started {
                pair: &pair,
                system: sys.name,
                listings: items.len(),
            });
            let t0 = Instant::now();
            let outs = if sys.naive {
                let o = run_naive(sys.pipeline, &items, &src, &tgt)?;
                on_event(EvalEvent::Listing {
                    pair: &pair,
                    system: sys.name,
                    done: items.len(),
                });
                o
            } else {
                let done = std::sync::atomic::AtomicUsize::new(0);
                let on_done = || {
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    on_event(EvalEvent::Listing {
                        pair: &pair,
                        system: sys.name,
                        done: n,
                    });
                };
                run_pipeline(sys.pipeline, profile, &items, &src, &tgt, opts, &on_done)?
            };
            let mut rep = SystemReport {
                name: sys.name.to_string(),
                seconds: t0.elapsed().as_secs_f64(),
                listings: items.len(),
                ..Default::default()
            };
            let mut rec = records.iter_mut();
            for (l, fields) in items.iter().zip(outs) {
                for (text, findings, roundtrip) in fields {
                    let Some(r) = rec.next() else { break };
                    let (plain, plain_ref) = (text_only(&text), text_only(&r.reference));
                    rep.stats.add(&plain, &plain_ref);
                    rep.fields += 1;
                    let flagged = findings.iter().any(|f| f.blocking);
                    if flagged {
                        rep.flagged += 1;
                    } else {
                        rep.passing += 1;
                    }
                    let moved = if r.field == "title" {
                        source_clean::moved_gifts(&r.source, &src)
                    } else {
                        Vec::new()
                    };
                    let critical = critical_error(
                        &r.source,
                        &r.reference,
                        &text,
                        &tgt,
                        l.brand.as_deref(),
                        &moved,
                        nf,
                        system,
                    );
                    if let Some(why) = &critical {
                        rep.critical += 1;
                        // The naive system presents everything as done.
                        if !flagged || sys.naive {
                            rep.critical_unflagged += 1;
                            if !sys.naive {
                                tracing::info!(listing = %l.id, pair = %pair, field = %r.field, %why, output = %text, "critical error not flagged");
                            }
                        }
                    }
                    let sentence = chrf(&plain, &plain_ref);
                    if let Some(rt) = roundtrip {
                        rep.roundtrip.push((f64::from(rt), sentence));
                    }
                    r.systems.insert(
                        sys.name.to_string(),
                        SystemOutput {
                            chrf: sentence,
                            output: text,
                            flagged,
                            critical,
                            findings,
                            roundtrip,
                        },
                    );
                }
            }
            rep.chrf = rep.stats.score();
            if rep.roundtrip.len() >= 2 {
                let (rt, q): (Vec<f64>, Vec<f64>) = rep.roundtrip.iter().copied().unzip();
                rep.spearman = spearman(&rt, &q);
                let mut sorted = q.clone();
                sorted.sort_by(f64::total_cmp);
                let cut = sorted[((sorted.len() as f64 * ROUNDTRIP_BAD_QUANTILE) as usize)
                    .min(sorted.len() - 1)];
                rep.threshold = calibrate_threshold(&rep.roundtrip, cut, ROUNDTRIP_MAX_FLAGGED);
            }
            row.systems.push(rep);
        }
        on_event(EvalEvent::Records(&records));
        report.langs.push(row);
    }
    Ok(report)
}

/// The dev set grouped by (source, target) language, within the options' limits.
fn eval_pairs<'a>(
    set: &'a [EvalListing],
    opts: &EvalOptions,
) -> BTreeMap<(String, String), Vec<&'a EvalListing>> {
    let mut pairs: BTreeMap<(String, String), Vec<&EvalListing>> = BTreeMap::new();
    let mut per_src: BTreeMap<&str, usize> = BTreeMap::new();
    for l in set {
        let targets: Vec<&String> = l
            .refs
            .keys()
            .filter(|t| opts.langs.is_empty() || opts.langs.contains(*t))
            .collect();
        // Only listings with a reference in a chosen language count against
        // the limit (`--langs de --limit 12` is twelve en→de listings).
        if targets.is_empty() {
            continue;
        }
        let n = per_src.entry(&l.lang).or_default();
        if opts.limit.is_some_and(|lim| *n >= lim) {
            continue;
        }
        *n += 1;
        for tgt in targets {
            pairs
                .entry((l.lang.clone(), tgt.clone()))
                .or_default()
                .push(l);
        }
    }
    pairs
}

/// Listings each system runs in total (for a progress bar).
pub fn eval_size(set: &[EvalListing], opts: &EvalOptions) -> usize {
    eval_pairs(set, opts).values().map(Vec::len).sum()
}

/// Every title and bullet of the dev set's files with its reference, as
/// Prints how many good translations `flags` flags, with each one: the dev
/// set's references (titles and bullets) and the built-in bank's pairs whose
/// source `reads` (a check's precision measurement). `flags` takes the source
/// language, the target language, the source and the translation, and returns
/// what it found.
#[cfg(test)]
pub(crate) fn print_precision(
    reads: impl Fn(&str) -> bool,
    flags: impl Fn(&str, &str, &str, &str) -> Option<String>,
) {
    let (mut n, mut hits) = (0, Vec::new());
    for (lang, t, a, b) in dev_reference_pairs() {
        if !reads(&a) {
            continue;
        }
        n += 1;
        if let Some(f) = flags(&lang, &t, &a, &b) {
            hits.push(format!("{lang}→{t} {f}: {a} => {b}"));
        }
    }
    println!("dev: {} of {n}\n{}", hits.len(), hits.join("\n"));
    let (mut n, mut hits) = (0, Vec::new());
    for p in crate::localize::retrieval::tests::builtin_pairs() {
        if !reads(&p.source) {
            continue;
        }
        n += 1;
        if let Some(f) = flags(&p.source_lang, &p.target_lang, &p.source, &p.target) {
            hits.push(format!(
                "{}→{} {f}: {} => {}",
                p.source_lang, p.target_lang, p.source, p.target
            ));
        }
    }
    println!("bank: {} of {n}\n{}", hits.len(), hits.join("\n"));
}

/// Fails when a check flags more than one in 200 of `n` good translations,
/// listing them; a precision measurement's bound.
#[cfg(test)]
pub(crate) fn assert_few_flagged(hits: &[String], n: usize) {
    assert!(
        hits.len() * 200 <= n,
        "{} of {n}:\n{}",
        hits.len(),
        hits.join("\n")
    );
}

/// (source language, target language, source, reference): good translations
/// on which the checks' precision is measured.
#[cfg(test)]
pub(crate) fn dev_reference_pairs() -> Vec<(String, String, String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval");
    let mut out = Vec::new();
    for f in ["zh-belt.jsonl", "zh.jsonl", "en.jsonl", "en-belt.jsonl"] {
        let text = std::fs::read_to_string(dir.join(f)).expect("the dev set is in the repo");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a dev-set line");
            let lang = v["lang"].as_str().unwrap_or("en");
            let src = &v["source"];
            let Some(refs) = v["refs"].as_object() else {
                continue;
            };
            for (t, r) in refs {
                let mut pairs = vec![(&src["title"], &r["title"])];
                if let (Some(sb), Some(rb)) = (src["bullets"].as_array(), r["bullets"].as_array()) {
                    pairs.extend(sb.iter().zip(rb));
                }
                for (a, b) in pairs {
                    out.push((
                        lang.to_string(),
                        t.clone(),
                        a.as_str().unwrap_or("").to_string(),
                        b.as_str().unwrap_or("").to_string(),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_counts_listings_of_the_chosen_languages_only() {
        let l = |id: &str, lang: &str, refs: &[&str]| EvalListing {
            id: id.into(),
            lang: lang.into(),
            brand: None,
            source: EvalText::default(),
            refs: refs
                .iter()
                .map(|r| (r.to_string(), EvalText::default()))
                .collect(),
        };
        // The new languages' listings come first (as en-belt.jsonl sorts
        // before en.jsonl) and have no German reference.
        let set = [
            l("b1", "en", &["pt", "ru"]),
            l("b2", "en", &["pt"]),
            l("e1", "en", &["de", "fr"]),
            l("e2", "en", &["de"]),
            l("e3", "en", &["de"]),
            l("z1", "zh", &["en"]),
        ];
        let opts = EvalOptions {
            limit: Some(2),
            langs: vec!["de".into(), "fr".into()],
            ..Default::default()
        };
        let pairs = eval_pairs(&set, &opts);
        let ids = |k: (&str, &str)| -> Vec<&str> {
            pairs[&(k.0.to_string(), k.1.to_string())]
                .iter()
                .map(|l| l.id.as_str())
                .collect()
        };
        assert_eq!(pairs.len(), 2, "{:?}", pairs.keys());
        assert_eq!(ids(("en", "de")), ["e1", "e2"]);
        assert_eq!(ids(("en", "fr")), ["e1"]);
        assert_eq!(eval_size(&set, &opts), 3);
    }

    /// One dev-set file: at least `min` listings in `lang`, each with a reference in
    /// every one of `targets` with as many bullets as its source.
    fn complete(file: &str, lang: &str, min: usize, targets: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/eval")
            .join(file);
        std::fs::copy(&src, dir.path().join(file)).unwrap();
        let set = load_dev_set(dir.path()).unwrap();
        assert!(set.len() >= min, "{file}: {} listings", set.len());
        for l in &set {
            assert_eq!(l.lang, lang, "{file} {}", l.id);
            for t in targets {
                let r = l
                    .refs
                    .get(*t)
                    .unwrap_or_else(|| panic!("{file}: {} lacks {t}", l.id));
                assert!(!r.title.is_empty(), "{file} {} {t}", l.id);
                assert_eq!(
                    r.bullets.len(),
                    l.source.bullets.len(),
                    "{file} {} {t}",
                    l.id
                );
            }
        }
    }

    #[test]
    fn dev_set_loads_and_is_complete() {
        complete("en.jsonl", "en", 40, &["de", "fr", "es", "ja"]);
        complete("zh.jsonl", "zh", 10, &["en"]);
        let zh_targets = ["en", "es", "pt", "ru", "ar", "ja", "ko", "vi", "th", "id"];
        complete("zh-belt.jsonl", "zh", 40, &zh_targets);
        let en_targets = [
            "pt", "ru", "ar", "ko", "vi", "th", "id", "ms", "pl", "nl", "tr",
        ];
        complete("en-belt.jsonl", "en", 10, &en_targets);
        // The whole directory loads as one set, ids unique.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval");
        let set = load_dev_set(&dir).unwrap();
        let mut ids: Vec<_> = set.iter().map(|l| &l.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), set.len(), "duplicate ids in tests/data/eval");
        // Every target language has a market to score it on.
        let reg = MarketRegistry::builtin().unwrap();
        for t in zh_targets.iter().chain(&en_targets) {
            assert_eq!(eval_profile(&reg, t).unwrap().language, *t);
        }
    }

    #[test]
    fn critical_errors_against_the_reference() {
        let de = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let m = MeasurementSystem::Metric;
        let crit = |src: &str, rf: &str, out: &str| {
            critical_error(src, rf, out, "de", Some("Sony"), &[], &de, m)
        };
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
        // A unit in a script whose unit names are not read (the reference's
        // Arabic سم, the output's Russian см) is no missing quantity; a wrong
        // value still is.
        let en = |rf: &str, out: &str| {
            critical_error("Mat 183 x 61 cm", rf, out, "en", None, &[], &de, m)
        };
        assert!(en("سجادة 183 × 61 سم", "سجادة 183 x 61 cm").is_none());
        assert!(en("Коврик 183 x 61 cm", "Коврик 183 x 61 см").is_none());
        assert!(en("سجادة 183 × 61 سم", "سجادة 183 x 16 cm").is_some());
        // Inflected unit words of a Latin-script language, against the symbol
        // the pipeline writes (the en-belt dev set's Polish and Korean).
        let pl = |rf: &str, out: &str| critical_error("60 hours", rf, out, "pl", None, &[], &de, m);
        assert!(pl("Do 60 godzin pracy", "Do 60 godz. pracy").is_none());
        assert!(pl("2분 타이머", "2 min 타이머").is_none());
        assert!(pl("Do 60 godzin pracy", "Do 50 godz. pracy").is_some());
        // "2 téléphones" is two phones, no 2 t (tonnes) the output must state.
        // A count the source writes as a word, written as digits where the
        // reference spells it: the source's number, not a wrong one.
        let words = |src: &str, rf: &str, out: &str, lang: &str| {
            critical_error(src, rf, out, lang, None, &[], &de, m)
        };
        assert_eq!(
            words(
                "三口同时输出",
                "Three ports charge at once",
                "3 ports at once",
                "en"
            ),
            None
        );
        assert_eq!(
            words(
                "with two zip pockets",
                "mit zwei Taschen",
                "mit 2 Taschen",
                "de"
            ),
            None
        );
        assert!(
            words(
                "with two zip pockets",
                "mit zwei Taschen",
                "mit 3 Taschen",
                "de"
            )
            .is_some()
        );
        // A number the output writes as a word states the reference's digit
        // (the en→ja dev set's 四つ, zh→en "Two Batteries"); a wrong one is wrong.
        assert_eq!(
            words(
                "Four 360° spinner wheels",
                "360°回転する4輪キャスター",
                "四つの360°回転のホイール",
                "ja"
            ),
            None
        );
        assert_eq!(
            words("送2块电池", "with 2 batteries", "with Two Batteries", "en"),
            None
        );
        assert_eq!(
            words("三件套", "3-piece set", "Three-Piece Set", "en"),
            None
        );
        assert!(
            words(
                "体积仅为传统充电器的一半",
                "Half the size",
                "one-quarter of the size",
                "en"
            )
            .is_some()
        );
        assert!(
            words(
                "with two zip pockets",
                "mit 2 Taschen",
                "mit drei Taschen",
                "de"
            )
            .is_some()
        );
        let fr = |rf: &str, out: &str| critical_error("2 phones", rf, out, "fr", None, &[], &de, m);
        assert!(fr("Sony et 2 téléphones", "Sony et 2 portables").is_none());
        assert!(fr("Sony et 2 téléphones", "Sony et 3 portables").is_some());
        // "3-in-1" kept as written is three in one, no 3 inches (critical split c22).
        let three =
            |rf: &str, out: &str| critical_error("3-in-1, 52 dB", rf, out, "fr", None, &[], &de, m);
        assert!(three("3 en 1, 52 dB", "3-in-1, 52 dB").is_none());
        assert!(three("3 en 1, 52 dB", "2-in-1, 52 dB").is_some());
        assert!(three("3 en 1, 52 dB", "3-in-1, 58 dB").is_some());
        // "DN15 1/2-inch" is a DN15 valve of half an inch, no 15½ inches (cz6).
        let dn = |rf: &str, out: &str| {
            critical_error("DN15 1/2英寸", rf, out, "en", None, &[], &SOURCE_FORMAT, m)
        };
        assert!(dn("DN15, 1/2 inch thread", "DN15 1/2-inch thread").is_none());
        assert!(dn("DN15, 1/2 inch thread", "DN15 3/4-inch thread").is_some());
        // A mixed number between spaces is still one.
        let size = |out: &str| {
            critical_error(
                "Size 1 1/2 in",
                "Size 1 1/2 inch",
                out,
                "en",
                None,
                &[],
                &SOURCE_FORMAT,
                m,
            )
        };
        assert!(size("Size 1 1/2-inch").is_none());
        assert!(size("Size 1-inch").is_some());
        // Two ranges joined by a slash are no fraction (zh-belt z119: "0-400/0"
        // read as a mixed number lost a 0 and the 400).
        let speeds = |out: &str| {
            critical_error(
                "双速调节：0-400/0-1500转/分",
                "Two speeds: 0-400 / 0-1500 rpm",
                out,
                "en",
                None,
                &[],
                &SOURCE_FORMAT,
                m,
            )
        };
        assert!(speeds("Two-speed adjustable; 0-400/0-1500 rpm").is_none());
        assert!(speeds("Two-speed adjustable; 0-400/0-1000 rpm").is_some());
        assert!(speeds("Two-speed adjustable; 0-1500 rpm").is_some());
        // A gift moved out of a Chinese title into a bullet of its own is in the
        // listing: its count is no missing fact of the title; any other is.
        let source = "热熔胶枪 20W 家用手工DIY 送10根胶棒";
        let moved = source_clean::moved_gifts(source, "zh");
        assert_eq!(moved, ["10根胶棒"]);
        let glue = |moved: &[String], out: &str| {
            critical_error(
                source,
                "Hot Glue Gun 20W for Home Crafts and DIY, with 10 Glue Sticks",
                out,
                "en",
                None,
                moved,
                &SOURCE_FORMAT,
                m,
            )
        };
        assert!(glue(&moved, "Hot Glue Gun 20W for DIY Crafts").is_none());
        assert!(glue(&[], "Hot Glue Gun 20W for DIY Crafts").is_some());
        assert!(glue(&moved, "Hot Glue Gun for DIY Crafts").is_some());
        assert!(source_clean::moved_gifts(source, "en").is_empty());
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
        // A measuring token is compared by its numbers, not verbatim as a model number.
        assert!(
            crit(
                "Yoga mat 183x61cm",
                "Yogamatte 183 x 61 cm",
                "Yogamatte 183 x 61 cm"
            )
            .is_none()
        );
        assert!(crit("Bottle 2-Pack", "Flasche 2-Pack", "Flasche, 2 Stück").is_none());
        assert!(crit("Bottle 2-Pack", "Flasche 2-Pack", "Flasche, 3 Stück").is_some());
        // A count or a gauge's "x" is a bare number: "12-teilig" states "12-Piece".
        assert!(crit("12-Piece set", "12-teiliger Satz", "12-Piece Satz").is_none());
        assert!(crit("12-Piece set", "12-teiliger Satz", "10-Piece Satz").is_some());
        assert!(crit("#8 x 1 in screws", "Vis #8 x 1 pouce", "Vis x #8 1 pouce").is_none());
        // Units followed by Japanese without a space are still units.
        let ja = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let crit_ja = |rf: &str, out: &str| critical_error("x", rf, out, "ja", None, &[], &ja, m);
        assert!(crit_ja("トルク203 Nm", "203 Nmトルク").is_none());
        assert!(crit_ja("重さ15.9 kg。", "15.9 kgの重さ").is_none());
        assert!(crit_ja("オーブン260 °Cまで", "260 °Cまで").is_none());
        assert!(crit_ja("重さ15.9 kg。", "15.9 gの重さ").is_some());
        // A number kept from the source (a year the reference drops) is not changed.
        assert!(
            crit(
                "2024新款 保温杯 500ml",
                "Isolierflasche 500 ml",
                "2024 Isolierflasche 500 ml"
            )
            .is_none()
        );
        assert!(
            crit(
                "保温杯 500ml",
                "Isolierflasche 500 ml",
                "Isolierflasche 2024, 500 ml"
            )
            .is_some()
        );
        // The naive system is judged against the cleaned Chinese source.
        let f = naive_findings(
            "2024新款 保温杯 500ml",
            "Insulated bottle 500 ml",
            "zh",
            "en",
        );
        assert!(f.iter().all(|f| f.code != "number_missing"), "{f:?}");
        let f = naive_findings(
            "保温杯 2024年生产 500ml",
            "Insulated bottle 500 ml",
            "zh",
            "en",
        );
        assert!(f.iter().any(|f| f.code == "number_missing"), "{f:?}");
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
        // "316 1000 ml" is a grade and a volume, not 316 100 and 0 ml.
        let pt = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let rf = "Garrafa térmica de aço inox 316 1000 ml, grande capacidade";
        let out = "Garrafa térmica 316 aço inoxidável, 1000 ml";
        assert_eq!(critical_error("x", rf, out, "pt", None, &[], &pt, m), None);
        assert!(critical_error("x", rf, "Garrafa 316, 100 ml", "pt", None, &[], &pt, m).is_some());
        // 度 is an angle or a temperature: "360度回転" states the reference's "360°".
        let ja = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let rf = "ボールジョイントで360°回転";
        assert_eq!(
            critical_error("x", rf, "球頭は360度回転できます", "ja", None, &[], &ja, m),
            None
        );
        assert!(
            critical_error("x", rf, "球頭は180度回転できます", "ja", None, &[], &ja, m).is_some()
        );
    }
}
