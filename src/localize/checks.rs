//! Checks on every translated field, each a named warning code:
//! `wrong_language`, `placeholder_missing`, `number_missing`, `number_changed`,
//! `untranslated`, `length_ratio`, `repetition_loop`, `low_confidence`,
//! `glossary_violation` (errors: the field needs review) and `terminology`
//! (a hint, not an error). Pure functions over strings.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::spans::SpanIssue;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; the field can still be presented as done.
    Info,
    /// The field needs a person's review.
    Error,
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Warning code.
    pub code: &'static str,
    /// What is wrong, in English.
    pub message: String,
    /// Severity.
    pub severity: Severity,
}

impl Finding {
    /// An error finding.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            severity: Severity::Error,
        }
    }
    /// An informational finding.
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            severity: Severity::Info,
        }
    }
}

/// Thresholds of the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOptions {
    /// Mean token log-probability below which a generation is `low_confidence`.
    pub min_mean_logprob: f32,
    /// Output/source length ratio bounds for same-script pairs.
    pub length_ratio: (f32, f32),
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            min_mean_logprob: -1.6,
            length_ratio: (0.4, 2.6),
        }
    }
}

/// Everything the checks look at for one translated segment.
#[derive(Debug, Clone)]
pub struct SegmentCheck<'a> {
    /// Source text with placeholders.
    pub source_protected: &'a str,
    /// Source text with spans as they should come back (converted units …).
    pub source_expected: &'a str,
    /// Model output with placeholders (before restoring).
    pub output_raw: &'a str,
    /// Restored output.
    pub output: &'a str,
    /// Placeholder problems from restoring.
    pub span_issues: &'a [SpanIssue],
    /// Source language.
    pub source_lang: &'a str,
    /// Target language.
    pub target_lang: &'a str,
    /// Mean log-probability of the generated tokens, when a model wrote it.
    pub mean_logprob: Option<f32>,
}

/// Run every check on one segment.
pub fn check_segment(c: &SegmentCheck<'_>, opts: &CheckOptions) -> Vec<Finding> {
    let mut f = Vec::new();
    if !c.span_issues.is_empty() {
        let msg: Vec<String> = c.span_issues.iter().map(|i| i.to_string()).collect();
        f.push(Finding::error("placeholder_missing", msg.join("; ")));
    }
    f.extend(numbers(c.source_expected, c.output));
    let text = strip_placeholders(c.output_raw);
    if let Some(x) = wrong_language(&text, c.target_lang) {
        f.push(x);
    }
    if c.source_lang != c.target_lang
        && let Some(x) = untranslated(c.source_protected, c.output_raw)
    {
        f.push(x);
    }
    if let Some(x) = length_ratio(
        c.source_protected,
        c.output_raw,
        c.source_lang,
        c.target_lang,
        opts,
    ) {
        f.push(x);
    }
    if let Some(x) = repetition_loop(c.source_protected, c.output_raw) {
        f.push(x);
    }
    if let Some(lp) = c.mean_logprob
        && lp < opts.min_mean_logprob
    {
        f.push(Finding::error(
            "low_confidence",
            format!(
                "mean token log-probability {lp:.2} is below {:.2}",
                opts.min_mean_logprob
            ),
        ));
    }
    f
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\s*\d{1,3}\s*\}").expect("static regex"));
static DIGITS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+").expect("static regex"));

fn strip_placeholders(s: &str) -> String {
    PLACEHOLDER.replace_all(s, " ").into_owned()
}

/// Every digit run of the expected text must be in the output as often, and the
/// output may not have digits the source has not (`number_missing`, `number_changed`).
pub fn numbers(expected: &str, output: &str) -> Vec<Finding> {
    let count = |s: &str| {
        let mut m: HashMap<String, i64> = HashMap::new();
        for d in DIGITS.find_iter(s) {
            *m.entry(d.as_str().trim_start_matches('0').to_string())
                .or_default() += 1;
        }
        m
    };
    let (want, got) = (count(expected), count(output));
    let mut missing: Vec<String> = want
        .iter()
        .filter(|(k, n)| got.get(*k).copied().unwrap_or(0) < **n)
        .map(|(k, _)| if k.is_empty() { "0".into() } else { k.clone() })
        .collect();
    let mut extra: Vec<String> = got
        .iter()
        .filter(|(k, n)| want.get(*k).copied().unwrap_or(0) < **n)
        .map(|(k, _)| if k.is_empty() { "0".into() } else { k.clone() })
        .collect();
    missing.sort();
    extra.sort();
    let mut f = Vec::new();
    if !missing.is_empty() {
        f.push(Finding::error(
            "number_missing",
            format!("source numbers missing: {}", missing.join(", ")),
        ));
    }
    if !extra.is_empty() {
        f.push(Finding::error(
            "number_changed",
            format!("numbers not in the source: {}", extra.join(", ")),
        ));
    }
    f
}

/// ISO 639-1 code of a whatlang language (the ones silkroute targets).
fn iso639_1(l: whatlang::Lang) -> &'static str {
    crate::listing::language_code(l).unwrap_or("other")
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff66}'..='\u{ff9f}')
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{ff66}'..='\u{ff9f}')
}

/// Detect the language of the output (`wrong_language`). Short texts (under three
/// words, or six CJK characters) are not judged.
pub fn wrong_language(text: &str, target: &str) -> Option<Finding> {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    let cjk = letters.iter().filter(|c| is_cjk(**c)).count();
    let words = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    if matches!(target, "ja" | "zh") {
        if letters.len() < 6 {
            return None;
        }
        // Brand names and model numbers are Latin; the rest must be CJK.
        if (cjk as f32) < 0.4 * letters.len() as f32 {
            return Some(Finding::error(
                "wrong_language",
                format!("expected {target}, the text is mostly Latin script"),
            ));
        }
        if target == "ja" && cjk >= 6 && !letters.iter().any(|c| is_kana(*c)) {
            return Some(Finding::error(
                "wrong_language",
                "expected ja, the text has no kana (Chinese?)",
            ));
        }
        return None;
    }
    if cjk * 2 > letters.len() && letters.len() >= 4 {
        return Some(Finding::error(
            "wrong_language",
            format!("expected {target}, the text is CJK"),
        ));
    }
    if words < 3 {
        return None;
    }
    let info = whatlang::detect(text)?;
    let got = iso639_1(info.lang());
    (got != target && info.confidence() >= 0.5 && words >= 4).then(|| {
        Finding::error(
            "wrong_language",
            format!(
                "expected {target}, detected {got} (confidence {:.2})",
                info.confidence()
            ),
        )
    })
}

fn words_lower(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect()
}

/// Source sentences left in the output (`untranslated`): a run of four source words
/// in the output, or a short output identical to its source.
pub fn untranslated(source: &str, output: &str) -> Option<Finding> {
    let sw = words_lower(source);
    let ow = words_lower(output);
    if sw.len() >= 2 && sw == ow {
        return Some(Finding::error(
            "untranslated",
            "the output is the source text",
        ));
    }
    if sw.len() < 4 {
        return None;
    }
    let out = format!(" {} ", ow.join(" "));
    for w in sw.windows(4) {
        // Runs of short tokens (model names, units) are not sentences.
        if w.iter().all(|x| x.len() <= 2) {
            continue;
        }
        if out.contains(&format!(" {} ", w.join(" "))) {
            return Some(Finding::error(
                "untranslated",
                format!("source words left in the output: \"{}\"", w.join(" ")),
            ));
        }
    }
    None
}

/// Output length within bounds of the source's (`length_ratio`). CJK text is
/// counted as two characters per character. Sources under 12 characters are not judged.
pub fn length_ratio(
    source: &str,
    output: &str,
    _src: &str,
    _tgt: &str,
    opts: &CheckOptions,
) -> Option<Finding> {
    let weight = |s: &str| -> f32 { s.chars().map(|c| if is_cjk(c) { 2.2 } else { 1.0 }).sum() };
    let (s, o) = (weight(source), weight(output));
    if s < 12.0 {
        return (o == 0.0 && s > 0.0)
            .then(|| Finding::error("length_ratio", "the output is empty"));
    }
    let r = o / s;
    let (lo, hi) = opts.length_ratio;
    (r < lo || r > hi).then(|| {
        Finding::error(
            "length_ratio",
            format!("output/source length ratio {r:.2} outside {lo}–{hi}"),
        )
    })
}

/// Repeated n-gram loops (`repetition_loop`): a word trigram (or CJK 4-gram)
/// three or more times, more often than in the source.
pub fn repetition_loop(source: &str, output: &str) -> Option<Finding> {
    fn grams(s: &str) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        let w = words_lower(s);
        for g in w.windows(3) {
            *m.entry(g.join(" ")).or_default() += 1;
        }
        let cjk: Vec<char> = s.chars().filter(|c| is_cjk(*c)).collect();
        for g in cjk.windows(4) {
            *m.entry(g.iter().collect::<String>()).or_default() += 1;
        }
        // A single word repeated four times in a row.
        for g in w.windows(4) {
            if g.iter().all(|x| *x == g[0]) {
                *m.entry(format!("{0} {0} {0} {0}", g[0])).or_default() += 3;
            }
        }
        m
    }
    let src = grams(source);
    let out = grams(output);
    let worst = out
        .into_iter()
        .filter(|(g, n)| *n >= 3 && *n > src.get(g).copied().unwrap_or(0))
        .max_by_key(|(_, n)| *n)?;
    Some(Finding::error(
        "repetition_loop",
        format!("\"{}\" repeated {} times", worst.0, worst.1),
    ))
}

/// Score of a candidate: lower is better (errors weigh most, then confidence).
pub fn score(findings: &[Finding], mean_logprob: Option<f32>) -> f32 {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count() as f32;
    let infos = findings
        .iter()
        .filter(|f| f.severity == Severity::Info)
        .count() as f32;
    errors * 10.0 + infos - mean_logprob.unwrap_or(0.0).max(-10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|x| x.code).collect()
    }

    #[test]
    fn number_check_catches_missing_and_changed_numbers() {
        assert!(numbers("Socket 14,3 mm, 2 pack", "Stecknuss 14,3 mm, 2er Pack").is_empty());
        let f = numbers("Socket 9/16 in", "Stecknuss 1-9/16 in");
        assert_eq!(codes(&f), ["number_changed"]);
        let f = numbers("750 ml bottle", "Flasche");
        assert_eq!(codes(&f), ["number_missing"]);
    }

    #[test]
    fn language_check() {
        assert!(
            wrong_language(
                "Edelstahl Trinkflasche mit auslaufsicherem Deckel für Sport und Büro",
                "de"
            )
            .is_none()
        );
        assert!(
            wrong_language(
                "Stainless steel water bottle with a leak proof lid for sports and office",
                "de"
            )
            .is_some()
        );
        assert!(wrong_language("ステンレス製の水筒、漏れ防止の蓋付き", "ja").is_none());
        assert!(wrong_language("Stainless steel bottle with lid", "ja").is_some());
        assert!(wrong_language("不锈钢保温杯带防漏盖子", "ja").is_some());
        assert!(
            wrong_language("Deckel", "fr").is_none(),
            "too short to judge"
        );
    }

    #[test]
    fn untranslated_length_and_loops() {
        assert!(untranslated("Keeps drinks cold for {1}", "Hält Getränke {1} kalt").is_none());
        assert!(
            untranslated(
                "Keeps drinks cold for {1}",
                "Hält keeps drinks cold for {1}"
            )
            .is_some()
        );
        assert!(untranslated("Water bottle", "Water Bottle").is_some());
        let o = CheckOptions::default();
        assert!(
            length_ratio(
                "Keeps drinks cold for hours",
                "Hält Getränke stundenlang kalt",
                "en",
                "de",
                &o
            )
            .is_none()
        );
        assert!(length_ratio("Keeps drinks cold for hours", "Kalt", "en", "de", &o).is_some());
        assert!(
            length_ratio(
                "Keeps drinks cold for hours",
                "ドリンクを何時間も冷たく保つ",
                "en",
                "ja",
                &o
            )
            .is_none()
        );
        assert!(
            repetition_loop(
                "Batter ride",
                "バッターライド バッターライド バッターライド バッターライド"
            )
            .is_some()
        );
        assert!(repetition_loop("a b", "sehr sehr sehr sehr gut").is_some());
        assert!(repetition_loop("Keeps drinks cold", "Hält Getränke kalt").is_none());
    }

    #[test]
    fn segment_check_collects_codes_and_confidence() {
        let c = SegmentCheck {
            source_protected: "Keeps drinks cold for {1}",
            source_expected: "Keeps drinks cold for 24 h",
            output_raw: "Keeps drinks cold for",
            output: "Keeps drinks cold for",
            span_issues: &[SpanIssue::Missing(1)],
            source_lang: "en",
            target_lang: "de",
            mean_logprob: Some(-3.0),
        };
        let f = check_segment(&c, &CheckOptions::default());
        for code in [
            "placeholder_missing",
            "number_missing",
            "untranslated",
            "low_confidence",
        ] {
            assert!(codes(&f).contains(&code), "{code} in {f:?}");
        }
        assert!(score(&f, Some(-3.0)) > score(&[], Some(-0.2)));
    }
}
