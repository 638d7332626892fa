//! Third-party marks: the brands a Chinese listing names for compatibility or
//! parts ("适用丰田卡罗拉", "禧玛诺变速"), with their Latin names
//! (`terminology/marks.tsv`, compiled in). The pipeline protects a source's
//! marks like glossary terms ([`terms_in`]), and the checks flag a translation
//! naming a mark the source does not ([`added`]). Main type: [`Marks`].

use std::sync::LazyLock;

use super::LocalizeError;
use super::spans::Term;

const BUILTIN: &str = include_str!("../../terminology/marks.tsv");

/// One mark: its Chinese forms and its Latin name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The Chinese forms ("禧玛诺", "喜玛诺").
    pub zh: Vec<String>,
    /// The name in Latin letters ("Shimano").
    pub latin: String,
    /// A name that is also a word (美的 "beautiful": Midea), read only as a
    /// listing's brand field, never in its text.
    pub brand_field_only: bool,
}

/// The table of marks.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    marks: Vec<Mark>,
}

/// The built-in table.
pub fn builtin() -> &'static Marks {
    static MARKS: LazyLock<Marks> = LazyLock::new(|| {
        Marks::from_tsv(BUILTIN, "terminology/marks.tsv").unwrap_or_else(|e| {
            tracing::error!("built-in marks table: {e}");
            Marks::default()
        })
    });
    &MARKS
}

impl Marks {
    /// Parse a table: `#` comments, then `zh forms<TAB>Latin name` rows, and
    /// `zh forms<TAB>Latin name<TAB>brand` for a name read only as a
    /// listing's brand field.
    pub fn from_tsv(text: &str, file: &str) -> Result<Self, LocalizeError> {
        let mut marks = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |field: &str, message: &str| LocalizeError::Input {
                file: file.to_string(),
                line: i + 1,
                field: field.to_string(),
                message: message.to_string(),
            };
            let (zh, rest) = line
                .split_once('\t')
                .ok_or_else(|| bad("", "expected two tab-separated columns"))?;
            let (latin, brand_field_only) = match rest.split_once('\t') {
                None => (rest, false),
                Some((latin, "brand")) => (latin, true),
                Some(_) => return Err(bad("use", "the third column, where given, is `brand`")),
            };
            let zh: Vec<String> = zh
                .split('|')
                .map(str::trim)
                .filter(|z| !z.is_empty())
                .map(String::from)
                .collect();
            if zh.is_empty() || zh.iter().any(|z| !z.chars().all(crate::script::is_han)) {
                return Err(bad("zh", "Chinese forms must be Chinese characters"));
            }
            let latin = latin.trim();
            if latin.is_empty() || latin.contains('\t') {
                return Err(bad("latin", "expected one Latin name"));
            }
            marks.push(Mark {
                zh,
                latin: latin.to_string(),
                brand_field_only,
            });
        }
        Ok(Self { marks })
    }

    /// Every mark.
    #[cfg(test)]
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// The marks `text` names in Chinese, as terms to protect: each form
    /// written with the mark's Latin name.
    pub fn terms_in(&self, text: &str) -> Vec<Term> {
        self.marks
            .iter()
            .filter(|m| !m.brand_field_only)
            .flat_map(|m| {
                m.zh.iter()
                    .filter(|z| text.contains(z.as_str()))
                    .map(|z| Term {
                        source: z.clone(),
                        target: Some(m.latin.clone()),
                    })
            })
            .collect()
    }

    /// The Latin names of the marks `output` names (as a whole word, in the
    /// table's case) that `source` names in neither form. Not a name that is
    /// also a word of a language silkroute writes, capitalised at the start of
    /// a sentence ([`ALSO_WORDS`]: "Canon à mousse" is a foam cannon).
    pub fn added(&self, source: &str, output: &str) -> Vec<String> {
        let source_lower = source.to_lowercase();
        self.marks
            .iter()
            .filter(|m| !m.brand_field_only && !ALSO_WORDS.contains(&m.latin.as_str()))
            .filter(|m| has_word(output, &m.latin))
            .filter(|m| {
                !source_lower.contains(&m.latin.to_lowercase())
                    && !m.zh.iter().any(|z| source.contains(z.as_str()))
            })
            .map(|m| m.latin.clone())
            .collect()
    }
}

/// Marks whose Latin name is also a word (French *canon*, English *ford*,
/// Latin *acer*, English *thermos* and *pampers*, Portuguese *supor* and
/// *anta*, the city of Mérida, the sport): protected where the source names
/// them, never flagged as added.
const ALSO_WORDS: [&str; 9] = [
    "Canon",
    "Ford",
    "Acer",
    "Thermos",
    "Pampers",
    "Supor",
    "Anta",
    "Merida",
    "Decathlon",
];

/// Whether `text` holds `word` with no letter or digit against either end.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, w)| {
        !text[..i].ends_with(char::is_alphanumeric)
            && !text[i + w.len()..].starts_with(char::is_alphanumeric)
    })
}

/// The Latin names of the marks of the built-in table that `output` names and
/// `source` does not.
pub fn added(source: &str, output: &str) -> Vec<String> {
    builtin().added(source, output)
}

/// The Latin name of the built-in table's mark one of whose Chinese forms is
/// `name` exactly ("戴森": "Dyson"), for a listing's brand field: the names
/// that are also words too ("美的": "Midea").
pub fn latin_of(name: &str) -> Option<&'static str> {
    builtin()
        .marks
        .iter()
        .find(|m| m.zh.iter().any(|z| z == name))
        .map(|m| m.latin.as_str())
}

/// The built-in table's marks that a Chinese `text` names, as terms.
pub fn terms_in(text: &str) -> Vec<Term> {
    builtin().terms_in(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_parses_and_names_each_mark_once() {
        let m = Marks::from_tsv(BUILTIN, "marks.tsv").unwrap();
        assert!(m.marks().len() >= 50, "{}", m.marks().len());
        let mut names: Vec<&str> = m.marks().iter().map(|m| m.latin.as_str()).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a Latin name twice");
        let mut forms: Vec<&str> = m
            .marks()
            .iter()
            .flat_map(|m| m.zh.iter().map(String::as_str))
            .collect();
        forms.sort_unstable();
        let n = forms.len();
        forms.dedup();
        assert_eq!(forms.len(), n, "a Chinese form twice");
    }

    #[test]
    fn a_bad_row_names_its_line_and_field() {
        let e = Marks::from_tsv("# c\n丰田\tToyota\nToyota\tToyota\n", "m.tsv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.tsv: line 3, field `zh`: Chinese forms must be Chinese characters"
        );
        assert!(Marks::from_tsv("丰田 Toyota\n", "m.tsv").is_err());
        let e = Marks::from_tsv("美的\tMidea\tword\n", "m.tsv").unwrap_err();
        assert!(e.to_string().contains("field `use`"), "{e}");
        let m = Marks::from_tsv("美的\tMidea\tbrand\n", "m.tsv").unwrap();
        assert!(m.marks()[0].brand_field_only);
    }

    #[test]
    fn a_chinese_mark_is_a_term_written_in_latin_letters() {
        let t = terms_in("适用于大众朗逸、丰田卡罗拉，禧玛诺变速");
        let pairs: Vec<(&str, Option<&str>)> = t
            .iter()
            .map(|t| (t.source.as_str(), t.target.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [("丰田", Some("Toyota")), ("禧玛诺", Some("Shimano"))]
        );
        assert!(terms_in("红富士苹果 5斤").is_empty());
    }

    #[test]
    fn a_mark_the_source_does_not_name_is_added() {
        // 丰田 (Toyota) came back "Audi".
        let src = "适用于大众朗逸、丰田卡罗拉等车型。";
        assert_eq!(added(src, "Für Volkswagen und Audi."), ["Audi"]);
        assert!(added(src, "Für Volkswagen Lavida und Toyota Corolla.").is_empty());
        // Named in Latin letters in the source, in any case; a longer word is
        // no mark ("Fordern", "Nikes").
        assert!(added("Fits TOYOTA Camry", "Passend für Toyota Camry").is_empty());
        assert!(added("坐垫", "Wir fordern Fordern").is_empty());
        // A name that is also a word is not read as an added brand.
        assert!(added("泡沫壶", "Canon à mousse pour lavage auto").is_empty());
        assert!(added("保温杯 500 ml", "Thermos 500 ml en acier").is_empty());
    }

    #[test]
    fn a_chinese_sellers_own_brand_has_its_latin_name() {
        // Brands written only in Chinese at home and in Latin letters abroad.
        assert_eq!(latin_of("德龙"), Some("De'Longhi"));
        assert_eq!(latin_of("凯驰"), Some("Kärcher"));
        assert_eq!(latin_of("绿联"), Some("UGREEN"));
        // Not a word the name begins or ends.
        assert!(terms_in("加倍思考，独特步伐").is_empty());
        // A name that is also a word is a brand only as the brand field: a
        // rice cooker's brand 美的 stayed in Chinese in a Malay title.
        assert_eq!(latin_of("美的"), Some("Midea"));
        assert_eq!(latin_of("小米"), Some("Xiaomi"));
        assert!(terms_in("美的生活，小米粥").is_empty());
        assert!(added("美的", "Periuk nasi Midea").is_empty());
    }
}
