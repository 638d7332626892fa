//! Which writing system a character belongs to: the one place silkroute decides
//! CJK, Han, kana and Latin, used by the search analyzers and the localization
//! checks alike. [`ScriptSet`] names the scripts a language writes (by their
//! Unicode names, from data) and finds the letters of any other script in a text.
//! Chinese, written without spaces, is cut into words here too ([`jieba`]).

use regex::Regex;

/// `text` with its first letter in upper case ("meses" → "Meses"); a script
/// without case is unchanged.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether `c` belongs to a CJK script written without spaces (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    is_han(c) || is_kana(c) || is_hangul(c)
}

/// Han or kana: Chinese and Japanese writing, Hangul apart (Korean is a target
/// language of its own, told apart by the language checks).
pub fn is_han_or_kana(c: char) -> bool {
    is_han(c) || is_kana(c)
}

/// A Han character (Chinese characters, Japanese kanji).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF   // CJK ext A
        | 0x4E00..=0x9FFF // CJK unified
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x20000..=0x2FFFF)
}

/// Hiragana or katakana (incl. ー, the katakana extensions and half-width katakana).
pub fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

/// Full-width katakana, the long-vowel mark ー and the middle dot ・ included.
pub fn is_katakana(c: char) -> bool {
    matches!(c as u32, 0x30A0..=0x30FF)
}

/// Hangul.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0xAC00..=0xD7AF | 0x3130..=0x318F)
}

/// A Han character Japanese writes: one that Shift_JIS (JIS X 0208 with its usual
/// extensions, every jōyō and jinmeiyō kanji) can encode. Simplified Chinese forms
/// such as 铬, 钢 or 锈 cannot, so they are not Japanese.
pub fn is_japanese_kanji(c: char) -> bool {
    if !is_han(c) {
        return false;
    }
    let mut buf = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    !unmappable
}

/// The one jieba segmenter (its dictionary is embedded; loaded on first use).
pub fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: std::sync::OnceLock<jieba_rs::Jieba> = std::sync::OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

/// The words of a Chinese text as byte ranges, by jieba's precise mode (with
/// its model for words not in the dictionary): 无线 is one word, so its 线
/// (a cable) is none; 大容量 gives 大容量, not 大 (large).
pub fn chinese_words(text: &str) -> Vec<std::ops::Range<usize>> {
    jieba()
        .cut(text, true)
        .into_iter()
        .map(|t| t.byte_start..t.byte_start + t.word.len())
        .collect()
}

/// A script name that is not a Unicode script.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown script {0:?} (a Unicode script name such as Latin, Cyrillic, Han, Hiragana)")]
pub struct UnknownScript(pub String);

/// The scripts one language writes, by their Unicode names (`Latin`, `Cyrillic`,
/// `Han`, `Hiragana` …), and the runs of letters of any other script in a text.
///
/// A letter belongs to an allowed script when its Script_Extensions name one
/// (so `ー`, shared by hiragana and katakana, is Japanese). Letters and marks of
/// the Common and Inherited scripts (µ, ª, combining accents, `ー` in any
/// language) are never foreign on their own, but they continue a foreign run
/// (`ケーブル` is one run, not two). Digits, punctuation and symbols are no letters.
#[derive(Debug, Clone)]
pub struct ScriptSet {
    names: Vec<String>,
    foreign: Regex,
}

impl ScriptSet {
    /// The set of the named scripts; an empty set allows no letters at all.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownScript> {
        let mut allowed = String::from(r"\p{sc=Common}\p{sc=Inherited}");
        let mut kept = Vec::new();
        for n in names {
            let n = n.as_ref().trim();
            // Only a bare name reaches the pattern: the data cannot inject syntax.
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                return Err(UnknownScript(n.to_string()));
            }
            let class = format!(r"\p{{scx={n}}}");
            if Regex::new(&class).is_err() {
                return Err(UnknownScript(n.to_string()));
            }
            allowed.push_str(&class);
            kept.push(n.to_string());
        }
        let foreign = format!(r"[\p{{L}}\p{{M}}--[{allowed}]]");
        let joiner = r"[\p{Lm}\p{M}&&[\p{sc=Common}\p{sc=Inherited}]]";
        let foreign = Regex::new(&format!("{foreign}(?:{foreign}|{joiner})*"))
            .map_err(|e| UnknownScript(format!("{}: {e}", kept.join(", "))))?;
        Ok(ScriptSet {
            names: kept,
            foreign,
        })
    }

    /// The script names, as given.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Runs of letters in `text` of scripts outside the set, in order.
    pub fn foreign_runs<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.foreign.find_iter(text).map(|m| m.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert!(is_han('钢') && is_han('鋼') && !is_han('カ'));
        assert!(is_kana('カ') && is_kana('ー') && is_kana('ｶ'));
        assert!(is_cjk('한') && !is_cjk('a'));
        for c in ['鋼', '銅', '電', '視', '保', '証', '国', '体', '的'] {
            assert!(is_japanese_kanji(c), "{c}");
        }
        for c in ['铬', '钢', '锈', '铝', '电', '视', '这', '们'] {
            assert!(!is_japanese_kanji(c), "{c}");
        }
    }

    #[test]
    fn letters_outside_a_script_set_are_found_as_runs() {
        let latin = ScriptSet::new(&["Latin"]).unwrap();
        assert_eq!(
            latin.foreign_runs("für die безопасen Anwendung"),
            ["безопас"]
        );
        assert_eq!(
            latin.foreign_runs("Kabel ケーブル, 钢 und 한국 à ١٢ ค่ะ"),
            ["ケーブル", "钢", "한국", "ค่ะ"]
        );
        // Accents, µ, digits (Arabic-Indic too), signs and symbols are no foreign letters.
        assert!(
            latin
                .foreign_runs("Crème brûlée, Tiếng Việt, 5 µm, ± 0,5 °C, 2×3, ①, ٣")
                .is_empty()
        );
        // Greek letters are letters of Greek: the caller decides about symbols (Ω).
        assert_eq!(latin.foreign_runs("10 kΩ"), ["Ω"]);
        let ja = ScriptSet::new(&["Han", "Hiragana", "Katakana", "Latin"]).unwrap();
        assert!(ja.foreign_runs("ケーブル、鋼、USBケーブル").is_empty());
        assert_eq!(ja.foreign_runs("ケーブル 한국"), ["한국"]);
        let ru = ScriptSet::new(&["Cyrillic", "Latin"]).unwrap();
        assert!(ru.foreign_runs("Кабель USB-C, 1 м").is_empty());
        assert_eq!(ru.foreign_runs("Кабель Ελληνικά"), ["Ελληνικά"]);
        assert_eq!(
            ScriptSet::new(&["Klingon"]).unwrap_err(),
            UnknownScript("Klingon".into())
        );
        assert!(ScriptSet::new(&["Latin}|.*"]).is_err());
        assert!(ScriptSet::new(&[""]).is_err());
    }
}
