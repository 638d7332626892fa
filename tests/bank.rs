//! The example bank in `terminology/bank/` (issue 16): every file parses, has
//! enough pairs of every kind over enough categories, and shares no sentence
//! with the dev set in `tests/data/eval/` or its splits below it (`critical/`),
//! so retrieval cannot hand the model a reference translation.
//!
//! "Shares a sentence" is checked on text normalised to lower-case letters and
//! digits (spaces, punctuation and tags removed): a bank side and a dev-set
//! string are the same sentence when they are equal, or when at least
//! [`MAX_CONTAINMENT`] of the shorter one's character 6-grams occur in the
//! other and the shorter has at least [`MIN_CHARS`] characters (a dev-set
//! sentence embedded in a longer bank description, or the same sentence with a
//! number changed). Shorter strings ("Mit Tragegurt") are common phrases, not
//! sentences, and only count when equal.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use silkroute::localize::{BANK_KINDS, ExampleBank, RetrievalOptions, parse_bank};

const PAIRS: [&str; 7] = [
    "en-de", "en-fr", "en-es", "en-it", "en-ja", "en-zh", "zh-en",
];
const MIN_LINES: usize = 300;
const MIN_CATEGORIES: usize = 20;
const N: usize = 6;
const MIN_CHARS: usize = 20;
const MAX_CONTAINMENT: f64 = 0.7;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn norm(s: &str) -> Vec<char> {
    s.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn grams(s: &[char]) -> HashSet<String> {
    if s.len() < N {
        return [s.iter().collect()].into();
    }
    s.windows(N).map(|w| w.iter().collect()).collect()
}

/// Every string in a JSON value (the dev set's sources and references, whatever its shape).
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn dev_strings() -> Vec<String> {
    let mut out = Vec::new();
    // The dev split and every split below it (critical/).
    let mut dirs = vec![root().join("tests/data/eval")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl") {
                files.push(p);
            }
        }
    }
    for p in files {
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            if !line.trim().is_empty() {
                strings(&serde_json::from_str(line).unwrap(), &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// (bank file:line, bank text, dev-set string index, containment) for every
/// shared sentence.
fn shared(bank: &[(String, String)], dev: &[String]) -> Vec<(String, String, usize, f64)> {
    let dev: Vec<(Vec<char>, HashSet<String>)> = dev
        .iter()
        .map(|d| {
            let n = norm(d);
            let g = grams(&n);
            (n, g)
        })
        .collect();
    let mut exact: HashMap<&[char], usize> = HashMap::new();
    let mut inv: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (n, g)) in dev.iter().enumerate() {
        exact.insert(n, i);
        for x in g {
            inv.entry(x).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (at, text) in bank {
        let n = norm(text);
        if n.len() >= 8
            && let Some(&i) = exact.get(n.as_slice())
        {
            out.push((at.clone(), text.clone(), i, 1.0));
            continue;
        }
        let g = grams(&n);
        let mut hits: HashMap<usize, usize> = HashMap::new();
        for x in &g {
            for &i in inv.get(x.as_str()).map_or(&[][..], Vec::as_slice) {
                *hits.entry(i).or_default() += 1;
            }
        }
        for (i, c) in hits {
            let shorter = n.len().min(dev[i].0.len());
            if shorter < MIN_CHARS {
                continue;
            }
            let r = c as f64 / g.len().min(dev[i].1.len()) as f64;
            if r >= MAX_CONTAINMENT {
                out.push((at.clone(), text.clone(), i, r));
            }
        }
    }
    out
}

fn bank_sides() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pair in PAIRS {
        let name = format!("terminology/bank/{pair}.jsonl");
        let text = std::fs::read_to_string(root().join(&name)).unwrap();
        for (i, l) in parse_bank(&text, &name).unwrap().into_iter().enumerate() {
            let at = format!("{name}:{}", i + 1);
            out.push((at.clone(), l.source));
            out.push((at, l.target));
        }
    }
    out
}

#[test]
fn every_bank_file_is_valid_and_large_enough() {
    for pair in PAIRS {
        let name = format!("terminology/bank/{pair}.jsonl");
        let text = std::fs::read_to_string(root().join(&name)).unwrap();
        let lines = parse_bank(&text, &name).unwrap();
        assert!(lines.len() >= MIN_LINES, "{name}: {} pairs", lines.len());
        for kind in BANK_KINDS {
            let n = lines.iter().filter(|l| l.kind == kind).count();
            assert!(n * 10 >= lines.len(), "{name}: only {n} of kind {kind}");
        }
        let cats: HashSet<&str> = lines.iter().map(|l| l.category.as_str()).collect();
        assert!(
            cats.len() >= MIN_CATEGORIES,
            "{name}: {} categories",
            cats.len()
        );
        let mut sources: Vec<Vec<char>> = lines.iter().map(|l| norm(&l.source)).collect();
        sources.sort();
        let before = sources.len();
        sources.dedup();
        assert_eq!(before, sources.len(), "{name}: a source appears twice");
    }
    let readme = std::fs::read_to_string(root().join("terminology/bank/README.md")).unwrap();
    assert!(
        readme.contains("tests/bank.rs"),
        "the README says how overlap was checked"
    );
    // The compiled-in bank is these files.
    let bank = ExampleBank::builtin(RetrievalOptions::default()).unwrap();
    assert!(bank.len().0 >= PAIRS.len() * MIN_LINES);
}

#[test]
fn bank_and_dev_set_share_no_sentences() {
    let dev = dev_strings();
    assert!(dev.len() > 300, "{} dev-set strings", dev.len());
    let found = shared(&bank_sides(), &dev);
    let report: Vec<String> = found
        .iter()
        .map(|(at, b, i, r)| format!("{at} ({r:.2}): {b:?} ~ dev {:?}", dev[*i]))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_overlap_rule_catches_embedded_and_renumbered_sentences() {
    let dev = vec![
        "Entspricht den Handgepäckmaßen der meisten Fluggesellschaften".to_string(),
        "Each shelf holds up to 15 kg".to_string(),
        "Mit Tragegurt".to_string(),
        "Machine washable at 30 °C".to_string(),
    ];
    let bank = |s: &str| vec![("b:1".to_string(), s.to_string())];
    let hit = |s: &str| !shared(&bank(s), &dev).is_empty();
    assert!(hit(
        "Entspricht den Handgepäckmaßen der meisten Fluggesellschaften (55 x 40 x 20 cm)."
    ));
    assert!(hit(
        "Each shelf holds up to 25 kg when the load is spread evenly."
    ));
    assert!(hit("mit tragegurt!"), "equal after normalising");
    assert!(
        !hit("Yogamatte 183 x 61 cm mit Tragegurt"),
        "a short phrase only"
    );
    assert!(!hit(
        "Machine washable in cold water on a gentle cycle; hang to dry."
    ));
}
