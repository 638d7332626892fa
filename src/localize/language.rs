//! Per-language data for the checks (`markets/languages.toml`, compiled in): the
//! prompt labels a model may echo in each language, the words each language
//! writes as in the source (loanwords, and its common words spelled as in English,
//! from the frequency lists of `terminology/spelled-alike/`), the common English
//! words it does not write (`terminology/english-only/`), English's own common
//! words (`terminology/english-common/`, [`common_english`]), and the
//! scripts it is written in (letters of any other script are left untranslated,
//! other than the symbol letters every language writes, Ω or μ). Main type:
//! [`LanguageData`]; [`data`] is the built-in one. Also the label rule itself:
//! [`strip_label`] removes a label from the start of a field, [`leaked_labels`]
//! finds one anywhere else.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use super::LocalizeError;
use crate::script::ScriptSet;

const BUILTIN: &str = include_str!("../../markets/languages.toml");

/// Per language, the words it writes exactly as English does and that are common
/// words of it in their own right (terminology/spelled-alike/README.md says how they
/// were made, from wordfreq's frequencies, and their licence).
const SPELLED_ALIKE: &[(&str, &str)] = &[
    ("de", include_str!("../../terminology/spelled-alike/de.txt")),
    ("fr", include_str!("../../terminology/spelled-alike/fr.txt")),
    ("es", include_str!("../../terminology/spelled-alike/es.txt")),
    ("it", include_str!("../../terminology/spelled-alike/it.txt")),
    ("pt", include_str!("../../terminology/spelled-alike/pt.txt")),
    ("nl", include_str!("../../terminology/spelled-alike/nl.txt")),
    ("pl", include_str!("../../terminology/spelled-alike/pl.txt")),
    ("tr", include_str!("../../terminology/spelled-alike/tr.txt")),
    ("id", include_str!("../../terminology/spelled-alike/id.txt")),
    ("ms", include_str!("../../terminology/spelled-alike/ms.txt")),
    ("vi", include_str!("../../terminology/spelled-alike/vi.txt")),
];

/// Per language, common English words that are not words of it (the same
/// script and frequencies; terminology/english-only/README.md).
const ENGLISH_ONLY: &[(&str, &str)] = &[
    ("de", include_str!("../../terminology/english-only/de.txt")),
    ("fr", include_str!("../../terminology/english-only/fr.txt")),
    ("es", include_str!("../../terminology/english-only/es.txt")),
    ("it", include_str!("../../terminology/english-only/it.txt")),
    ("pt", include_str!("../../terminology/english-only/pt.txt")),
    ("nl", include_str!("../../terminology/english-only/nl.txt")),
    ("pl", include_str!("../../terminology/english-only/pl.txt")),
    ("tr", include_str!("../../terminology/english-only/tr.txt")),
    ("id", include_str!("../../terminology/english-only/id.txt")),
    ("ms", include_str!("../../terminology/english-only/ms.txt")),
    ("vi", include_str!("../../terminology/english-only/vi.txt")),
];

/// One compiled-in word list per language: one lower-case word a line, `#` comments.
fn word_lists(
    lists: &'static [(&'static str, &'static str)],
) -> BTreeMap<&'static str, HashSet<&'static str>> {
    lists
        .iter()
        .map(|(lang, text)| {
            let words = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect();
            (*lang, words)
        })
        .collect()
}

/// The built-in spelled-alike lists.
fn spelled_alike_lists() -> &'static BTreeMap<&'static str, HashSet<&'static str>> {
    static LISTS: LazyLock<BTreeMap<&'static str, HashSet<&'static str>>> =
        LazyLock::new(|| word_lists(SPELLED_ALIKE));
    &LISTS
}

/// Whether `word` is a common English word that is no word of `lang` (de
/// "every", "with", "finish"; fr "the", "cold"), by the built-in lists of
/// `terminology/english-only/`: English at least about thirty times as common
/// as in `lang`'s own text. Case-insensitive; false for a language without a
/// list (English itself, and languages not written in Latin letters).
pub fn english_only(lang: &str, word: &str) -> bool {
    static LISTS: LazyLock<BTreeMap<&'static str, HashSet<&'static str>>> =
        LazyLock::new(|| word_lists(ENGLISH_ONLY));
    LISTS
        .get(lang)
        .is_some_and(|s| s.contains(word.to_lowercase().as_str()))
}

/// Whether `word` is a word of the built-in term base's English column that
/// none of `lang`'s terms holds ([`Terminology::english_not_in`]): the words
/// of products ("stainless", "waterproof") that are too rare for the lists of
/// [`english_only`]. Only for a language that has such a list, and not
/// Indonesian or Malay, whose marketplaces write many English product words
/// ("Remote Control", "Boneka Plush", "Sarung Duvet" in good translations of
/// the dev set).
///
/// [`Terminology::english_not_in`]: super::terminology::Terminology::english_not_in
pub fn english_term(lang: &str, word: &str) -> bool {
    static SETS: LazyLock<BTreeMap<String, HashSet<String>>> = LazyLock::new(|| {
        let Ok(t) = super::terminology::Terminology::builtin() else {
            return BTreeMap::new();
        };
        word_lists(ENGLISH_ONLY)
            .keys()
            .filter(|l| !matches!(**l, "id" | "ms"))
            .map(|l| (l.to_string(), t.english_not_in(l)))
            .collect()
    });
    SETS.get(lang)
        .is_some_and(|s| s.contains(&word.to_lowercase()))
}

/// English's own common words (`terminology/english-common/en.txt`, Zipf 3.2 or
/// more in wordfreq; its README says how and why).
const ENGLISH_COMMON: &str = include_str!("../../terminology/english-common/en.txt");

/// Whether `word` is a common English word ("white", "headphones", "tire"), not a
/// rarer one or a coined name ("Forerunner", "PowerCore", "Technic").
/// Case-insensitive.
pub fn common_english(word: &str) -> bool {
    static LISTS: LazyLock<BTreeMap<&'static str, HashSet<&'static str>>> =
        LazyLock::new(|| word_lists(&[("en", ENGLISH_COMMON)]));
    LISTS
        .get("en")
        .is_some_and(|s| s.contains(word.to_lowercase().as_str()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LangEntry {
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    loanwords: Vec<String>,
    #[serde(default)]
    scripts: Vec<String>,
    #[serde(default)]
    symbols: Vec<String>,
}

/// Labels, accepted words and scripts per language.
#[derive(Debug, Default)]
pub struct LanguageData {
    labels: BTreeMap<String, Vec<String>>,
    accepted: BTreeMap<String, HashSet<String>>,
    scripts: BTreeMap<String, ScriptSet>,
    symbols: HashSet<char>,
}

/// The built-in data (`markets/languages.toml`).
pub fn data() -> &'static LanguageData {
    static DATA: LazyLock<LanguageData> = LazyLock::new(|| {
        LanguageData::from_toml(BUILTIN, "builtin:markets/languages.toml")
            .expect("markets/languages.toml is compiled in and loaded by a unit test")
    });
    &DATA
}

impl LanguageData {
    /// Parse the TOML (one table per language code, `all` for every language).
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
        let raw: BTreeMap<String, LangEntry> =
            toml::from_str(text).map_err(|e| LocalizeError::Input {
                file: source_name.to_string(),
                line: 0,
                field: String::new(),
                message: e.to_string(),
            })?;
        let mut out = LanguageData::default();
        let bad = |field: String, message: String| LocalizeError::Input {
            file: source_name.to_string(),
            line: 0,
            field,
            message,
        };
        for (lang, e) in raw {
            if lang == "all" {
                if !e.scripts.is_empty() {
                    return Err(bad(
                        "all.scripts".into(),
                        "scripts are per language, not for all".into(),
                    ));
                }
            } else {
                if e.scripts.is_empty() {
                    return Err(bad(
                        format!("{lang}.scripts"),
                        "every language names the scripts it is written in".into(),
                    ));
                }
                let set = ScriptSet::new(&e.scripts)
                    .map_err(|err| bad(format!("{lang}.scripts"), err.to_string()))?;
                out.scripts.insert(lang.clone(), set);
            }
            if lang != "all" && !e.symbols.is_empty() {
                return Err(bad(
                    format!("{lang}.symbols"),
                    "symbol letters are for all languages: list them under [all]".into(),
                ));
            }
            for sym in &e.symbols {
                let mut chars = sym.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_alphabetic() => {
                        out.symbols.insert(c);
                    }
                    _ => {
                        return Err(bad(
                            "all.symbols".into(),
                            format!("{sym:?} is not one letter"),
                        ));
                    }
                }
            }
            let mut labels = e.labels;
            // Longest first, so "Description text" wins over "Description".
            labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
            out.labels.insert(lang.clone(), labels);
            out.accepted
                .insert(lang, e.loanwords.iter().map(|w| w.to_lowercase()).collect());
        }
        Ok(out)
    }

    /// Labels to look for in output of `langs` (plus the `all` ones), longest first.
    pub fn labels(&self, langs: &[&str]) -> Vec<&str> {
        let mut v: Vec<&str> = std::iter::once("all")
            .chain(langs.iter().copied())
            .filter_map(|l| self.labels.get(l))
            .flatten()
            .map(String::as_str)
            .collect();
        v.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
        v.dedup();
        v
    }

    /// Whether `word` is one of `lang`'s loanwords (or of every language's):
    /// a word it takes from English as it is ("design", "yoga"), not one of its
    /// own words that English happens to spell the same way.
    pub fn is_loanword(&self, lang: &str, word: &str) -> bool {
        let w = word.to_lowercase();
        ["all", lang]
            .iter()
            .filter_map(|l| self.accepted.get(*l))
            .any(|s| s.contains(&w))
    }

    /// Whether `lang` writes `word` as it is: one of its loanwords, or a common
    /// word of it spelled as in English ([`spelled_alike`]).
    pub fn accepts(&self, lang: &str, word: &str) -> bool {
        self.is_loanword(lang, word) || spelled_alike(lang, word)
    }

    /// Whether `lang` is written in Latin letters alone (English, German,
    /// Vietnamese …; not Russian or Arabic, which write brands in Latin letters
    /// beside their own). False for a language without data.
    pub fn writes_only_latin(&self, lang: &str) -> bool {
        let base = crate::listing::base_language(lang);
        self.scripts
            .get(lang)
            .or_else(|| self.scripts.get(base))
            .is_some_and(|s| s.names().iter().all(|n| n == "Latin"))
    }

    /// Runs of letters in `text` of scripts `lang` is not written in (Cyrillic in
    /// German, kana in Chinese, Hangul in English), other than runs made only of
    /// symbol letters (`Ω`, `μ`, `Φ`). Empty for a language without data.
    pub fn foreign_script_runs<'a>(&self, lang: &str, text: &'a str) -> Vec<&'a str> {
        let Some(set) = self.scripts.get(lang) else {
            return Vec::new();
        };
        set.foreign_runs(text)
            .into_iter()
            .filter(|r| !r.chars().all(|c| self.symbols.contains(&c)))
            .collect()
    }
}

/// Whether `word` is a common word of `lang` spelled exactly as in English (fr
/// "induction", "thermostat"; es "natural"), by the built-in lists of
/// `terminology/spelled-alike/` (word frequencies: as common in `lang` as in
/// English, give or take; English that only leaks into `lang`'s text, de "finish",
/// is not). Case-insensitive; false for a language without a list.
pub fn spelled_alike(lang: &str, word: &str) -> bool {
    spelled_alike_lists()
        .get(lang)
        .is_some_and(|s| s.contains(word.to_lowercase().as_str()))
}

fn is_colon(c: char) -> bool {
    matches!(c, ':' | '：')
}

/// Remove a prompt label from the start of `text` ("Titel: …", "Beschreibungstext …",
/// "説明文：…"): with a colon after it any label goes; without one only a label of
/// several words, eight or more letters, or CJK, and a long label also when the model
/// misspelt it by one letter ("Beschreibungtext"). A label the source itself starts
/// with stays. Returns the rest and the label removed.
pub fn strip_label<'a>(text: &'a str, source: &str, labels: &[&str]) -> (&'a str, Option<String>) {
    let t = text.trim_start();
    let src = source.trim_start().to_lowercase();
    // A source that starts with a label of its own keeps its translation's.
    if labels.iter().any(|l| {
        src.strip_prefix(&l.to_lowercase())
            .is_some_and(|r| r.trim_start().starts_with(is_colon))
    }) {
        return (text, None);
    }
    let first_word: String = t.chars().take_while(|c| c.is_alphabetic()).collect();
    for &label in labels {
        let l = label.to_lowercase();
        if src.starts_with(&l) {
            continue;
        }
        let n = label.chars().count();
        let head: String = t.chars().take(n).collect();
        let exact = head.to_lowercase() == l;
        let cjk = label.chars().all(|c| !c.is_ascii());
        let (rest, matched) = if exact {
            (&t[head.len()..], true)
        } else if n >= 10
            && !label.contains(' ')
            && strsim::levenshtein(&first_word.to_lowercase(), &l) == 1
        {
            (&t[first_word.len()..], true)
        } else {
            (t, false)
        };
        if !matched {
            continue;
        }
        // The label must end a word.
        if !cjk && rest.starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        let after = rest.trim_start();
        let colon = after.starts_with(is_colon);
        let bare_ok = cjk || label.contains(' ') || n >= 8;
        if colon || bare_ok {
            let rest = after.trim_start_matches(is_colon).trim_start();
            let rest = rest.trim_start_matches(['-', '–']).trim_start();
            if rest.is_empty() {
                return (text, None);
            }
            return (rest, Some(label.to_string()));
        }
    }
    (text, None)
}

/// Labels followed by a colon anywhere in `text` (after its start) that the source
/// does not have: the model echoed the prompt's structure.
pub fn leaked_labels(text: &str, source: &str, labels: &[&str]) -> Vec<String> {
    let lower = text.to_lowercase();
    let src = source.to_lowercase();
    let mut out = Vec::new();
    for &label in labels {
        let l = label.to_lowercase();
        if src.contains(&l) {
            continue;
        }
        let mut from = 0;
        while let Some(i) = lower.get(from..).and_then(|h| h.find(&l)) {
            let (s, e) = (from + i, from + i + l.len());
            from = e;
            let at_word = !lower[..s].ends_with(char::is_alphanumeric);
            let colon = lower[e..].trim_start_matches(' ').starts_with(is_colon);
            if at_word && colon && !out.contains(&label.to_string()) {
                out.push(label.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_data_loads_for_every_target_language() {
        let d = data();
        for l in ["de", "fr", "es", "it", "ja", "zh", "en"] {
            assert!(d.labels.contains_key(l), "{l}");
        }
        assert!(d.accepts("de", "bluetooth"));
        assert!(d.accepts("de", "Set"));
        assert!(d.accepts("ja", "USB"));
        assert!(!d.accepts("de", "Fits"));
        assert!(!d.accepts("de", "Finish"));
    }

    #[test]
    fn words_spelled_as_in_english_come_from_the_frequency_lists() {
        // Every Latin-script target language has a list, of a plausible size.
        for (lang, _) in SPELLED_ALIKE {
            let n = spelled_alike_lists()[lang].len();
            assert!((1000..20000).contains(&n), "{lang}: {n}");
        }
        // The French words the critical split flagged, and real words elsewhere.
        for w in [
            "ports",
            "induction",
            "mode",
            "thermostat",
            "zinc",
            "scooter",
            "tubes",
            "fluorescent",
            "Surface",
        ] {
            assert!(spelled_alike("fr", w), "fr {w}");
        }
        for (lang, w) in [
            ("de", "hotel"),
            ("de", "problem"),
            ("es", "natural"),
            ("es", "cable"),
            ("it", "camera"),
            ("pt", "hospital"),
            ("nl", "water"),
        ] {
            assert!(spelled_alike(lang, w), "{lang} {w}");
        }
        // English that leaks into a language's text is not its word.
        for (lang, w) in [
            ("de", "finish"),
            ("de", "lifetime"),
            ("de", "fits"),
            ("de", "piece"),
            ("de", "warranty"),
            ("fr", "quick"),
            ("fr", "release"),
            ("fr", "waterproof"),
            ("fr", "cable"),
            ("es", "heavy"),
            ("es", "duty"),
            ("it", "lifetime"),
            ("it", "warranty"),
            ("pt", "kitchen"),
            ("nl", "lightweight"),
        ] {
            assert!(!spelled_alike(lang, w), "{lang} {w}");
        }
        // No list: nothing is spelled alike (Japanese writes katakana).
        assert!(!spelled_alike("ja", "mode"));
        assert!(!spelled_alike("en", "mode"));
    }

    #[test]
    fn every_language_names_its_scripts() {
        let d = data();
        assert_eq!(d.foreign_script_runs("ru", "Кабель USB-C, 한국"), ["한국"]);
        assert_eq!(d.foreign_script_runs("de", "10 kΩ, μF, Кабель"), ["Кабель"]);
        assert!(d.foreign_script_runs("xx", "Кабель").is_empty());
        let err = |toml: &str| {
            LanguageData::from_toml(toml, "t.toml")
                .unwrap_err()
                .to_string()
        };
        assert!(err("[de]\nlabels = []").contains("de.scripts"));
        let e = err("[de]\nscripts = [\"Latin\", \"Elvish\"]");
        assert!(e.contains("de.scripts") && e.contains("Elvish"), "{e}");
        assert!(err("[all]\nsymbols = [\"Ωm\"]").contains("all.symbols"));
        assert!(err("[de]\nscripts = [\"Latin\"]\nsymbols = [\"Ω\"]").contains("de.symbols"));
        assert!(err("[all]\nscripts = [\"Latin\"]").contains("all.scripts"));
    }

    #[test]
    fn labels_are_stripped_in_every_language() {
        let d = data();
        let strip = |lang: &str, t: &'static str, src: &str| {
            let labels = d.labels(&[lang, "en"]);
            strip_label(t, src, &labels).0.to_string()
        };
        assert_eq!(
            strip("de", "Titel: Steckschlüsselsatz {1}", "Socket set {1}"),
            "Steckschlüsselsatz {1}"
        );
        assert_eq!(
            strip("de", "Beschreibungstext Der Satz enthält {1}", "The set"),
            "Der Satz enthält {1}"
        );
        assert_eq!(
            strip("de", "Beschreibungtext Der Satz enthält {1}", "The set"),
            "Der Satz enthält {1}"
        );
        assert_eq!(
            strip("de", "Description text: Der Satz", "The set"),
            "Der Satz"
        );
        assert_eq!(strip("es", "Descripción: no", "x"), "no");
        assert_eq!(
            strip("fr", "Titre : Jeu de douilles", "Socket set"),
            "Jeu de douilles"
        );
        assert_eq!(
            strip("es", "Título: Juego de vasos", "Socket set"),
            "Juego de vasos"
        );
        assert_eq!(
            strip("it", "Descrizione: Set di bussole", "Socket set"),
            "Set di bussole"
        );
        assert_eq!(
            strip("ja", "説明文：ソケットセット", "Socket set"),
            "ソケットセット"
        );
        assert_eq!(
            strip("ja", "タイトル ソケットセット", "Socket set"),
            "ソケットセット"
        );
        assert_eq!(strip("zh", "标题：套筒套装", "Socket set"), "套筒套装");
        assert_eq!(strip("zh", "描述：这款套装", "This set"), "这款套装");
        assert_eq!(
            strip("en", "Description: Socket set", "套筒套装"),
            "Socket set"
        );
        // Not labels: a short word without a colon, a word that only begins like one,
        // a label the source has, and a label with nothing after it.
        assert_eq!(
            strip("de", "Titan Trinkflasche", "Titanium bottle"),
            "Titan Trinkflasche"
        );
        assert_eq!(
            strip("de", "Textmarker gelb", "Highlighter"),
            "Textmarker gelb"
        );
        assert_eq!(strip("de", "Titel: Buch", "Title: book"), "Titel: Buch");
        assert_eq!(strip("de", "Titel:", "x"), "Titel:");
    }

    #[test]
    fn labels_inside_a_field_are_found() {
        let labels = data().labels(&["de"]);
        assert_eq!(
            leaked_labels(
                "Stecknuss {1} Beschreibung: robust",
                "Socket {1}, sturdy",
                &labels
            ),
            ["Beschreibung"]
        );
        assert!(
            leaked_labels("Material: Edelstahl", "Material: stainless steel", &labels).is_empty()
        );
        assert!(leaked_labels("Text: a", "Text: a", &labels).is_empty());
        // A power bank's 输入 (input) came back "product details:" in Thai.
        let th = data().labels(&["th", "zh"]);
        assert_eq!(
            leaked_labels(
                "<p>รายละเอียดของสินค้า: {1}/{2}, {3}/{4}</p>",
                "<p>输入：{1}/{2}，{3}/{4}。</p>",
                &th
            ),
            ["รายละเอียดของสินค้า"]
        );
    }
}
