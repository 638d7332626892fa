//! Protected spans: brand names, model and part numbers, SKUs, URLs, e-mail
//! addresses, HTML tags, prices, numbers with their units and do-not-translate
//! terms are replaced by numbered placeholders (`{1}`, `{2}` …) before the model
//! sees a segment, and put back afterwards. Each placeholder must come back exactly
//! once. Quantities are converted to the market's measurement system and prices
//! to its currency on the way back, so the model never writes a number itself.

use std::sync::LazyLock;

use regex::Regex;

use super::price::PriceConverter;
use super::units::{self, Unit};
use crate::market::{MeasurementSystem, NumberFormat};
use crate::script;

/// What a protected span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// An HTML tag.
    Html,
    /// A URL or e-mail address.
    Url,
    /// The listing's brand.
    Brand,
    /// A seller do-not-translate term or an enforced glossary translation.
    Term,
    /// A price such as `$19.99`.
    Price,
    /// A model, part or SKU number such as `WH-1000XM5`.
    ModelNumber,
    /// A number, with its unit, range or multiplier when it has one.
    Quantity,
}

/// One protected span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Kind.
    pub kind: SpanKind,
    /// The text as it was in the source.
    pub original: String,
    /// The text that replaces the placeholder in the output (converted units,
    /// converted price, glossary target, or the original).
    pub restore: String,
    /// For a quantity: what was decided about its unit, when anything was.
    pub note: Option<QuantityNote>,
    /// What replaces the placeholder in the middle of a sentence (after a
    /// word in lower case), where that differs from `restore`: a size label
    /// silkroute writes itself is "Size 42" in a title or at the start of a
    /// bullet, "size 42" after "suitable for" (not in German, whose nouns
    /// keep their capital).
    pub inline: Option<String>,
}

/// What silkroute decided about a quantity's unit (recorded per field, shown to
/// the seller, and the explanation of every number it wrote itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityNote {
    /// Converted to the market's measurement system.
    Converted,
    /// A standard size of this family (`tool`, `screen` …): kept in its unit.
    StandardSize(String),
}

/// A segment with its spans replaced by placeholders `{1}` … `{n}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    /// Text with placeholders.
    pub text: String,
    /// Spans, placeholder `{i}` is `spans[i - 1]`.
    pub spans: Vec<Span>,
}

impl Protected {
    /// The placeholder for span index `i` (0-based).
    pub fn placeholder(i: usize) -> String {
        format!("{{{}}}", i + 1)
    }

    /// True when nothing but placeholders, spaces and punctuation is left to translate.
    pub fn is_trivial(&self) -> bool {
        PLACEHOLDER
            .replace_all(&self.text, "")
            .chars()
            .all(|c| !c.is_alphabetic())
    }

    /// The source with spans restored (no translation): what a span-only segment becomes.
    pub fn restored_source(&self) -> String {
        restore(&self.text, self).text
    }
}

/// A seller term: do-not-translate (`target = None`) or translate as `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Source term, matched case-insensitively at word boundaries.
    pub source: String,
    /// Enforced translation, or `None` to keep it as is.
    pub target: Option<String>,
}

/// What to protect and how to rewrite spans for the target market.
#[derive(Debug, Clone, Default)]
pub struct ProtectRules<'a> {
    /// The brand (kept exactly).
    pub brand: Option<&'a str>,
    /// Words longer than the brand that begin with it (弹力带, a resistance
    /// band, of brand 弹力): where the text has one, the brand is that
    /// word's first characters, not the brand.
    pub brand_words: &'a [String],
    /// Seller terms (do-not-translate and enforced glossary translations).
    pub terms: &'a [Term],
    /// Convert quantities to this system (`None`: keep units).
    pub measurement: Option<MeasurementSystem>,
    /// Keep the original quantity in brackets after a converted one.
    pub keep_original_units: bool,
    /// The target number format (decimal separator of converted quantities).
    pub number_format: Option<&'a NumberFormat>,
    /// Convert prices with these rates into the market's currency.
    pub prices: Option<&'a PriceConverter<'a>>,
    /// The target language: spelled-out units ("24 hours", "4 pieces") come
    /// back in it ("24 Stunden", "4 Stück"); symbols such as `h` stay.
    pub language: Option<&'a str>,
    /// The source language (which context words decide standard sizes).
    pub source_language: Option<&'a str>,
    /// The listing's title in the source: context for standard sizes when the
    /// words around a quantity do not decide.
    pub title: Option<&'a str>,
}

/// A placeholder that did not come back as it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanIssue {
    /// Placeholder `{i}` is missing (and its text is not there either).
    Missing(usize),
    /// Placeholder `{i}` came back `n` times.
    Duplicated(usize, usize),
    /// The output has a placeholder `{i}` that the source did not.
    Unknown(usize),
}

impl std::fmt::Display for SpanIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpanIssue::Missing(i) => write!(f, "placeholder {{{i}}} is missing"),
            SpanIssue::Duplicated(i, n) => write!(f, "placeholder {{{i}}} appears {n} times"),
            SpanIssue::Unknown(i) => write!(f, "unknown placeholder {{{i}}}"),
        }
    }
}

/// Output with placeholders put back, and what went wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The text; a missing span is simply absent, an unknown placeholder removed.
    pub text: String,
    /// Problems; empty when every placeholder came back exactly once.
    pub issues: Vec<SpanIssue>,
}

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\s*(\d{1,3})\s*\}").expect("static regex"));
static HTML: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[^<>]{1,500}>").expect("static regex"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"]+[^\s<>".,;:!?)]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"#)
        .expect("static regex")
});
static PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:US\$|C\$|A\$|[$€£¥￥]|\b(?:USD|EUR|GBP|JPY|CNY|RMB)\s?|人民币\s?)\s?\d+(?:[.,]\d+)*(?:\s?元)?|\d+(?:[.,]\d+)*\s?(?:€|\$|£|元|\b(?:USD|EUR|GBP|JPY|CNY|RMB)\b)")
        .expect("static regex")
});
const NUM: &str = r"(?:\d+[ \-]\d+/\d+|\d+/\d+|\d+(?:[.,]\d+)*)";
/// A minus sign written before a number ("-20 °C", "−40 to 85 °C"): read as one
/// where the number starts a quantity or follows a space or a range word, not
/// where it joins two numbers or a word and a number ("0-150", "X-20").
const SIGN: &str = "[-−]";
/// Between the ends of a range: a dash, "to" and its like, a tilde.
const RANGE: &str = r"\s*(?:-|–|—|\b(?:to|bis|à|a)\b|[~〜～至到])\s*";
/// A number, with its range, dimensions (`x`), a count written `21+1` (one
/// span, so that the model cannot read it as two numbers: "25+1档" came back
/// "between 25 and 1 settings") and unit.
/// A length in feet and inches ("6 ft 2 in", "5' 10\"") or a weight in pounds
/// and ounces ("3 lb 4 oz"): one quantity in two units.
static TWO_UNITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(?P<a>\d+(?:\.\d+)?)\s*(?:(?P<ft>ft\b\.?|feet\b|foot\b|['’′])|(?P<lb>lbs?\b\.?|pounds?\b))\s*(?P<b>\d+(?:\.\d+)?)\s*(?:(?P<in>in\b\.?|inch(?:es)?\b|["”″])|(?P<oz>oz\b\.?|ounces?\b))"#,
    )
    .expect("static regex")
});

static QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    let unit = units::table().pattern();
    Regex::new(&format!(
        r"(?:\b[x×]\d+\b|{SIGN}?{NUM}(?:(?:{RANGE}|\s*[x×]\s*|\+){SIGN}?{NUM})*(?:[ \u{{a0}}\-]?({unit}))?)"
    ))
    .expect("static regex")
});
static QUANTITY_FULL: LazyLock<Regex> = LazyLock::new(|| {
    let unit = units::table().pattern();
    // Dimensions too ("70x140cm"), and ranges ("90-140cm", glued to Chinese
    // in "身高90-140cm" and kept as a model number before: "90-140cm cm"): a
    // quantity, not a model number.
    Regex::new(&format!(
        r"^{NUM}(?:(?:{RANGE}|\s*[x×*]\s*){NUM})*\s?{unit}$"
    ))
    .expect("static regex")
});
static GAUGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"#\d+\b").expect("static regex"));
static GAUGE_DIM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+\s*[x×]\s*").expect("static regex"));
/// A word between the two numbers of a range ("140 to 245", "20至40").
static RANGE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<a>\d)\s*(?:\b(?:to|bis|à|a)\b|[至到])\s*(?P<b>[-−]?\d)").expect("static regex")
});
static NUMBER_PART: LazyLock<Regex> = LazyLock::new(|| Regex::new(NUM).expect("static regex"));
/// A number joined to words ("12-Piece", "2-Pack", "27-inch", "5-Year"): no model
/// number. A unit among the words is a quantity's (converted, or kept as a
/// standard size); other words are the model's to translate.
static NUMBER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d+(?:[.,]\d+)?(?:-[A-Za-z][a-z]{2,})+$").expect("static regex")
});
/// "3-in-1", "3 in 1", "3合1", "3合一": one product that does the work of
/// several, a name rather than two numbers ("2合1" came back "2 + 1").
static N_IN_ONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d{1,2})(?:\s*合\s*(?:1|一)|[- ]in[- ](?:1|one))").expect("static regex")
});
/// A range of letter sizes ("S-XXL", "M/L", "XS-3XL"): kept as written, like a
/// model number ("S-XXL" came back "S-XL").
static SIZE_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[2-9]?X{0,4}[SL]|M)(?:[-/~](?:[2-9]?X{0,4}[SL]|M))+$").expect("static regex")
});

/// A camera sensor's optical format ("1/1.3英寸CMOS", "1/2.3\" sensor",
/// "1/2.8-inch CMOS"): the name of a sensor class, not a length. Read as a
/// length, a drone's "1/1.3英寸CMOS" came back in Italian "1/1.76,2 mm CMOS"
/// (the "1/1" kept, ".3英寸" converted as three inches). Taken where the
/// denominator has a decimal part (no length is written so) or a sensor is
/// named near it; the `f` group is the format.
static OPTICAL_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[^\d./])(?P<f>1/(?P<d>\d{1,2}(?:\.\d{1,2})?)\s?-?(?:英寸|英吋|インチ|inch(?:es)?\b|in\b|["”″]|zoll\b|pouces?\b|pulgadas?\b|pollic[ei]\b|polegadas?\b|дюйм\p{L}*))"#,
    )
    .expect("static regex")
});
/// Words naming an image sensor, near an optical format without a decimal
/// part ("1/3英寸 CMOS").
const SENSOR_WORDS: [&str; 10] = [
    "cmos",
    "ccd",
    "sensor",
    "capteur",
    "sensore",
    "传感器",
    "感光",
    "センサー",
    "матриц",
    "센서",
];
/// A letter size or a range of them with 码 after it ("M/L码", "XL码",
/// "S-XXL码"): left to the model, 码 (also a yard) came back "Size M/L Cm".
static LETTER_SIZE_MA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<s>(?:[2-9]?X{0,4}[SL]|M)(?:\s*[-/~～]\s*(?:[2-9]?X{0,4}[SL]|M))*)\s*码")
        .expect("static regex")
});

/// A number with a Chinese or Japanese multiplier: 万 (ten thousand) or 亿
/// (a hundred million), a range of them ("1-2万"), and "+" for "or more"
/// ("10万+"). Left to the model, "1600万种颜色" (16 million colours) came back
/// "1600 milionów kolorów" (1.6 billion), and the number check passed it: 1600
/// is a digit run of the source.
static MYRIAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<a>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?:-|–|~|〜|～|至|到)\s*(?P<b>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?))?\s?(?P<m>[万萬亿億])(?P<plus>\+)?",
    )
    .expect("static regex")
});

/// A number written with a Chinese or Japanese multiplier ([`MYRIAD`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Myriad {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    /// The value, or the two ends of a range, multiplied out.
    pub values: Vec<f64>,
    /// The numbers as written, before the multiplier.
    pub written: Vec<String>,
    /// 1e4 or 1e8.
    pub multiplier: f64,
    /// "or more" (`+` after the multiplier).
    pub plus: bool,
}

/// Every number with a multiplier in `text`. Not a part of a longer number or
/// a code ("A1万"), nor a word that starts with 万 after a number (万向轮
/// swivel wheels, 万能 universal, 万用 multi-purpose); the value must be whole.
pub(crate) fn myriads(text: &str) -> Vec<Myriad> {
    let mut out = Vec::new();
    for c in MYRIAD.captures_iter(text) {
        let (Some(m), Some(a), Some(mult)) = (c.get(0), c.name("a"), c.name("m")) else {
            continue;
        };
        if text[..m.start()].ends_with(|ch: char| ch.is_ascii_alphanumeric() || ".,/-".contains(ch))
        {
            continue;
        }
        let rest = &text[mult.end()..];
        if ["向", "能", "用", "一"].iter().any(|w| rest.starts_with(w)) {
            continue;
        }
        let multiplier = if matches!(mult.as_str(), "万" | "萬") {
            1e4
        } else {
            1e8
        };
        let mut values = Vec::new();
        let mut written = Vec::new();
        for n in [Some(a), c.name("b")].into_iter().flatten() {
            let Ok(v) = n.as_str().replace(',', "").parse::<f64>() else {
                break;
            };
            let v = v * multiplier;
            if (v - v.round()).abs() > 1e-6 || v >= 1e15 {
                break;
            }
            values.push(v.round());
            written.push(n.as_str().to_string());
        }
        if values.len() != written.len() || values.len() != 1 + usize::from(c.name("b").is_some()) {
            continue;
        }
        out.push(Myriad {
            start: m.start(),
            end: m.end(),
            values,
            written,
            multiplier,
            plus: c.name("plus").is_some(),
        });
    }
    out
}

/// A whole number in digits grouped by thousands the English way
/// (`16,000,000`), for [`localise_number`].
fn grouped(v: f64) -> String {
    let digits = format!("{v:.0}");
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// How a market writes a number with a multiplier ([`Myriad`]): Korean with
/// its own 만 and 억 ("1600만"); every other language in digits, grouped as
/// the market groups them ("16.000.000", "10,000–20,000+"). The multiplied
/// number is the fact; the model never sees it, so it cannot scale it again.
fn myriad_restore(m: &Myriad, lang: &str, nf: Option<&NumberFormat>) -> String {
    let plus = if m.plus { "+" } else { "" };
    if lang == "ko" {
        let word = if m.multiplier == 1e4 { "만" } else { "억" };
        return format!("{}{word}{plus}", m.written.join("–"));
    }
    let body: Vec<String> = m
        .values
        .iter()
        .map(|v| {
            let g = grouped(*v);
            nf.map_or(g.clone(), |nf| localise_number(&g, nf))
        })
        .collect();
    format!("{}{plus}", body.join("–"))
}

/// The value a multiplier word at the start of `rest` (spaces before it
/// allowed) gives a number written before it: 万 and 亿 (Chinese, Japanese),
/// 만 and 억 (Korean), "million" in the languages of the markets ("16
/// Millionen", "16 млн"). With the byte length read. For the eval's facts: a
/// reference's "16 million" is the output's "16.000.000".
pub(crate) fn multiplier_at(rest: &str) -> Option<(f64, usize)> {
    const WORDS: [(&str, f64); 30] = [
        ("万", 1e4),
        ("萬", 1e4),
        ("亿", 1e8),
        ("億", 1e8),
        ("만", 1e4),
        ("억", 1e8),
        ("millions", 1e6),
        ("million", 1e6),
        ("millones", 1e6),
        ("millón", 1e6),
        ("millionen", 1e6),
        ("mio.", 1e6),
        ("milioni", 1e6),
        ("milione", 1e6),
        ("milhões", 1e6),
        ("milhão", 1e6),
        ("miljoen", 1e6),
        ("milionów", 1e6),
        ("miliony", 1e6),
        ("milion", 1e6),
        ("mln", 1e6),
        ("млн", 1e6),
        ("миллионов", 1e6),
        ("миллиона", 1e6),
        ("миллион", 1e6),
        ("milyon", 1e6),
        ("مليون", 1e6),
        ("ล้าน", 1e6),
        ("triệu", 1e6),
        ("juta", 1e6),
    ];
    let t = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let lead = rest.len() - t.len();
    let lower = t.chars().take(12).collect::<String>().to_lowercase();
    WORDS.iter().find_map(|(w, v)| {
        if !lower.starts_with(w) {
            return None;
        }
        // A whole word in the spaced scripts ("millionaire" is none).
        let after = lower[w.len()..].chars().next();
        let cjk = w.chars().all(|c| script::is_cjk(c) || script::is_hangul(c));
        if !cjk && after.is_some_and(char::is_alphabetic) {
            return None;
        }
        // The length in `t` (lower-casing keeps these words' byte lengths).
        Some((*v, lead + w.len()))
    })
}

/// How a market writes "N-in-1" ([`N_IN_ONE`]).
fn n_in_one(n: &str, lang: Option<&str>) -> String {
    match lang {
        Some("zh") => format!("{n}合1"),
        Some("ja" | "ko") => format!("{n}in1"),
        Some("fr" | "es") => format!("{n} en 1"),
        Some("it") => format!("{n} in 1"),
        Some("pt") => format!("{n} em 1"),
        _ => format!("{n}-in-1"),
    }
}

/// A size on the Chinese chart written with 码 ("42码", "39-44码", "尺码110-160",
/// "鞋码：39到44"): the source cleaner keeps it as written and flags it
/// ([`super::source_clean::CN_SIZE`]); here it becomes one span that the
/// market's language labels as a size with its numbers unchanged ("Size 42",
/// "Größen 39-44"), where the model wrote "42 Code" or "42 yards" (码 is also
/// a yard). The same numbers as the cleaner's rule (two or three digits).
static CN_SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?P<label>尺码|鞋码|码数)\s*[:：]?\s*)?(?P<a>\d{2,3})(?:\s*[-~～到至]\s*(?P<b>\d{2,3}))?(?P<suffix>\s*码(?:数)?)?",
    )
    .expect("static regex")
});

/// How a market's language labels a Chinese-chart size ([`CN_SIZE`]): `None`
/// for a language without a label here (the span is then not taken).
fn cn_size(numbers: &str, range: bool, lang: &str) -> Option<String> {
    let (one, many) = match lang {
        "en" | "vi" => ("Size", "Sizes"),
        "de" => ("Größe", "Größen"),
        "fr" => ("Taille", "Tailles"),
        "es" => ("Talla", "Tallas"),
        "it" => ("Taglia", "Taglie"),
        "pt" => ("Tamanho", "Tamanhos"),
        "nl" => ("Maat", "Maten"),
        "pl" => ("Rozmiar", "Rozmiary"),
        "ru" => ("Размер", "Размеры"),
        "tr" => ("Beden", "Beden"),
        "id" => ("Ukuran", "Ukuran"),
        "ms" => ("Saiz", "Saiz"),
        "ar" => ("مقاس", "مقاسات"),
        "th" => ("ไซส์", "ไซส์"),
        "ko" => ("사이즈", "사이즈"),
        "ja" => return Some(format!("サイズ{numbers}")),
        _ => return None,
    };
    Some(format!("{} {numbers}", if range { many } else { one }))
}

/// A size labelled in the market's language ([`cn_size`]): one name, whose
/// label is written in lower case mid-sentence, except where every noun keeps
/// its capital (German).
fn size_span(original: &str, restore: String, lang: &str) -> Span {
    let inline = (lang != "de")
        .then(|| lower_first(&restore))
        .filter(|l| *l != restore);
    Span {
        kind: SpanKind::ModelNumber,
        original: original.to_string(),
        restore,
        note: None,
        inline,
    }
}

/// `s` with its first letter in lower case.
fn lower_first(s: &str) -> String {
    let mut cs = s.chars();
    cs.next()
        .map(|c| c.to_lowercase().chain(cs).collect())
        .unwrap_or_default()
}

/// A standard's name (two capitals or more) and its version ("USB 3.0",
/// "HDMI 2.1", "DP 1.4", "PCIe 4.0"), and a resolution at its frame rate
/// ("4K@60Hz", "2560×1440@165Hz"): each one name ([`versioned_names`]).
static VERSIONED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*[ _]?\d{1,2}\.\d{1,2}|(?:\d{3,4}\s?[×xX*]\s?)?\d+(?:\.\d+)?[KkPp]?\s?@\s?\d+(?:\.\d+)?\s?(?:[Hh][Zz]|fps|FPS)?",
    )
    .expect("static regex")
});

/// Where [`VERSIONED`] names stand in `text`: not inside a longer word or
/// number, and a version not followed by a unit ("DC 5.5 mm" is a size).
/// Taken apart, the name was a term and the version a number, and the model
/// parted them: "2个USB 3.0接口" came back in Dutch "2 USB-interface met 3.0
/// interfaces", "1×DP 1.4" in English "1×DP, 1.4", "4K@60Hz" "@ 4K 60Hz".
fn versioned_names(text: &str) -> Vec<(usize, usize)> {
    let joined = |c: char| c.is_ascii_alphanumeric() || c == '.';
    VERSIONED
        .find_iter(text)
        .filter(|m| {
            let rest = &text[m.end()..];
            !text[..m.start()].ends_with(joined)
                && !rest.starts_with(joined)
                && (!m.as_str().contains('@') || !rest.starts_with(['@', '×']))
                && (m.as_str().contains('@') || unit_name_at(rest, Names::Any).is_none())
        })
        .map(|m| (m.start(), m.end()))
        .collect()
}

static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)*").expect("static regex"));

/// The quantities of a token parted by slashes ("800W/1200W/2000W"), each as
/// [`rewrite_quantity`] writes it with nothing converted, joined by the
/// slashes again ("5V/2A" → "5 В/2 А"); `None` unless every part is one
/// quantity with a metric or international unit of the table, not a count,
/// that no conversion of the market would change, nor a standard size.
fn slash_quantities(token: &str, rules: &ProtectRules<'_>) -> Option<String> {
    let parts: Vec<&str> = token.split('/').collect();
    if parts.len() < 2 {
        return None;
    }
    let kept = ProtectRules {
        measurement: None,
        ..rules.clone()
    };
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        if !QUANTITY_FULL.is_match(part) {
            return None;
        }
        let c = QUANTITY
            .captures(part)
            .filter(|c| c.get(0).is_some_and(|m| m.as_str() == part))?;
        let unit = c.get(1)?.as_str();
        let found = units::table().lookup(unit)?;
        if is_count(found.unit)
            || found.unit.system != units::UnitSystem::International
                && found.unit.system != units::UnitSystem::Metric
        {
            return None;
        }
        // What a conversion would do to it: kept only where nothing changes.
        if let Some(target) = rules.measurement
            && !found.unit.ladder(target).is_empty()
        {
            return None;
        }
        let (restore, note) = rewrite_quantity(part, Some(unit), "", &kept);
        if note.is_some() {
            return None;
        }
        out.push(restore);
    }
    Some(out.join("/"))
}

/// A bare number: up to four digits and a decimal.
static BARE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d{1,4}(?:\.\d{1,3})?").expect("static regex"));

/// Bare numbers listed with commas or 、 at the end of a text, before the
/// last item of the list (its separator included): "5、10、15、20、" of
/// "5、10、15、20、40磅", "5, 10, 15 and " of "5, 10, 15 and 20 lb". A comma
/// without a space is no separator ("1,000" is grouped).
static BARE_LIST_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{1,4}(?:\.\d{1,3})?(?:\s*[、，]\s*\d{1,4}(?:\.\d{1,3})?|,\s+\d{1,4}(?:\.\d{1,3})?)*)(?:\s*[、，和及或]\s*|,\s+|,?\s+(?:and|or)\s+)$")
        .expect("static regex")
});

/// Bare numbers parted by slashes before one unit ("1/3/6小时", "800/1200/2000W",
/// "4/6/8寸"): the options of one quantity. Read apart, "1/3" was a fraction
/// and only the last number had the unit: "1/3/6小时定时" came back in Russian
/// "с 1/3 до 6 ч" (from a third to six hours), and "4/6/8寸" would convert its 8
/// alone. The list is one span: each number with the unit, as a lone quantity
/// is written ([`slash_quantities`], nothing converted), or where the market
/// converts that unit each converted alike ("10,2 см/15,2 см/20,3 см"). Three
/// numbers or more (two are a fraction: "1/2小时"), each at most four digits
/// and a decimal; a count (个, pcs) is left alone. The token is `text[start..end]`;
/// returns the span's end and what it restores to.
fn slash_list(
    text: &str,
    start: usize,
    end: usize,
    rules: &ProtectRules<'_>,
) -> Option<(usize, String, Option<QuantityNote>)> {
    static BARE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,4}(?:\.\d{1,3})?$").expect("static regex"));
    let token = &text[start..end];
    let parts: Vec<&str> = token.split('/').collect();
    if parts.len() < 3 || !parts[..parts.len() - 1].iter().all(|p| BARE.is_match(p)) {
        return None;
    }
    let last_start = end - parts[parts.len() - 1].len();
    let m = QUANTITY.captures(&text[last_start..])?;
    let whole = m.get(0).filter(|w| w.start() == 0)?;
    let unit = m.get(1)?;
    let number = text[last_start..last_start + unit.start()].trim_end_matches([' ', '\u{a0}', '-']);
    if !BARE.is_match(number) {
        return None;
    }
    let found = units::table().lookup(unit.as_str())?;
    if is_count(found.unit) {
        return None;
    }
    let stop = last_start + whole.end();
    let numbers: Vec<&str> = parts[..parts.len() - 1]
        .iter()
        .copied()
        .chain(std::iter::once(number))
        .collect();
    let with_unit: Vec<String> = numbers
        .iter()
        .map(|n| format!("{n}{}", unit.as_str()))
        .collect();
    if let Some(restore) = slash_quantities(&with_unit.join("/"), rules) {
        return Some((stop, restore, None));
    }
    let near = format!(
        "{} {}",
        tail_chars(&text[..start], CONTEXT_BEFORE),
        head_chars(&text[stop..], CONTEXT_AFTER)
    );
    let mut note = None;
    let mut out = Vec::with_capacity(with_unit.len());
    for q in &with_unit {
        let (restore, n) = rewrite_quantity(q, Some(unit.as_str()), &near, rules);
        note = note.or(n);
        out.push(restore);
    }
    Some((stop, out.join("/"), note))
}

/// A stainless steel's grade with the "L" of low carbon ("316L", "304L"),
/// which reads like litres: "316L不锈钢表带" came back "316 L stainless steel
/// strap". A grade is three digits and an "L" next to a word of steel, before
/// or after it; a fridge's "316L" (litres) stays a quantity.
fn steel_grade(token: &str, before: &str, after: &str) -> bool {
    const STEEL: [&str; 17] = [
        "不锈钢",
        "钢",
        "不銹鋼",
        "鋼",
        "ステンレス",
        "스테인리스",
        "stainless",
        "steel",
        "ss",
        "edelstahl",
        "stahl",
        "inox",
        "acier",
        "acero",
        "aço",
        "acciaio",
        "rvs",
    ];
    let grade = token.len() == 4
        && token.ends_with(['L', 'l'])
        && token[..3].bytes().all(|b| b.is_ascii_digit());
    if !grade {
        return false;
    }
    // A few characters on each side: the rest of a long description is not
    // lower-cased for every token.
    let after = after.trim_start_matches([' ', '-', '\u{a0}']);
    let after =
        after[..after.char_indices().nth(12).map_or(after.len(), |(i, _)| i)].to_lowercase();
    let before = before.trim_end_matches([' ', ':', '：', '\u{a0}']);
    let before = before[before.char_indices().rev().nth(11).map_or(0, |(i, _)| i)..].to_lowercase();
    // A Latin word before the grade is whole ("glass 316L" is no "ss").
    STEEL.iter().any(|w| {
        after.starts_with(w)
            || before
                .strip_suffix(w)
                .is_some_and(|rest| !w.is_ascii() || !rest.ends_with(char::is_alphabetic))
    })
}

/// A temperature below zero written with a word (零下20°C, 负20℃, 氷点下5℃,
/// マイナス10℃, 영하 20℃: "below zero", "minus"), as the same quantity with
/// its sign ("-20°C").
static SIGN_WORD_TEMPERATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:零下|负|負|氷点下|マイナス|영하)\s*(\d+(?:\.\d+)?\s*(?:°C|℃|°F|℉|°|度|도))")
        .expect("static regex")
});

/// `text` with each temperature below zero that a word marks written with its
/// sign ([`SIGN_WORD_TEMPERATURE`]): the sign is part of the quantity's
/// placeholder, and a conversion converts the negative number. Left as a word
/// before the quantity, a jump starter's "零下20°C也能启动" (starts at -20 °C)
/// came back in Polish "w zimnej temperaturze przez 20 °C" (in the cold, for
/// 20 °C), and for a US market silkroute converted 20 °C to 68 °F, leaving
/// "below zero" to the model.
pub fn signed_temperatures(text: &str) -> std::borrow::Cow<'_, str> {
    SIGN_WORD_TEMPERATURE.replace_all(text, "-$1")
}

/// Replace spans in `text` by placeholders.
pub fn protect(text: &str, rules: &ProtectRules<'_>) -> Protected {
    let text = &*signed_temperatures(text);
    // Candidates in priority order; a later candidate overlapping an accepted one is dropped.
    let mut taken: Vec<(usize, usize, Span)> = Vec::new();
    let accept = |start: usize, end: usize, span: Span, taken: &mut Vec<(usize, usize, Span)>| {
        if start < end && !taken.iter().any(|(s, e, _)| start < *e && *s < end) {
            taken.push((start, end, span));
        }
    };
    let keep = |kind, s: &str| Span {
        kind,
        original: s.to_string(),
        restore: s.to_string(),
        note: None,
        inline: None,
    };
    for m in HTML.find_iter(text) {
        accept(
            m.start(),
            m.end(),
            keep(SpanKind::Html, m.as_str()),
            &mut taken,
        );
    }
    for m in URL.find_iter(text) {
        accept(
            m.start(),
            m.end(),
            keep(SpanKind::Url, m.as_str()),
            &mut taken,
        );
    }
    for m in PLACEHOLDER.find_iter(text) {
        accept(
            m.start(),
            m.end(),
            keep(SpanKind::Term, m.as_str()),
            &mut taken,
        );
    }
    if let Some(b) = rules.brand.filter(|b| !b.trim().is_empty()) {
        // A Chinese brand that is a mark of the table ("戴森") is written with
        // its Latin name ("Dyson") abroad, as the mark is anywhere else in the
        // text: kept in Chinese, a hair dryer's Polish title failed the mark's
        // own glossary check. Not where the listing writes the Latin name too
        // ("大疆 DJI Mini 4 Pro"): that would write it twice.
        let latin = rules
            .source_language
            .filter(|s| s.starts_with("zh"))
            .and(rules.language.filter(|l| !l.starts_with("zh")))
            .and_then(|_| super::marks::latin_of(b.trim()))
            .filter(|l| {
                let l = l.to_lowercase();
                !text.to_lowercase().contains(&l)
                    && !rules.title.is_some_and(|t| t.to_lowercase().contains(&l))
            });
        for (s, e) in find_term(text, b.trim(), false) {
            if inside_han_word(text, s, e)
                || rules
                    .brand_words
                    .iter()
                    .any(|w| text[s..].starts_with(w.as_str()))
            {
                continue;
            }
            let mut span = keep(SpanKind::Brand, &text[s..e]);
            if let Some(l) = latin {
                span.restore = l.to_string();
            }
            accept(s, e, span, &mut taken);
        }
    }
    for (s, e) in versioned_names(text) {
        accept(s, e, keep(SpanKind::ModelNumber, &text[s..e]), &mut taken);
    }
    let mut terms: Vec<&Term> = rules
        .terms
        .iter()
        .filter(|t| !t.source.trim().is_empty())
        .collect();
    terms.sort_by_key(|t| std::cmp::Reverse(t.source.len()));
    for t in terms {
        for (s, e) in find_term(text, t.source.trim(), true) {
            if inside_code(text, s, e) {
                continue;
            }
            let restore = t.target.clone().unwrap_or_else(|| text[s..e].to_string());
            let span = Span {
                kind: SpanKind::Term,
                original: text[s..e].to_string(),
                restore,
                note: None,
                inline: None,
            };
            accept(s, e, span, &mut taken);
        }
    }
    for m in PRICE.find_iter(text) {
        // An amount of money in the text ("一年电费不到5元", under 5 yuan of
        // electricity a year) is converted as the listing's price is. Left to
        // the model, "5元" came back in Polish as "5 zł": the number kept, the
        // currency changed. Without a rate, yuan are written with their
        // currency's code ("5 CNY": abroad, ¥ is the yen).
        let price = m.as_str();
        let coded = || {
            let (_, currency) = super::price::text_price(price, rules.source_language)?;
            let num = NUMBER_PART.find(price)?.as_str();
            let num = rules
                .number_format
                .map_or_else(|| num.to_string(), |nf| localise_number(num, nf));
            (currency == "CNY" && !matches!(rules.language, None | Some("zh")))
                .then(|| format!("{num} {currency}"))
        };
        let restore = rules
            .prices
            .and_then(|p| p.convert_text(price, rules.source_language))
            .or_else(coded)
            .unwrap_or_else(|| price.to_string());
        let span = Span {
            kind: SpanKind::Price,
            original: m.as_str().to_string(),
            restore,
            note: None,
            inline: None,
        };
        accept(m.start(), m.end(), span, &mut taken);
    }
    if rules.language.is_some() && rules.language != rules.source_language {
        for c in OPTICAL_FORMAT.captures_iter(text) {
            let (Some(f), Some(d)) = (c.name("f"), c.name("d")) else {
                continue;
            };
            let near = |from: usize, to: usize| {
                let from = text.floor_char_boundary(from);
                let to = text.ceil_char_boundary(to.min(text.len()));
                text[from..to].to_lowercase()
            };
            let around = near(f.start().saturating_sub(40), f.end() + 40);
            if !d.as_str().contains('.') && !SENSOR_WORDS.iter().any(|w| around.contains(w)) {
                continue;
            }
            let den = rules.number_format.map_or_else(
                || d.as_str().to_string(),
                |nf| localise_number(d.as_str(), nf),
            );
            let span = Span {
                kind: SpanKind::ModelNumber,
                original: f.as_str().to_string(),
                restore: format!("1/{den}\""),
                note: None,
                inline: None,
            };
            accept(f.start(), f.end(), span, &mut taken);
        }
    }
    if let (Some("zh"), Some(lang)) = (rules.source_language, rules.language)
        && lang != "zh"
    {
        for c in LETTER_SIZE_MA.captures_iter(text) {
            let (Some(m), Some(sz)) = (c.get(0), c.name("s")) else {
                continue;
            };
            // Not the end of a longer word ("EXL码", "HTML码").
            if text[..m.start()].ends_with(|ch: char| ch.is_ascii_alphanumeric()) {
                continue;
            }
            let sizes: String = sz
                .as_str()
                .chars()
                .filter(|ch| !ch.is_whitespace())
                .collect();
            let range = sizes.contains(['-', '~', '～']);
            let Some(restore) = cn_size(&sizes, range, lang) else {
                continue;
            };
            accept(
                m.start(),
                m.end(),
                size_span(m.as_str(), restore, lang),
                &mut taken,
            );
        }
    }
    for m in TOKEN.find_iter(text) {
        let t = m.as_str();
        let has_digit = t.chars().any(|c| c.is_ascii_digit());
        let has_alpha = t.chars().any(|c| c.is_ascii_alphabetic());
        // A token glued to Chinese or Japanese ("型号ABC123颜色") is bounded:
        // those scripts write the next word without a space.
        let word = |c: char| c.is_alphanumeric() && !script::is_cjk(c);
        let bounded = !text[..m.start()].ends_with(word) && !text[m.end()..].starts_with(word);
        let size_range = bounded && SIZE_RANGE.is_match(t);
        // A quantity whose unit goes on after a middle dot ("60N·m", newton
        // metres) is no model number "60N": the quantities below read it whole.
        let dotted_unit = text[m.end()..].strip_prefix('·').is_some_and(|rest| {
            let tail = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            tail > 0 && QUANTITY_FULL.is_match(&text[m.start()..m.end() + '·'.len_utf8() + tail])
        });
        if !text[..m.start()].ends_with(word)
            && rules.language.is_some()
            && rules.language != rules.source_language
            && let Some((stop, restore, note)) = slash_list(text, m.start(), m.end(), rules)
        {
            accept(
                m.start(),
                stop,
                Span {
                    kind: SpanKind::Quantity,
                    original: text[m.start()..stop].to_string(),
                    restore,
                    note,
                    inline: None,
                },
                &mut taken,
            );
            continue;
        }
        // Quantities parted by slashes ("800W/1200W/2000W", "5V/2.4A"): each is
        // written as the quantities around it are, in the market's separators
        // and symbols ("800 Вт/1200 Вт/2000 Вт", "5 V/2,4 A"); kept as a model
        // number, it came back in Latin letters beside "2000 Вт" in a Russian
        // listing. Nothing is converted: a list of another system's units
        // stays as the seller wrote it.
        if bounded
            && rules.language.is_some()
            && rules.language != rules.source_language
            && let Some(restore) = slash_quantities(t, rules)
        {
            accept(
                m.start(),
                m.end(),
                Span {
                    kind: SpanKind::Quantity,
                    original: t.to_string(),
                    restore,
                    note: None,
                    inline: None,
                },
                &mut taken,
            );
            continue;
        }
        if size_range
            || steel_grade(t, &text[..m.start()], &text[m.end()..])
            || has_digit
                && has_alpha
                && bounded
                && !dotted_unit
                && !QUANTITY_FULL.is_match(t)
                && !NUMBER_WORDS.is_match(t)
                && N_IN_ONE.find(t).is_none_or(|m| m.len() < t.len())
        {
            // A "+" that ends the name is part of it ("UPF50+", "IP68+",
            // "Wi-Fi 6E+"): "or more", a fact the model dropped ("UPF50").
            let after = &text[m.end()..];
            let end = if !size_range
                && after.starts_with('+')
                && !after[1..]
                    .starts_with(|c: char| c.is_alphanumeric() && !script::is_cjk(c) || c == '+')
            {
                m.end() + 1
            } else {
                m.end()
            };
            accept(
                m.start(),
                end,
                keep(SpanKind::ModelNumber, &text[m.start()..end]),
                &mut taken,
            );
        }
    }
    for c in N_IN_ONE.captures_iter(text) {
        let (Some(m), Some(n)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let joined = |c: char| c.is_alphanumeric() && !script::is_cjk(c) || c == '.';
        // Not inside a word or a number ("12-in-1" is not "2-in-1"; "3in1s").
        if text[..m.start()].ends_with(joined) || text[m.end()..].starts_with(joined) {
            continue;
        }
        let same = rules.language.is_none() || rules.language == rules.source_language;
        let span = Span {
            kind: SpanKind::ModelNumber,
            original: m.as_str().to_string(),
            restore: if same {
                m.as_str().to_string()
            } else {
                n_in_one(n.as_str(), rules.language)
            },
            note: None,
            inline: None,
        };
        accept(m.start(), m.end(), span, &mut taken);
    }
    if let (Some("zh"), Some(lang)) = (rules.source_language, rules.language)
        && lang != "zh"
    {
        for c in CN_SIZE.captures_iter(text) {
            let (Some(m), Some(a)) = (c.get(0), c.name("a")) else {
                continue;
            };
            if c.name("label").is_none() && c.name("suffix").is_none() {
                continue;
            }
            // Not a part of a longer number ("1042码", "42.5码").
            let number = |ch: char| ch.is_ascii_alphanumeric() || ch == '.';
            if text[..a.start()].ends_with(number) || text[m.end()..].starts_with(number) {
                continue;
            }
            // A size word before a measurement ("尺码 36 cm", "尺码：70厘米") is
            // that measurement's, converted like any other.
            let rest = text[m.end()..].trim_start();
            if c.name("suffix").is_none()
                && (rest.starts_with(|ch: char| ch.is_ascii_alphabetic())
                    || [
                        "厘米", "公分", "毫米", "英寸", "米", "寸", "斤", "公斤", "克",
                    ]
                    .iter()
                    .any(|u| rest.starts_with(u)))
            {
                continue;
            }
            let numbers = match c.name("b") {
                Some(b) => format!("{}-{}", a.as_str(), b.as_str()),
                None => a.as_str().to_string(),
            };
            let Some(restore) = cn_size(&numbers, c.name("b").is_some(), lang) else {
                continue;
            };
            let original = m.as_str().trim_end();
            accept(
                m.start(),
                m.start() + original.len(),
                size_span(original, restore, lang),
                &mut taken,
            );
        }
    }
    // A screw gauge ("#8") is a size name: kept, and never the first of a
    // quantity's dimensions ("#8 x 1\"" is gauge 8, one inch long).
    for m in GAUGE.find_iter(text) {
        accept(
            m.start(),
            m.end(),
            keep(SpanKind::ModelNumber, m.as_str()),
            &mut taken,
        );
    }
    // A number with a Chinese or Japanese multiplier ("1600万", "1-2万",
    // "10万+") is written out for a language without one (see `MYRIAD`).
    if let (Some(src @ ("zh" | "ja")), Some(lang)) = (rules.source_language, rules.language)
        && !matches!(lang, "zh" | "ja")
        && lang != src
    {
        for m in myriads(text) {
            let span = Span {
                kind: SpanKind::Quantity,
                original: text[m.start..m.end].to_string(),
                restore: myriad_restore(&m, lang, rules.number_format),
                note: None,
                inline: None,
            };
            accept(m.start, m.end, span, &mut taken);
        }
    }
    // Chinese and Japanese write a quantity between words without spaces
    // ("304不锈钢保温杯500ml大容量"), where a Unicode word boundary sees no end to
    // "ml": the quantity pattern runs over a copy with spaces there, so it finds
    // them as it finds "500 ml" between spaces, and offsets map back to `text`.
    // A quantity in two units ("6 ft 2 in", "3 lb 4 oz") is one: converted as
    // its total, never as two ("6 ft 2 in" of a person's height came back
    // "1,83 m 50,8 mm"). Kept as written where nothing is converted.
    for c in TWO_UNITS.captures_iter(text) {
        let (Some(m), Some(a), Some(b)) = (c.get(0), c.name("a"), c.name("b")) else {
            continue;
        };
        let (small, per) = match (c.name("ft"), c.name("in"), c.name("lb"), c.name("oz")) {
            (Some(_), Some(i), _, _) => {
                if i.as_str().eq_ignore_ascii_case("in") && preposition_follows(&text[m.end()..]) {
                    continue;
                }
                ("in", 12.0)
            }
            (_, _, Some(_), Some(_)) => ("oz", 16.0),
            _ => continue,
        };
        let (Some(x), Some(y)) = (
            units::parse_quantity(a.as_str()),
            units::parse_quantity(b.as_str()),
        ) else {
            continue;
        };
        let total = x * per + y;
        let near = format!(
            "{} {}",
            tail_chars(&text[..m.start()], CONTEXT_BEFORE),
            head_chars(&text[m.end()..], CONTEXT_AFTER)
        );
        let (restore, note) =
            rewrite_quantity(&format!("{total} {small}"), Some(small), &near, rules);
        let span = match note {
            Some(QuantityNote::Converted) => Span {
                kind: SpanKind::Quantity,
                original: m.as_str().to_string(),
                restore,
                note,
                inline: None,
            },
            _ => keep(SpanKind::Quantity, m.as_str()),
        };
        accept(m.start(), m.end(), span, &mut taken);
    }
    let (spaced, at) = space_cjk(text);
    // Every quantity first (its start, end and unit), then each read with its
    // neighbours.
    let mut found: Vec<(usize, usize, Option<&str>)> = Vec::new();
    let mut last_end = usize::MAX;
    for c in QUANTITY.captures_iter(&spaced) {
        let Some(m) = c.get(0) else { continue };
        let mut start = m.start();
        // A dash after a letter or a digit joins ("cm-20 cm"), it is no sign;
        // nor is one right after another quantity's unit ("30℃-55℃" is 30 to
        // 55 °C: read as a sign, it came back in Russian "от 30 °C до -55 °C"),
        // nor one after a number's degree or percent sign ("90°-135°", a
        // chair's recline, came back in Malay "90° atau -135°").
        if m.as_str().starts_with(['-', '−'])
            && (start == last_end
                || spaced[..start].ends_with(|c: char| {
                    c.is_alphanumeric() && !script::is_cjk(c) || ".,/".contains(c)
                })
                || spaced[..start]
                    .strip_suffix(['°', '%', '‰', '′', '″'])
                    .is_some_and(|b| b.ends_with(|c: char| c.is_ascii_digit())))
        {
            start += m.as_str().chars().next().map_or(0, char::len_utf8);
        }
        if spaced[..start].ends_with('#') {
            match GAUGE_DIM.find(m.as_str()) {
                Some(g) if g.end() < m.as_str().len() => start += g.end(),
                _ => continue,
            }
        }
        let mut end = m.end();
        let mut unit = c.get(1).map(|u| u.as_str());
        // "2 in 1", "3 in a box": `in` followed by a word or number is a preposition.
        if let Some(u) = unit
            && u == "in"
            && preposition_follows(&spaced[end..])
        {
            end = m.start()
                + m.as_str()[..m.as_str().len() - 2]
                    .trim_end_matches(['-', ' ', '\u{a0}'])
                    .len();
            unit = None;
        }
        last_end = m.end();
        let (start, mut end) = (at[start], at[end]);
        // A Chinese measure word between a count and its noun ("含5支脸部刷",
        // "附1支磁性笔", "12件套") is grammar, not the unit of a quantity: the
        // span is the number alone and the measure word stays in the text, for
        // the model to translate with its noun ("5 face brushes", "12-piece
        // set"). Protected as "5 pieces", it came back "5 pieces face brush".
        // Ending a phrase ("化妆刷套装 12支", "每幅9块，") it is a count of
        // pieces, and so it is before 装 (a pack of): left to the model, "3只装"
        // came back "3 Only Install" (只 is also "only").
        if rules.source_language == Some("zh")
            && let Some(u) = unit
            && u.chars().count() == 1
            && u.chars().all(script::is_cjk)
            && let Some(found) = units::table().lookup(u)
            && is_count(found.unit)
            && text[end..].starts_with(|c: char| c.is_alphabetic() && c != '装')
            // Unless the context reads it as another unit ("60支长绒棉", a
            // yarn count).
            && units::table()
                .reading(
                    found.unit,
                    u,
                    &format!(
                        "{} {}",
                        tail_chars(&text[..start], CONTEXT_BEFORE),
                        head_chars(&text[end..], CONTEXT_AFTER)
                    ),
                    rules.title.unwrap_or(""),
                    rules.source_language,
                )
                .is_none()
            && let Some(stem) = text[start..end].strip_suffix(u)
        {
            end = start + stem.trim_end().len();
            unit = None;
        }
        // A Japanese unit word at the start of a Chinese word ("466×466分辨率",
        // a resolution, came back in Italian as "466×466 minuti": 分 is a
        // minute in Japanese, where Chinese writes 分钟; 分 begins 分辨率,
        // 分类, 分体 …). In a Chinese source, a unit written in a word that no
        // unit of the table writes in Chinese, with a Chinese character right
        // after it, is no unit: the number stands alone.
        if rules.source_language == Some("zh")
            && let Some(u) = unit
            && u.chars().all(script::is_han)
            && !units::table().written_in(u, "zh")
            && text[end..].starts_with(script::is_han)
            && let Some(stem) = text[start..end].strip_suffix(u)
        {
            end = start + stem.trim_end().len();
            unit = None;
        }
        // China's market units are read in a Chinese source only: Japanese 斤
        // is a loaf of bread ("食パン1斤"), not half a kilogram.
        if rules.source_language != Some("zh")
            && let Some(u) = unit
            && units::table()
                .lookup(u)
                .is_some_and(|m| m.unit.system == units::UnitSystem::Chinese)
            && let Some(stem) = text[start..end].strip_suffix(u)
        {
            end = start + stem.trim_end().len();
            unit = None;
        }
        found.push((start, end, unit));
    }
    // The unit of each quantity found, as (dimension, system).
    let kinds: Vec<Option<(&str, units::UnitSystem)>> = found
        .iter()
        .map(|(_, _, u)| {
            let m = units::table().lookup((*u)?)?;
            Some((m.unit.dimension.as_str(), m.unit.system))
        })
        .collect();
    // A quantity the seller also gives in the other system beside it ("11 lb /
    // 5 kg", "11 lb (5 kg)", "1 g or 0.1 oz") is kept as written: converted, it
    // came back "4,99 kg / 5 kg", the same weight twice and two figures.
    let given_beside = |a: usize, b: usize| -> bool {
        let between = text.get(found[a].1..found[b].0).unwrap_or("").trim();
        // Not a Chinese market unit beside its metric value ("5公斤（10斤）"):
        // kept, 斤 would stay Chinese in the translation.
        let chinese = |k: Option<(&str, units::UnitSystem)>| {
            k.is_some_and(|(_, s)| s == units::UnitSystem::Chinese)
        };
        matches!(between, "/" | "(" | "（" | "or")
            && !chinese(kinds[a])
            && !chinese(kinds[b])
            && matches!((kinds[a], kinds[b]), (Some((da, sa)), Some((db, sb))) if da == db && sa != sb)
    };
    // Bare numbers listed before one quantity's unit ("5、10、15、20、40磅",
    // "5, 10, 15 and 20 lb"): the options of one quantity, all in that unit.
    // Where the market converts the unit, the list is one span and each number
    // is converted alike; read apart, only the last was, and "5、10、15、20、40磅"
    // came back in Mexican Spanish "5, 10, 15, 20, 18.1 kg" (five kilograms for
    // five pounds). Three numbers or more, as for `slash_list`.
    for &(start, end, unit) in &found {
        let Some(u) = unit else { continue };
        if units::table().lookup(u).is_none_or(|m| is_count(m.unit)) {
            continue;
        }
        let Some(head) = BARE_LIST_HEAD.captures(&text[..start]) else {
            continue;
        };
        let Some(list) = head.get(1) else { continue };
        let numbers: Vec<&str> = BARE_NUMBER
            .find_iter(list.as_str())
            .map(|m| m.as_str())
            .collect();
        let last = text[start..end].strip_suffix(u).unwrap_or("").trim_end();
        if numbers.len() < 2
            || BARE_NUMBER.find(last).is_none_or(|m| m.as_str() != last)
            || text[..list.start()].ends_with(|c: char| {
                c.is_alphanumeric() && !script::is_cjk(c) || ".,-–/".contains(c)
            })
        {
            continue;
        }
        let near = format!(
            "{} {}",
            tail_chars(&text[..list.start()], CONTEXT_BEFORE),
            head_chars(&text[end..], CONTEXT_AFTER)
        );
        let (last_restore, note) = rewrite_quantity(&text[start..end], Some(u), &near, rules);
        if note != Some(QuantityNote::Converted) {
            continue;
        }
        let mut out: Vec<String> = numbers
            .iter()
            .map(|n| rewrite_quantity(&format!("{n}{u}"), Some(u), &near, rules).0)
            .collect();
        out.push(last_restore);
        let sep = if matches!(rules.language, Some("zh" | "ja")) {
            "、"
        } else {
            ", "
        };
        let span = Span {
            kind: SpanKind::Quantity,
            original: text[list.start()..end].to_string(),
            restore: out.join(sep),
            note,
            inline: None,
        };
        accept(list.start(), end, span, &mut taken);
    }
    // The last quantity's end, unit and context (see `bare_context`).
    let mut list_context: Option<(usize, Option<String>, String)> = None;
    let kept_rules = ProtectRules {
        measurement: None,
        ..rules.clone()
    };
    for (i, &(start, end, unit)) in found.iter().enumerate() {
        let paired =
            i > 0 && given_beside(i - 1, i) || i + 1 < found.len() && given_beside(i, i + 1);
        let original = &text[start..end];
        // A unit written in Chinese characters is read with the word it
        // begins: 度 in "1度电" is a kilowatt-hour of electricity (度电).
        let cjk_unit = unit.filter(|u| u.chars().all(script::is_cjk)).unwrap_or("");
        let mut near = format!(
            "{} {cjk_unit}{}",
            tail_chars(&text[..start], CONTEXT_BEFORE),
            head_chars(&text[end..], CONTEXT_AFTER)
        );
        // An item of a list of quantities ("Three sizes: 15 x 10 in, 12 x 8 in
        // and 9 x 6 in", "holds 16 oz, 20 oz or 32 oz") has no words of its
        // own between the commas: it is read in the context of the list's
        // first item, so that every size of the list is converted or kept
        // alike and every "oz" of a capacity is a volume.
        let unit_id = unit
            .and_then(|u| units::table().lookup(u))
            .map(|m| m.unit.id.clone());
        if let Some((prev_end, prev_unit, prev_near)) = &list_context
            && unit_id.is_some()
            && *prev_unit == unit_id
            && bare_context(&near)
            && !sentence_break(&text[*prev_end..start])
        {
            near = prev_near.clone();
        }
        list_context = Some((end, unit_id, near.clone()));
        let (restore, note) = rewrite_quantity(
            original,
            unit,
            &near,
            if paired { &kept_rules } else { rules },
        );
        let span = Span {
            kind: SpanKind::Quantity,
            original: original.to_string(),
            restore,
            note,
            inline: None,
        };
        accept(start, end, span, &mut taken);
    }
    if counts_as_digits(rules) {
        for (start, end, n) in count_words(text, rules.source_language.unwrap_or("")) {
            let span = Span {
                kind: SpanKind::Quantity,
                original: text[start..end].to_string(),
                restore: n.to_string(),
                note: None,
                inline: None,
            };
            accept(start, end, span, &mut taken);
        }
    }
    taken.sort_by_key(|(s, _, _)| *s);
    // An alternating-current mark after a voltage ("220V~50Hz", "230 V~") is
    // the voltage's: left between two placeholders it reads as a range, and
    // "220V~50Hz" came back in Vietnamese "từ 220V đến 50Hz" (from 220 V to
    // 50 Hz). A tilde before another voltage ("220V~240V") is a range.
    for (_, e, span) in taken.iter_mut() {
        if span.kind == SpanKind::Quantity
            && span_units(span).iter().any(|u| u.dimension == "voltage")
            && let Some(mark) = ac_mark_at(&text[*e..])
        {
            span.original.push_str(mark);
            span.restore.push_str(mark);
            *e += mark.len();
        }
    }
    let taken = join_durations(taken);
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(taken.len());
    let mut pos = 0;
    for (s, e, span) in taken {
        out.push_str(&text[pos..s]);
        out.push_str(&Protected::placeholder(spans.len()));
        spans.push(span);
        pos = e;
    }
    out.push_str(&text[pos..]);
    Protected { text: out, spans }
}

/// A duration written in two units, the larger first and nothing between
/// them ("1小时24分钟", "2分30秒", "1h30min"), as one quantity: two
/// placeholders side by side read as two facts, and a gimbal's "充电1小时24分钟"
/// (charges in 1 h 24 min) came back in Russian "зарядка 1 ч, обновление 24
/// мин" (charging 1 h, update 24 min). Time only: its units are never
/// converted, so each part's restored text stands as it is.
fn join_durations(taken: Vec<(usize, usize, Span)>) -> Vec<(usize, usize, Span)> {
    let duration = |s: &Span| -> Option<f64> {
        let u = span_units(s);
        match u.as_slice() {
            [u] if s.kind == SpanKind::Quantity && u.dimension == "time" => Some(u.factor),
            _ => None,
        }
    };
    let mut out: Vec<(usize, usize, Span)> = Vec::with_capacity(taken.len());
    for (s, e, span) in taken {
        if let Some((_, pe, prev)) = out.last_mut()
            && *pe == s
            && let (Some(a), Some(b)) = (duration(prev), duration(&span))
            && a > b
        {
            prev.original.push_str(&span.original);
            let cjk = |t: &str| t.chars().last().is_some_and(script::is_cjk);
            if !cjk(&prev.restore) {
                prev.restore.push(' ');
            }
            prev.restore.push_str(&span.restore);
            prev.note = prev.note.take().or(span.note);
            *pe = e;
            continue;
        }
        out.push((s, e, span));
    }
    out
}

/// The alternating-current mark at the start of `rest`, right after a
/// voltage: a tilde followed by no number, or by a frequency ("~50Hz", "~
/// 50/60Hz"). `None` where a number of another unit follows: that is a range.
fn ac_mark_at(rest: &str) -> Option<&str> {
    let mark = ['~', '～'].into_iter().find(|c| rest.starts_with(*c))?;
    let after = rest[mark.len_utf8()..].trim_start();
    let digits = after
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '/')))
        .unwrap_or(after.len());
    let frequency = after[digits..]
        .trim_start()
        .get(..2)
        .is_some_and(|u| u.eq_ignore_ascii_case("hz"));
    (digits == 0 || frequency).then(|| &rest[..mark.len_utf8()])
}

/// Whether counts written as words are protected as digits: for a source
/// translated into Chinese, Japanese or Korean, whose listings write counts in
/// digits ("2個", "4点セット") and where the model turned them into other words
/// (両方 "both" for "two", 四つ). Into the languages that spell small counts
/// ("zwei Reißverschlusstaschen", "dos bolsillos", "six kinds of nuts") the
/// model translates the word itself, and digits there cost chrF against every
/// reference of the dev set (en→de −26 on one bullet, zh→en −3 and −4 on two).
fn counts_as_digits(rules: &ProtectRules<'_>) -> bool {
    match (rules.source_language, rules.language) {
        (Some(src), Some(tgt)) => src != tgt && matches!(tgt, "ja" | "zh" | "ko"),
        _ => false,
    }
}

/// English counts written as words, two to twelve ("one" is as often "a" or a
/// pronoun as a count).
const EN_COUNTS: [&str; 11] = [
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
];
static EN_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)\b(?:{})\b", EN_COUNTS.join("|"))).expect("static regex")
});
/// A Chinese count (两 or 二 to 九十九, not 一) and the measure word after it
/// ("四件套", "三口", "六种", "两档"): only before a measure word, so that words
/// with a numeral in them stay words (五金 hardware, 七彩, 二手, 三角, 十分).
static ZH_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "((?:[二三四五六七八九]?十[一二三四五六七八九]?)|[两二三四五六七八九])[件个只支双对袋包盒瓶罐卷条根张片块颗粒节层档种色款口把套台组枚本副]",
    )
    .expect("static regex")
});

/// The value of a Chinese count of [`ZH_COUNT`].
fn zh_count(s: &str) -> Option<u32> {
    let digit = |c: char| "一二三四五六七八九".find(c).map(|i| i as u32 / 3 + 1);
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['两'] => Some(2),
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// Counts a source writes as words, with their values: English "two" to
/// "twelve" before a word ("two zip pockets"; not before a number: "Four 360°
/// wheels" as two placeholders side by side came back "4 360回転車輪", the degree
/// sign and the rest of the bullet lost),
/// not joined by a hyphen ("two-way", "Two-Tone" are words of their own), and
/// Chinese counts before a measure word ("四件套"). The pipeline protects them as
/// numbers and writes them as digits, so that a count stays a count: a small
/// model made "two zip pockets" 両方 (both) and "Four … wheels" 四つ, where a
/// number check sees no number to compare.
pub(crate) fn count_words(text: &str, source_lang: &str) -> Vec<(usize, usize, u32)> {
    match source_lang {
        "en" => EN_COUNT
            .find_iter(text)
            .filter(|m| {
                let (before, after) = (&text[..m.start()], &text[m.end()..]);
                let joined = |c: char| c == '-' || c == '\'' || c == '’' || c.is_alphanumeric();
                !before.ends_with(joined)
                    && after
                        .strip_prefix([' ', '\u{a0}'])
                        .is_some_and(|a| a.starts_with(char::is_alphabetic))
            })
            .filter_map(|m| {
                let word = m.as_str().to_ascii_lowercase();
                let i = EN_COUNTS.iter().position(|w| *w == word)?;
                Some((m.start(), m.end(), i as u32 + 2))
            })
            .collect(),
        "zh" => ZH_COUNT
            .captures_iter(text)
            .filter_map(|c| {
                let n = c.get(1)?;
                let before = text[..n.start()].chars().next_back();
                if before.is_some_and(|b| {
                    "〇零一二三四五六七八九十百千万两第几数每".contains(b) || b.is_ascii_digit()
                }) {
                    return None;
                }
                Some((n.start(), n.end(), zh_count(n.as_str())?))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The numbers of a quantity, negative where a minus sign stands before one at
/// the start or after a space or a range word ("-20至-10", "-40 to 85"), not
/// where the dash is the range ("0-150"). `None` when one does not parse.
fn signed_numbers(original: &str) -> Option<Vec<f64>> {
    NUMBER_PART
        .find_iter(original)
        .map(|m| {
            let v = units::parse_quantity(m.as_str())?;
            let before = &original[..m.start()];
            let negative = before.strip_suffix(['-', '−']).is_some_and(|b| {
                b.is_empty()
                    || b.ends_with(|c: char| c.is_whitespace() || "-–—~〜～至到".contains(c))
            });
            Some(if negative { -v } else { v })
        })
        .collect()
}

/// `text` with a space wherever a Latin letter or digit meets Chinese, Japanese or
/// Korean ("65英寸4K" → "65 英寸 4K"), and for each byte offset of that copy the
/// offset in `text` it stands for (an inserted space: the next character's).
fn space_cjk(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len() + 8);
    let mut at = Vec::with_capacity(text.len() + 9);
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = prev
            && (p.is_ascii_alphanumeric() && script::is_cjk(c)
                || script::is_cjk(p) && c.is_ascii_alphanumeric())
        {
            out.push(' ');
            at.push(i);
        }
        out.push(c);
        at.extend(std::iter::repeat_n(i, c.len_utf8()));
        prev = Some(c);
    }
    at.push(text.len());
    (out, at)
}

/// After "2 in": a number or an article means `in` is the preposition ("2 in 1").
pub(super) fn preposition_follows(rest: &str) -> bool {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    matches!(
        word.to_lowercase().as_str(),
        "a" | "an" | "the" | "one" | "each" | "every" | "total" | "stock" | "our" | "your"
    )
}

/// Capitalised words between two placeholders: the brand's and a model number's.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{(\d+)\} ((?:\p{Lu}[\p{L}\p{M}]*(?:['’-]\p{L}+)* ){1,3})\{(\d+)\}")
        .expect("static regex")
});

/// The name of a product line in a title: the capitalised words between the
/// brand and a model number ("Garmin **Forerunner** 265", "Philips **Hue White
/// Ambiance** E27", "LEGO **Technic** 42151", "Anker **PowerCore** 10000"), one to
/// three of them, when at least one is not a common English word (by the
/// frequency list of `terminology/english-common/`). A model number is a code
/// of letters and digits or a whole number with no unit after it. Words that are
/// all common English ("Sony Wireless Headphones WH-1000XM5") are ordinary words
/// of the title and `None` is returned. Only for English and Chinese sources: in
/// another language's title the words between are that language's own and are
/// no sign of a name. The pipeline keeps the name as written, like the brand,
/// in every field of the listing (a small model made "Forerunner" "el forro", the
/// lining). Words with Chinese, Japanese or Korean letters are no name.
pub fn product_line(title: &str, rules: &ProtectRules<'_>) -> Option<String> {
    rules.brand.filter(|b| !b.trim().is_empty())?;
    if !matches!(rules.source_language, Some("en" | "zh")) {
        return None;
    }
    let p = protect(title, rules);
    let span = |c: &regex::Captures<'_>, i: usize| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<usize>().ok())
            .and_then(|n| p.spans.get(n.checked_sub(1)?))
    };
    LINE.captures_iter(&p.text).find_map(|c| {
        let (brand, code) = (span(&c, 1)?, span(&c, 3)?);
        let is_code = match code.kind {
            SpanKind::ModelNumber => true,
            SpanKind::Quantity => {
                code.note.is_none() && code.original.chars().all(|ch| ch.is_ascii_digit())
            }
            _ => false,
        };
        let words = c.get(2)?.as_str().trim();
        // Latin words: a product word glued to a code ("USB-C扩展坞", a
        // docking station) is the title's own, to translate.
        if words.chars().any(script::is_cjk) {
            return None;
        }
        // In a Chinese title every Latin word there is the name: the seller
        // wrote it in another script on purpose ("JBL Flip 6 蓝牙音箱", whose
        // "Flip" came back in Japanese as "フィルップ"). In an English one the
        // words must not all be common English.
        let named = rules.source_language == Some("zh")
            || words.split(' ').any(|w| {
                w.split(['-', '\'', '’'])
                    .any(|part| !part.is_empty() && !super::language::common_english(part))
            });
        (brand.kind == SpanKind::Brand && is_code && named).then(|| words.to_string())
    })
}

/// Names kept as written in every language, found in a listing's text:
/// - a coined name written in one word with a capital inside it after a
///   small letter ("PartyBoost", "PowerCore", "MagSafe", "iPhone", "microSD"),
///   five letters or more: a feature's or a product's trade name (a small
///   model wrote "PartyBoost" in Japanese as "パーティブースト"). Units are
///   shorter ("mAh", "kWh", "mmHg"). On the dev set and the bank, every
///   reference keeps each such word of its source (176 of 176);
/// - in a Chinese, Japanese or Korean source (`cjk_source`), a word of four
///   capitals or more ("LIGHTSPEED", "HDMI", "VESA"): the seller wrote it in
///   Latin letters among their own on purpose (Logitech's "LIGHTSPEED无线"
///   came back in Italian "LUCI wireless"). Every reference of the dev set
///   and the bank keeps it (18 of 18). An English source's capitals are
///   often its own words for emphasis ("WATERPROOF"), to translate;
/// - in such a source, a capitalised word of four letters or more that is not
///   common English (by `terminology/english-common/`): a name ("Redmi Watch
///   4" came back in Arabic "الرديم، الهاتف", the Redim, the phone; "Xiaomi",
///   "Presta", "Schrader"). Of the sources of the dev set and the bank with
///   one, the reference keeps every such word in 223 of 227 and 55 of 59; the
///   others write "Tritan" in the target's script or "Gasket" in lower case.
///
/// Letters only, whole words (a Chinese letter against one ends it). Each
/// name once, in the order found.
pub fn kept_names(text: &str, cjk_source: bool) -> Vec<String> {
    // Runs of Latin letters and digits: a hyphen or an underscore parts
    // them ("HDMI-2": HDMI), each a name or not.
    static WORD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9]+").expect("static regex"));
    // Against a Chinese word is a word's end; against another letter
    // ("naïveBox") it is not.
    let letter = |c: Option<char>| c.is_some_and(|c| c.is_alphabetic() && !script::is_cjk(c));
    let mut out: Vec<String> = Vec::new();
    for m in WORD.find_iter(text) {
        let w = m.as_str();
        if !w.chars().all(|c| c.is_ascii_alphabetic())
            || letter(text[..m.start()].chars().next_back())
            || letter(text[m.end()..].chars().next())
        {
            continue;
        }
        let coined = w.len() >= 5
            && w.as_bytes()
                .windows(2)
                .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase());
        let capitals = cjk_source && w.len() >= 4 && w.chars().all(|c| c.is_ascii_uppercase());
        let capitalised = cjk_source
            && w.len() >= 4
            && w.starts_with(|c: char| c.is_ascii_uppercase())
            && w[1..].chars().all(|c| c.is_ascii_lowercase())
            && !super::language::common_english(w);
        if (coined || capitals || capitalised) && !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// Whether the Latin word at `start..end` is part of a longer code with a
/// digit, joined to it by a hyphen, an underscore or a dot ("NDYC" of a
/// heater's "NDYC-X6021"): the code is one model number, kept whole. Taken
/// alone as a name, the word left "-X" and the digits apart, and the model
/// wrote "NDYC-6021" with every placeholder back.
fn inside_code(text: &str, start: usize, end: usize) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !text[start..end].chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let from = text[..start]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| part(c))
        .last()
        .map_or(start, |(i, _)| i);
    let to = text[end..]
        .char_indices()
        .take_while(|&(_, c)| part(c))
        .last()
        .map_or(end, |(i, c)| end + i + c.len_utf8());
    // A sentence's full stop or a hyphen at either end joins nothing.
    let code = text[from..to].trim_matches(['-', '_', '.']);
    code.len() > end - start
        && code.contains(|c: char| c.is_ascii_digit())
        && (text[end..].starts_with(['-', '_', '.']) || text[..start].ends_with(['-', '_', '.']))
}

/// Occurrences of `term` in `text` at word boundaries (ASCII letters and digits
/// around a Latin term end a match; CJK terms match anywhere).
/// Whether a brand written in Chinese characters, found at `start..end`, is
/// part of a longer word rather than the brand: a Chinese character right
/// before and right after it, and a word of jieba's dictionary that begins
/// before it and ends inside it. Brands are made of common characters, and the
/// words of a listing hold them too: brand 阳能 in "100W单晶硅太阳能板" (太阳能,
/// solar; a solar panel) was kept in the Spanish title as "阳能" where the panel
/// was. A brand the text names stands at its start, after a space or a sign,
/// before one, or after a word of its own; the product word after it may
/// begin with its last character ("选择格凌空调": 凌空 is a word too).
fn inside_han_word(text: &str, start: usize, end: usize) -> bool {
    if !(text[start..end].chars().all(script::is_han)
        && text[..start].ends_with(script::is_han)
        && text[end..].starts_with(script::is_han))
    {
        return false;
    }
    script::jieba().cut(text, false).into_iter().any(|w| {
        let (s, e) = (w.byte_start, w.byte_start + w.word.len());
        s < start && e > start
    })
}

fn find_term(text: &str, term: &str, ignore_case: bool) -> Vec<(usize, usize)> {
    let (hay, needle) = if ignore_case {
        (text.to_lowercase(), term.to_lowercase())
    } else {
        (text.to_string(), term.to_string())
    };
    // Lower-casing can change byte lengths (rare); then fall back to exact case.
    let (hay, needle) = if hay.len() == text.len() && needle.len() == term.len() {
        (hay, needle)
    } else {
        (text.to_string(), term.to_string())
    };
    let latin = term.chars().any(|c| c.is_ascii_alphanumeric());
    // A Chinese, Japanese or Korean letter against a Latin term ends it, as
    // those languages write the next word against it: brand "Keep" of
    // "Keep瑜伽垫适合瑜伽" (Keep yoga mats suit yoga) had gone unprotected and
    // came back in Spanish "Mantén" (keep!), and a coined "PartyBoost功能" too.
    let joined = |c: char| c.is_alphanumeric() && !script::is_cjk(c);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = hay[from..].find(&needle) {
        let s = from + i;
        let e = s + needle.len();
        let ok = !latin || (!text[..s].ends_with(joined) && !text[e..].starts_with(joined));
        if ok {
            out.push((s, e));
        }
        from = e;
    }
    out
}

/// Characters of source text before and after a quantity in which a standard
/// size's context words count as "near".
const CONTEXT_BEFORE: usize = 48;
const CONTEXT_AFTER: usize = 40;

/// Where a clause ends: context words on the other side belong to another thing
/// ("socket, holds 24 fl oz, 10-12 in long").
fn clause_break(s: &str, i: usize, c: char) -> bool {
    matches!(
        c,
        ',' | ';' | '!' | '?' | '•' | '|' | '(' | ')' | '\n' | '、' | '，' | '。' | '；'
    ) || c == '.' && s[i + 1..].starts_with(char::is_whitespace)
}

/// Words that join the items of a list, in the languages of the sources.
const LIST_WORDS: [&str; 14] = [
    "and", "or", "und", "oder", "et", "ou", "y", "o", "e", "和", "或", "及", "与", "と",
];

/// Whether a quantity's context holds no words but numbers, units, "x" and
/// those joining a list's items: it is an item of a list ("12 x 8 in and"),
/// not a thing described in its own words.
fn bare_context(near: &str) -> bool {
    near.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| {
            let lower = w.to_lowercase();
            w.chars().all(|c| c.is_numeric())
                || matches!(lower.as_str(), "x" | "×")
                || LIST_WORDS.contains(&lower.as_str())
                || units::table().lookup(w).is_some()
        })
}

/// Whether `s` (the text between two quantities) ends a sentence: a full stop,
/// question or exclamation mark followed by a space, or a line break.
fn sentence_break(s: &str) -> bool {
    s.char_indices().any(|(i, c)| {
        matches!(c, '\n' | '。' | '！' | '？' | '•' | '|' | ';' | '；')
            || matches!(c, '.' | '!' | '?') && s[i + 1..].starts_with(char::is_whitespace)
    })
}

/// The last `n` characters of `s`, from its last clause break on.
fn tail_chars(s: &str, n: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    // Only the tail is searched: a scan of the whole text for every quantity
    // made a long segment quadratic.
    let tail = &s[start..];
    let from = tail
        .char_indices()
        .rev()
        .find(|&(i, c)| clause_break(tail, i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &tail[from..]
}

/// The first `n` characters of `s`, up to its first clause break.
fn head_chars(s: &str, n: usize) -> &str {
    let end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    let end = s[..end]
        .char_indices()
        .find(|&(i, c)| clause_break(s, i, c))
        .map_or(end, |(i, _)| i);
    &s[..end]
}

/// The quantity as it should appear in the target market, and what was decided:
/// a standard size keeps its unit (written in the target language, the converted
/// value in brackets where its family says so), a unit of the other system is
/// converted (whole: compound units are one unit), anything else keeps its unit
/// with the market's decimal separators and spelled-out units in the target
/// language.
fn rewrite_quantity(
    original: &str,
    unit: Option<&str>,
    near: &str,
    rules: &ProtectRules<'_>,
) -> (String, Option<QuantityNote>) {
    let table = units::table();
    let nf = rules.number_format;
    let found = unit.and_then(|u| table.lookup(u));
    // Without a market's format, a point and no grouping: never the float's
    // own digits ("14.200000000000001").
    let plain = NumberFormat {
        decimal: ".".into(),
        grouping: String::new(),
    };
    let written = nf.unwrap_or(&plain);
    let fmt = |v: f64, to: &Unit| units::format_number(units::round_sensibly(v, to), written);
    let lang = rules.language.unwrap_or("");
    let converted = |u: &Unit, target: MeasurementSystem| -> Option<String> {
        // A Chinese market unit stays as written in a Chinese translation.
        if u.system == units::UnitSystem::Chinese && lang.starts_with("zh") {
            return None;
        }
        let (conv, to) = table.convert(&signed_numbers(original)?, u, target)?;
        let sep = if original.contains(['x', '×']) {
            " x "
        } else {
            "–"
        };
        let body: Vec<String> = conv.into_iter().map(|v| fmt(v, to)).collect();
        Some(format!("{} {}", body.join(sep), to.symbol(lang)))
    };
    let number_part = |u: Option<&str>| -> String {
        let stem = match u {
            Some(u) if original.ends_with(u) => original[..original.len() - u.len()].trim_end(),
            _ => original,
        };
        // A range word is the source language's ("140 to 245 mm" came back in
        // German as "140 to 245 mm"): a kept range is written with a dash, as a
        // converted one is.
        let dashed = RANGE_WORD.replace_all(stem, "${a}–${b}");
        let stem: &str = &dashed;
        match nf {
            Some(nf) if !stem.contains('/') => NUMBER_PART
                .replace_all(stem, |c: &regex::Captures<'_>| localise_number(&c[0], nf))
                .into_owned(),
            _ => stem.to_string(),
        }
    };
    let join = |stem: &str, word: &str, lang: &str| {
        // "27-inch" → "27 Zoll": the hyphen went with the English unit word.
        let stem = stem.trim_end_matches('-');
        if matches!(lang, "ja" | "zh" | "ko") {
            format!("{stem}{word}")
        } else {
            format!("{stem} {word}")
        }
    };
    let (Some(m), Some(u_text)) = (found, unit) else {
        return (original.to_string(), None);
    };
    // "32 oz" of a bottle is a volume: the unit the context says it is.
    let m = units::UnitMatch {
        unit: table
            .reading(
                m.unit,
                u_text,
                near,
                rules.title.unwrap_or(""),
                rules.source_language,
            )
            .unwrap_or(m.unit),
        ..m
    };
    let one = NUMBER_PART
        .find_iter(original)
        .map(|m| m.as_str())
        .eq(std::iter::once("1"));
    // A unit the source spelled out in its own language and the target has no
    // word for is written as its symbol ("2 kilowatts" → "2 kW"), not left in
    // the source's language.
    let foreign =
        m.spelled_out && !lang.is_empty() && rules.source_language.is_some_and(|s| s != lang);
    // The quantity as written, in the market's separators and with a range
    // word as a dash ("4.7 to 7 inch" → "4,7–7 inch").
    // Chinese, Japanese and Korean glue a measurement's symbol to its number
    // ("500ml", "3cm", "-20℃"): their scripts have no spaces, so it is no
    // choice of the seller's. A translation in a language written with spaces
    // writes a measurement as its style guides do, with a space and °C
    // ("500 ml", "-20 °C"). Power, voltage and current stay as written ("65W",
    // "12V" name a product as a model number does), as do counts and percentages.
    let cjk = |l: &str| matches!(l, "zh" | "ja" | "ko");
    let spaced = rules.source_language.is_some_and(cjk)
        && !lang.is_empty()
        && !cjk(lang)
        && matches!(
            m.unit.dimension.as_str(),
            "length" | "mass" | "volume" | "temperature" | "area" | "speed"
        );
    let unit_text = &original[stem_len(original, u_text)..];
    let spaced_unit = match unit_text {
        _ if !spaced => None,
        "℃" => Some("°C"),
        "℉" => Some("°F"),
        u => u
            .starts_with(|c: char| c.is_alphabetic() || c == '°')
            .then_some(u),
    };
    let as_written = |stem: &str| {
        if foreign && m.unit.glued {
            format!("{stem}{}", m.unit.symbol(lang))
        } else if foreign {
            join(stem, m.unit.symbol(lang), lang)
        } else if let Some(local) = m.unit.local.get(lang) {
            format!("{stem} {local}")
        } else if original[..stem_len(original, u_text)].contains('/') {
            // Numbers parted by slashes ("1/2"), as written; a unit with a
            // slash ("10.7m/s") is no such number: the Italian
            // "10.7m/s" had kept its decimal point.
            original.to_string()
        } else if let Some(unit) = spaced_unit {
            format!("{stem} {unit}")
        } else {
            format!("{stem}{unit_text}")
        }
    };
    // 1. A standard size keeps its unit.
    if let Some(fam) = table.standard_size(
        m.unit,
        near,
        rules.title.unwrap_or(""),
        rules.source_language,
    ) {
        let stem = number_part(Some(u_text));
        let word = (m.unit.system == units::UnitSystem::Imperial || m.spelled_out)
            .then(|| m.unit.word(lang, one))
            .flatten()
            .filter(|_| lang != "en" || m.spelled_out);
        let mut s = match word {
            Some(w) => join(&stem, w, lang),
            None => as_written(&stem),
        };
        if fam.metric_in_brackets
            && let Some(target) = rules.measurement
            && let Some(c) = converted(m.unit, target)
        {
            s.push_str(&format!(" ({c})"));
        }
        return (s, Some(QuantityNote::StandardSize(fam.id.clone())));
    }
    // 2. A unit of the other system is converted.
    if let Some(target) = rules.measurement
        && let Some(mut s) = converted(m.unit, target)
    {
        if rules.keep_original_units || m.unit.show_original {
            // The original's numbers in the market's separators: "12,000 BTU" is
            // twelve in German.
            let stem = number_part(Some(u_text));
            s.push_str(&format!(
                " ({stem}{})",
                &original[stem_len(original, u_text)..]
            ));
        }
        return (s, Some(QuantityNote::Converted));
    }
    // 3. Kept: the market's decimal separators, spelled-out units in its language.
    let stem = number_part(Some(u_text));
    let kept = match (m.spelled_out, m.unit.word(lang, one)) {
        (true, Some(w)) => join(&stem, w, lang),
        _ => as_written(&stem),
    };
    (kept, None)
}

/// Byte length of the quantity before its unit (spaces included).
fn stem_len(original: &str, unit: &str) -> usize {
    original
        .strip_suffix(unit)
        .map_or(original.len(), |s| s.trim_end().len())
}

/// A number written the English way (`50,000`, `1,234.5`, `1.5`) in the
/// target's separators (`50.000`, `1.234,5`, `1,5` for German), digits
/// untouched. Anything else (`12`, `1.5.2`) stays as written.
fn localise_number(n: &str, nf: &NumberFormat) -> String {
    static GROUPED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$").expect("static regex"));
    static DECIMAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d+\.\d+$").expect("static regex"));
    if GROUPED.is_match(n) {
        let (int, frac) = n.split_once('.').unwrap_or((n, ""));
        let mut out = int.replace(',', &nf.grouping);
        if !frac.is_empty() {
            out.push_str(&nf.decimal);
            out.push_str(frac);
        }
        out
    } else if DECIMAL.is_match(n) {
        n.replacen('.', &nf.decimal, 1)
    } else {
        n.to_string()
    }
}

/// Whether a placeholder after `before` stands in the middle of a sentence:
/// the word before it begins with a lower-case letter ("suitable for {1}",
/// not "Breathable {1}" in a title, nor "{1}" at the start).
fn mid_sentence(before: &str) -> bool {
    before
        .split_whitespace()
        .next_back()
        .and_then(|w| w.chars().find(|c| c.is_alphanumeric()))
        .is_some_and(char::is_lowercase)
}

/// A number and an English unit of time in the singular ("24 month", "0-6
/// month"), as a model writes it after a placeholder in a translation of
/// Chinese, which has no plural ("24个月"): "months".
static SINGULAR_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?P<n>\d+(?:[.,]\d+)?(?:\s*[-–~]\s*\d+(?:[.,]\d+)?)?)\s+(?P<u>month|year|week|day|hour|minute|second)\b",
    )
    .expect("static regex")
});

/// An English translation with a unit of time after a number other than one
/// in the plural: "Shelf life: 24 month" → "24 months", "for 0-6 month" →
/// "0-6 months". Not before a noun, where English writes the singular ("24
/// month warranty", "a 2 year old"): only at the end, before punctuation, or
/// before a word that ends the phrase ("or", "and", "after", "of" …).
pub fn english_time_plurals(text: &str) -> String {
    let text = plurals_of(&SINGULAR_TIME, text);
    plurals_of(&SINGULAR_COUNT, &text)
}

/// A whole number of two or more and an English word that counts a product's
/// parts or choices in the singular, ending a phrase ("USB charging tail
/// light, 3 mode", from "3种模式"): the plural. Before a noun the singular
/// is English ("3 speed fan", "2 port charger"), and stays.
static SINGULAR_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?P<n>\d+(?:\s*[-–~]\s*\d+)?)\s+(?P<u>mode|setting|level|speed|colou?r|layer|port|hole|pocket|compartment|blade|nozzle|attachment|function|program|programme|gear|button|hook|slot|channel|bulb)\b",
    )
    .expect("static regex")
});

/// `text` with an `s` after each match of `re` (a number and a word) whose
/// number is not one and that ends a phrase, for [`english_time_plurals`].
fn plurals_of(re: &Regex, text: &str) -> String {
    // Not "old": "a 2 year old child" is English, "2 years old" too.
    const ENDS: [&str; 13] = [
        "or", "and", "after", "before", "of", "to", "in", "for", "later", "ago", "with", "per",
        "at",
    ];
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for c in re.captures_iter(text) {
        let (Some(all), Some(n)) = (c.get(0), c.name("n")) else {
            continue;
        };
        let rest = &text[all.end()..];
        let next_word: String = rest
            .trim_start()
            .chars()
            .take_while(|ch| ch.is_alphabetic())
            .collect();
        let ends = rest.trim_start().is_empty()
            || rest
                .starts_with(|ch: char| !ch.is_alphanumeric() && !ch.is_whitespace() && ch != '-')
            || ENDS.contains(&next_word.to_lowercase().as_str());
        // Not the decimals of a number ("1.5 speed").
        let decimals = text[..n.start()]
            .strip_suffix(['.', ','])
            .is_some_and(|b| b.ends_with(|ch: char| ch.is_ascii_digit()));
        if n.as_str() == "1" || !ends || decimals {
            continue;
        }
        out.push_str(&text[last..all.end()]);
        // "3 Mode" in a title is "3 Modes", "3 MODE" is "3 MODES".
        let capitals = all.as_str().chars().rev().take(2).all(char::is_uppercase);
        out.push(if capitals { 'S' } else { 's' });
        last = all.end();
    }
    out.push_str(&text[last..]);
    out
}

/// A whole number and a word after it, for [`time_plurals`].
static NUMBER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<n>\d+(?:\s*[-–~]\s*(?P<hi>\d+))?)\s+(?P<w>\p{L}+)\b(?P<next>.?)")
        .expect("static regex")
});

/// The languages whose unit of time takes the plural after every whole number
/// from two, wherever it stands ("garantía de 36 meses", "36 meses de
/// garantía"). Not German, whose plural also has a case ("nach 24 Monaten").
const TIME_PLURAL_LANGS: [&str; 5] = ["es", "pt", "it", "fr", "nl"];

/// A translation into Spanish, Portuguese, Italian, French or Dutch with a
/// unit of time, a count of times or of pieces, in the singular after a whole
/// number of two or more ("36 mes", "2 anno", "5 dag", "3 vez", "13 pieza":
/// a drill set's Spanish title), as a model writes it after a placeholder in a
/// translation of Chinese, which has no plural ("36个月"): the plural of the
/// unit table ("36 meses"); and in the plural after one ("1 años"): the
/// singular. A decimal keeps its form (French writes "1,5 an");
/// a word joined by a hyphen is a compound ("24-maand"), left as it is. Other
/// languages are returned unchanged; English has [`english_time_plurals`].
pub fn time_plurals(text: &str, lang: &str) -> String {
    // Each language's singular and plural, read once from the unit table.
    type Forms = Vec<(&'static str, &'static str)>;
    static FORMS: LazyLock<Vec<(&'static str, Forms)>> = LazyLock::new(|| {
        TIME_PLURAL_LANGS
            .iter()
            .map(|&lang| {
                let forms = units::table()
                    .units()
                    .iter()
                    .filter(|u| {
                        u.dimension == "time" || ["times", "pcs", "pair"].contains(&u.id.as_str())
                    })
                    .filter_map(|u| Some((u.word(lang, true)?, u.word(lang, false)?)))
                    .filter(|(one, many)| one != many)
                    .collect();
                (lang, forms)
            })
            .collect()
    });
    if let Some((_, forms)) = SLAVIC_TIME_FORMS.iter().find(|(l, _)| *l == lang) {
        return slavic_time_forms(text, lang, forms);
    }
    let Some((_, forms)) = FORMS.iter().find(|(l, _)| *l == lang) else {
        return text.to_string();
    };
    replace_counted_words(text, |count, range, word| {
        let same = |form: &str| {
            form == word
                || (form.to_lowercase() == word.to_lowercase()
                    && word.starts_with(char::is_uppercase))
        };
        // One takes the singular ("1 años" → "1 año"), not a range to one
        // ("0-1 años").
        if count == 1 && !range {
            return forms
                .iter()
                .find(|(_, many)| same(many))
                .map(|(one, _)| *one);
        }
        if count < 2 {
            return None;
        }
        let (_, many) = forms.iter().find(|(one, _)| same(one))?;
        Some(many)
    })
}

/// The units of time of Thai, Vietnamese, Indonesian and Malay, which write a
/// duration's number before its unit ("3 ปี", "3 năm", "3 tahun"): the unit
/// before a number names a year, a month or a day instead ("ปี 3" is year
/// three, "tháng 3" March).
const TIME_WORDS_NUMBER_FIRST: [(&str, &[&str]); 4] = [
    ("th", &["ปี", "เดือน", "สัปดาห์", "วัน", "ชั่วโมง", "นาที", "วินาที"]),
    (
        "vi",
        &["năm", "tháng", "tuần", "ngày", "giờ", "phút", "giây"],
    ),
    (
        "id",
        &["tahun", "bulan", "minggu", "hari", "jam", "menit", "detik"],
    ),
    (
        "ms",
        &["tahun", "bulan", "minggu", "hari", "jam", "minit", "saat"],
    ),
];

/// A duration in a source: a whole number, then a unit of time (Chinese,
/// Japanese or English). Not 日 or 月 alone, which also write dates (3日, 3月).
static SOURCE_DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\d+)\s*(?:年|个月|個月|か月|ヶ月|カ月|周|週間|星期|个星期|天|日間|小时|小時|時間|分钟|秒|years?\b|months?\b|weeks?\b|days?\b|hours?\b|hrs?\b|minutes?\b|mins?\b|seconds?\b)",
    )
    .expect("static regex")
});

/// A translation into Thai, Vietnamese, Indonesian or Malay that writes a
/// duration of the source with its unit first: "保质期3年" (a shelf life of
/// three years) came back in Thai "อายุการเก็บรักษา = ปี 3", year three. The
/// unit is put after its number ("3 ปี") where the source gives that number,
/// under 1,000 (2024年 is a year), as a duration ([`SOURCE_DURATION`]). Other
/// languages are returned unchanged.
pub fn time_units_after_numbers(text: &str, source: &str, lang: &str) -> String {
    let Some((_, words)) = TIME_WORDS_NUMBER_FIRST.iter().find(|(l, _)| *l == lang) else {
        return text.to_string();
    };
    let durations: Vec<u64> = SOURCE_DURATION
        .captures_iter(source)
        .filter_map(|c| c[1].parse::<u64>().ok())
        .filter(|n| *n < 1000)
        .collect();
    if durations.is_empty() {
        return text.to_string();
    }
    let thai = lang == "th";
    let mut out = text.to_string();
    for w in words.iter() {
        let mut from = 0;
        while let Some(i) = out[from..].find(w).map(|i| i + from) {
            let end = i + w.len();
            from = end;
            // A word of its own: no letter right before (Thai runs words
            // together, so only after it, where a space must stand).
            let before = out[..i].chars().next_back();
            if !thai && before.is_some_and(char::is_alphabetic) {
                continue;
            }
            let rest = &out[end..];
            let gap = rest.len() - rest.trim_start_matches([' ', '\u{a0}']).len();
            if gap == 0 {
                continue;
            }
            let digits: &str = {
                let r = &rest[gap..];
                &r[..r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len())]
            };
            let tail = &rest[gap + digits.len()..];
            let mut next = tail.chars();
            let (after, then) = (next.next(), next.next());
            // Not the end of a decimal, range, ratio or time of day, nor a
            // number its own unit follows ("hẹn giờ 2 phút", a 2-minute timer).
            let joined = after.is_some_and(|c| {
                c.is_alphanumeric()
                    || matches!(c, '-' | '–' | '/' | ':')
                    || (matches!(c, '.' | ',') && then.is_some_and(|d| d.is_ascii_digit()))
            });
            let unit_after = words
                .iter()
                .any(|u| tail.trim_start_matches([' ', '\u{a0}']).starts_with(u));
            if digits.is_empty() || joined || unit_after {
                continue;
            }
            let Ok(n) = digits.parse::<u64>() else {
                continue;
            };
            if !durations.contains(&n) {
                continue;
            }
            let swapped = format!("{digits} {w}");
            let stop = end + gap + digits.len();
            out.replace_range(i..stop, &swapped);
            from = i + swapped.len();
        }
    }
    out
}

/// `text` with the word after each whole number (or range: its upper end)
/// replaced by what `form` gives for that number and word, capitalised where
/// the word was. Not after the end of a decimal ("1,5 an") or of a longer
/// token ("A2 dag"), nor in a compound joined by a hyphen ("24-maand").
fn replace_counted_words<'a>(
    text: &str,
    form: impl Fn(u64, bool, &str) -> Option<&'a str>,
) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for c in NUMBER_WORD.captures_iter(text) {
        let (Some(n), Some(w)) = (c.name("n"), c.name("w")) else {
            continue;
        };
        let before = text[..n.start()].chars().next_back();
        if before.is_some_and(|ch| ch.is_alphanumeric() || ch == ',' || ch == '.')
            || c.name("next").is_some_and(|m| m.as_str() == "-")
        {
            continue;
        }
        let Ok(count) = c.name("hi").unwrap_or(n).as_str().parse::<u64>() else {
            continue;
        };
        let Some(wanted) = form(count, c.name("hi").is_some(), w.as_str()) else {
            continue;
        };
        out.push_str(&text[last..w.start()]);
        if w.as_str().starts_with(char::is_uppercase) {
            out.push_str(&crate::script::capitalised(wanted));
        } else {
            out.push_str(wanted);
        }
        last = w.end();
    }
    out.push_str(&text[last..]);
    out
}

/// A unit of time, or a count of times, after a number in Russian or Polish:
/// its form for one, for a few (2-4, not 12-14) and for many, and Russian's
/// nominative plural, which no number takes.
struct SlavicForms {
    one: &'static str,
    few: &'static str,
    many: &'static str,
    plural: Option<&'static str>,
}

const fn sf(
    one: &'static str,
    few: &'static str,
    many: &'static str,
    plural: Option<&'static str>,
) -> SlavicForms {
    SlavicForms {
        one,
        few,
        many,
        plural,
    }
}

/// Russian's and Polish's units of time (day, week, month, year, hour,
/// minute, second), their counts of times, levels and pairs. Not in the unit table, which
/// holds one singular and one plural per language.
static SLAVIC_TIME_FORMS: [(&str, [SlavicForms; 10]); 2] = [
    (
        "ru",
        [
            sf("день", "дня", "дней", Some("дни")),
            sf("неделя", "недели", "недель", None),
            sf("месяц", "месяца", "месяцев", Some("месяцы")),
            sf("год", "года", "лет", Some("годы")),
            sf("час", "часа", "часов", Some("часы")),
            sf("минута", "минуты", "минут", None),
            sf("секунда", "секунды", "секунд", None),
            sf("раз", "раза", "раз", None),
            sf("уровень", "уровня", "уровней", Some("уровни")),
            sf("пара", "пары", "пар", None),
        ],
    ),
    (
        "pl",
        [
            sf("dzień", "dni", "dni", None),
            sf("tydzień", "tygodnie", "tygodni", None),
            sf("miesiąc", "miesiące", "miesięcy", None),
            sf("rok", "lata", "lat", None),
            sf("godzina", "godziny", "godzin", None),
            sf("minuta", "minuty", "minut", None),
            sf("sekunda", "sekundy", "sekund", None),
            sf("raz", "razy", "razy", None),
            sf("poziom", "poziomy", "poziomów", None),
            sf("para", "pary", "par", None),
        ],
    ),
];

/// Whether `word` is a Russian or Polish unit of time in one of its forms
/// after a number ("miesięcy", "дней"). Case-insensitive.
pub fn is_slavic_time_word(word: &str) -> bool {
    let w = word.to_lowercase();
    SLAVIC_TIME_FORMS.iter().any(|(_, forms)| {
        forms
            .iter()
            .any(|f| [f.one, f.few, f.many].contains(&w.as_str()) || f.plural == Some(w.as_str()))
    })
}

/// Russian and Polish for [`time_plurals`]: a unit of time after a whole
/// number in a form no number of that kind takes, in the form it takes
/// ("60 день" → "60 дней", "3 месяцы" → "3 месяца", "2 miesiąc" → "2
/// miesiące", "5 miesiące" → "5 miesięcy"). The form for many after 2-4 is
/// left as written: a preposition may ask for it ("до 3 месяцев", "do 2
/// miesięcy"); so is any form after a number ending in one other than 1
/// itself, whose case only the sentence tells.
fn slavic_time_forms(text: &str, lang: &str, forms: &[SlavicForms]) -> String {
    #[derive(PartialEq)]
    enum Kind {
        One,
        Few,
        Many,
    }
    let kind = |n: u64| {
        let (ten, hundred) = (n % 10, n % 100);
        let one = if lang == "ru" {
            ten == 1 && hundred != 11
        } else {
            n == 1
        };
        if one {
            Kind::One
        } else if (2..=4).contains(&ten) && !(12..=14).contains(&hundred) {
            Kind::Few
        } else {
            Kind::Many
        }
    };
    replace_counted_words(text, |count, _, w| {
        let word = w.to_lowercase();
        let f = forms.iter().find(|f| {
            [f.one, f.few, f.many].contains(&word.as_str()) || f.plural == Some(word.as_str())
        })?;
        let k = kind(count);
        let wanted = match k {
            Kind::One => f.one,
            Kind::Few => f.few,
            Kind::Many => f.many,
        };
        let wrong = if word == wanted {
            false
        } else if f.plural == Some(word.as_str()) {
            true
        } else if word == f.one && f.one != f.many {
            k != Kind::One
        } else {
            word == f.few && k == Kind::Many
        };
        (wrong && (k != Kind::One || count == 1)).then_some(wanted)
    })
}

/// The model's output with a quantity's placeholder put back where the model
/// wrote the quantity itself instead (as restored, inline or as in the
/// source), so that the checks that read around placeholders read it too: a
/// German bullet for "约{1}个/cm³" ({1} = "10.000.000") came back
/// "10.000.000 cm²", an area without its approximation, and passed, because
/// the unit and approximation checks saw no placeholder. `None` when nothing
/// was put back. Only a whole number is taken: "10" is not read in "110" or
/// "10,5".
pub fn reprotect(output: &str, p: &Protected) -> Option<String> {
    const SPACE: &str = r"[\s\u{a0}\u{202f}]?";
    let mut counts = vec![0usize; p.spans.len()];
    for c in PLACEHOLDER.captures_iter(output) {
        if let Some(n) = c[1]
            .parse::<usize>()
            .ok()
            .and_then(|i| counts.get_mut(i.wrapping_sub(1)))
        {
            *n += 1;
        }
    }
    let numeric = |c: char| c.is_ascii_digit();
    let whole_at = |text: &str, at: usize, len: usize| {
        let before = &text[..at];
        let after = &text[at + len..];
        let mut b = before.chars().rev();
        let ok_before = match b.next() {
            None => true,
            Some(c) if c.is_ascii_alphanumeric() || c == '{' => false,
            Some(c) if c.is_alphabetic() && text[at..].starts_with(char::is_alphabetic) => false,
            Some('.' | ',' | '-' | '/') => !b.next().is_some_and(numeric),
            Some(_) => true,
        };
        let mut a = after.chars();
        let ok_after = match a.next() {
            None => true,
            Some(c) if numeric(c) || c == '}' => false,
            // "2 m" is not read in "2 mm".
            Some(c) if c.is_alphabetic() && text[..at + len].ends_with(char::is_alphabetic) => {
                false
            }
            Some('.' | ',' | '-' | '/') => !a.next().is_some_and(numeric),
            Some(_) => true,
        };
        ok_before && ok_after
    };
    let mut text = output.to_string();
    let mut changed = false;
    for (i, s) in p.spans.iter().enumerate() {
        if s.kind != SpanKind::Quantity || counts[i] != 0 {
            continue;
        }
        let forms = [Some(&s.restore), s.inline.as_ref(), Some(&s.original)];
        let found = forms.into_iter().flatten().find_map(|form| {
            let form = form.trim();
            if form.chars().count() < 2 || !form.contains(numeric) {
                return None;
            }
            // Written with or without a space between the number and its
            // unit ("5000mAh" as "5000 mAh").
            let mut pattern = String::new();
            let mut prev: Option<char> = None;
            for c in form.chars() {
                if c.is_whitespace() {
                    if !pattern.ends_with(SPACE) {
                        pattern.push_str(SPACE);
                    }
                } else {
                    if prev.is_some_and(|p| p.is_ascii_digit() != c.is_ascii_digit())
                        && !matches!(c, '.' | ',')
                        && !prev.is_some_and(|p| matches!(p, '.' | ','))
                        && !pattern.ends_with(SPACE)
                    {
                        pattern.push_str(SPACE);
                    }
                    pattern.push_str(&regex::escape(&c.to_string()));
                }
                prev = Some(c);
            }
            let re = Regex::new(&pattern).ok()?;
            re.find_iter(&text)
                .find(|m| whole_at(&text, m.start(), m.len()))
                .map(|m| (m.start(), m.len()))
        });
        if let Some((at, len)) = found {
            text.replace_range(at..at + len, &Protected::placeholder(i));
            changed = true;
        }
    }
    changed.then_some(text)
}

/// Put spans back into a model's output. A placeholder the model dropped counts
/// as restored when the span's target text is there literally (the model copied
/// it instead); otherwise it is reported.
pub fn restore(output: &str, p: &Protected) -> Restored {
    let mut counts = vec![0usize; p.spans.len()];
    let mut issues = Vec::new();
    for c in PLACEHOLDER.captures_iter(output) {
        let i: usize = c[1].parse().unwrap_or(0);
        if i >= 1 && i <= counts.len() {
            counts[i - 1] += 1;
        } else {
            issues.push(SpanIssue::Unknown(i));
        }
    }
    // A quantity the source wrote against the next word ("65英寸4K") comes
    // back spelled with Latin letters ("65 inches"): it is not glued to that
    // word ("65 inches4K"), whether the word is text or another placeholder.
    let mut text = String::with_capacity(output.len() + 16);
    let mut glued = false;
    // A number's last digit against a capitalised word ("JBL Flip {3}" then
    // "{3}Bluetoothスピーカー" in a Japanese title: "6Bluetooth") is parted
    // from it too; not from a unit or a letter ("{1}mm", "{1}K", "{1}x{2}").
    let mut digits = false;
    let word = |piece: &str| {
        let mut cs = piece.chars();
        let letters: usize = piece
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .map(char::len_utf8)
            .sum();
        cs.next().is_some_and(|c| c.is_ascii_uppercase())
            && cs.take(2).filter(|c| c.is_ascii_lowercase()).count() == 2
            && units::table().lookup(&piece[..letters]).is_none()
    };
    let push = |text: &mut String, piece: &str, glued: &mut bool, digits: &mut bool| {
        if *glued && piece.starts_with(|c: char| c.is_ascii_alphanumeric())
            || *digits && word(piece)
        {
            text.push(' ');
        }
        if !piece.is_empty() {
            *glued = false;
            *digits = false;
        }
        text.push_str(piece);
    };
    // The model wrote the unit after a quantity's placeholder as well ("{1} Liter",
    // {1} = "1,2 L"): the repeated unit goes.
    let mut after: Option<&Span> = None;
    let unrepeated = |piece, after: Option<&Span>| match after {
        Some(s) => without_repeated_unit(piece, s),
        None => piece,
    };
    let mut pos = 0;
    for c in PLACEHOLDER.captures_iter(output) {
        let Some(m) = c.get(0) else { continue };
        push(
            &mut text,
            unrepeated(&output[pos..m.start()], after.take()),
            &mut glued,
            &mut digits,
        );
        pos = m.end();
        let i: usize = c[1].parse().unwrap_or(0);
        if let Some(s) = p.spans.get(i.wrapping_sub(1)) {
            let restore = match &s.inline {
                Some(inline) if mid_sentence(&output[..m.start()]) => inline,
                _ => &s.restore,
            };
            // Nor glued to the word before it ("Capacidad{1}" from "容量500毫升"
            // came back "Capacidad500 mililitros"), where it is written with
            // spaces itself.
            if s.kind == SpanKind::Quantity
                && restore.starts_with(|c: char| c.is_ascii_digit())
                && restore.contains(' ')
                && text
                    .chars()
                    .rev()
                    .take(3)
                    .filter(|c| c.is_alphabetic() && !script::is_cjk(*c))
                    .count()
                    == 3
            {
                text.push(' ');
            }
            push(&mut text, restore, &mut glued, &mut digits);
            // A percentage too ("100%桑蚕丝" came back in French "100%soie de
            // mûrier").
            glued = s.kind == SpanKind::Quantity
                && s.restore
                    .ends_with(|c: char| c.is_ascii_alphabetic() || c == ')' || c == '%')
                // Nor a name or code glued to the next word ("{6}monitor"
                // came back "HDR400monitor" in a Polish title).
                || matches!(
                    s.kind,
                    SpanKind::ModelNumber | SpanKind::Brand | SpanKind::Term
                ) && s.restore.ends_with(|c: char| c.is_ascii_alphanumeric());
            digits =
                s.kind == SpanKind::Quantity && restore.ends_with(|c: char| c.is_ascii_digit());
            after = (s.kind == SpanKind::Quantity).then_some(s);
        }
    }
    push(
        &mut text,
        unrepeated(&output[pos..], after),
        &mut glued,
        &mut digits,
    );
    for (i, n) in counts.iter().enumerate() {
        match n {
            1 => {}
            0 => {
                let s = &p.spans[i];
                if !(text.contains(&s.restore) && s.restore.chars().count() >= 2) {
                    issues.push(SpanIssue::Missing(i + 1));
                }
            }
            n => issues.push(SpanIssue::Duplicated(i + 1, *n)),
        }
    }
    Restored { text, issues }
}

/// Words that join two numbers ("2 or 4 hours", "2到4小时"): a number before
/// one shares the unit of the number after it.
const CONNECTIVES: [&str; 20] = [
    "or", "to", "and", "oder", "bis", "und", "ou", "à", "et", "o", "a", "y", "e", "或", "到", "至",
    "和", "及", "与", "-",
];

/// The units a quantity span is written in: the source's and those of what it was
/// restored as ("9/16 in" restored as "14,3 mm": in and mm).
pub(super) fn span_units(s: &Span) -> Vec<&'static Unit> {
    let table = units::table();
    let mut out: Vec<&Unit> = Vec::new();
    for text in [&s.original, &s.restore] {
        for c in QUANTITY.captures_iter(text) {
            let Some(u) = c.get(1).and_then(|m| table.lookup(m.as_str())) else {
                continue;
            };
            if !out.iter().any(|x| x.id == u.unit.id) {
                out.push(u.unit);
            }
        }
    }
    // A unit restored by a name that is written but not read (Russian "кг").
    let restored = s.restore.trim_end();
    for u in table.units() {
        let written = u.local.values().chain(u.writes.values().flatten());
        if written.into_iter().any(|w| {
            restored
                .strip_suffix(w.as_str())
                .is_some_and(|r| r.ends_with(|c: char| c.is_ascii_digit() || c == ' '))
        }) && !out.iter().any(|x| x.id == u.id)
        {
            out.push(u);
        }
    }
    out
}

/// Endings of inflected unit names the table does not list ("Litern", "Metern",
/// "kilos"): plural and case endings the Latin-script languages share. Only added to
/// names of three letters or more that end in a letter.
const UNIT_NAME_ENDINGS: [&str; 4] = ["s", "es", "n", "en"];

/// Endings of a Russian unit name: its cases ("дюйма", "дюймов") and the
/// adjective made of it ("дюймовый", "литровая", "метровое").
const RUSSIAN_UNIT_ENDINGS: [&str; 14] = [
    "а",
    "ы",
    "ов",
    "ах",
    "ами",
    "овый",
    "овая",
    "овое",
    "овые",
    "ового",
    "овой",
    "овом",
    "овым",
    "овых",
];

/// The inflected forms of a unit name the table does not list: the endings
/// the Latin-script languages share ([`UNIT_NAME_ENDINGS`]) on a name of three
/// letters or more that ends in a letter, and in Russian its cases and the
/// adjective made of it ("дюймов", "6-дюймовый": 6档, six settings, came back
/// so).
fn inflected(w: &str) -> Vec<String> {
    if w.chars().count() < 3 || !w.ends_with(|c: char| c.is_alphabetic() && !script::is_cjk(c)) {
        return Vec::new();
    }
    let russian = w.starts_with(|c: char| ('\u{0400}'..='\u{04FF}').contains(&c));
    UNIT_NAME_ENDINGS
        .iter()
        .chain(RUSSIAN_UNIT_ENDINGS.iter().filter(|_| russian))
        .map(|e| format!("{w}{e}"))
        .collect()
}

/// What kind of word a character continues: a unit name ends where the next
/// character is of another kind ("Liter in", "分で", "リットルの"; hiragana and
/// katakana are two kinds), not where it is of the same ("Literflasche",
/// "ミリタリー", "米色").
fn word_kind(c: char) -> u8 {
    if script::is_han(c) {
        1
    } else if script::is_kana(c) {
        // Hiragana particles end a katakana word: "リットルの".
        if matches!(c, '\u{3040}'..='\u{309F}') {
            2
        } else {
            5
        }
    } else if script::is_hangul(c) {
        3
    } else if c.is_alphanumeric() || matches!(c, '-' | '\'' | '’') {
        4
    } else {
        0
    }
}

/// Byte length of `name` at the start of `t` (case-folded unless `exact`) when it
/// is a whole word there: the next character is of another [`word_kind`].
fn name_at_start(t: &str, name: &str, exact: bool) -> Option<usize> {
    let n = name_prefix_len(t, name, exact)?;
    let end = name.chars().last()?;
    match t[n..].chars().next() {
        // A Korean name with its particle ("밀리세컨드로"): the particle stays.
        Some(_) if script::is_hangul(end) && korean_particle_at(&t[n..]) => Some(n),
        Some(next) if word_kind(next) != 0 && word_kind(next) == word_kind(end) => None,
        _ => Some(n),
    }
}

/// Whether `t` starts with a Korean particle that ends its word (로, 으로, 의,
/// 가, 를 …), which glues to the noun before it.
fn korean_particle_at(t: &str) -> bool {
    const PARTICLES: [&str; 17] = [
        "으로", "로", "의", "이", "가", "을", "를", "은", "는", "와", "과", "에서", "에", "까지",
        "부터", "도", "만",
    ];
    PARTICLES.iter().any(|p| {
        t.strip_prefix(p)
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| !script::is_hangul(c)))
    })
}

/// Byte length of `name` at the start of `t` (case-folded unless `exact`),
/// whatever follows it.
fn name_prefix_len(t: &str, name: &str, exact: bool) -> Option<usize> {
    let mut n = 0;
    let mut tc = t.chars();
    for nc in name.chars() {
        let c = tc.next()?;
        let same = if exact {
            c == nc
        } else {
            c.to_lowercase().eq(nc.to_lowercase())
        };
        if !same {
            return None;
        }
        n += c.len_utf8();
    }
    Some(n)
}

/// The placeholders of `text` that stand for a quantity: each one's number
/// (`{i}`), the byte offset right after it, and its span.
fn quantity_placeholders<'a>(
    text: &'a str,
    spans: &'a [Span],
) -> impl Iterator<Item = (usize, usize, &'a Span)> + 'a {
    placeholders_of(text, spans, SpanKind::Quantity)
}

/// The quantities of `source` measured in `dimension` ("mass", "length"):
/// the offset of each one's placeholder in `source`, the placeholder, and
/// its span.
fn quantities_in<'a>(
    source: &'a str,
    spans: &'a [Span],
    dimension: &'a str,
) -> impl Iterator<Item = (usize, String, &'a Span)> + 'a {
    quantity_placeholders(source, spans).filter_map(move |(i, _, s)| {
        if !span_units(s).iter().any(|u| u.dimension == dimension) {
            return None;
        }
        let placeholder = Protected::placeholder(i - 1);
        let at = source.find(&placeholder)?;
        Some((at, placeholder, s))
    })
}

/// The placeholders of `text` whose spans are of `kind`: (number, end of the
/// placeholder, span).
fn placeholders_of<'a>(
    text: &'a str,
    spans: &'a [Span],
    kind: SpanKind,
) -> impl Iterator<Item = (usize, usize, &'a Span)> + 'a {
    PLACEHOLDER.captures_iter(text).filter_map(move |c| {
        let end = c.get(0)?.end();
        let i: usize = c[1].parse().ok()?;
        let s = spans.get(i.checked_sub(1)?)?;
        (s.kind == kind).then_some((i, end, s))
    })
}

/// Units the model wrote right after a quantity's placeholder that the source
/// does not have there: "6 Meals per Day" → "{1}日ご飯" (six meals became six
/// days), "30 m² per hour" → "{1}分毎に" (per hour became per minute), "{1}
/// segundos" with {1} = "4 minutos". Each is returned as the quantity and the
/// name the model added ("6日", "30 m² 分", "4 minutos segundos").
///
/// A name is a unit word of the target language in `markets/units.toml` (read,
/// or only written as the calendar units are; with a plural or case ending
/// too), never a symbol: "in" and "m" are words as well. A one-character CJK
/// name is a name before a character of another kind or a time suffix
/// (毎, 間, 後: "6日ご飯", "分毎"), not inside a word ("6分割" is six parts).
/// Counts, multipliers and ratios are no addition ("6点セット", "4 Stück").
///
/// Not an addition: the unit [`restore`] drops as a repeat, a unit the source
/// writes right after the same placeholder in any language ("{1}天" → "{1}
/// days", "{1}-year" → "{1}年"), a unit another quantity of the segment has
/// after a number that has none ("4 or 6 hours" → "4時間または6時間"; after
/// "24W" a "V" is added), and a year after a number that
/// reads as one ("2024年モデル").
pub fn added_units(source: &str, output: &str, spans: &[Span], target: &str) -> Vec<String> {
    let segment_units: Vec<&str> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Quantity)
        .flat_map(span_units)
        .map(|u| u.id.as_str())
        .collect();
    let cjk_source = source.chars().any(script::is_cjk);
    let mut added = Vec::new();
    for (i, end, s) in quantity_placeholders(output, spans) {
        let rest = &output[end..];
        let rest = &rest[repeated_unit_len(rest, s)..];
        let counts = is_count;
        let measured = span_units(s).into_iter().any(|x| !counts(x));
        let own = |u: &Unit| span_units(s).into_iter().any(|x| x.id == u.id);
        let found = unit_name_at(rest, Names::Target(target)).or_else(|| {
            // Another unit's symbol after a measured quantity ("{1} kg" with
            // {1} = "450 g"): only a symbol that is no word. After a bare
            // number of a Chinese or Japanese source too ("{1} km/h" with {1}
            // = "21" of "21速", 21 gears), whose units the table reads in
            // their own script: a Latin source may write one the table does
            // not read ("{1} Go", French gigabytes).
            unit_symbol_at(rest).filter(|(u, _)| !own(u) && (measured || cjk_source))
        });
        // A degree or percent sign glued to a quantity that has a unit of
        // its own ("{1}°" with {1} = "150 kg" came back "150 kg°" in a
        // Malay title): a sign only a bare number carries.
        if found.is_none()
            && measured
            && let Some(sign) = rest.chars().next().filter(|c| matches!(c, '°' | '%'))
            && !rest[sign.len_utf8()..].starts_with(|c: char| c.is_alphabetic())
        {
            added.push(format!("{}{sign}", s.restore));
            continue;
        }
        let Some((u, len)) = found else {
            continue;
        };
        // A unit to a negative power is a rate ("{1} cm⁻³", per cubic
        // centimetre, for "{1}个/cm³"), which the rate check reads.
        if rest[len..].starts_with(['⁻', '^']) {
            continue;
        }
        // A Cyrillic letter alone before a word in lower case is a preposition,
        // not a unit ("{1} с трубочкой", with a straw, is no "s" of seconds).
        let letter = rest[..len].trim_start_matches([' ', '\u{a0}', '\u{202f}', '-', '‐']);
        let mut letters = letter.chars();
        if let (Some(l), None) = (letters.next(), letters.next())
            && l.is_lowercase()
            && matches!(l, '\u{0400}'..='\u{04ff}')
            && rest[len..].starts_with(' ')
            && rest[len + 1..].starts_with(char::is_lowercase)
        {
            continue;
        }
        // The quantity's own unit named again ("{1}-дюймовый" with {1} = "6
        // дюймов") is no unit added.
        if own(u) {
            continue;
        }
        // A count after a quantity that is no count ("{1}個以上" with {1} =
        // "30時間") is added; after a number or a count it is the model's way to
        // count ("{1}点セット", "3件套").
        // A unit another quantity of the segment has, after a bare number
        // ("Timer for 2 or 4 hours": "{1}時間または{2}"), is the source's.
        // Not where the source writes its own word after that number: "6叶
        // 不锈钢刀头，约30秒" (six blades, about 30 seconds) came back in Russian
        // "6 секунд".
        let placeholder = Protected::placeholder(i - 1);
        let own_word = source.match_indices(&placeholder).any(|(at, _)| {
            let after = source[at + placeholder.len()..].trim_start();
            after.starts_with(char::is_alphabetic)
                && !CONNECTIVES.iter().any(|c| {
                    after.starts_with(c)
                        && (c.chars().all(script::is_cjk)
                            || !after[c.len()..].starts_with(char::is_alphabetic))
                })
        });
        if !measured && (counts(u) || segment_units.contains(&u.id.as_str()) && !own_word) {
            continue;
        }
        // An age is a bare number: a measured quantity is none ("{2}-year-old"
        // with {2} = "12 inch", a balance bike's wheel, came back "12
        // inches-year-old" in an English title that gives an age too).
        if is_year(u, s) || u.id == "year" && mentions_age(source) && !measured {
            continue;
        }
        let in_source = source.match_indices(&placeholder).any(|(at, _)| {
            unit_name_at(&source[at + placeholder.len()..], Names::Any)
                .is_some_and(|(v, _)| v.id == u.id || !is_count(v))
        });
        // A degree sign after the number in the source is an angle's ("±{2}°",
        // which came back in Polish "o {2} stopni"): the table writes the
        // angle's names but reads no symbol for it. Not a temperature's
        // ("°C"), but a Chinese letter may follow ("{1}°并锁定", reclines to
        // 135° and locks, came back in Turkish "{1} derece").
        let angle = u.id == "°"
            && source.match_indices(&placeholder).any(|(at, _)| {
                let after = &source[at + placeholder.len()..];
                after.starts_with('°')
                    && !after['°'.len_utf8()..].starts_with(|c: char| c.is_ascii_alphabetic())
            });
        if in_source || angle || u.id == "rpm" && rpm_in_parts(source, &placeholder) {
            continue;
        }
        let name = rest[..len].trim_start_matches([' ', '\u{a0}', '\u{202f}', '-', '‐']);
        let sep = if name.starts_with(script::is_cjk) {
            ""
        } else {
            " "
        };
        let sep = if rest.starts_with(char::is_whitespace) {
            " "
        } else {
            sep
        };
        added.push(format!("{}{sep}{name}", s.restore));
    }
    // A unit symbol glued to a model number ("{3}mm" with {3} = "VG10", a
    // knife steel's grade, came back "VG10mm core"): a grade or a part number
    // carries no unit, unless the source glues one to it there too.
    for (i, end, s) in placeholders_of(output, spans, SpanKind::ModelNumber) {
        let rest = &output[end..];
        if rest.starts_with(char::is_whitespace) {
            continue;
        }
        let Some((_, len)) = unit_symbol_at(rest) else {
            continue;
        };
        let placeholder = Protected::placeholder(i - 1);
        let in_source = source
            .match_indices(&placeholder)
            .any(|(at, p)| unit_symbol_at(&source[at + p.len()..]).is_some());
        if !in_source {
            added.push(format!("{}{}", s.restore, &rest[..len]));
        }
    }
    added
}

/// Unit symbols written as a word with no number before them ("диаметр см",
/// "Size M/L Cm") in `output`, that `source` never names without a number
/// before them: a knife's
/// title came back in Russian "лезвие 19 см, диаметр см", a diameter with
/// its number lost (or never given). Only a symbol of two characters or
/// more with a letter, of a measured unit (no count), as a whole word after
/// a word; not after a preposition of two letters or fewer ("Maße in cm",
/// "в см"), nor before a colon or a closing bracket ("Размеры, см:").
pub fn bare_units(source: &str, output: &str) -> Vec<String> {
    let found = |text: &str| -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in text.char_indices() {
            if !c.is_alphabetic() || text[..i].ends_with(|p: char| !p.is_whitespace()) {
                continue;
            }
            let rest = &text[i..];
            let Some(sym) = bare_symbol_at(rest) else {
                continue;
            };
            let after = rest[sym.len()..].trim_start_matches([' ', '\u{a0}']);
            if rest[sym.len()..].starts_with(char::is_alphanumeric)
                || after.starts_with([':', '：', ')', '）', ']', '/', '²', '³'])
            {
                continue;
            }
            let before = text[..i].trim_end_matches([' ', '\u{a0}', '\u{202f}']);
            let word_start = before
                .char_indices()
                .rev()
                .find(|&(_, p)| !p.is_alphabetic())
                .map_or(0, |(j, p)| j + p.len_utf8());
            let word = &before[word_start..];
            if word.is_empty()
                || !word.chars().all(char::is_alphabetic)
                || word.chars().count() <= 2 && word.chars().all(char::is_lowercase)
            {
                continue;
            }
            out.push(sym.to_string());
        }
        out
    };
    // The source's own symbols not after a number ("in PSI, BAR or kPa",
    // "DPI可调"): a list of units, or a unit named, is no number lost.
    let source_lower = source.to_lowercase();
    let named_in_source = |sym: &str| {
        let sym = sym.to_lowercase();
        source_lower.match_indices(&sym).any(|(at, _)| {
            !source_lower[..at]
                .trim_end_matches([' ', '\u{a0}', '\u{202f}'])
                .ends_with(|c: char| c.is_ascii_digit())
        })
    };
    found(output)
        .into_iter()
        .filter(|sym| !BARE_ALSO_WORDS.contains(&sym.as_str()) && !named_in_source(sym))
        .collect()
}

/// Unit symbols that are also words or names on their own: "HP" is a phone
/// in Indonesian and Malay ("Holder HP Mobil"), and a maker.
const BARE_ALSO_WORDS: [&str; 2] = ["HP", "hp"];

/// The symbol of a measured unit at the start of `t`, as [`bare_units`]
/// reads one: its own symbols and the local ones ("см"), two characters or
/// more with a letter, no word of [`SYMBOLS_ALSO_WORDS`]; the longest.
fn bare_symbol_at(t: &str) -> Option<&str> {
    let mut best: Option<&str> = None;
    for u in units::table().units() {
        if is_count(u) {
            continue;
        }
        for sym in u.symbols.iter().chain(u.local.values()) {
            if sym.chars().count() < 2
                || !sym.chars().any(char::is_alphabetic)
                || SYMBOLS_ALSO_WORDS.contains(&sym.as_str())
            {
                continue;
            }
            let n = if u.exact_case {
                t.starts_with(sym.as_str()).then_some(sym.len())
            } else {
                t.get(..sym.len())
                    .filter(|h| {
                        h.eq_ignore_ascii_case(sym) || h.to_lowercase() == sym.to_lowercase()
                    })
                    .map(str::len)
            };
            if let Some(n) = n
                && best.is_none_or(|b| n > b.len())
            {
                best = Some(&t[..n]);
            }
        }
    }
    best
}

/// Words of a Chinese or Japanese source that name a load capacity before
/// its mass ("承重25kg", "耐荷重100kg").
const LOAD_SOURCE: [&str; 7] = ["承重", "载重", "承载", "负重", "荷重", "負荷", "載重"];

/// Words that say a mass is a load capacity, per target language, lower
/// case, read as parts of words ("belast" in "belastbar"); generous, so that
/// only a translation with none of them is flagged.
#[rustfmt::skip]
const LOAD_WORDS: &[(&str, &[&str])] = &[
    ("en", &["load", "capacity", "hold", "support", "bear", "carr", "max", "up to", "withstand", "rated"]),
    ("de", &["belast", "trag", "hält", "halten", "max", "bis zu"]),
    ("fr", &["charge", "support", "capacité", "porte", "max", "jusqu"]),
    ("es", &["carga", "soport", "capacidad", "aguant", "máx", "max", "hasta"]),
    ("it", &["carico", "portata", "sopport", "regge", "capacità", "max", "fino a"]),
    ("pt", &["carga", "suport", "capacidade", "aguent", "máx", "max", "até"]),
    ("nl", &["draag", "belast", "capaciteit", "max", "tot"]),
    ("pl", &["obciąż", "udźwig", "nośn", "wytrzym", "maks", "do "]),
    ("ru", &["нагруз", "грузопод", "выдерж", "макс", "до "]),
    ("tr", &["taşı", "yük", "kapasite", "maks", "dayan"]),
    ("id", &["beban", "menahan", "kapasitas", "maks", "menopang", "hingga"]),
    ("ms", &["beban", "menampung", "kapasiti", "maks", "menahan", "sehingga"]),
    ("vi", &["tải", "chịu", "sức chứa", "tối đa", "đến"]),
    ("th", &["รับน้ำหนัก", "รับ", "สูงสุด", "บรรทุก"]),
    ("ar", &["حمول", "تحمل", "يتحمل", "الحمل", "سعة", "أقصى", "حتى"]),
    ("ko", &["하중", "최대", "견디", "적재", "지지", "까지"]),
    ("ja", &["荷重", "最大", "積載", "まで"]),
    ("zh", &["承重", "载重", "承载", "负重", "最大"]),
];

/// A load capacity of a Chinese or Japanese source ("承重25kg") that the
/// translation gives as a bare mass: a stroller's US title came back "…
/// One-Hand Fold 55.1 lb GB-C400", where a buyer reads the stroller's own
/// weight. The mass's restored text, where the source names a load right
/// before the mass's placeholder (within four characters), the output has
/// that placeholder, and no word of [`LOAD_WORDS`] of the target language.
pub fn load_lost(source: &str, output_raw: &str, spans: &[Span], target: &str) -> Option<String> {
    let lang = target.split(['-', '_']).next().unwrap_or(target);
    let words = LOAD_WORDS.iter().find(|(l, _)| *l == lang)?.1;
    for (at, placeholder, s) in quantities_in(source, spans, "mass") {
        let before = tail_chars(&source[..at], 4);
        if !LOAD_SOURCE.iter().any(|w| before.contains(w)) || !output_raw.contains(&placeholder) {
            continue;
        }
        let lower = output_raw.to_lowercase();
        if !words.iter().any(|w| lower.contains(w)) {
            return Some(s.restore.clone());
        }
    }
    None
}

/// A measure's name, its words in a Chinese or Japanese source, and its
/// words in each language read ([`MEASURES`]).
type Measure = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static [&'static str])],
);

/// The measures a length is given as, with the words that name each: in a
/// Chinese or Japanese source right before the number ("宽20mm", "镜腿长145mm",
/// "厚さ5mm"), and in a translation near it, as the start of a word (its
/// inflections: Polish "długości", Russian "ширины"); in Japanese and Korean
/// anywhere in the text near it. Languages whose words for these are also
/// common words of other meanings (Vietnamese "cao", high and premium;
/// Arabic "عرض", width and display) are not read.
#[rustfmt::skip]
const MEASURES: &[Measure] = &[
    ("length", &["长度", "長度", "全长", "全長", "長さ", "长", "長"], &[
        ("en", &["length", "long"]), ("de", &["läng", "lang"]), ("fr", &["longueur", "long"]),
        ("es", &["longitud", "largo", "larga"]), ("it", &["lunghezz", "lung"]),
        ("pt", &["comprimento", "comprid", "longo", "longa"]), ("nl", &["lengte", "lang"]),
        ("pl", &["długo", "dług"]), ("ru", &["длин"]), ("tr", &["uzunluk", "uzun"]),
        ("id", &["panjang"]), ("ms", &["panjang"]), ("ja", &["長さ", "全長"]), ("ko", &["길이"]),
    ]),
    ("width", &["宽度", "寬度", "宽", "寬", "幅"], &[
        ("en", &["width", "wide"]), ("de", &["breit"]), ("fr", &["largeur", "large"]),
        ("es", &["ancho", "ancha", "anchura"]), ("it", &["larghezz", "largo", "larga", "larghi", "larghe"]),
        ("pt", &["largura", "largo", "larga"]), ("nl", &["breedte", "breed"]),
        ("pl", &["szerok"]), ("ru", &["ширин", "широк"]), ("tr", &["genişlik", "geniş"]),
        ("id", &["lebar"]), ("ms", &["lebar"]), ("ja", &["幅"]), ("ko", &["너비", "폭"]),
    ]),
    ("height", &["高度", "高さ", "高", "身長", "身长", "身高"], &[
        ("en", &["height", "high", "tall"]), ("de", &["höhe", "hoch", "hoh"]),
        ("fr", &["hauteur", "haut"]), ("es", &["altura", "alto", "alta"]),
        ("it", &["altezz", "alto", "alta", "alti", "alte"]), ("pt", &["altura", "alto", "alta"]),
        ("nl", &["hoogte", "hoog"]), ("pl", &["wysok"]), ("ru", &["высот", "высок"]),
        ("tr", &["yükseklik", "yüksek"]), ("id", &["tinggi"]), ("ms", &["tinggi"]),
        ("ja", &["高さ"]), ("ko", &["높이"]),
    ]),
    ("thickness", &["厚度", "厚さ", "厚み", "厚"], &[
        ("en", &["thick"]), ("de", &["dick", "stärke"]), ("fr", &["épaisseur", "épais"]),
        ("es", &["grosor", "espesor", "grues"]), ("it", &["spessor", "spess"]),
        ("pt", &["espessura", "espess", "grossura"]), ("nl", &["dikte", "dik"]),
        ("pl", &["grubo", "grub"]), ("ru", &["толщин", "толст"]), ("tr", &["kalınlık", "kalın"]),
        ("id", &["tebal", "ketebalan"]), ("ms", &["tebal", "ketebalan"]),
        ("ja", &["厚さ", "厚み"]), ("ko", &["두께"]),
    ]),
    ("diameter", &["直径", "直徑", "径"], &[
        ("en", &["diameter", "dia."]), ("de", &["durchmesser"]), ("fr", &["diamètre"]),
        ("es", &["diámetro"]), ("it", &["diametro"]), ("pt", &["diâmetro"]),
        ("nl", &["diameter", "doorsnede"]), ("pl", &["średnic"]), ("ru", &["диаметр"]),
        ("tr", &["çap"]), ("id", &["diameter"]), ("ms", &["diameter"]),
        ("ja", &["直径", "径"]), ("ko", &["지름", "직경"]),
    ]),
    ("depth", &["深度", "奥行き", "奥行", "深"], &[
        ("en", &["depth", "deep"]), ("de", &["tief"]), ("fr", &["profond"]),
        ("es", &["profund"]), ("it", &["profond"]), ("pt", &["profund"]),
        ("nl", &["diepte", "diep"]), ("pl", &["głębok"]), ("ru", &["глубин", "глубок"]),
        ("tr", &["derin"]), ("id", &["kedalaman"]), ("ms", &["kedalaman"]),
        ("ja", &["奥行", "深さ"]), ("ko", &["깊이"]),
    ]),
];

/// The measure (`MEASURES`) a Chinese or Japanese source names right before
/// `at`: after the word only a colon, 为 or 约 ("宽度：", "长约"). Not where two
/// measures stand together ("长宽高", the sizes of a list), nor the 高 of 最高
/// (the most), 提高 or 增高 (raised by).
fn source_measure(before: &str) -> Option<&'static str> {
    let b = before.trim_end_matches([' ', ':', '：', '为', '約', '约', '\u{a0}']);
    // The longest word: 身長 (a person's height) is no 長 (length).
    let (name, word) = MEASURES
        .iter()
        .flat_map(|(name, src, _)| src.iter().map(move |w| (*name, *w)))
        .filter(|(_, w)| b.ends_with(w))
        .max_by_key(|(_, w)| w.len())?;
    let rest = &b[..b.len() - word.len()];
    let other = MEASURES
        .iter()
        .any(|(_, src, _)| src.iter().any(|w| rest.ends_with(w)));
    let raised = ["最", "提", "增", "加"].iter().any(|w| rest.ends_with(w)) && name == "height";
    (!other && !raised).then_some(name)
}

/// The words of the output's phrase around a placeholder: up to four words
/// before it and three after it, within the phrase (a punctuation mark, a
/// number, another placeholder or a sign of multiplication ends it).
fn phrase_around(output: &str, at: usize, end: usize) -> (String, String) {
    let stop = |c: char| {
        matches!(
            c,
            ',' | ';'
                | ':'
                | '.'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '/'
                | '×'
                | '*'
                | '，'
                | '；'
                | '：'
                | '、'
                | '。'
                | '（'
                | '）'
                | '\n'
        ) || c.is_ascii_digit()
    };
    let before = &output[..at];
    let before = before.rfind(stop).map_or(before, |i| {
        let c = before[i..].chars().next().map_or(1, char::len_utf8);
        &before[i + c..]
    });
    let after = &output[end..];
    let after = after.find(stop).map_or(after, |i| &after[..i]);
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .filter(|w| !w.eq_ignore_ascii_case("x"))
            .map(str::to_lowercase)
            .collect()
    };
    // A spaced "x" between two sizes ends the phrase too ("140 cm x Tinggi").
    let cut_before = before.rsplit_once(" x ").map_or(before, |(_, b)| b);
    let cut_after = after.split_once(" x ").map_or(after, |(a, _)| a);
    let b = words(cut_before);
    let a = words(cut_after);
    // After the number, its measure comes first or after a short word ("20 mm
    // long", "20 mm de ancho"): not "with high luster" of a pearl's size.
    let after_words = if a.first().is_some_and(|w| w.chars().count() <= 3) {
        2
    } else {
        1
    };
    (
        b[b.len().saturating_sub(4)..].join(" "),
        a[..a.len().min(after_words)].join(" "),
    )
}

/// A length of a Chinese or Japanese source named as one measure ("表带宽
/// 20mm", the strap's width) that the translation names as another near its
/// number and not as the source's: a watch's Polish bullet "Pasek …, który
/// może być regulowany do 20 mm długości" (adjustable to a length of 20 mm).
/// Returns the restored quantity, the source's measure and the
/// translation's. Read only in the languages of [`MEASURES`], only where
/// the translation names one measure there, and not for measures a good
/// translation gives for each other (a branch's diameter as its thickness).
pub fn dimension_changed(
    source: &str,
    output_raw: &str,
    spans: &[Span],
    target: &str,
) -> Option<(String, &'static str, &'static str)> {
    let lang = target.split(['-', '_']).next().unwrap_or(target);
    let cjk = matches!(lang, "ja" | "ko");
    let words_of = |name: &str| {
        MEASURES
            .iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, _, t)| t.iter().find(|(l, _)| *l == lang))
            .map(|(_, w)| *w)
    };
    words_of("length")?;
    let names = |text: &str, name: &str| {
        let Some(words) = words_of(name) else {
            return false;
        };
        if cjk {
            return words.iter().any(|w| text.contains(w));
        }
        text.split(|c: char| !c.is_alphanumeric() && c != '.')
            .any(|t| words.iter().any(|w| t.starts_with(w)))
    };
    for (at, placeholder, s) in quantities_in(source, spans, "length") {
        let Some(measure) = source_measure(tail_chars(&source[..at], 6)) else {
            continue;
        };
        let Some(out_at) = output_raw.find(&placeholder) else {
            continue;
        };
        let (before, after) = phrase_around(output_raw, out_at, out_at + placeholder.len());
        let near = format!("{before} | {after}");
        if names(&near, measure) {
            continue;
        }
        let given: Vec<&'static str> = MEASURES
            .iter()
            .map(|(n, _, _)| *n)
            .filter(|n| *n != measure && names(&near, n))
            .collect();
        // Measures a good translation gives for each other, by the thing
        // measured: a branch's diameter as its thickness, a round mouth's as
        // its width, a mattress's thickness as its height or depth.
        const ALIKE: [[&str; 2]; 5] = [
            ["diameter", "thickness"],
            ["diameter", "width"],
            ["thickness", "height"],
            ["thickness", "depth"],
            ["height", "depth"],
        ];
        if given
            .iter()
            .any(|g| ALIKE.iter().any(|p| p.contains(g) && p.contains(&measure)))
        {
            continue;
        }
        if let [other] = given[..] {
            return Some((s.restore.clone(), measure, other));
        }
    }
    None
}

/// Whether a Chinese or Japanese source gives the number behind `placeholder`
/// revolutions per minute in parts rather than as one unit: "每分钟转速{1}转",
/// "{1}转/每分钟" (revolutions after the number and a minute in the segment),
/// "转速高达{1}" (a rotational speed, whose unit is rpm unless the segment
/// counts per second), "毎分{1}回転". Then "{1} rpm" is the source's unit.
fn rpm_in_parts(source: &str, placeholder: &str) -> bool {
    const REVOLUTIONS: [&str; 4] = ["转", "轉", "回転", "圈"];
    const SPEED: [&str; 4] = ["转速", "轉速", "回転数", "回転速度"];
    const PER_MINUTE: [&str; 8] = [
        "每分", "毎分", "/分", "／分", "分钟", "分鐘", "分間", "/min",
    ];
    let per_minute = PER_MINUTE.iter().any(|w| source.contains(w));
    let per_second = ["每秒", "毎秒", "/秒", "秒钟"]
        .iter()
        .any(|w| source.contains(w));
    source.match_indices(placeholder).any(|(at, p)| {
        let after = source[at + p.len()..].trim_start();
        let revolutions = REVOLUTIONS.iter().any(|w| after.starts_with(w));
        // The few characters before the number ("转速高达", "转速：").
        let before: String = {
            let b: Vec<char> = source[..at].chars().rev().take(6).collect();
            b.into_iter().rev().collect()
        };
        let speed = SPEED.iter().any(|w| before.contains(w));
        revolutions && per_minute || speed && !per_second
    })
}

/// A rate per length, area, volume or mass of a Chinese or Japanese source
/// (每米, 每平方米, 毎キロ: "每米60颗灯珠", sixty LEDs per metre) whose unit the
/// translation never names: "Светодиоды длиной 5 м, каждые 60 штук" (every
/// sixty) kept every number and lost the rate. Read on the protected source
/// and the model's raw output: the unit's name, written name or symbol in
/// the target language anywhere but right after a placeholder or a number
/// (where it is a quantity's unit). Nothing is read into a language
/// the unit table has no names of that unit for. Returns what the source
/// said ("每米").
pub fn per_unit_lost(
    source: &str,
    output: &str,
    source_lang: &str,
    target_lang: &str,
) -> Vec<String> {
    let src = crate::listing::base_language(source_lang);
    let tgt = crate::listing::base_language(target_lang);
    if !matches!(src, "zh" | "ja") || src == tgt {
        return Vec::new();
    }
    let out = output.to_lowercase();
    let mut lost: Vec<String> = Vec::new();
    for (i, c) in source
        .char_indices()
        .filter(|(_, c)| matches!(c, '每' | '毎'))
    {
        let after = &source[i + c.len_utf8()..];
        let skip = ["一个", "一", "1", "个", "個"]
            .iter()
            .find(|p| after.starts_with(**p))
            .map_or(0, |p| p.len());
        let rest = &after[skip..];
        // Only a name right after 每 (no space: "每 5" is no rate).
        if rest.starts_with(char::is_whitespace) {
            continue;
        }
        let Some((u, len)) = unit_name_at(rest, Names::Source(src)) else {
            continue;
        };
        if !matches!(u.dimension.as_str(), "length" | "area" | "volume" | "mass") {
            continue;
        }
        if !u.words.contains_key(tgt) && !u.writes.contains_key(tgt) {
            continue;
        }
        // Its names, and those of the other units of its kind (a rate per
        // square metre may be said "на квадратный метр", whose words the
        // table lists for metres).
        let kin: Vec<&Unit> = units::table()
            .units()
            .iter()
            .filter(|v| {
                v.dimension == u.dimension
                    || matches!(u.dimension.as_str(), "area" | "volume") && v.dimension == "length"
            })
            .collect();
        let words: Vec<String> = kin.iter().flat_map(|v| v.names_in(tgt)).collect();
        let symbols: Vec<String> = kin
            .iter()
            .flat_map(|v| v.symbols.iter().chain(v.local.get(tgt)))
            .map(|s| s.to_lowercase())
            .collect();
        // The rate's own number: the placeholder right after the unit
        // ("每米{2}颗").
        let rate_number = {
            let tail = &rest[len..];
            tail.find('{')
                .filter(|&b| tail[..b].chars().count() <= 2)
                .and_then(|b| tail[b..].find('}').map(|e| tail[b..b + e + 1].to_string()))
        };
        let named = |name: &str, bounded: bool| {
            out.match_indices(name).any(|(at, m)| {
                // After a placeholder or a number it is a quantity's unit,
                // but not after a lone 1 ("на 1 м", per one metre).
                let before = out[..at].trim_end_matches([' ', '\u{a0}', '\u{202f}']);
                // Nor the rate's, given another quantity: "5米 每米60灯珠"
                // came back in Dutch "5 meter per meter met USB-breedte 60"
                // ("{1} per meter … {2}").
                let word = before.trim_end_matches(char::is_alphabetic);
                let other = word.len() < before.len()
                    && before.len() - word.len() <= 4
                    && word.trim_end().ends_with('}')
                    && rate_number
                        .as_deref()
                        .is_some_and(|r| !word.trim_end().ends_with(r));
                if other {
                    return false;
                }
                let one = before.strip_suffix('1').is_some_and(|b| {
                    !b.ends_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | ','))
                });
                let own =
                    before.ends_with('}') || before.ends_with(|c: char| c.is_ascii_digit()) && !one;
                let whole = !bounded
                    || !out[..at].ends_with(char::is_alphanumeric)
                        && !out[at + m.len()..].starts_with(char::is_alphanumeric);
                !own && whole
            })
        };
        let said = words.iter().any(|w| named(w, w.chars().count() < 3))
            || symbols.iter().any(|s| named(s, true));
        let what = source[i..i + c.len_utf8() + skip + len].to_string();
        if !said && !lost.contains(&what) {
            lost.push(what);
        }
    }
    lost
}

/// Calendar units (the table's units that are written but never read: day,
/// week, month, year) that the source gives a number right after it and the
/// translation does not: "Up to {1} days of battery life" → "Up to {1}
/// Akkulaufzeit" (thirteen days became thirteen). A quantity span carries a
/// unit that is read, so only these can go missing. Each is returned as the
/// number and the source's name ("13 days").
///
/// The translation keeps the unit when one of its names in the target
/// language follows the same placeholder, in any form the table lists
/// ("{1} Tage", "{1}-tägige", "{1}日間", "{1}-day"). A year after a number that
/// reads as one ("2023年新款") is a date, and a CJK word that begins with a
/// unit's name ("3周年", "4天线") is no unit.
pub fn missing_units(
    source: &str,
    output: &str,
    spans: &[Span],
    source_lang: &str,
    target: &str,
) -> Vec<String> {
    let mut missing = Vec::new();
    for (i, end, s) in quantity_placeholders(source, spans) {
        if !span_units(s).is_empty() {
            continue;
        }
        let after = &source[end..];
        // Or an angle's sign, which the table does not read ("140°广角", a
        // wide angle, came back in Arabic "140" alone): not a temperature's
        // ("°C").
        let sign = || {
            let rest = after.strip_prefix('°')?;
            (!rest.starts_with(|c: char| c.is_ascii_alphabetic()))
                .then(|| units::table().get("°"))
                .flatten()
                .map(|u| (u, '°'.len_utf8()))
        };
        let Some((u, len)) = unit_name_at(after, Names::Source(source_lang)).or_else(sign) else {
            continue;
        };
        // Calendar units only: a count of times may be said otherwise ("4-5次"
        // is "4-5 charges").
        let written_only = u.words.is_empty() && u.symbols.is_empty() && !is_count(u);
        // A target the table has no name for is not judged.
        let named = u.writes.contains_key(target);
        if !written_only || !named || is_year(u, s) {
            continue;
        }
        let placeholder = Protected::placeholder(i - 1);
        let places: Vec<usize> = output
            .match_indices(&placeholder)
            .map(|(at, _)| at + placeholder.len())
            .collect();
        let kept = places.iter().any(|&at| {
            let after = &output[at..];
            let is_u = |(v, _): (&Unit, usize)| v.id == u.id;
            unit_name_at(after, Names::Target(target)).is_some_and(is_u)
                // A Chinese or Japanese name glued to the next word
                // ("約{2}日使用可能"), as a source writes it.
                || crate::listing::is_cjk_language(target)
                    && u
                        .writes
                        .get(target)
                        .is_some_and(|w| w.iter().any(|w| after.starts_with(w.as_str())))
                // An angle's sign ("{1}°" for "{1}-degree").
                || u.id == "°" && after.trim_start().starts_with('°')
                // An age in years, as Chinese, Japanese and Korean count it
                // ("{3}歳以上" for "ab {3} Jahren").
                || u.id == "year" && after.starts_with(['歳', '岁', '세', '살'])
        });
        if !places.is_empty() && !kept {
            let name = after[..len].trim_start_matches([' ', '\u{a0}', '\u{202f}', '-', '‐']);
            let sep = if name.starts_with(script::is_cjk) || name.starts_with('°') {
                ""
            } else {
                " "
            };
            missing.push(format!("{}{sep}{name}", s.original));
        }
    }
    missing
}

/// Words that say a number is an age, in the source languages: where the
/// source has one, a year the translation writes after a number is the age's
/// ("kids aged 9+" → "a partir de 9 años", "3-6岁" → "3-6 years").
const AGE_WORDS: [&str; 12] = [
    "age", "ages", "aged", "âge", "âgés", "edad", "edades", "alter", "età", "idade", "岁", "歳",
];

/// Whether `source` says a number of it is an age ([`AGE_WORDS`]).
fn mentions_age(source: &str) -> bool {
    let lower = source.to_lowercase();
    AGE_WORDS.iter().any(|w| {
        if w.chars().all(script::is_cjk) {
            return lower.contains(w);
        }
        lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w)
    })
}

/// Whether `u` is the year and the quantity `s` a number that reads as one
/// (1900–2100): "2024年モデル" is a date.
fn is_year(u: &Unit, s: &Span) -> bool {
    u.id == "year"
        && s.original
            .trim()
            .parse::<u32>()
            .is_ok_and(|y| (1900..=2100).contains(&y))
}

/// Characters that may follow a one-character CJK unit name inside a word: time
/// suffixes ("分毎", "日間", "時間後", "年以内", "日分": days' worth).
const CJK_UNIT_SUFFIXES: &str = "毎間後前以内程分";

/// Whose unit names [`unit_name_at`] reads.
#[derive(Debug, Clone, Copy)]
enum Names<'a> {
    /// A translation's: the words of the language (read or written, with a plural
    /// or case ending); a one-character CJK name only before a character of
    /// another kind or a time suffix ([`CJK_UNIT_SUFFIXES`]).
    Target(&'a str),
    /// A source's: the same words; CJK names before any character but in a word
    /// of [`CJK_NOT_UNITS`] (Chinese writes "7天无理由退货" without a break).
    Source(&'a str),
    /// Every word, written name and symbol of every language, CJK names as in
    /// a source.
    Any,
}

/// Chinese and Japanese words that begin with a unit's name and are no unit
/// ("3周年" is a third anniversary, "4天线" four antennas, "3年级" third grade).
const CJK_NOT_UNITS: [&str; 18] = [
    "周年", "年级", "年代", "年龄", "年货", "天然", "天线", "天气", "天窗", "天花", "天鹅", "天空",
    "天使", "天堂", "日本", "日用", "日常", "日式",
];

/// The unit whose name starts `t` (after spaces and a hyphen: "{1}-Day") and
/// the byte length of what comes before it and the name, with the names
/// `names` reads.
fn unit_name_at(t: &str, names: Names<'_>) -> Option<(&'static Unit, usize)> {
    let body = t.trim_start_matches([' ', '\u{a0}', '\u{202f}', '-', '‐']);
    let lead = t.len() - body.len();
    let mut best: Option<(&'static Unit, usize)> = None;
    let mut consider = |u: &'static Unit, n: Option<usize>| {
        if let Some(n) = n
            && best.is_none_or(|(_, b)| n > b)
        {
            best = Some((u, n));
        }
    };
    let strict = matches!(names, Names::Target(_));
    for u in units::table().units() {
        let list: Vec<&String> = match names {
            Names::Target(l) | Names::Source(l) => u
                .words
                .get(l)
                .into_iter()
                .chain(u.writes.get(l))
                .flatten()
                .collect(),
            Names::Any => u
                .words
                .values()
                .chain(u.writes.values())
                .flatten()
                .chain(u.local.values())
                .collect(),
        };
        for w in list {
            let Some(first) = w.chars().next() else {
                continue;
            };
            if script::is_cjk(first) {
                let cjk = body.strip_prefix(w.as_str()).and_then(|after| {
                    let ok = match after.chars().next() {
                        None => true,
                        // A Korean name with its particle ("0-36개월에", in
                        // 0-36 months) is the name.
                        Some(next) if strict => {
                            CJK_UNIT_SUFFIXES.contains(next)
                                || word_kind(next) != word_kind(w.chars().last()?)
                                || script::is_hangul(w.chars().last()?) && korean_particle_at(after)
                        }
                        Some(_) => !CJK_NOT_UNITS.iter().any(|x| body.starts_with(x)),
                    };
                    ok.then_some(w.len())
                });
                consider(u, cjk);
                continue;
            }
            // A name joined to the next word by a hyphen is a name too
            // ("{1}-Tage-Garantie").
            // A name that is the unit's symbol keeps the symbol's case: the
            // Polish "W" (watts) is no "w" (in), which had read "99% w
            // domyślnym" as watts added.
            let exact = u.exact_case && u.symbols.iter().any(|sym| sym == w);
            let whole = |name: &str| {
                name_at_start(body, name, exact).or_else(|| {
                    name_prefix_len(body, name, exact).filter(|&n| body[n..].starts_with('-'))
                })
            };
            consider(u, whole(w));
            for form in inflected(w) {
                consider(u, whole(&form));
            }
        }
        if matches!(names, Names::Any) {
            for sym in &u.symbols {
                consider(u, name_at_start(body, sym, u.exact_case));
            }
        }
    }
    best.map(|(u, n)| (u, lead + n))
}

/// Whether a unit counts things (pieces, packs, multipliers, percentages)
/// rather than measuring them.
fn is_count(u: &Unit) -> bool {
    matches!(u.dimension.as_str(), "count" | "multiplier" | "ratio")
}

/// Unit symbols that are also words or other abbreviations in some language
/// ("in", "bar", "min" for minimum, Spanish and Italian "mi"), or too short
/// to tell from a letter or a quotation mark: never read as an added unit.
const SYMBOLS_ALSO_WORDS: [&str; 20] = [
    "in", "in.", "mi", "bar", "pt", "pt.", "gal", "gal.", "min", "min.", "mins", "sec", "secs",
    "ms", "gr", "ltr", "ohm", "ohms", "lux", "lx",
];

/// A unit symbol at the start of `t` (after spaces) that cannot be read as a
/// word: two or more characters with a letter among them and none of
/// [`SYMBOLS_ALSO_WORDS`] ("''" may close a quotation), or a sign
/// of its own (℃, ℉, Ω); counts, multipliers and ratios never. The unit and the
/// byte length up to the symbol's end.
fn unit_symbol_at(t: &str) -> Option<(&'static Unit, usize)> {
    let body = t.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let lead = t.len() - body.len();
    let mut best: Option<(&'static Unit, usize)> = None;
    for u in units::table().units() {
        if is_count(u) {
            continue;
        }
        for sym in &u.symbols {
            let sign = matches!(sym.as_str(), "℃" | "℉" | "Ω");
            let short = sym.chars().count() < 2 || !sym.chars().any(char::is_alphabetic);
            if !sign && (short || SYMBOLS_ALSO_WORDS.contains(&sym.as_str())) {
                continue;
            }
            if let Some(n) = name_at_start(body, sym, u.exact_case)
                && best.is_none_or(|(_, b)| n > b)
            {
                best = Some((u, n));
            }
        }
    }
    best.map(|(u, n)| (u, lead + n))
}

/// Words for degrees, read after a quantity written with a degree sign
/// ([`repeated_unit_len`]) and nowhere else: in a source "180 Grad" may be an
/// angle or a temperature, which the units table decides by its words.
/// Singular forms that also mean a grade are left out: "230 °C grado
/// alimenticio" is food-grade.
#[rustfmt::skip]
const DEGREE_WORDS: [&str; 22] = [
    "degrees", "degree", "celsius", "fahrenheit", "grad", "degrés", "degré", "grados",
    "centígrados", "gradi", "graus", "graden", "graad", "stopni", "stopnie", "градусов",
    "градуса", "градус", "derece", "derajat", "درجة", "درجات",
];

/// `piece` without a repeated unit name at its start ([`repeated_unit_len`]).
fn without_repeated_unit<'a>(piece: &'a str, s: &Span) -> &'a str {
    &piece[repeated_unit_len(piece, s)..]
}

/// Byte length of a unit name at the start of `rest` (spaces before it included)
/// that repeats the unit of the quantity `s` restored just before: the model wrote
/// the unit after the placeholder as well ("{1} Liter", "{2} Minuten" with {1} =
/// "1,2 L", {2} = "4 Minuten"). 0 when there is none.
///
/// A name is any of the unit's words in any language of `markets/units.toml`
/// (case-insensitive, also with a plural or case ending: "Litern"), or a symbol
/// that cannot be an ordinary word (L, mAh, °C, Ω; not "in", "m" or "min", which
/// are words too: "10 in in diameter" keeps both). A one-character CJK name (分,
/// 件, 米) counts only when it is the character the quantity ends with ("4分分で";
/// "3件套" is a three-piece set). Only a whole word counts: "Minuten-Timer" stays.
fn repeated_unit_len(rest: &str, s: &Span) -> usize {
    // A number with a multiplier, written out ("16.000.000" for 1600万), and
    // the model's multiplier word after it ("{1} millones"): it would scale
    // the number twice.
    if s.kind == SpanKind::Quantity
        && s.original.contains(['万', '萬', '亿', '億'])
        && let Some((_, n)) = multiplier_at(rest).filter(|(_, n)| rest.is_char_boundary(*n))
    {
        return n;
    }
    // A sign the quantity ends with, written again right after it ("{1}%"
    // with {1} = "80%" came back "80%%" in a Vietnamese bullet).
    // Or after a space ("{1} %" came back "99% %" in a German title), where
    // no letter follows it ("30° °C" is no repeat).
    if s.kind == SpanKind::Quantity
        && let Some(sign) = s
            .restore
            .chars()
            .last()
            .filter(|c| matches!(c, '%' | '‰' | '°'))
    {
        let t = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
        if t.starts_with(sign)
            && (t.len() == rest.len()
                || !t[sign.len_utf8()..].starts_with(|c: char| c.is_alphanumeric()))
        {
            return rest.len() - t.len() + sign.len_utf8();
        }
    }
    let units = span_units(s);
    if units.is_empty() {
        return 0;
    }
    let t = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let lead = rest.len() - t.len();
    let last = s.restore.trim_end().chars().last();
    // The quantity's own unit word, however short, written again right after
    // it: glued ("{1}м" with {1} = "5 м" read "5 мм", five millimetres) or
    // after a space where a sign, not a word, follows ("5 м м, каждые 60").
    // A spaced letter before a word may be a word of its own (Russian "с",
    // with: "{1} с водой" for {1} = "30 с"); a hyphen makes a compound
    // ("{1} Minuten-Timer").
    let restored = s.restore.trim_end();
    if let Some((number, own)) = restored.rsplit_once([' ', '\u{a0}', '\u{202f}'])
        && number.ends_with(|c: char| c.is_ascii_digit())
        && own.chars().all(char::is_alphabetic)
        && let Some(after) = t.strip_prefix(own)
        && !after.starts_with(|c: char| c.is_alphanumeric() || matches!(c, '-' | '‐'))
        && (lead == 0 || after.is_empty() || !after.starts_with(char::is_whitespace))
    {
        return lead + own.len();
    }
    let at_start = |name: &str, exact: bool| name_at_start(t, name, exact);
    let mut best = 0;
    // A temperature or an angle written with its sign, then named in words
    // ("-40 °C tot 230 °C graad" in a Dutch bullet).
    if units
        .iter()
        .any(|u| matches!(u.id.as_str(), "°C" | "°F" | "°"))
    {
        for w in DEGREE_WORDS {
            best = best.max(at_start(w, false).unwrap_or(0));
        }
    }
    for u in &units {
        // A symbol with a letter or a sign of its own (℃, ㎜) is no word; a
        // lowercase one ("g", "in", "min") only where a CJK character follows it
        // ("180 g gで").
        let symbols = u.symbols.iter().filter(|sym| {
            sym.chars()
                .any(|c| c.is_alphabetic() || (!c.is_ascii() && c != '°'))
        });
        for sym in symbols {
            let Some(n) = at_start(sym, u.exact_case) else {
                continue;
            };
            let word_like = sym.chars().all(|c| c.is_ascii_lowercase() || c == '.');
            // Or glued to a quantity restored with a CJK name, ending a
            // phrase ("約{1}g" with {1} = "350グラム" came back "350グラムg").
            let glued_to_cjk_name = lead == 0
                && last.is_some_and(script::is_cjk)
                && t[n..].chars().next().is_none_or(|c| !c.is_alphanumeric());
            // Or glued to the placeholder itself and ending a word ("{1}m
            // long" with {1} = "5 metres").
            let glued = lead == 0 && !t[n..].starts_with(char::is_alphanumeric);
            if word_like
                && !glued_to_cjk_name
                && !glued
                && !t[n..].starts_with(|c: char| script::is_cjk(c) || script::is_hangul(c))
            {
                continue;
            }
            best = best.max(n);
        }
        // Written-only names too (Russian Вт, кг; Turkish saat), but no single
        // letter: Russian с and в are also "with" and "in".
        let written = u
            .writes
            .values()
            .flatten()
            .chain(u.local.values())
            .filter(|w| w.chars().count() >= 2);
        for w in u.words.values().flatten().chain(written) {
            let mut cs = w.chars();
            let (Some(first), one) = (cs.next(), cs.next().is_none()) else {
                continue;
            };
            if one && script::is_cjk(first) {
                // The quantity's own last character written again is a repeat
                // whatever follows ("4分分沸かす"), but in a word of its own
                // ("1日日本製"); so is the unit's name right after a symbol of
                // its own sign ("60℃度を超える"; not "5 m米色", beige).
                let after_symbol = u
                    .symbols
                    .iter()
                    .any(|sym| !sym.is_ascii() && s.restore.trim_end().ends_with(sym.as_str()));
                let doubled = (last == Some(first) || after_symbol && lead == 0)
                    && t.starts_with(first)
                    && !CJK_NOT_UNITS.iter().any(|x| t.starts_with(x));
                if doubled {
                    best = best.max(first.len_utf8());
                }
                continue;
            }
            best = best.max(at_start(w, false).unwrap_or(0));
            for form in inflected(w) {
                best = best.max(at_start(&form, false).unwrap_or(0));
            }
        }
    }
    // Another unit of the same dimension, written as a symbol that is no
    // word, after a measured quantity ("{1} mm" with {1} = "20cm" came back
    // "20cm mm"; "210g kg"): the quantity says its unit already, the model's
    // second one goes.
    if best == 0
        && let Some((u, n)) = unit_symbol_at(rest)
        && !is_count(u)
        && units
            .iter()
            .any(|x| !is_count(x) && x.dimension == u.dimension)
        && !rest[n..].starts_with(|c: char| c.is_alphanumeric() && !script::is_cjk(c))
    {
        return n;
    }
    if best == 0 { 0 } else { lead + best }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The protected text of `text` and each span's (original, restore).
    fn text_and_spans(text: &str, rules: &ProtectRules<'_>) -> (String, Vec<(String, String)>) {
        let p = protect(text, rules);
        let spans = p
            .spans
            .into_iter()
            .map(|s| (s.original, s.restore))
            .collect();
        (p.text, spans)
    }

    /// Each span's (original, restore) of a `src` source with this `title`,
    /// into `lang` for a metric market writing numbers as `nf`.
    fn metric_spans(
        text: &str,
        title: &str,
        src: &str,
        lang: &str,
        nf: &NumberFormat,
    ) -> Vec<(String, String)> {
        let rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(nf),
            language: Some(lang),
            source_language: Some(src),
            title: Some(title),
            ..Default::default()
        };
        text_and_spans(text, &rules).1
    }

    #[test]
    fn quantities_parted_by_slashes_are_written_as_the_market_writes_them() {
        let ru = NumberFormat {
            decimal: ",".into(),
            grouping: " ".into(),
        };
        let spans = |text, src, lang, nf| metric_spans(text, "", src, lang, nf);
        // The Ozon listing's power levels, beside "2000 Вт" in its title.
        assert_eq!(
            spans("三档：800W/1200W/2000W", "zh", "ru", &ru),
            [(
                "800W/1200W/2000W".to_string(),
                "800 Вт/1200 Вт/2000 Вт".to_string()
            )]
        );
        assert_eq!(
            spans("输出5V/2.4A", "zh", "de", &de()),
            [("5V/2.4A".to_string(), "5V/2,4A".to_string())]
        );
        // Not a unit of another system (kept as written), nor a model number
        // or a part without a unit.
        for text in ["10in/12in", "A5/B6", "5V/2"] {
            let (_, sp) = text_and_spans(
                text,
                &ProtectRules {
                    measurement: Some(MeasurementSystem::Metric),
                    number_format: Some(&ru),
                    language: Some("ru"),
                    source_language: Some("zh"),
                    ..Default::default()
                },
            );
            assert!(
                sp.iter().all(|(o, r)| !o.contains('/') || o == r),
                "{text}: {sp:?}"
            );
        }
    }

    #[test]
    fn numbers_parted_by_slashes_before_one_unit_are_one_quantity() {
        let ru = NumberFormat {
            decimal: ",".into(),
            grouping: " ".into(),
        };
        let spans = |text, lang, nf| metric_spans(text, "", "zh", lang, nf);
        let pair = |a: &str, b: &str| vec![(a.to_string(), b.to_string())];
        // A timer's options, read as the fraction 1/3 and "6 ч" before.
        assert_eq!(
            spans("【定时】1/3/6小时定时", "ru", &ru),
            pair("1/3/6小时", "1 ч/3 ч/6 ч")
        );
        assert_eq!(
            spans("三档 800/1200/2000W", "ru", &ru),
            pair("800/1200/2000W", "800 Вт/1200 Вт/2000 Вт")
        );
        // Converted alike where the market converts the unit.
        let de = de();
        assert_eq!(
            spans("尺寸 4/6/8英寸 可选", "de", &de),
            pair("4/6/8英寸", "10,2 cm/15,2 cm/20,3 cm")
        );
        // Two numbers are a fraction; a date has no unit; a count is left alone.
        for text in ["1/2小时", "2024/12/06", "1/2/3个"] {
            assert!(
                spans(text, "ru", &ru)
                    .iter()
                    .all(|(o, _)| o.matches('/').count() < 2),
                "{text}"
            );
        }
    }

    #[test]
    fn bare_numbers_listed_before_one_unit_are_converted_alike() {
        let de = de();
        let spans = |text, src| metric_spans(text, "", src, "de", &de);
        // A set of resistance bands: 40磅 alone was converted, and the four
        // numbers before it read as kilograms.
        let got = spans("阻力：5、10、15、20、40磅，颜色区分", "zh");
        assert_eq!(
            got,
            [(
                "5、10、15、20、40磅".to_string(),
                "2,27 kg, 4,54 kg, 6,8 kg, 9,07 kg, 18,1 kg".to_string()
            )]
        );
        let got = spans("Resistance of 5, 10, 15 and 20 lb", "en");
        assert_eq!(got[0].0, "5, 10, 15 and 20 lb");
        assert_eq!(got[0].1.matches("kg").count(), 4, "{}", got[0].1);
        // Not a list: two numbers, a grouped number, a unit the market keeps.
        for text in ["5、40磅", "1,000、2,000磅", "尺寸30、40、50cm"] {
            assert!(
                spans(text, "zh").iter().all(|(o, _)| !o.contains('、')),
                "{text}: {:?}",
                spans(text, "zh")
            );
        }
    }

    #[test]
    fn a_flow_rate_is_a_quantity() {
        let ru = NumberFormat {
            decimal: ",".into(),
            grouping: " ".into(),
        };
        let spans = |text| metric_spans(text, "", "zh", "ru", &ru);
        let pair = |a: &str, b: &str| vec![(a.to_string(), b.to_string())];
        // Kept as model numbers before, in Latin letters beside "500 мл".
        assert_eq!(spans("雾化量30ml/h"), pair("30ml/h", "30 мл/ч"));
        assert_eq!(spans("流量1200L/h"), pair("1200L/h", "1200 л/ч"));
        assert_eq!(spans("出水量8L/min"), pair("8L/min", "8 л/мин"));
        assert_eq!(spans("风量500m³/h"), pair("500m³/h", "500 м³/ч"));
        // A speed in the market's decimals, spaced as a length is: a drone's
        // "10.7m/s" had come back in Italian as written.
        let it = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let it_spans = |text| metric_spans(text, "", "zh", "it", &it);
        assert_eq!(it_spans("抗风10.7m/s"), pair("10.7m/s", "10,7 m/s"));
        assert_eq!(it_spans("时速25km/h"), pair("25km/h", "25 km/h"));
    }

    #[test]
    fn n_in_one_and_letter_size_ranges_are_names() {
        let protected = |text: &str, src: &'static str, lang: &'static str| {
            let rules = ProtectRules {
                source_language: Some(src),
                language: Some(lang),
                ..Default::default()
            };
            text_and_spans(text, &rules)
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        // The zh→en dev set's "2合1" came back "2 + 1", "S-XXL" "S-XL".
        assert_eq!(
            protected("尼龙编织数据线 2合1 1.2米", "zh", "en").1[0],
            pair("2合1", "2-in-1")
        );
        assert_eq!(
            protected("Fenlor 男士冲锋衣 3合1 可拆卸", "zh", "fr").1,
            [pair("3合1", "3 en 1")]
        );
        assert_eq!(
            protected("数据线三合一快充3合一", "zh", "ja").1,
            [pair("3合一", "3in1")]
        );
        assert_eq!(
            protected("USB-C Hub 7-in-1 and a 3 in 1 cable", "en", "de").1,
            [pair("7-in-1", "7-in-1"), pair("3 in 1", "3-in-1")]
        );
        assert_eq!(
            protected("弹力紧身健身裤 S-XXL", "zh", "en"),
            (
                "弹力紧身健身裤 {1}".to_string(),
                vec![pair("S-XXL", "S-XXL")]
            )
        );
        assert_eq!(protected("Sizes XS-3XL or M/L", "en", "de").1.len(), 2);
        // Not a name: inside a number, a range of numbers, one size alone, "2 in 2".
        assert!(
            protected("12 in 15 minutes, 2 in 2 boxes", "en", "de")
                .1
                .iter()
                .all(|(o, _)| !o.contains("in 1"))
        );
        assert_eq!(protected("Size M, fits S", "en", "de").1, []);
        // A model number that holds such a name stays a model number.
        assert_eq!(
            protected("Adapter AB12-in-1", "en", "de").1,
            [pair("AB12-in-1", "AB12-in-1")]
        );
    }

    /// A Chinese source's text and spans for a market in `lang` that measures
    /// in imperial units.
    /// What each span of `text` is restored as, in order.
    fn restores(text: &str, rules: &ProtectRules<'_>) -> Vec<String> {
        protect(text, rules)
            .spans
            .into_iter()
            .map(|s| s.restore)
            .collect()
    }

    fn zh_spans(text: &str, lang: &'static str) -> (String, Vec<(String, String)>) {
        let rules = ProtectRules {
            source_language: Some("zh"),
            language: Some(lang),
            measurement: Some(MeasurementSystem::Imperial),
            ..Default::default()
        };
        text_and_spans(text, &rules)
    }

    #[test]
    fn chinese_chart_sizes_are_labelled_sizes_with_their_numbers_unchanged() {
        let spans = zh_spans;
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            spans("跑步鞋 轻便透气 42码", "en"),
            (
                "跑步鞋 轻便透气 {1}".to_string(),
                vec![pair("42码", "Size 42")]
            )
        );
        assert_eq!(
            spans("儿童款110-160码，按身高选择", "de").1,
            [pair("110-160码", "Größen 110-160")]
        );
        assert_eq!(
            spans("均码，适合鞋码：39到44", "es").1,
            [pair("鞋码：39到44", "Tallas 39-44")]
        );
        assert_eq!(spans("尺码 36 偏小", "ja").1, [pair("尺码 36", "サイズ36")]);
        // A size word before a measurement leaves the measurement to be converted.
        assert_eq!(spans("尺码 36 cm", "en").1, [pair("36 cm", "14.2 in")]);
        assert_eq!(spans("尺码：70厘米", "en").1.len(), 1);
        assert!(!spans("尺码：70厘米", "en").1[0].1.starts_with("Size"));
        // Not a size: a longer number, a decimal, a single digit, a code word,
        // a number with another unit, a Chinese target.
        for text in [
            "1042码",
            "42.5码",
            "5码",
            "条形码123456",
            "长度150 cm",
            "编码 42",
        ] {
            assert!(
                spans(text, "en")
                    .1
                    .iter()
                    .all(|(_, r)| !r.starts_with("Size")),
                "{text}"
            );
        }
        assert!(spans("42码", "zh").1.iter().all(|(o, r)| o == r));
        // Letter sizes with 码 too: a helmet's "M/L码" came back "Size M/L Cm".
        assert_eq!(
            spans("骑行头盔 带尾灯 M/L码", "en"),
            (
                "骑行头盔 带尾灯 {1}".to_string(),
                vec![pair("M/L码", "Size M/L")]
            )
        );
        assert_eq!(
            spans("尺码：XL码，S-XXL码可选", "es").1,
            [pair("XL码", "Talla XL"), pair("S-XXL码", "Tallas S-XXL")]
        );
        // Not the end of a longer word, nor 均码 (one size), nor into Chinese.
        assert!(spans("EXL码 均码", "en").1.is_empty());
        assert!(spans("M/L码", "zh").1.iter().all(|(o, r)| o == r));
        // The label is in lower case mid-sentence, except in German.
        let restored = |out: &str, lang: &'static str| {
            let rules = ProtectRules {
                source_language: Some("zh"),
                language: Some(lang),
                ..Default::default()
            };
            restore(out, &protect("鞋码：39到44", &rules)).text
        };
        assert_eq!(
            restored("One size, suitable for {1}", "en"),
            "One size, suitable for sizes 39-44"
        );
        assert_eq!(
            restored("{1}, order one size up", "en"),
            "Sizes 39-44, order one size up"
        );
        assert_eq!(
            restored("Running Shoes {1}", "en"),
            "Running Shoes Sizes 39-44"
        );
        assert_eq!(
            restored("disponible en {1}", "es"),
            "disponible en tallas 39-44"
        );
        assert_eq!(
            restored("geeignet für {1}", "de"),
            "geeignet für Größen 39-44"
        );
        assert_eq!(restored("適合 {1}", "ja"), "適合 サイズ39-44");
    }

    #[test]
    fn a_sensors_optical_format_is_a_name_not_a_length() {
        let it = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let spans = |text: &str, src: &str, lang: &str| metric_spans(text, "", src, lang, &it);
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        // A drone's "1/1.3英寸CMOS" came back "1/1.76,2 mm CMOS": "1/1" kept and
        // ".3英寸" converted as three inches.
        assert_eq!(
            spans("4K/60fps HDR视频，1/1.3英寸CMOS", "zh", "it")
                .into_iter()
                .filter(|(o, _)| o.contains("英寸"))
                .collect::<Vec<_>>(),
            [pair("1/1.3英寸", "1/1,3\"")]
        );
        assert_eq!(
            spans("1/2.3-inch sensor", "en", "de"),
            [pair("1/2.3-inch", "1/2,3\"")]
        );
        // A whole denominator only with a sensor named near it.
        assert_eq!(
            spans("1/3英寸 CMOS传感器", "zh", "it"),
            [pair("1/3英寸", "1/3\"")]
        );
        assert!(
            spans("1/2英寸接口", "zh", "it")
                .iter()
                .all(|(_, r)| !r.starts_with("1/2\""))
        );
        // Nor a fraction inside a longer number ("11/1.3 inch").
        assert!(
            spans("11/1.3 inch", "en", "it")
                .iter()
                .all(|(o, _)| !o.starts_with("1/1.3"))
        );
    }

    #[test]
    fn a_unit_with_no_number_before_it_is_found() {
        // A knife's title came back in Russian with a diameter and no number.
        assert_eq!(
            bare_units(
                "十八子作 菜刀 厨房切片刀 刀刃长19 см",
                "十八子作 Нож для кухни, лезвие 19 см, диаметр см"
            ),
            ["см"]
        );
        assert_eq!(
            bare_units(
                "骑行头盔 带尾灯 Size M/L",
                "Bike Helmet with Tail Light, Size M/L Cm"
            ),
            ["Cm"]
        );
        // Not after its number, nor after a preposition ("in cm"), nor as a
        // heading before a colon, nor a unit the source names itself ("in PSI,
        // BAR or kPa"), nor "HP" (a phone in Indonesian).
        for (src, out) in [
            ("刀刃长19 см", "лезвие 19 см"),
            ("尺寸45×30 cm", "Maße in cm: 45×30"),
            ("尺寸45×30 cm", "Размеры, см: 45×30"),
            (
                "可按PSI、BAR或kPa设定",
                "Zieldruck in PSI, BAR oder kPa einstellen",
            ),
            ("侧边口袋，可放手机", "Kantong samping muat HP"),
        ] {
            assert!(bare_units(src, out).is_empty(), "{out}");
        }
    }

    #[test]
    fn a_load_capacity_given_as_a_bare_mass_is_found() {
        let rules = ProtectRules {
            source_language: Some("zh"),
            language: Some("en"),
            ..Default::default()
        };
        let p = protect("好孩子 婴儿推车 一键折叠 承重25kg GB-C400", &rules);
        assert_eq!(p.text, "好孩子 婴儿推车 一键折叠 承重{1} {2}");
        // A stroller's US title: the buyer reads the stroller's own weight.
        assert_eq!(
            load_lost(&p.text, "Stroller One-Hand Fold {1} {2}", &p.spans, "en"),
            Some("25 kg".to_string())
        );
        assert_eq!(
            load_lost(&p.text, "Stroller, Load Capacity {1}, {2}", &p.spans, "en"),
            None
        );
        assert_eq!(
            load_lost(
                &p.text,
                "Kinderwagen, belastbar bis {1}, {2}",
                &p.spans,
                "de"
            ),
            None
        );
        // Not a mass the source gives as a weight, nor a mass the output lost.
        let w = protect("净重5.8kg，单手可提", &rules);
        assert_eq!(load_lost(&w.text, "Weight {1}", &w.spans, "en"), None);
        assert_eq!(load_lost(&p.text, "Stroller {2}", &p.spans, "en"), None);
    }

    #[test]
    fn a_length_named_as_another_measure_is_found() {
        let rules = ProtectRules {
            source_language: Some("zh"),
            language: Some("pl"),
            ..Default::default()
        };
        let p = protect("表带宽20mm，可调节长度", &rules);
        assert_eq!(p.text, "表带宽{1}，可调节长度");
        let changed = |out: &str, lang: &str| dimension_changed(&p.text, out, &p.spans, lang);
        // A watch's Polish bullet: the strap's width as a length.
        assert_eq!(
            changed(
                "Pasek z szerokim paskiem, który może być regulowany do {1} długości",
                "pl"
            ),
            Some(("20 mm".to_string(), "width", "length"))
        );
        assert_eq!(
            changed("Strap {1} long, adjustable", "en"),
            Some(("20 mm".to_string(), "width", "length"))
        );
        // Named as the source does, or named as no measure: nothing.
        assert_eq!(changed("Pasek o szerokości {1}, regulowany", "pl"), None);
        assert_eq!(changed("Strap width {1}, adjustable length", "en"), None);
        assert_eq!(changed("{1} strap, adjustable", "en"), None);
        assert_eq!(
            changed("Correa de {1} de ancho, largo ajustable", "es"),
            None
        );
        // Each size of a list in its own phrase.
        let q = protect("宽140cm×高260cm", &rules);
        let sizes = |out: &str, lang: &str| dimension_changed(&q.text, out, &q.spans, lang);
        assert_eq!(sizes("Lebar {1} x Tinggi {2}", "id"), None);
        assert_eq!(
            sizes("Tinggi {1} x Lebar {2}", "id"),
            Some(("140 cm".to_string(), "width", "height"))
        );
        // Not the sizes of a list, nor 最高 (the most), nor a language not read.
        for src in ["长宽高{1}", "最高{1}"] {
            let r = protect(&src.replace("{1}", "2m"), &rules);
            assert_eq!(
                dimension_changed(&r.text, "Length {1}", &r.spans, "en"),
                None
            );
        }
        assert_eq!(changed("dài {1}", "vi"), None);
    }

    #[test]
    fn a_chinese_brand_that_is_a_mark_is_written_with_its_latin_name() {
        let rules = |lang: &'static str, title: &'static str| ProtectRules {
            brand: Some("戴森"),
            source_language: Some("zh"),
            language: Some(lang),
            title: Some(title),
            ..Default::default()
        };
        let brand = |p: Protected| {
            p.spans
                .into_iter()
                .filter(|s| s.kind == SpanKind::Brand)
                .map(|s| s.restore)
                .collect::<Vec<_>>()
        };
        // A hair dryer's Polish title kept "戴森" and failed the mark's own
        // glossary check (`戴森` must be `Dyson`).
        let title = "戴森 吹风机 HD15 负离子 速干 1600W";
        assert_eq!(brand(protect(title, &rules("pl", title))), ["Dyson"]);
        // Kept where the listing writes the Latin name too, or into Chinese.
        let both = "戴森 Dyson 吹风机 HD15";
        assert_eq!(brand(protect(both, &rules("pl", both))), ["戴森"]);
        assert_eq!(brand(protect("戴森 速干", &rules("pl", both))), ["戴森"]);
        assert_eq!(brand(protect(title, &rules("zh", title))), ["戴森"]);
        // A brand that is no mark of the table is kept as written.
        let other = ProtectRules {
            brand: Some("好孩子"),
            ..rules("en", "好孩子 婴儿推车")
        };
        assert_eq!(brand(protect("好孩子 婴儿推车", &other)), ["好孩子"]);
    }

    #[test]
    fn a_chinese_measure_word_before_its_noun_is_left_to_the_model() {
        let spans = zh_spans;
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        // Before a noun (or 套, a set): the number alone, the measure word stays.
        assert_eq!(
            spans("含5支脸部刷和7支眼部刷", "en"),
            (
                "含{1}支脸部刷和{2}支眼部刷".to_string(),
                vec![pair("5", "5"), pair("7", "7")]
            )
        );
        assert_eq!(spans("12件套 厨具", "de").1, [pair("12", "12")]);
        // 档 counts a control's settings, a unit of its own: "30档" came back
        // in Polish "30-stosowana opcja".
        assert_eq!(spans("30档", "en").1, [pair("30档", "30 levels")]);
        assert_eq!(spans("30档调速", "en").1, [pair("30", "30")]);
        assert_eq!(spans("档位：3档", "de").1, [pair("3档", "3 Stufen")]);
        assert_eq!(spans("1档", "fr").1, [pair("1档", "1 niveau")]);
        // 双 counts pairs: "10双装" came back in Spanish "10 dobles".
        assert_eq!(spans("筷子 10双装", "es").1, [pair("10双", "10 pares")]);
        assert_eq!(spans("袜子 1双", "fr").1, [pair("1双", "1 paire")]);
        assert_eq!(spans("可放20双鞋", "en").1, [pair("20", "20")]);
        assert_eq!(spans("2双USB", "en").1, [pair("2", "2")]);
        assert_eq!(time_plurals("12 пары", "ru"), "12 пар");
        assert_eq!(time_plurals("30 poziomy", "pl"), "30 poziomów");
        assert_eq!(time_plurals("30 уровня", "ru"), "30 уровней");
        assert_eq!(time_plurals("3 уровня", "ru"), "3 уровня");
        assert_eq!(spans("2个USB接口", "en").1, [pair("2", "2")]);
        // Ending a phrase it is a count of pieces, in the market's language.
        assert_eq!(
            spans("化妆刷套装 12支 软毛", "en").1,
            [pair("12支", "12 pieces")]
        );
        assert_eq!(spans("每包10片，", "de").1, [pair("10片", "10 Stück")]);
        // 颗 and 粒 count beads, LEDs and tablets: "300颗", an attribute's
        // whole value, came back in Russian "300 звездочка" (300 stars).
        assert_eq!(spans("300颗", "de").1, [pair("300颗", "300 Stück")]);
        assert_eq!(spans("每瓶60粒。", "en").1, [pair("60粒", "60 pieces")]);
        assert_eq!(spans("每米60颗灯珠", "de").1, [pair("60", "60")]);
        // And before 装, a pack of them (只 is also "only").
        assert_eq!(
            spans("LED小夜灯 3只装", "en"),
            ("LED小夜灯 {1}装".to_string(), vec![pair("3只", "3 pieces")])
        );
        // A unit that measures is never split from its number.
        assert_eq!(spans("5米长", "en").1, [pair("5米", "16.4 ft")]);
        // Nor is a count in a source that is not Chinese.
        assert_eq!(
            spans("5 pieces brush", "de").1,
            [pair("5 pieces", "5 Stück")]
        );
    }

    #[test]
    fn a_plus_that_ends_a_model_name_is_kept_with_it() {
        let spans = |text: &str| {
            let rules = ProtectRules {
                source_language: Some("zh"),
                language: Some("en"),
                ..Default::default()
            };
            protect(text, &rules)
                .spans
                .into_iter()
                .map(|s| s.original)
                .collect::<Vec<_>>()
        };
        assert_eq!(spans("儿童防晒衣 UPF50+ 男童女童"), ["UPF50+"]);
        // Chinese right after the "+" is the next word ("UPF50+遮阳篷", a
        // sunshade: it came back "UPF50 + ободок").
        assert_eq!(spans("UPF50+遮阳篷"), ["UPF50+"]);
        assert_eq!(spans("防水等级IP68+，可水洗"), ["IP68+"]);
        // Not when a name or a number follows ("A1+B2" is two names).
        assert_eq!(spans("A1+B2 套装"), ["A1", "B2"]);
        assert_eq!(spans("USB3+2"), ["USB3"]);
    }

    #[test]
    fn counts_written_as_words_are_protected_as_numbers_when_translating() {
        let counts = |text: &str, src: &str| {
            let rules = ProtectRules {
                source_language: Some(src),
                language: Some("ja"),
                ..Default::default()
            };
            text_and_spans(text, &rules)
        };
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        // The en→ja dev set's two counts the model turned into other words.
        assert_eq!(
            counts("Warm fleece with two zip pockets", "en"),
            (
                "Warm fleece with {1} zip pockets".into(),
                vec![pair("two", "2")]
            )
        );
        assert_eq!(
            counts("Four spinner wheels and TSA lock", "en").1,
            vec![pair("Four", "4")]
        );
        // Before a number: left a word.
        assert_eq!(
            counts("Four 360° spinner wheels", "en").1,
            vec![pair("360", "360")]
        );
        assert_eq!(
            counts("Pack of Twelve Pencils", "en").1,
            vec![pair("Twelve", "12")]
        );
        // Words of their own, a pronoun, an end of sentence: no count.
        for text in [
            "Two-Tone finish with two-way zip",
            "Three-in-One charger",
            "Fits one size",
            "Pick any two.",
            "Pick any two, free",
            "Network-Ten pack",
            "Someone's twofold gift",
        ] {
            assert_eq!(counts(text, "en").1, vec![], "{text}");
        }
        // Chinese counts before a measure word.
        assert_eq!(
            counts("Nanjiren 纯棉四件套 1.8 m床", "zh").1,
            vec![pair("四", "4"), pair("1.8 m", "1.8 m")]
        );
        assert_eq!(counts("三口同时输出", "zh").1, vec![pair("三", "3")]);
        assert_eq!(
            counts("两档调速，十二色可选", "zh").1,
            vec![pair("两", "2"), pair("十二", "12")]
        );
        assert_eq!(
            counts("十色可选 九十九根", "zh").1,
            vec![pair("十", "10"), pair("九十九", "99")]
        );
        assert_eq!(counts("二十五种坚果", "zh").1, vec![pair("二十五", "25")]);
        // A numeral inside a word, an ordinal, one, or part of a larger number: no count.
        for text in [
            "五金工具 七彩 二手 三角 十分好用",
            "第三代",
            "一键启动 一件",
            "三百五十个",
            "每两袋",
        ] {
            assert_eq!(counts(text, "zh").1, vec![], "{text}");
        }
        // Not into a language that spells small counts, not when the text is
        // kept in its own language, nor for other sources.
        let into_de = ProtectRules {
            source_language: Some("en"),
            language: Some("de"),
            ..Default::default()
        };
        assert!(protect("two zip pockets", &into_de).spans.is_empty());
        let same = ProtectRules {
            source_language: Some("en"),
            language: Some("en"),
            ..Default::default()
        };
        assert!(protect("two zip pockets", &same).spans.is_empty());
        assert!(
            protect("two zip pockets", &ProtectRules::default())
                .spans
                .is_empty()
        );
        assert_eq!(counts("zwei Taschen", "de").1, vec![]);
    }

    #[test]
    fn a_product_line_is_the_uncommon_capitalised_words_between_brand_and_model_number() {
        let line = |title: &str, brand: &str, lang: &str| {
            let rules = ProtectRules {
                brand: Some(brand),
                source_language: Some(lang),
                ..Default::default()
            };
            product_line(title, &rules)
        };
        let en = |title: &str, brand: &str| line(title, brand, "en");
        assert_eq!(
            en(
                "Garmin Forerunner 265 GPS Running Smartwatch, 46 mm",
                "Garmin"
            )
            .as_deref(),
            Some("Forerunner")
        );
        assert_eq!(
            en(
                "Philips Hue White Ambiance E27 Smart Bulb, 9.5 W",
                "Philips"
            )
            .as_deref(),
            Some("Hue White Ambiance")
        );
        assert_eq!(
            en("LEGO Technic 42151 Bugatti Bolide, 905 Pieces", "LEGO").as_deref(),
            Some("Technic")
        );
        assert_eq!(
            en("Anker PowerCore 10000 Power Bank, 10000 mAh", "Anker").as_deref(),
            Some("PowerCore")
        );
        assert_eq!(
            en("Bosch GSR 12V-15 Cordless Drill, 12 V", "Bosch").as_deref(),
            Some("GSR")
        );
        // Common words between brand and code are the title's own words.
        assert_eq!(
            en("Sony Wireless Headphones WH-1000XM5, Black", "Sony"),
            None
        );
        assert_eq!(en("Velox Road Bike Tire 700x25C, 120 TPI", "Velox"), None);
        assert_eq!(en("Acme Leak-Proof Bottle 500, Blue", "Acme"), None);
        // A number with a unit, a decimal or nothing between is no model number.
        assert_eq!(en("Apple Watch Sport Band 45 mm, Midnight", "Apple"), None);
        assert_eq!(
            en("Vistara Soundbar 2.1 with Wireless Subwoofer", "Vistara"),
            None
        );
        assert_eq!(en("Samsung 990 PRO 2 TB NVMe SSD", "Samsung"), None);
        assert_eq!(en("Kärcher K4 Pressure Washer, 130 bar", "Kärcher"), None);
        // A Chinese product word glued to a code is no name: "USB-C扩展坞"
        // (a USB-C docking station) had been kept in Chinese in Japanese.
        assert_eq!(
            line("极客 USB-C扩展坞 8合1 4K HDMI 千兆网口", "极客", "zh"),
            None
        );
        // Not after the brand, or no brand: nothing.
        assert_eq!(en("Forerunner 265 by Garmin", "Garmin"), None);
        assert_eq!(line("Garmin Forerunner 265", "", "en"), None);
        // A German title's words between are German words, not a name.
        assert_eq!(line("Acme Kabellose Kopfhörer X200", "Acme", "de"), None);
        assert_eq!(
            line("Xiaomi Redmi Note 13 手机 8GB", "Xiaomi", "zh").as_deref(),
            Some("Redmi Note")
        );
        // In a Chinese title a common English word there is the name too.
        assert_eq!(
            line("JBL Flip 6 蓝牙音箱 IP67防水 30W", "JBL", "zh").as_deref(),
            Some("Flip")
        );
        assert_eq!(
            line("小米 Smart Band 8 手环", "小米", "zh").as_deref(),
            Some("Smart Band")
        );
    }

    #[test]
    fn a_coined_name_or_a_word_in_capitals_of_a_chinese_source_is_kept_as_written() {
        assert_eq!(
            kept_names(
                "PartyBoost功能可连接多台音箱，兼容iPhone与microSD卡，PartyBoost",
                true
            ),
            ["PartyBoost", "iPhone", "microSD"]
        );
        // Units, short words, codes with digits and plain words are not names.
        assert!(
            kept_names(
                "5000mAh, 2kWh, 120mmHg, iPad, LiFePO4, Bluetooth, USB-C, McD",
                true
            )
            .is_empty()
        );
        // Capitals: in a Chinese source, four letters or more.
        assert_eq!(
            kept_names("LIGHTSPEED无线，HERO传感器，USB接收器，HDMI-2", true),
            ["LIGHTSPEED", "HERO", "HDMI"]
        );
        assert!(kept_names("WATERPROOF bag, LED, USB", false).is_empty());
        // A capitalised word of a Chinese source that is no common English
        // word is a name; a common word ("Watch", "Smart") is to translate.
        assert_eq!(
            kept_names("小米 智能手表 Redmi Watch 4，Smart模式，Presta气门", true),
            ["Redmi", "Presta"]
        );
        assert!(kept_names("Redmi Watch 4", false).is_empty());
    }

    #[test]
    fn a_name_inside_a_model_number_leaves_the_code_whole() {
        let term = |w: &str| Term {
            source: w.into(),
            target: None,
        };
        let terms = [term("NDYC"), term("HDMI")];
        let rules = ProtectRules {
            terms: &terms,
            source_language: Some("zh"),
            language: Some("es"),
            ..Default::default()
        };
        let kinds = |text: &str| {
            protect(text, &rules)
                .spans
                .into_iter()
                .map(|s| (s.kind, s.original))
                .collect::<Vec<_>>()
        };
        // A heater's "NDYC-X6021" had been "{2}-X{3}", and came back
        // "NDYC-6021" with both placeholders.
        assert_eq!(
            kinds("取暖器 NDYC-X6021 暖风机"),
            [(SpanKind::ModelNumber, "NDYC-X6021".to_string())]
        );
        assert_eq!(
            kinds("HDMI_2.1接口"),
            [(SpanKind::ModelNumber, "HDMI_2.1".to_string())]
        );
        // Alone, or before a space or a full stop, the name is a term (and
        // with its version after a space, one name with it).
        assert_eq!(
            kinds("NDYC系列，支持HDMI 2.0"),
            [
                (SpanKind::Term, "NDYC".to_string()),
                (SpanKind::ModelNumber, "HDMI 2.0".to_string())
            ]
        );
        assert_eq!(
            kinds("接口：HDMI. 2个"),
            [
                (SpanKind::Term, "HDMI".to_string()),
                (SpanKind::Quantity, "2个".to_string())
            ]
        );
        // A code with no digit is no model number: the name stays a term.
        assert_eq!(kinds("HDMI-ARC"), [(SpanKind::Term, "HDMI".to_string())]);
    }

    fn de() -> NumberFormat {
        NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        }
    }

    fn originals(p: &Protected) -> Vec<&str> {
        p.spans.iter().map(|s| s.original.as_str()).collect()
    }

    fn round_trip(s: &str) -> Protected {
        let p = protect(s, &ProtectRules::default());
        let back = restore(&p.text, &p);
        assert_eq!(back.text, s, "round trip of {s:?} via {:?}", p.text);
        assert!(back.issues.is_empty());
        p
    }

    #[test]
    fn tricky_strings_round_trip() {
        let p = round_trip("Socket 9/16 inch and 1/4\" drive, 2x faster");
        assert_eq!(originals(&p), ["9/16 inch", "1/4\"", "2x"]);
        let p = round_trip("Fits rods of 10–12 mm, 1 1/2 in wide");
        assert_eq!(originals(&p), ["10–12 mm", "1 1/2 in"]);
        let p = round_trip("Sony WH-1000XM5 headphones, SKU AB-123/4");
        assert_eq!(originals(&p), ["WH-1000XM5", "AB-123/4"]);
        let p = round_trip("Only $19.99 or 18,50 € at https://example.com/x?a=1.");
        assert_eq!(
            originals(&p),
            ["$19.99", "18,50 €", "https://example.com/x?a=1"]
        );
        let p = round_trip("<b>Leak-proof</b> lid<br/>for 24 oz bottles");
        assert_eq!(originals(&p), ["<b>", "</b>", "<br/>", "24 oz"]);
        let p = round_trip("3-in-1 tool, #8 x 1\" screws, 12-Inch skillet");
        assert_eq!(originals(&p), ["3-in-1", "#8", "1\"", "12-Inch"]);
        let p = round_trip("The 3rd generation, 2 in 1 design, 100% BPA free");
        assert_eq!(originals(&p), ["3rd", "2 in 1", "100%"]);
        let p = round_trip("Size 10 x 20 x 5 cm, write to me@example.org");
        assert_eq!(originals(&p), ["10 x 20 x 5 cm", "me@example.org"]);
    }

    #[test]
    fn a_number_joined_to_words_is_no_model_number() {
        // A unit word makes a quantity; other words are the model's to translate.
        let p = round_trip("12-Piece set, 2-Pack, 27-inch monitor, 5-Year warranty");
        assert!(
            p.spans.iter().all(|s| s.kind != SpanKind::ModelNumber),
            "{p:?}"
        );
        // Codes stay model numbers.
        let p = round_trip("Model WH-1000XM5, part 12-AB34, size 3-in-1");
        assert_eq!(originals(&p), ["WH-1000XM5", "12-AB34", "3-in-1"]);
        assert!(p.spans.iter().all(|s| s.kind == SpanKind::ModelNumber));
        // In German: the count and the screen size come back in German.
        let nf = de();
        let rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            language: Some("de"),
            ..Default::default()
        };
        let p = protect("Vistara 27-inch QHD Gaming Monitor, 12-Piece set", &rules);
        let got: Vec<(&str, &str)> = p
            .spans
            .iter()
            .map(|s| (s.original.as_str(), s.restore.as_str()))
            .collect();
        assert_eq!(got[0], ("27-inch", "27 Zoll (68,6 cm)"));
        assert_eq!(got[1].1, "12 Stück");
    }

    #[test]
    fn brand_and_terms_are_protected_and_glossary_targets_restored() {
        let terms = [
            Term {
                source: "HydroFlow".into(),
                target: None,
            },
            Term {
                source: "stainless steel".into(),
                target: Some("Edelstahl".into()),
            },
        ];
        let rules = ProtectRules {
            brand: Some("Acme!"),
            terms: &terms,
            ..Default::default()
        };
        let p = protect("Acme! Stainless Steel bottle with HydroFlow lid", &rules);
        assert_eq!(p.text, "{1} {2} bottle with {3} lid");
        let r = restore("{1} Flasche aus {2} mit {3}-Deckel", &p);
        assert_eq!(r.text, "Acme! Flasche aus Edelstahl mit HydroFlow-Deckel");
        assert!(r.issues.is_empty());
        // Against Chinese letters a Latin brand or term is whole; inside a
        // Latin word it is not.
        let p = protect("Acme!瑜伽垫，HydroFlow功能，Acme!r", &rules);
        assert_eq!(p.text, "{1}瑜伽垫，{2}功能，Acme!r");
    }

    #[test]
    fn units_convert_on_restore_with_optional_original() {
        let nf = de();
        let mut rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            ..Default::default()
        };
        let p = protect(
            "9/16 in hole, holds 24 fl oz, 10-12 in long, 1.5 kg, 120 ft-lb torque",
            &rules,
        );
        let got: Vec<&str> = p.spans.iter().map(|s| s.restore.as_str()).collect();
        assert_eq!(
            got,
            ["14,3 mm", "710 ml", "25,4–30,5 cm", "1,5 kg", "163 Nm"]
        );
        assert_eq!(p.spans[0].note, Some(QuantityNote::Converted));
        assert_eq!(p.spans[3].note, None);
        rules.keep_original_units = true;
        let p = protect("a 9/16 in hole", &rules);
        assert_eq!(p.spans[0].restore, "14,3 mm (9/16 in)");
        let p = protect("a 12,000 BTU air conditioner", &rules);
        assert_eq!(p.spans[0].restore, "3,52 kW (12.000 BTU)");
    }

    /// The restored texts of an English text's spans for a German market
    /// that measures in `system`.
    fn restored_de(text: &str, system: MeasurementSystem) -> Vec<String> {
        let nf = de();
        let rules = ProtectRules {
            measurement: Some(system),
            number_format: Some(&nf),
            language: Some("de"),
            source_language: Some("en"),
            ..Default::default()
        };
        restores(text, &rules)
    }

    #[test]
    fn a_quantity_in_two_units_is_converted_whole() {
        let metric = MeasurementSystem::Metric;
        assert_eq!(
            restored_de("fits people up to 6 ft 2 in tall", metric),
            ["188 cm"]
        );
        assert_eq!(restored_de("He is 5' 10\" tall", metric), ["178 cm"]);
        assert_eq!(restored_de("weighs 3 lb 4 oz", metric), ["1,47 kg"]);
        // For an imperial market it stays as written, one span.
        assert_eq!(
            restored_de("up to 6 ft 2 in", MeasurementSystem::Imperial),
            ["6 ft 2 in"]
        );
        // Two quantities that only follow each other are not one.
        assert_eq!(
            restored_de("6 ft cable, 2 in 1 adapter", metric),
            ["1,83 m", "2-in-1"]
        );
    }

    #[test]
    fn a_quantity_also_given_in_the_other_system_is_kept_as_written() {
        let metric = MeasurementSystem::Metric;
        // Converted, "11 lb / 5 kg" came back "4,99 kg / 5 kg".
        assert_eq!(
            restored_de("Kitchen Scale 11 lb / 5 kg", metric),
            ["11 lb", "5 kg"]
        );
        assert_eq!(
            restored_de("Weighs up to 11 lb (5 kg)", metric),
            ["11 lb", "5 kg"]
        );
        assert_eq!(
            restored_de("in 1 g or 0.1 oz steps", metric),
            ["1 g", "0,1 oz"]
        );
        assert_eq!(
            restored_de("Bake at 180°C / 350°F", metric),
            ["180°C", "350°F"]
        );
        assert_eq!(
            restored_de("5 kg (11 lb)", MeasurementSystem::Imperial),
            ["5 kg", "11 lb"]
        );
        // Alone, or beside a quantity of another kind or the same system, it is
        // converted.
        assert_eq!(
            restored_de("Weighs 11 lb, 0.1 oz steps", metric),
            ["4,99 kg", "2,83 g"]
        );
        assert_eq!(restored_de("11 lb / 20 in", metric), ["4,99 kg", "50,8 cm"]);
        assert_eq!(restored_de("2 lb or 3 lb", metric), ["907 g", "1,36 kg"]);
    }

    #[test]
    fn the_items_of_a_list_of_quantities_are_read_alike() {
        let nf = de();
        let restored = |text: &str, title: &str| -> Vec<String> {
            let rules = ProtectRules {
                measurement: Some(MeasurementSystem::Metric),
                number_format: Some(&nf),
                language: Some("de"),
                source_language: Some("en"),
                title: Some(title),
                ..Default::default()
            };
            restores(text, &rules)
        };
        // "sizes" is no clothing word: cutting boards' sizes are lengths,
        // every one of them converted.
        assert_eq!(
            restored(
                "Three sizes: 15 x 10 in, 12 x 8 in and 9 x 6 in",
                "Bamboo Cutting Board Set of 3"
            ),
            ["38,1 x 25,4 cm", "30,5 x 20,3 cm", "22,9 x 15,2 cm"]
        );
        // A list's first item decides for the rest: waist sizes all stay.
        assert_eq!(
            restored("Waist sizes: 30 in, 32 in, 34 in", "Stretch Denim"),
            ["30 Zoll", "32 Zoll", "34 Zoll"]
        );
        // Capacities all: a volume, not only the first.
        assert_eq!(
            restored("Holds 16 oz, 20 oz or 32 oz", "Stainless Steel"),
            ["473 ml", "591 ml", "946 ml"]
        );
        // An item with words of its own is read in them; so is one in the
        // next sentence.
        assert_eq!(
            restored(
                "Fits 55 inch TVs, extends 20 in from the wall",
                "Wall Mount"
            ),
            ["55 Zoll (140 cm)", "50,8 cm"]
        );
        assert_eq!(
            restored("Holds 16 oz. 20 oz", "Stainless Steel"),
            ["473 ml", "567 g"]
        );
    }

    #[test]
    fn standard_sizes_stay_compound_units_convert_whole() {
        let nf = de();
        let rules = |lang, src, title| ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            language: Some(lang),
            source_language: Some(src),
            title: Some(title),
            ..Default::default()
        };
        let restored = |text: &str, r: &ProtectRules<'_>| -> Vec<String> {
            protect(text, r)
                .spans
                .into_iter()
                .map(|s| s.restore)
                .collect()
        };
        let title = "Deep Socket Set, 9/16 inch to 1-9/16 inch, 3/8\" Drive";
        // The issue's listing: sizes stay, torque converts whole.
        assert_eq!(
            restored(title, &rules("de", "en", title)),
            ["9/16 Zoll", "1-9/16 Zoll", "3/8 Zoll"]
        );
        assert_eq!(
            restored(
                "Ratchet rated to 120 ft-lb of torque",
                &rules("de", "en", title)
            ),
            ["163 Nm"]
        );
        assert_eq!(
            restored(title, &rules("ja", "en", title)),
            ["9/16インチ", "1-9/16インチ", "3/8インチ"]
        );
        assert_eq!(
            restored(title, &rules("fr", "en", title)),
            ["9/16 pouces", "1-9/16 pouces", "3/8 pouces"]
        );
        // Screens keep their inches, with centimetres in brackets.
        assert_eq!(
            restored(
                "55 inch 4K smart TV",
                &rules("de", "en", "55 inch 4K smart TV")
            ),
            ["55 Zoll (140 cm)", "4K"]
        );
        assert_eq!(
            restored("65英寸4K智能电视", &rules("es", "zh", "65英寸4K智能电视")),
            ["65 pulgadas (165 cm)", "4K"]
        );
        // Bike wheels, pipe threads.
        let bike = "Mountain bike tire 29 x 2.25 inch";
        assert_eq!(
            restored(bike, &rules("it", "en", bike)),
            ["29 x 2,25 pollici"]
        );
        let pipe = "Brass fitting, 1/2\" NPT male thread";
        assert_eq!(restored(pipe, &rules("de", "en", pipe)), ["1/2 Zoll"]);
        // The same units elsewhere convert, and say so.
        let board = "Cutting board, 18 x 12 inch";
        let p = protect(board, &rules("de", "en", board));
        assert_eq!(p.spans[0].restore, "45,7 x 30,5 cm");
        let p = protect(title, &rules("de", "en", title));
        assert_eq!(
            p.spans[0].note,
            Some(QuantityNote::StandardSize("tool".into()))
        );
    }

    #[test]
    fn spelled_out_units_come_back_in_the_target_language() {
        let nf = de();
        let rules = |lang| ProtectRules {
            number_format: Some(&nf),
            language: Some(lang),
            ..Default::default()
        };
        let _ = QuantityNote::Converted;
        let restored = |text: &str, lang| -> Vec<String> {
            protect(text, &rules(lang))
                .spans
                .into_iter()
                .map(|s| s.restore)
                .collect()
        };
        assert_eq!(
            restored(
                "cold for 24 hours, 1 hour charge, 30 h battery, 4 pieces",
                "de"
            ),
            ["24 Stunden", "1 Stunde", "30 h", "4 Stück"]
        );
        assert_eq!(restored("cold for 24 hours", "ja"), ["24時間"]);
        assert_eq!(restored("up to 1.5 hours", "fr"), ["1,5 heures"]);
        // English thousands separators become the market's: 50,000 is not 50 in German.
        assert_eq!(
            restored("lasts 50,000 hours, 1,234.5 g", "de"),
            ["50.000 Stunden", "1.234,5 g"]
        );
        // No entry for the language and no source language: as written.
        assert_eq!(restored("cold for 24 hours", "fi"), ["24 hours"]);
        // With the source language known, never the source's word: the
        // target's (written, not read, for the languages of issue 18), or the
        // symbol where the target has none.
        let from_en = |text: &str, lang| -> Vec<String> {
            let r = ProtectRules {
                source_language: Some("en"),
                ..rules(lang)
            };
            protect(text, &r)
                .spans
                .into_iter()
                .map(|s| s.restore)
                .collect()
        };
        assert_eq!(from_en("runs up to 60 hours", "id"), ["60 jam"]);
        assert_eq!(from_en("runs up to 60 hours", "tr"), ["60 saat"]);
        assert_eq!(from_en("runs up to 60 hours", "ru"), ["60 ч"]);
        assert_eq!(from_en("runs up to 60 hours", "ko"), ["60시간"]);
        assert_eq!(from_en("1000 lumens", "ar"), ["1000 لومن"]);
        assert_eq!(from_en("1000 lumens", "pt"), ["1000 lúmens"]);
        assert_eq!(from_en("cold for 24 hours", "fi"), ["24 h"]);
        assert_eq!(from_en("a 2 kilowatts heater", "de"), ["2 kW"]);
        // Symbols stay symbols, except in a language whose script has its own
        // (Russian): kept or converted.
        assert_eq!(from_en("30 h battery", "id"), ["30 h"]);
        assert_eq!(
            from_en("183 x 61 cm mat, 1.2L, 5200mAh, 30 h", "ru"),
            ["183 x 61 см", "1,2 л", "5200 мАч", "30 ч"]
        );
        let metric_ru = ProtectRules {
            source_language: Some("en"),
            measurement: Some(MeasurementSystem::Metric),
            ..rules("ru")
        };
        assert_eq!(
            protect("a 6 ft cable", &metric_ru).spans[0].restore,
            "1,83 м"
        );
        let p = protect("a 20 lb bag", &metric_ru);
        assert_eq!(p.spans[0].restore, "9,07 кг");
        // The model wrote the unit after the placeholder as well: once (not for
        // one letter, which may be a word: с, в).
        assert_eq!(
            restore(&p.text.replace("{1}", "{1} кг"), &p).text,
            "a 9,07 кг bag"
        );
        // The words of these languages are not read: "2 jam jars" is no quantity.
        let jars = protect("2 jam jars", &rules("de"));
        assert!(
            jars.spans.iter().all(|s| !s.original.contains("jam")),
            "{jars:?}"
        );
    }

    #[test]
    fn a_chinese_or_japanese_degree_of_turning_is_an_angle_not_a_temperature() {
        let restored = |text: &str, src: &str, lang: &str| -> Vec<String> {
            let nf = de();
            let rules = ProtectRules {
                measurement: Some(MeasurementSystem::Imperial),
                number_format: Some(&nf),
                language: Some(lang),
                source_language: Some(src),
                ..Default::default()
            };
            restores(text, &rules)
        };
        // "灯臂可180度旋转" came back in French as "180 degrés Celsius".
        assert_eq!(restored("灯臂可180度旋转", "zh", "fr"), ["180 degrés"]);
        assert_eq!(restored("360度旋转球头", "zh", "en"), ["360 degrees"]);
        assert_eq!(restored("アームは180度回転", "ja", "de"), ["180 Grad"]);
        assert_eq!(restored("灯臂可180度旋转", "zh", "ja"), ["180度"]);
        assert_eq!(restored("灯臂可180度旋转", "zh", "ru"), ["180 градусов"]);
        // A temperature stays one (and is converted for an imperial market),
        // even beside a word of turning, where a word of heat is nearer.
        assert_eq!(
            restored("水温40度", "ja", "en"),
            restored("水温40℃", "ja", "en")
        );
        assert_eq!(
            restored("耐温120度，可折叠", "zh", "en"),
            restored("耐温120℃，可折叠", "zh", "en")
        );
        assert_eq!(restored("可旋转，120℃", "zh", "fr").len(), 1);
        assert!(!restored("可旋转，120℃", "zh", "fr")[0].contains("degrés"));
    }

    #[test]
    fn a_kept_range_is_written_with_a_dash_not_the_source_range_word() {
        let de = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let restored = |text: &str, lang: &str, src: &str| -> Vec<String> {
            let rules = ProtectRules {
                measurement: Some(MeasurementSystem::Metric),
                number_format: Some(&de),
                language: Some(lang),
                source_language: Some(src),
                ..Default::default()
            };
            restores(text, &rules)
        };
        // A dev-set bullet: "Fits wrists 140 to 245 mm" came back in
        // German and French as "140 to 245 mm".
        assert_eq!(
            restored("Fits wrists 140 to 245 mm", "de", "en"),
            ["140–245 mm"]
        );
        assert_eq!(
            restored("Holds from 1.5 to 2.5 kg", "fr", "en"),
            ["1,5–2,5 kg"]
        );
        assert_eq!(restored("适用温度20至40°C", "de", "zh"), ["20–40 °C"]);
        assert_eq!(restored("de 10 a 20 cm", "de", "es"), ["10–20 cm"]);
        // A dash range and a single number stay as they are.
        assert_eq!(restored("0-40 °C", "de", "en"), ["0-40 °C"]);
        // A count written with a plus is one span and comes back as written.
        assert_eq!(restored("21+1 clutch settings", "de", "en"), ["21+1"]);
        // 档 ending a phrase is a count of settings, written in the market's
        // words.
        assert_eq!(restored("扭力25+1档", "de", "zh"), ["25+1 Stufen"]);
        assert_eq!(restored("2 + 1 free", "de", "en"), ["2", "1"]);
        assert_eq!(restored("up to 5 kg", "de", "en"), ["5 kg"]);
        // A measurement a CJK source glues to its number is written with a
        // space in a language that has spaces; power, voltage and current, and
        // an English source's own spelling, stay as written.
        assert_eq!(
            restored("保温杯500ml 杯高20cm 耐温-20℃ 重450g", "de", "zh"),
            ["500 ml", "20 cm", "-20 °C", "450 g"]
        );
        assert_eq!(
            restored("65W充电器 12V 3A", "de", "zh"),
            ["65W", "12V", "3A"]
        );
        assert_eq!(restored("保温杯500ml", "ja", "zh"), ["500ml"]);
        assert_eq!(restored("浴巾 70x140cm", "de", "zh"), ["70x140 cm"]);
        assert_eq!(restored("Bottle 500ml", "de", "en"), ["500ml"]);
    }

    #[test]
    fn money_in_chinese_text_is_converted_or_written_with_its_code() {
        use crate::localize::price::Rates;
        use rust_decimal::Decimal;
        let rates = Rates::from_csv("from,to,rate\nCNY,PLN,0.6\nJPY,PLN,0.03\n", "r.csv").unwrap();
        let reg = crate::market::MarketRegistry::builtin().unwrap();
        let profile = reg.get("allegro").unwrap();
        let conv = PriceConverter {
            rates: &rates,
            profile,
        };
        let rules = |prices, src| ProtectRules {
            prices,
            number_format: Some(&profile.number_format),
            language: Some("pl"),
            source_language: Some(src),
            ..Default::default()
        };
        let five_yuan = conv.format(conv.convert(Decimal::new(5, 0), "CNY").unwrap().amount);
        for text in [
            "一年电费不到5元",
            "仅需人民币5元",
            "原价￥5",
            "原价¥5",
            "RMB 5",
        ] {
            let p = protect(text, &rules(Some(&conv), "zh"));
            assert_eq!(p.spans.len(), 1, "{text}: {:?}", p.spans);
            assert_eq!(p.spans[0].kind, SpanKind::Price, "{text}");
            assert_eq!(p.spans[0].restore, five_yuan, "{text}");
            // Without a rate, the amount keeps its currency, by its code.
            let p = protect(text, &rules(None, "zh"));
            assert_eq!(p.spans[0].restore, "5 CNY", "{text}");
        }
        let p = protect("一年电费不到2.5元", &rules(None, "zh"));
        assert_eq!(p.spans[0].restore, "2,5 CNY");
        // A Japanese source's yen sign is the yen.
        let yen = conv.format(conv.convert(Decimal::new(500, 0), "JPY").unwrap().amount);
        let p = protect("送料￥500", &rules(Some(&conv), "ja"));
        assert_eq!(p.spans[0].restore, yen);
        // 元 is money only after a number; 块 is also a count of pieces.
        let p = protect("3块磁铁，电子元件", &rules(Some(&conv), "zh"));
        assert!(
            p.spans.iter().all(|s| s.kind != SpanKind::Price),
            "{:?}",
            p.spans
        );
    }

    #[test]
    fn a_yarn_count_is_no_count_of_pieces() {
        let nf = de();
        let spans = |text: &str, title: &str| metric_spans(text, title, "zh", "pt", &nf);
        let one = |a: &str, b: &str| vec![(a.to_string(), b.to_string())];
        // "60 peças" (60 pieces) came back for a bedding set's "支数: 60支".
        assert_eq!(
            spans("60支", "纯棉床上四件套 60支长绒棉"),
            one("60支", "60S")
        );
        assert_eq!(spans("60支长绒棉，手感柔软", ""), one("60支", "60S"));
        assert_eq!(spans("采用40支纯棉面料", ""), one("40支", "40S"));
        // Things counted in 支 stay counts: cotton swabs, brushes, pens.
        assert_eq!(spans("棉签200支", "棉签"), one("200支", "200 peças"));
        assert_eq!(spans("含5支脸部刷", "化妆刷套装"), one("5", "5"));
        assert_eq!(spans("中性笔12支", ""), one("12支", "12 peças"));
    }

    #[test]
    fn a_range_glued_to_chinese_keeps_its_ends_and_unit() {
        let nf = de();
        let spans = |text: &str| metric_spans(text, "", "zh", "de", &nf);
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        // A dash right after a quantity's unit joins a range: no minus sign.
        assert_eq!(
            spans("30℃-55℃可调"),
            pairs(&[("30℃", "30 °C"), ("55℃", "55 °C")])
        );
        assert_eq!(
            spans("温度-20℃-60℃"),
            pairs(&[("-20℃", "-20 °C"), ("60℃", "60 °C")])
        );
        assert_eq!(
            spans("-20℃~-5℃"),
            pairs(&[("-20℃", "-20 °C"), ("-5℃", "-5 °C")])
        );
        // Nor one after a number's degree or percent sign.
        assert_eq!(
            spans("靠背可后仰90°-135°"),
            pairs(&[("90", "90"), ("135", "135")])
        );
        assert_eq!(spans("湿度30%-80%")[1].1, "80%");
        // A range with its unit glued to Chinese is a quantity, not a model
        // number ("90-140cm cm" came back in German).
        assert_eq!(spans("身高90-140cm"), pairs(&[("90-140cm", "90-140 cm")]));
        assert_eq!(spans("高度62-80cm四档可调")[0].1, "62-80 cm");
        // A model number stays one.
        assert_eq!(spans("型号A90-140cm")[0].1, "A90-140cm");
    }

    #[test]
    fn an_english_unit_of_time_after_a_number_is_plural() {
        for (text, want) in [
            ("Shelf life: 24 month", "Shelf life: 24 months"),
            (
                "For babies 0-6 month, replace every 2 month.",
                "For babies 0-6 months, replace every 2 months.",
            ),
            (
                "Store it for 3 month or less",
                "Store it for 3 months or less",
            ),
            // Before a noun the singular is English; one is one.
            (
                "24 month warranty, a 2 year old child",
                "24 month warranty, a 2 year old child",
            ),
            ("Replace after 1 month.", "Replace after 1 month."),
            ("Lasts 6 months", "Lasts 6 months"),
            // A count of parts or choices ending a phrase, too ("3种模式").
            (
                "USB charging tail light, 3 mode",
                "USB charging tail light, 3 modes",
            ),
            ("3 speed and 2 setting.", "3 speeds and 2 settings."),
            (
                "3 speed fan, 2 port charger, 1 mode",
                "3 speed fan, 2 port charger, 1 mode",
            ),
            ("12 colour, 2-4 layer", "12 colours, 2-4 layers"),
            (
                "Tail Light with 3 Mode, 1.5 speed",
                "Tail Light with 3 Modes, 1.5 speed",
            ),
        ] {
            assert_eq!(english_time_plurals(text), want);
        }
    }

    #[test]
    fn a_steel_grade_is_no_volume() {
        for (text, grade) in [
            ("316L不锈钢表带", "316L"),
            ("材质：304L不锈钢", "304L"),
            ("316L stainless steel strap", "316L"),
            ("Edelstahl 316L, gebürstet", "316L"),
        ] {
            let (_, spans) = zh_spans(text, "en");
            assert_eq!(spans[0], (grade.to_string(), grade.to_string()), "{text}");
        }
        // Nor is a word that only ends like one before it.
        assert_ne!(zh_spans("Glass 316L", "en").1[0].1, "316L");
        // A fridge's 316 litres is a volume, converted like any other.
        let (_, spans) = zh_spans("冰箱容量316L，双门", "en");
        assert_eq!(spans[0].0, "316L");
        assert_ne!(spans[0].1, "316L");
    }

    #[test]
    fn a_unit_written_with_a_middle_dot_is_one_quantity() {
        // "60N·m" came back "60N m" and "60N cm": "60N" was kept as a model
        // number and the model wrote the rest.
        let (_, spans) = zh_spans("最大扭力60N·m，25+1档", "en");
        assert_eq!(spans[0].0, "60N·m", "{spans:?}");
        assert!(spans[0].1.contains("ft-lb"), "{spans:?}");
        // A model number before a middle dot that makes no unit stays one.
        let (_, spans) = zh_spans("型号A60N·黑色", "en");
        assert_eq!(spans[0], ("A60N".to_string(), "A60N".to_string()));
    }

    #[test]
    #[ignore = "a measurement: cargo test --release --lib measure_slavic_time_forms -- --ignored --nocapture"]
    fn measure_slavic_time_forms() {
        // Good translations into Russian and Polish of the dev set whose
        // units of time [`time_plurals`] would change.
        let (mut n, mut hits) = (0, Vec::new());
        for (lang, t, _, b) in crate::localize::eval::dev_reference_pairs() {
            if t != "ru" && t != "pl" {
                continue;
            }
            n += 1;
            let fixed = time_plurals(&b, &t);
            if fixed != b {
                hits.push(format!("{lang}→{t}: {b} → {fixed}"));
            }
        }
        let with_time = crate::localize::eval::dev_reference_pairs()
            .into_iter()
            .filter(|(_, t, _, b)| {
                (t == "ru" || t == "pl")
                    && SLAVIC_TIME_FORMS.iter().any(|(l, forms)| {
                        l == t
                            && NUMBER_WORD.captures_iter(b).any(|c| {
                                let w = c["w"].to_lowercase();
                                forms
                                    .iter()
                                    .any(|f| [f.one, f.few, f.many].contains(&w.as_str()))
                            })
                    })
            })
            .count();
        println!(
            "{} of {n} changed ({with_time} with a unit of time after a number)\n{}",
            hits.len(),
            hits.join("\n")
        );
    }

    #[test]
    fn a_duration_keeps_its_number_before_its_unit() {
        for (src, lang, text, want) in [
            (
                "保质期3年",
                "th",
                "อายุการเก็บรักษา = ปี 3",
                "อายุการเก็บรักษา = 3 ปี",
            ),
            (
                "保修12个月",
                "vi",
                "Bảo hành tháng 12.",
                "Bảo hành 12 tháng.",
            ),
            ("续航30小时", "id", "daya tahan jam 30", "daya tahan 30 jam"),
            (
                "2 years warranty",
                "ms",
                "waranti tahun 2",
                "waranti 2 tahun",
            ),
            // Already in order, a year, a date, a number the source gives no
            // unit of time, and another language: unchanged.
            ("保质期3年", "th", "อายุการเก็บรักษา 3 ปี", "อายุการเก็บรักษา 3 ปี"),
            ("2024年新款", "th", "รุ่นใหม่ ปี 2024", "รุ่นใหม่ ปี 2024"),
            ("3月上市", "vi", "ra mắt tháng 3", "ra mắt tháng 3"),
            (
                "3个装，保修1年",
                "vi",
                "bộ 3 chiếc, tháng 3",
                "bộ 3 chiếc, tháng 3",
            ),
            ("保质期3年", "th", "ปีที่ 3", "ปีที่ 3"),
            ("保质期3年", "th", "ปี 3.5", "ปี 3.5"),
            ("保质期3年", "es", "año 3", "año 3"),
            ("3 years", "id", "sejahtera 3", "sejahtera 3"),
            // A number its own unit follows: "hẹn giờ" is a timer.
            ("2分钟定时", "vi", "Hẹn giờ 2 phút", "Hẹn giờ 2 phút"),
        ] {
            assert_eq!(
                time_units_after_numbers(text, src, lang),
                want,
                "{lang}: {text}"
            );
        }
    }

    #[test]
    #[ignore = "a measurement: run with --ignored --nocapture"]
    fn measure_time_units_after_numbers() {
        // Good translations into Thai, Vietnamese, Indonesian and Malay of the
        // dev set that [`time_units_after_numbers`] would change.
        let (mut n, mut with, mut hits) = (0, 0, Vec::new());
        for (lang, t, a, b) in crate::localize::eval::dev_reference_pairs() {
            if !matches!(t.as_str(), "th" | "vi" | "id" | "ms") {
                continue;
            }
            n += 1;
            if SOURCE_DURATION.is_match(&a) {
                with += 1;
            }
            let fixed = time_units_after_numbers(&b, &a, &t);
            if fixed != b {
                hits.push(format!("{lang}→{t}: {b} → {fixed}"));
            }
        }
        println!(
            "{} of {n} changed ({with} with a duration in the source)\n{}",
            hits.len(),
            hits.join("\n")
        );
    }

    #[test]
    fn a_russian_or_polish_unit_of_time_takes_the_form_its_number_asks() {
        for (lang, text, want) in [
            ("ru", "Время работы: 60 день", "Время работы: 60 дней"),
            ("ru", "меняйте каждые 3 месяцы", "меняйте каждые 3 месяца"),
            ("ru", "Гарантия 12 месяц", "Гарантия 12 месяцев"),
            ("ru", "зарядка 4 час, 5 часа", "зарядка 4 часа, 5 часов"),
            ("ru", "2-3 день", "2-3 дня"),
            ("ru", "21 день, 22 Дни", "21 день, 22 Дня"),
            ("pl", "24 miesiąc, 25 miesiąc", "24 miesiące, 25 miesięcy"),
            ("pl", "2 miesiąc, 5 miesiące", "2 miesiące, 5 miesięcy"),
            ("pl", "3 raz dziennie", "3 razy dziennie"),
            // Right as written, or a case only the sentence tells.
            (
                "ru",
                "до 3 месяцев, 1 год, 1,5 часа",
                "до 3 месяцев, 1 год, 1,5 часа",
            ),
            ("ru", "более 21 дня", "более 21 дня"),
            ("ru", "5 раз, 2 раз", "5 раз, 2 раз"),
            (
                "pl",
                "do 2 miesięcy, 1 rok, 22 lata",
                "do 2 miesięcy, 1 rok, 22 lata",
            ),
            (
                "pl",
                "model X2 dzień, 24-miesiąc",
                "model X2 dzień, 24-miesiąc",
            ),
        ] {
            assert_eq!(time_plurals(text, lang), want, "{lang}: {text}");
        }
    }

    #[test]
    fn a_romance_or_dutch_unit_of_time_after_two_or_more_is_plural() {
        for (lang, text, want) in [
            ("es", "Garantía: 36 mes", "Garantía: 36 meses"),
            (
                "es",
                "36 mes de garantía, 1 mes de prueba",
                "36 meses de garantía, 1 mes de prueba",
            ),
            ("es", "Para bebés de 0-6 mes", "Para bebés de 0-6 meses"),
            ("pt", "12 mês de garantia", "12 meses de garantia"),
            (
                "it",
                "Garanzia 2 anno, ricarica in 3 ora",
                "Garanzia 2 anni, ricarica in 3 ore",
            ),
            ("fr", "Garantie 2 an, 1,5 an", "Garantie 2 ans, 1,5 an"),
            ("fr", "Livraison en 5 Jour", "Livraison en 5 Jours"),
            (
                "nl",
                "Na 5 dag, 2 jaar garantie",
                "Na 5 dagen, 2 jaar garantie",
            ),
            // How many times counts the same way ("vaciar 3 vez").
            ("es", "vacíe 3 vez", "vacíe 3 veces"),
            // And pieces ("13件套": "13 pieza").
            ("es", "Juego de 13 pieza", "Juego de 13 piezas"),
            ("pt", "2 peça, 1 peça", "2 peças, 1 peça"),
            ("it", "set da 6 pezzo", "set da 6 pezzi"),
            ("fr", "lot de 3 pièce", "lot de 3 pièces"),
            ("nl", "set van 4 stuk", "set van 4 stuks"),
            // One takes the singular ("1 años"), a range to one does not.
            (
                "es",
                "1 baterías AA, hasta 1 años, 0-1 años",
                "1 baterías AA, hasta 1 año, 0-1 años",
            ),
            ("it", "dura 1 ore", "dura 1 ora"),
            ("fr", "en 1 Jours", "en 1 Jour"),
            // Already plural, one, a decimal, a compound, a model number.
            (
                "es",
                "24 meses, 1 año, 1,5 hora",
                "24 meses, 1 año, 1,5 hora",
            ),
            (
                "nl",
                "24-maand garantie, 24 maand-abonnement",
                "24-maand garantie, 24 maand-abonnement",
            ),
            ("es", "modelo X2 día", "modelo X2 día"),
            // Not German (a case ending), nor a language it does not know.
            ("de", "nach 24 Monat", "nach 24 Monat"),
            ("sv", "24 månad", "24 månad"),
        ] {
            assert_eq!(time_plurals(text, lang), want, "{lang}: {text}");
        }
    }

    #[test]
    fn a_chinese_market_unit_is_converted_from_a_chinese_source_only() {
        let nf = de();
        // 斤 is half a kilogram: "10斤" came back in Korean as "10kg".
        assert_eq!(
            metric_spans("最大称重不要超过5公斤（10斤）", "", "zh", "ko", &nf)[1],
            ("10斤".to_string(), "5 kg".to_string())
        );
        assert_eq!(
            metric_spans("苹果3斤装", "", "zh", "de", &nf)[0].1,
            "1,5 kg"
        );
        assert_eq!(metric_spans("每包1斤", "", "zh", "de", &nf)[0].1, "500 g");
        // Japanese 斤 is a loaf of bread: the number stands alone.
        assert_eq!(metric_spans("食パン1斤", "", "ja", "de", &nf)[0].1, "1");
        // A Chinese translation keeps it.
        assert_eq!(metric_spans("苹果3斤装", "", "zh", "zh", &nf)[0].1, "3斤");
    }

    #[test]
    fn carats_momme_and_kilowatt_hours_of_a_chinese_source_keep_their_unit() {
        let nf = de();
        // "0.5克拉" came back in Japanese as "0.5グラム" (grams); "16姆米" in
        // French as "16 mm"; "1度电" in German as "1 Grad Celsius".
        assert_eq!(
            metric_spans("0.5克拉人造锆石", "", "zh", "ja", &nf)[0].1,
            "0,5カラット"
        );
        assert_eq!(
            metric_spans("主石0.5克拉", "", "zh", "de", &nf)[0].1,
            "0,5 Karat"
        );
        assert_eq!(
            metric_spans("主石0.5克拉", "", "zh", "ko", &nf)[0].1,
            "0,5캐럿"
        );
        assert_eq!(
            metric_spans("16姆米真丝方巾", "", "zh", "fr", &nf)[0].1,
            "16 momme"
        );
        assert_eq!(
            metric_spans("一晚约1度电", "", "zh", "de", &nf)[0].1,
            "1 kWh"
        );
        // "ct" is a count in US listings, never a carat.
        assert!(
            !metric_spans("120 ct capsules", "", "en", "de", &nf)[0]
                .1
                .contains("Karat")
        );
    }

    #[test]
    fn an_air_conditioners_horsepower_and_a_tents_water_column_stay_as_sold() {
        let nf = de();
        // 匹 is written HP by the source cleaner; an air conditioner keeps it.
        let title = "1.5HP 变频冷暖空调挂机";
        assert_eq!(
            metric_spans("1.5HP 变频冷暖空调挂机", title, "zh", "de", &nf)[0].1,
            "1,5HP"
        );
        // A pump's horsepower is a power, converted.
        assert_eq!(
            metric_spans("1HP 自吸泵", "1HP 自吸泵", "zh", "de", &nf)[0].1,
            "746 W (1HP)"
        );
        let us = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let imperial = |text: &str, title: &str| {
            let rules = ProtectRules {
                measurement: Some(MeasurementSystem::Imperial),
                number_format: Some(&us),
                language: Some("en"),
                source_language: Some("zh"),
                title: Some(title),
                ..Default::default()
            };
            text_and_spans(text, &rules).1
        };
        // "3000mm" came back "118 in" in a US tent listing.
        let tent = "3-4人全自动帐篷 防暴雨 双层";
        assert_eq!(imperial("3000mm", tent)[0].1, "3000 mm");
        assert_eq!(imperial("防水指数3000mm", "")[0].1, "3000 mm");
        // Elsewhere millimetres are converted.
        assert_ne!(imperial("3000mm", "不锈钢水杯")[0].1, "3000 mm");
        // A size whose sides' names the source cleaner put first is one size.
        assert_eq!(
            imperial("尺寸：长宽高47.4×49.5×114厘米", "双门小冰箱"),
            [(
                "47.4×49.5×114厘米".to_string(),
                "18.7 x 19.5 x 44.9 in".to_string()
            )]
        );
    }

    #[test]
    fn a_brand_inside_a_longer_chinese_word_is_the_word() {
        let rules = ProtectRules {
            brand: Some("阳能"),
            ..Default::default()
        };
        // Brand 阳能 in 太阳能板 (a solar panel) was left in the Spanish title.
        let p = protect("阳能 100W单晶硅太阳能板", &rules);
        let brands: Vec<&str> = p
            .spans
            .iter()
            .filter(|s| s.kind == SpanKind::Brand)
            .map(|s| s.original.as_str())
            .collect();
        assert_eq!(brands, ["阳能"]);
        assert!(p.text.starts_with("{1} ") && p.text.contains("太阳能板"));
        // After a sign, before one, or at the start it is the brand.
        let p = protect("【阳能品质】选阳能，省心", &rules);
        assert_eq!(
            p.spans.iter().filter(|s| s.kind == SpanKind::Brand).count(),
            2
        );
        // The first characters of a longer word are not the brand: brand
        // 弹力 in 弹力带 (a resistance band) came back "弹力 弹力 Bande".
        let words = ["弹力带".to_string()];
        let rules = ProtectRules {
            brand: Some("弹力"),
            brand_words: &words,
            ..Default::default()
        };
        let p = protect("弹力 弹力带套装 5根", &rules);
        assert!(p.text.starts_with("{1} 弹力带套装"), "{}", p.text);
        // Between words of its own too.
        let rules = ProtectRules {
            brand: Some("格凌"),
            ..Default::default()
        };
        let p = protect("选择格凌空调，一晚一度电", &rules);
        assert_eq!(
            p.spans.iter().filter(|s| s.kind == SpanKind::Brand).count(),
            1
        );
    }

    #[test]
    fn a_korean_unit_with_its_particle_is_kept() {
        let rules = ProtectRules {
            language: Some("ko"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("适合0-36个月宝宝，承重3.5-20kg", &rules);
        let missing = |out: &str| missing_units(&p.text, out, &p.spans, "zh", "ko");
        assert!(missing("아기 {1}개월에 맞는 하중 {2}").is_empty());
        assert!(missing("아기 {1}개월 맞는 하중 {2}").is_empty());
        assert_eq!(missing("아기 {1}에 맞는 하중 {2}"), ["0-36个月"]);
        // Thai, Vietnamese, Russian and Arabic months are read too: "0-6个月"
        // came back in Thai "0-6 นักเรียน" (0-6 students).
        let p = protect("防胀气阀门，适合0-6个月宝宝", &rules);
        for (lang, good, bad) in [
            ("th", "สำหรับเด็ก {1} เดือน", "สำหรับ {1} นักเรียนเด็กทารก"),
            ("vi", "cho bé {1} tháng", "cho {1} học sinh"),
            ("ru", "для малышей {1} месяцев", "для {1} малышей"),
            ("ar", "للأطفال {1} أشهر", "للأطفال {1}"),
        ] {
            let missing = |out: &str| missing_units(&p.text, out, &p.spans, "zh", lang);
            assert!(missing(good).is_empty(), "{lang}: {good}");
            assert_eq!(missing(bad), ["0-6个月"], "{lang}: {bad}");
        }
    }

    #[test]
    fn a_code_is_not_glued_to_the_word_after_it() {
        let rules = ProtectRules {
            language: Some("pl"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "{1}monitor" came back "HDR400monitor" in a Polish title.
        let p = protect("显示器 HDR400 升降支架", &rules);
        assert_eq!(p.text, "显示器 {1} 升降支架");
        assert_eq!(
            restore("Monitor {1}monitor", &p).text,
            "Monitor HDR400 monitor"
        );
        assert_eq!(
            restore("Monitor {1}-monitor", &p).text,
            "Monitor HDR400-monitor"
        );
        assert_eq!(restore("モニター {1}対応", &p).text, "モニター HDR400対応");
        // A number's last digit is parted from a capitalised word after it
        // ("JBL Flip 6" then "Bluetoothスピーカー" in a Japanese title), not
        // from a unit, a letter or a sign.
        let p = protect("音箱 6 蓝牙", &rules);
        assert_eq!(p.text, "音箱 {1} 蓝牙");
        assert_eq!(
            restore("スピーカー{1}Bluetooth", &p).text,
            "スピーカー6 Bluetooth"
        );
        for (out, want) in [
            ("{1}mm", "6mm"),
            ("{1}K", "6K"),
            ("{1}Hz", "6Hz"),
            ("{1}Gbps", "6Gbps"),
            ("{1}x{1}", "6x6"),
            ("{1}個", "6個"),
        ] {
            assert_eq!(restore(out, &p).text, want);
        }
    }

    #[test]
    fn a_sign_written_again_after_its_quantity_is_dropped() {
        let nf = de();
        let rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            language: Some("vi"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "80%" came back "80%%" in a Vietnamese bullet.
        let p = protect("棉含量80%", &rules);
        let r = restore("Cotton {1}%", &p);
        assert_eq!(r.text, "Cotton 80%");
        // Nor is it glued to the word after it.
        let p = protect("100%桑蚕丝", &rules);
        assert_eq!(restore("{1}lụa", &p).text, "100% lụa");
        assert!(added_units(&p.text, "Cotton {1}%", &p.spans, "vi").is_empty());
    }

    #[test]
    fn a_unit_glued_to_a_model_number_is_added() {
        let rules = ProtectRules {
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "VG10钢芯" (a VG10 steel core) came back "VG10mm steel core".
        let p = protect("67层大马士革钢，VG10钢芯", &rules);
        let code = p
            .spans
            .iter()
            .position(|s| s.original == "VG10")
            .expect("VG10 is a model number");
        let ph = Protected::placeholder(code);
        let out = format!("67 layers, {ph}mm steel core");
        assert_eq!(added_units(&p.text, &out, &p.spans, "en"), ["VG10mm"]);
        // Written apart, or as the source has it, it is no addition.
        let out = format!("67 layers, {ph} steel core");
        assert!(added_units(&p.text, &out, &p.spans, "en").is_empty());
    }

    #[test]
    fn a_unit_symbol_after_a_chinese_count_is_added() {
        let rules = ProtectRules {
            language: Some("fr"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "27.5寸 21速" (21 gears) came back "27,5 pouces 21 km/h".
        let p = protect("山地自行车 21速 铝合金车架", &rules);
        let out = "Vélo de montagne {1} km/h, cadre en aluminium";
        assert_eq!(added_units(&p.text, out, &p.spans, "fr"), ["21 km/h"]);
        assert!(added_units(&p.text, "Vélo {1} vitesses", &p.spans, "fr").is_empty());
        // A Latin source may write a unit the table does not read: French
        // gigabytes ("{1} Go") are GB.
        let p = protect("Cartes microSD jusqu'à 256 Go", &ProtectRules::default());
        assert!(added_units(&p.text, "microSD cards up to {1} GB", &p.spans, "en").is_empty());
    }

    #[test]
    fn a_standards_version_and_a_frame_rate_are_one_name() {
        let term = |w: &str| Term {
            source: w.into(),
            target: None,
        };
        let terms = [term("USB"), term("HDMI"), term("DP"), term("DC")];
        let rules = ProtectRules {
            terms: &terms,
            source_language: Some("zh"),
            language: Some("de"),
            ..Default::default()
        };
        let models = |text: &str| {
            protect(text, &rules)
                .spans
                .into_iter()
                .filter(|s| s.kind == SpanKind::ModelNumber)
                .map(|s| s.original)
                .collect::<Vec<_>>()
        };
        assert_eq!(models("2个USB 3.0接口"), ["USB 3.0"]);
        assert_eq!(models("接口：2×HDMI 2.0，1×DP 1.4"), ["HDMI 2.0", "DP 1.4"]);
        assert_eq!(models("PCIe 4.0 x4 固态硬盘"), ["PCIe 4.0", "x4"]);
        assert_eq!(models("HDMI输出4K@60Hz"), ["4K@60Hz"]);
        assert_eq!(models("2560×1440@165Hz 显示器"), ["2560×1440@165Hz"]);
        // A version followed by a unit is a size; one capital is a word.
        assert!(models("DC 5.5 mm 插头").is_empty());
        assert!(models("DC 5.5mm 插头").iter().all(|m| m != "DC 5.5"));
        assert!(models("Bluetooth 5.3 耳机").is_empty());
        // Nor inside a longer code or number.
        assert!(models("3.0USB 2.01").iter().all(|m| !m.contains(' ')));
    }

    #[test]
    fn a_duration_in_two_units_is_one_quantity() {
        let rules = |l| ProtectRules {
            source_language: Some("zh"),
            language: Some(l),
            ..Default::default()
        };
        let p = protect("续航6.4小时，充电1小时24分钟", &rules("ru"));
        assert_eq!(p.text, "续航{1}，充电{2}");
        assert_eq!(p.spans[1].original, "1小时24分钟");
        assert_eq!(p.spans[1].restore, "1 ч 24 мин");
        let p = protect("充电1小时24分钟", &rules("ja"));
        assert_eq!(p.spans.len(), 1, "{:?}", p.spans);
        // The smaller first, or words between, are two quantities.
        assert_eq!(protect("24分钟或1小时", &rules("en")).spans.len(), 2);
        assert_eq!(protect("充电30分钟 1小时", &rules("en")).spans.len(), 2);
    }

    #[test]
    fn a_temperature_below_zero_in_words_keeps_its_sign() {
        use crate::market::MeasurementSystem::{Imperial, Metric};
        let rules = |l, m| ProtectRules {
            source_language: Some("zh"),
            language: Some(l),
            measurement: Some(m),
            ..Default::default()
        };
        // A jump starter's cold start, for Poland and for the US.
        let p = protect("零下20°C也能启动", &rules("pl", Metric));
        assert_eq!(p.text, "{1}也能启动");
        assert_eq!(p.spans[0].restore, "-20 °C");
        let p = protect("零下20°C也能启动", &rules("en", Imperial));
        assert_eq!(p.spans[0].restore, "-4 °F");
        assert_eq!(
            protect("负20℃", &rules("en", Imperial)).spans[0].restore,
            "-4 °F"
        );
        let p = protect("マイナス10℃まで", &rules("de", Metric));
        assert_eq!(p.spans[0].restore, "-10 °C");
        // A word that is no sign, or 负 before no temperature, stays.
        let p = protect("负载20kg，负离子", &rules("en", Metric));
        assert_eq!(p.text, "负载{1}，负离子");
    }

    #[test]
    fn an_age_after_a_measured_quantity_is_added() {
        let rules = ProtectRules {
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("儿童平衡车 2-6岁 12寸 免充气轮胎", &rules);
        let out = "Balance Bike, {1}-year-old and {2}-year-old Tires";
        assert_eq!(
            added_units(&p.text, out, &p.spans, "en"),
            ["12 inches year"]
        );
        // The age's own number may take the word.
        let out = "Balance Bike for {1}-year-olds, {2} Tires";
        assert!(added_units(&p.text, out, &p.spans, "en").is_empty());
    }

    #[test]
    fn an_arabic_gram_after_a_count_is_added() {
        let nf = de();
        let rules = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            language: Some("ar"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "300颗粒" (300 pieces of a building set) came back "300 جرام".
        let p = protect("【300颗粒】含2个人仔", &rules);
        assert!(p.text.contains("{1}"), "{}", p.text);
        let out = "يحتوي على {1} جرام";
        assert_eq!(added_units(&p.text, out, &p.spans, "ar"), ["300 جرام"]);
    }

    #[test]
    fn an_alternating_current_mark_stays_with_its_voltage() {
        let rules = ProtectRules {
            language: Some("vi"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "220V~50Hz" came back "từ 220V đến 50Hz" (from 220 V to 50 Hz).
        let p = protect("额定功率500W，220V~50Hz", &rules);
        assert_eq!(p.text, "额定功率{1}，{2}{3}");
        assert_eq!(p.spans[1].original, "220V~");
        assert_eq!(restore("{1}, {2} {3}", &p).text, "500W, 220V~ 50Hz");
        let p = protect("输入100-240V~ 50/60Hz", &rules);
        assert_eq!(p.spans[0].original, "100-240V~");
        let p = protect("电压230V~，功率1000W", &rules);
        assert_eq!(p.spans[0].original, "230V~");
        // A tilde before another voltage is a range, and a tilde after any
        // other quantity stays as the source has it.
        let p = protect("适用220V~240V", &rules);
        assert!(
            p.spans.iter().all(|s| !s.original.ends_with('~')),
            "{:?}",
            p.spans
        );
        let p = protect("容量1L~2L", &rules);
        assert!(
            p.spans.iter().all(|s| !s.original.ends_with('~')),
            "{:?}",
            p.spans
        );
    }

    #[test]
    fn a_sign_written_again_after_a_space_goes() {
        let rules = ProtectRules {
            language: Some("de"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // A curtain's 遮光率约99% came back "von ca. 99% % isoliert".
        let p = protect("遮光率约99% 隔热", &rules);
        assert_eq!(
            restore("Verdunkelung ca. {1} % isoliert", &p).text,
            "Verdunkelung ca. 99% isoliert"
        );
        assert_eq!(
            restore("Verdunkelung ca. {1} isoliert", &p).text,
            "Verdunkelung ca. 99% isoliert"
        );
    }

    #[test]
    fn a_symbol_written_as_a_name_keeps_its_case() {
        let rules = ProtectRules {
            language: Some("pl"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // "覆盖99% sRGB色域" came back "Zamknięcie 99% w domyślnym …": "w" is
        // "in", no watt.
        let p = protect("覆盖99% sRGB色域", &rules);
        assert!(added_units(&p.text, "Zamknięcie {1} w domyślnym sRGB", &p.spans, "pl").is_empty());
        assert_eq!(
            added_units(&p.text, "Zamknięcie {1} W sRGB", &p.spans, "pl"),
            ["99% W"]
        );
    }

    #[test]
    fn a_rate_per_unit_of_a_chinese_source_keeps_its_unit() {
        // Sixty LEDs per metre came back "every sixty".
        let rate = "{1}长，每米{2}颗灯珠";
        assert_eq!(
            per_unit_lost(rate, "Светодиоды длиной {1} м, каждые {2} штук", "zh", "ru"),
            ["每米"]
        );
        for out in [
            "Длина {1}, {2} светодиодов на метр",
            "Длина {1}, {2} светодиодов/м",
            "Длина {1}, {2} светодиодов на 1 м",
        ] {
            assert!(per_unit_lost(rate, out, "zh", "ru").is_empty(), "{out}");
        }
        assert!(per_unit_lost(rate, "{1} long, {2} LEDs per metre", "zh", "en").is_empty());
        // Given to another quantity: "5 meter per meter … 60".
        let strip = "LED灯带 {1} 每米{2}灯珠";
        assert_eq!(
            per_unit_lost(strip, "LED-strip {1} per meter met USB {2}", "zh", "nl"),
            ["每米"]
        );
        for out in [
            "LED-strip {1}, {2} per meter",
            "LED-strip {1}, {2} LED's per meter",
            "LED-strip {1}, per meter {2} LED's",
        ] {
            assert!(per_unit_lost(strip, out, "zh", "nl").is_empty(), "{out}");
        }
        // Per square metre said with the metre's word; a time rate is
        // another check's.
        assert!(
            per_unit_lost("每平方米约{1}", "около {1} на квадратный метр", "zh", "ru").is_empty()
        );
        assert!(per_unit_lost("每小时{1}", "{1}", "zh", "en").is_empty());
    }

    #[test]
    fn a_degree_sign_of_the_source_is_an_angle() {
        let rules = ProtectRules {
            language: Some("pl"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // A monitor stand's "左右旋转±45°" came back "obracać o 45 stopni":
        // the degree sign stands outside the placeholder, an angle.
        let p = protect("支架可升降130mm，左右旋转±45°", &rules);
        assert_eq!(p.text, "支架可升降{1}，左右旋转±{2}°");
        assert!(
            added_units(
                &p.text,
                "Podnoszenie {1}, obrót o {2} stopni",
                &p.spans,
                "pl"
            )
            .is_empty()
        );
        assert_eq!(
            added_units(
                &p.text,
                "Podnoszenie {1}, obrót o {2} kilogramów",
                &p.spans,
                "pl"
            ),
            ["45 kilogramów"]
        );
        // A Chinese letter after the sign: still an angle ("椅背可后仰至135°
        // 并锁定", the back reclines to 135° and locks, came back in Turkish
        // "135 derece").
        let tr = ProtectRules {
            language: Some("tr"),
            ..rules.clone()
        };
        let p = protect("椅背可后仰至135°并锁定", &tr);
        assert!(added_units(&p.text, "Sırt {1} derece yatar", &p.spans, "tr").is_empty());
        let p = protect("椅背可后仰至135并锁定", &tr);
        assert_eq!(
            added_units(&p.text, "Sırt {1} derece yatar", &p.spans, "tr"),
            ["135 derece"]
        );
        // Without the sign in the source, degrees are added.
        let p = protect("左右旋转45", &rules);
        assert_eq!(
            added_units(&p.text, "obrót o {1} stopni", &p.spans, "pl"),
            ["45 stopni"]
        );
    }

    #[test]
    fn a_unit_word_in_a_case_form_after_a_quantity_is_added() {
        let rules = |lang| ProtectRules {
            language: Some(lang),
            source_language: Some("zh"),
            ..Default::default()
        };
        // A dress's length, 衣长约110cm, came back in a Polish title "o 110 cm
        // kilogramach"; a lantern's 续航约20小时 in Thai "20 ชั่วโมง ปี" (years).
        let p = protect("衣长约110cm", &rules("pl"));
        for (out, want) in [
            ("o {1} kilogramach", "110 cm kilogramach"),
            ("{1} kilogramów", "110 cm kilogramów"),
        ] {
            assert_eq!(added_units(&p.text, out, &p.spans, "pl"), [want]);
        }
        assert!(added_units(&p.text, "długość {1}", &p.spans, "pl").is_empty());
        let p = protect("续航约20小时", &rules("th"));
        assert_eq!(
            added_units(&p.text, "ประมาณ {1} ปี", &p.spans, "th").len(),
            1
        );
        let p = protect("保修2年", &rules("th"));
        assert!(added_units(&p.text, "รับประกัน {1} ปี", &p.spans, "th").is_empty());
    }

    #[test]
    fn a_japanese_unit_word_starting_a_chinese_word_is_no_unit() {
        let nf = NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        };
        let spans = |text: &str, src: &str| metric_spans(text, text, src, "it", &nf);
        // 分辨率 (resolution), 分类 (category), 分体 (split): no minutes.
        for text in ["466×466分辨率AMOLED", "共3分类", "10分体式"] {
            let found = spans(text, "zh");
            assert!(
                found.iter().all(|(_, r)| !r.contains("min")),
                "{text}: {found:?}"
            );
        }
        assert_eq!(spans("466×466分辨率", "zh")[0].0, "466×466");
        // Chinese minutes, and a Japanese source's 分, are minutes.
        assert!(spans("充电30分钟充满", "zh")[0].1.contains("minuti"));
        assert!(spans("約30分で充電", "ja")[0].1.contains("minuti"));
        assert!(spans("約30分間充電", "ja")[0].1.contains("minuti"));
        // 度 is Chinese for a temperature or an angle, before a word or not.
        assert_eq!(spans("水温40度恒温", "zh")[0].1, "40 gradi Celsius");
        assert_eq!(spans("可360度旋转", "zh")[0].1, "360 gradi");
        // Electricity is counted in 度 too: a kilowatt-hour.
        assert_eq!(spans("每天耗电0.5度", "zh")[0].1, "0,5 kWh");
        assert_eq!(spans("电热水壶一年电费不到20度", "zh")[0].1, "20 kWh");
        assert_eq!(
            spans("节能电水壶加热到100度", "zh")[0].1,
            "100 gradi Celsius"
        );
    }

    #[test]
    fn quantities_between_chinese_words_are_found_and_not_glued_back() {
        let nf = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let rules = |title: &'static str| ProtectRules {
            measurement: Some(MeasurementSystem::Imperial),
            number_format: Some(&nf),
            language: Some("en"),
            source_language: Some("zh"),
            title: Some(title),
            ..Default::default()
        };
        let spans = |text: &'static str| -> Vec<(String, String)> {
            protect(text, &rules(text))
                .spans
                .into_iter()
                .map(|s| (s.original, s.restore))
                .collect()
        };
        // Without spaces, as Taobao titles are written: the quantity is found
        // (and converted) as it is between spaces.
        // A glued dimension between spaces is a quantity, not a model number.
        let towel = spans("纯棉浴巾 70x140cm 吸水");
        assert_eq!(towel.len(), 1, "{towel:?}");
        assert_eq!(towel[0].0, "70x140cm");
        // Centimetres are inches up to 100 in, as US listings give a towel's
        // or a fridge's size ("27.6 x 55.1 in", not "2.3 x 4.59 ft").
        assert_eq!(towel[0].1, "27.6 x 55.1 in");
        assert_eq!(spans("床垫 200x180cm")[0].1, "78.7 x 70.9 in");
        assert_eq!(spans("帐篷 300x300cm")[0].1, "9.84 x 9.84 ft");
        let glued = spans("304不锈钢保温杯500ml大容量");
        let spaced = spans("304不锈钢保温杯 500 ml 大容量");
        assert_eq!(glued.len(), 2, "{glued:?}");
        assert_eq!(glued[1].0, "500ml");
        assert_eq!(glued[1].1, spaced[1].1);
        assert!(glued[1].1.contains("fl oz"), "{glued:?}");
        // A model number glued to Chinese words is still a model number.
        let p = protect("型号XR55A80K黑色", &rules(""));
        assert_eq!(originals(&p), ["XR55A80K"]);
        assert_eq!(p.spans[0].kind, SpanKind::ModelNumber);
        // A range between Chinese words keeps its minus sign; a range word is
        // written as a dash wherever the range is kept.
        assert_eq!(
            spans("适用温度-20至120°C")[0],
            ("-20至120°C".to_string(), "-4–248 °F".to_string())
        );
        assert_eq!(spans("from -40 to -10 °C")[0].1, "-40–14 °F");
        // A dash after a number joins a range, it is no sign.
        assert_eq!(spans("works at 0-40 °C")[0].1, "32–104 °F");
        // Restored in English, a quantity is not glued to the next word.
        let title = "TCL 65英寸4K智能电视";
        let p = protect(title, &rules(title));
        let out = restore("TCL {1}{2} Smart TV, {1} Zoll", &p).text;
        let inch = &p.spans[0].restore;
        assert!(inch.ends_with(|c: char| c.is_ascii_alphabetic()), "{inch}");
        // ("Zoll" after the inches is the unit written twice: it goes.)
        assert_eq!(out, format!("TCL {inch} 4K Smart TV, {inch}"));
        // Nor glued to the word before it, where the model copied the
        // Chinese way of writing ("容量500毫升" as "Capacidad{1}").
        let title = "保温杯 容量500毫升";
        let p = protect(title, &rules(title));
        let ml = &p.spans[0].restore;
        assert!(ml.contains(' '), "{ml}");
        assert_eq!(restore("Capacidad{1}", &p).text, format!("Capacidad {ml}"));
        assert_eq!(restore("Capacidad {1}", &p).text, format!("Capacidad {ml}"));
        // Numbers the model wrote itself are left as they are.
        let p = protect("10 x 20", &ProtectRules::default());
        assert_eq!(restore("{1}", &p).text, "10 x 20");
    }

    #[test]
    fn context_around_a_quantity_ends_at_a_clause_break() {
        assert_eq!(tail_chars("socket, holds 24", 40), " holds 24");
        assert_eq!(tail_chars("socket, holds 24", 4), "s 24");
        assert_eq!(tail_chars("插座，容量", 40), "容量");
        assert_eq!(tail_chars("no break here", 40), "no break here");
        assert_eq!(head_chars(" in long. Fits all", 40), " in long");
        assert_eq!(head_chars(" in long", 3), " in");
        assert_eq!(head_chars(" in v1.2 long", 40), " in v1.2 long");
        // The search stays in the window: a long text with no break is read
        // only as far as the window (it was read whole for every quantity,
        // quadratic in a long segment).
        let long = "1 cm ".repeat(20_000);
        assert_eq!(tail_chars(&long, 6), " 1 cm ");
        assert_eq!(head_chars(&long, 6), "1 cm 1");
    }

    #[test]
    fn a_number_gains_no_unit_the_source_does_not_give_it() {
        let dot = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let rules = |lang| ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&dot),
            language: Some(lang),
            source_language: Some("en"),
            ..Default::default()
        };
        let added = |source: &str, lang: &'static str, out: &str| {
            let p = protect(source, &rules(lang));
            added_units(&p.text, out, &p.spans, lang)
        };
        // The dev set's two: six meals became six days, per hour per minute.
        let meals = "Automatic Pet Feeder, 6 Meals per Day";
        assert_eq!(
            protect(meals, &rules("ja")).text,
            "Automatic Pet Feeder, {1} Meals per Day"
        );
        assert_eq!(added(meals, "ja", "自動給餌器、{1}日ご飯"), ["6日"]);
        assert_eq!(added(meals, "ja", "自動給餌器、{1}日分の食事"), ["6日"]);
        assert!(added(meals, "ja", "自動給餌器、1日{1}食").is_empty());
        // A Russian unit adjective: six settings became "six-inch".
        let zh = ProtectRules {
            language: Some("ru"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("6档风速", &zh);
        assert_eq!(p.text, "{1}档风速");
        assert_eq!(
            added_units(&p.text, "{1}-дюймовый", &p.spans, "ru"),
            ["6 дюймовый"]
        );
        assert!(added_units(&p.text, "{1} режимов", &p.spans, "ru").is_empty());
        let p = protect("6英寸屏幕", &zh);
        assert!(added_units(&p.text, "{1}-дюймовый экран", &p.spans, "ru").is_empty());
        // A degree sign glued to a quantity with a unit ("150 kg°"), not to a
        // bare number, nor the start of °C.
        let p = protect("承重150kg 135°后仰", &zh);
        assert_eq!(p.text, "承重{1} {2}°后仰");
        assert_eq!(
            added_units(&p.text, "Beban {1}° dan {2}°", &p.spans, "ms"),
            ["150 кг°"]
        );
        assert!(added_units(&p.text, "Beban {1} dan {2}°", &p.spans, "ms").is_empty());
        // A counter after a measured quantity (the dev set's "30時間 個以上"),
        // not after a count or a bare number.
        let battery = "Up to 30 hours of battery life";
        assert_eq!(added(battery, "ja", "バッテリー {1} 個以上"), ["30時間 個"]);
        assert!(added("Set of 5 boxes", "ja", "{1}個セット").is_empty());
        assert!(added("Pack of 3 pieces", "ja", "{1}セット").is_empty());
        // A count of times after a measured quantity (a power bank's "20000mAh
        // ครั้ง"), not after a bare number.
        let bank = "20000mAh power bank, charges a phone 4-5 times";
        assert_eq!(
            added(bank, "th", "พาวเวอร์แบงค์ {1} ครั้ง ชาร์จโทรศัพท์ได้ {2} ครั้ง"),
            ["20000mAh ครั้ง"]
        );
        assert!(added(bank, "de", "{1} Powerbank, lädt ein Handy {2} Mal").is_empty());
        let rate = "Cleans up to 30 m² per hour";
        assert_eq!(added(rate, "ja", "{1}分毎に清潔します"), ["30 m²分"]);
        assert!(added(rate, "ja", "1時間あたり最大{1}を掃除").is_empty());
        // An imperial unit's name after a metric quantity (the dev set's
        // "40 m²平方フィート"), in the languages of the metric markets.
        let room = "Air purifier for rooms up to 40 m²";
        assert_eq!(
            added(room, "ja", "最大{1}平方フィートの部屋"),
            ["40 m²平方フィート"]
        );
        assert_eq!(
            added(room, "de", "Räume bis {1} Quadratfuß"),
            ["40 m² Quadratfuß"]
        );
        assert_eq!(
            added(room, "es", "habitaciones de {1} pies cuadrados"),
            ["40 m² pies cuadrados"]
        );
        // Another unit's symbol after a quantity that has a unit: one of
        // another dimension ("1.8 m ℃") is added; one of the same ("450 g kg",
        // "1.8 m cm") `restore` drops, the quantity says its unit.
        let towel = "Bath towel 450 g, bed 1.8 m, 70 °C wash";
        assert!(added(towel, "en", "Bath towel {1} kg, bed {2}cm, {3} wash").is_empty());
        let p = protect(towel, &rules("en"));
        assert_eq!(
            restore("Bath towel {1} kg, bed {2}cm, {3} wash", &p).text,
            "Bath towel 450 g, bed 1.8 m, 70 °C wash"
        );
        assert_eq!(added("Bed 1.8 m", "de", "Bett {1} ℃"), ["1.8 m ℃"]);
        // (A unit another quantity of the segment has is no addition.)
        assert!(added(towel, "de", "Badetuch {1}, {2}, {3} ℃-Wäsche").is_empty());
        assert!(added(towel, "en", "Bath towel {1} in a bag").is_empty());
        // After a quantity with a unit, a unit of another quantity of the
        // segment is added all the same.
        let jug = "Holds 2 L, weighs 1.5 kg";
        assert_eq!(added(jug, "en", "Holds {1} kg, weighs {2}"), ["2 L kg"]);
        // A second unit after a quantity that has one; the repeated one is no
        // addition (restore drops it).
        let boil = "Boils water in 4 minutes";
        assert_eq!(
            added(boil, "es", "Hierve agua en {1} segundos"),
            ["4 minutos segundos"]
        );
        assert_eq!(
            added(boil, "es", "Hierve agua en {1} minutos segundos"),
            ["4 minutos segundos"]
        );
        assert!(added(boil, "es", "Hierve agua en {1} minutos").is_empty());
        assert!(added(boil, "de", "Kocht Wasser in {1} Minuten").is_empty());
        // A unit the source writes after the same number, in words the source
        // does not read as a unit, or with a hyphen; in another language.
        for (source, lang, out) in [
            ("30-Day Returns", "ja", "{1}日間返品可能"),
            ("Warranty: 2 years", "de", "Garantie: {1} Jahre"),
            ("Ships within 3 days", "fr", "Expédié sous {1} jours"),
            // A unit another quantity of the segment has.
            ("Timer for 2 or 4 hours", "ja", "{1}時間または{2}のタイマー"),
            ("Timer for 2 to 4 hours", "ja", "{1}時間から{2}のタイマー"),
            // Counts, and a year that is a year.
            ("Set of 6", "ja", "{1}点セット"),
            ("Pack of 4", "de", "{1} Stück"),
            ("2024 Model", "ja", "{1}年モデル"),
            // An age is counted in years.
            (
                "Model car for kids aged 9+",
                "es",
                "Coche para niños a partir de {1} años",
            ),
            (
                "For ages 3 and up",
                "fr",
                "Pour les enfants à partir de {1} ans",
            ),
            // A one-character name inside a word: six parts, not six minutes.
            ("6 compartments", "ja", "{1}分割収納"),
            // Symbols are words too: "in" stays.
            ("3 in 1 charger", "en", "{1} in {2} charger"),
            ("Available in 3 colours", "de", "In {1} Farben erhältlich"),
            ("Holds 5 kg", "en", "Holds {1} min."),
            ("30 cm long", "en", "{1}'' long"),
            // Another unit's symbol after a bare number or a count is the
            // model's unit, not a second one; the quantity's own is a repeat.
            ("Set of 6", "en", "Set of {1} kg"),
            ("Holds 5 kg", "de", "Trägt {1} kg"),
        ] {
            assert!(added(source, lang, out).is_empty(), "{source} → {out}");
        }
        // Chinese source: a unit the source writes after the number in Chinese.
        let zh = ProtectRules {
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // A unit another quantity has, after a number the source gives its
        // own word (six blades, not six seconds).
        let p = protect("6叶不锈钢刀头，约30秒打好一杯", &zh);
        assert_eq!(p.text, "{1}叶不锈钢刀头，约{2}打好一杯");
        assert_eq!(
            added_units(
                &p.text,
                "{1} секунд, примерно {2} на стакан",
                &p.spans,
                "ru"
            ),
            ["6 секунд"]
        );
        assert!(
            added_units(
                &p.text,
                "{1} лезвий, примерно {2} на стакан",
                &p.spans,
                "ru"
            )
            .is_empty()
        );
        let p = protect("7天无理由退货", &zh);
        assert_eq!(p.text, "{1}天无理由退货");
        assert!(
            added_units(
                &p.text,
                "{1}-day no-questions-asked returns",
                &p.spans,
                "en"
            )
            .is_empty()
        );
        let p = protect("每天喂食6次", &zh);
        assert_eq!(
            added_units(&p.text, "Feeds {1} days", &p.spans, "en"),
            ["6 days"]
        );
        let p = protect("适合3岁以上儿童", &zh);
        let out = "For children {1} years and up";
        assert!(added_units(&p.text, out, &p.spans, "en").is_empty());
        // Revolutions per minute given in parts: rpm is the source's unit.
        for source in ["每分钟转速35000转", "转速高达35000", "电机35000转/每分钟"] {
            let p = protect(source, &zh);
            let out = "Up to {1} RPM";
            assert!(
                added_units(&p.text, out, &p.spans, "en").is_empty(),
                "{source}"
            );
        }
        // Per second, or revolutions with no minute, are not rpm.
        for source in ["每秒转速100", "可旋转360次"] {
            let p = protect(source, &zh);
            assert_eq!(
                added_units(&p.text, "{1} rpm", &p.spans, "en").len(),
                1,
                "{source}"
            );
        }
    }

    #[test]
    fn a_calendar_unit_the_source_gives_a_number_stays_with_it() {
        let en = |lang| ProtectRules {
            language: Some(lang),
            source_language: Some("en"),
            ..Default::default()
        };
        let missing = |source: &str, lang: &'static str, out: &str| {
            let p = protect(source, &en(lang));
            missing_units(&p.text, out, &p.spans, "en", lang)
        };
        let life = "Up to 13 days of battery life";
        assert_eq!(
            protect(life, &en("de")).text,
            "Up to {1} days of battery life"
        );
        assert_eq!(missing(life, "de", "Bis zu {1} Akkulaufzeit"), ["13 days"]);
        for (lang, out) in [
            ("de", "Bis zu {1} Tage Akkulaufzeit"),
            ("es", "Hasta {1} días de batería"),
            ("fr", "Jusqu'à {1} jours d'autonomie"),
            ("ja", "最大{1}日間のバッテリー"),
            ("ja", "最大{1}日のバッテリー"),
        ] {
            assert!(missing(life, lang, out).is_empty(), "{out}");
        }
        let warranty = "5-year limited warranty";
        assert_eq!(
            missing(warranty, "de", "{1}-Jährliche Garantie"),
            ["5 year"]
        );
        for (lang, out) in [
            ("de", "{1}-jährige Garantie"),
            ("de", "{1}-Jahres-Garantie"),
            ("de", "{1} Jahre Garantie"),
            ("es", "Garantía limitada de {1} años"),
            ("fr", "Garantie limitée {1} ans"),
        ] {
            assert!(missing(warranty, lang, out).is_empty(), "{out}");
        }
        // A placeholder the output lacks is placeholder_missing's; a target
        // the table has no name for is not judged.
        assert!(missing(life, "de", "Lange Akkulaufzeit").is_empty());
        assert!(missing(life, "sv", "Upp till {1} batteritid").is_empty());
        // Chinese: a unit written against the next word; a date; words that
        // begin with a unit's name.
        let zh = ProtectRules {
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let missing_zh = |source: &str, out: &str| {
            let p = protect(source, &zh);
            missing_units(&p.text, out, &p.spans, "zh", "en")
        };
        assert_eq!(
            missing_zh("7天无理由退货", "{1} no-questions-asked returns"),
            ["7天"]
        );
        assert!(missing_zh("7天无理由退货", "{1}-day returns").is_empty());
        assert!(missing_zh("充满可用约30天", "lasts about {1} days").is_empty());
        assert!(missing_zh("2023年新款", "New for {1}").is_empty());
        assert!(missing_zh("建厂3周年", "Our {1}rd anniversary").is_empty());
        assert!(missing_zh("4天线路由器", "Router with {1} antennas").is_empty());
        // An angle's sign, dropped; kept, or named in words.
        assert_eq!(missing_zh("140°广角", "{1} wide angle"), ["140°"]);
        for out in [
            "{1}° wide angle",
            "{1} ° wide angle",
            "{1} degrees wide angle",
        ] {
            assert!(missing_zh("140°广角", out).is_empty(), "{out}");
        }
        // A temperature's sign is no angle's.
        assert!(missing_zh("耐温120°C", "heat-resistant to {1}").is_empty());
    }

    #[test]
    fn a_number_with_a_chinese_multiplier_is_written_out_once() {
        let rules = |lang, nf| ProtectRules {
            language: Some(lang),
            source_language: Some("zh"),
            number_format: nf,
            ..Default::default()
        };
        let (de, dot) = (
            de(),
            NumberFormat {
                decimal: ".".into(),
                grouping: ",".into(),
            },
        );
        // The issue's "1600万种颜色" (16 million colours): "1600 milionów".
        let p = protect("支持1600万种颜色", &rules("pl", Some(&de)));
        assert_eq!(p.text, "支持{1}种颜色");
        assert_eq!(p.spans[0].restore, "16.000.000");
        assert_eq!(restore("{1} kolorów", &p).text, "16.000.000 kolorów");
        // The model's multiplier word after it would scale it twice: it goes.
        assert_eq!(
            restore("{1} milionów kolorów", &p).text,
            "16.000.000 kolorów"
        );
        let p = protect("可使用10万次以上，月销1.5万+", &rules("en", Some(&dot)));
        let got: Vec<&str> = p.spans.iter().map(|s| s.restore.as_str()).collect();
        assert_eq!(got, ["100,000", "15,000+"]);
        assert_eq!(
            restore("Over {1} million uses, {2} sold a month", &p).text,
            "Over 100,000 uses, 15,000+ sold a month"
        );
        // A range, 亿, and no market format (grouped the English way).
        let p = protect("1-2万小时寿命，3亿像素", &rules("es", None));
        let got: Vec<&str> = p.spans.iter().map(|s| s.restore.as_str()).collect();
        assert_eq!(got, ["10,000–20,000", "300,000,000"]);
        // Korean has the multipliers: kept as numbers of 만 and 억.
        let p = protect("1600万色", &rules("ko", None));
        assert_eq!(p.spans[0].restore, "1600만");
        // Into Japanese (and Chinese) 万 stays in the text: the number alone is
        // protected.
        let p = protect("1600万色", &rules("ja", None));
        assert_eq!(p.text, "{1}万色");
        // A word that starts with 万 after a number, a code, a fraction that is
        // not whole: no multiplier.
        for text in ["4万向轮", "A1万", "0.00001万"] {
            let p = protect(text, &rules("en", None));
            assert!(
                p.spans.iter().all(|s| !s.original.contains('万')),
                "{text}: {:?}",
                p.spans
            );
        }
        // The eval reads "16 million", "16 Mio." and "1600万" as one value.
        assert_eq!(multiplier_at(" million colours"), Some((1e6, 8)));
        assert_eq!(multiplier_at(" Mio. Farben").map(|m| m.0), Some(1e6));
        assert_eq!(multiplier_at("万种").map(|m| m.0), Some(1e4));
        assert_eq!(multiplier_at(" millionaire"), None);
    }

    #[test]
    fn a_unit_the_model_wrote_after_a_quantity_is_not_written_twice() {
        let nf = de();
        // Milliseconds named after their symbol: "딜레이가 최소 60ms 밀리세컨드로".
        let ko = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            language: Some("ko"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("延迟低至60ms", &ko);
        assert_eq!(p.text, "延迟低至{1}");
        assert_eq!(
            restore("딜레이 최소 {1} 밀리세컨드", &p).text,
            "딜레이 최소 60ms"
        );
        assert_eq!(
            restore("딜레이 최소 {1} 밀리초", &p).text,
            "딜레이 최소 60ms"
        );
        // With its particle, which stays; a longer word does not count.
        assert_eq!(
            restore("딜레이가 최소 {1} 밀리세컨드로 보장", &p).text,
            "딜레이가 최소 60ms로 보장"
        );
        assert_eq!(restore("{1} 밀리초계 보장", &p).text, "60ms 밀리초계 보장");
        // A one-letter unit word written again: glued, it read as another
        // unit ("5 мм", millimetres, for "{1}м" with {1} = "5 м"); spaced,
        // before a sign. Not before a word: Russian "с" is also "with".
        let ru = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            language: Some("ru"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("5米长，每米60颗灯珠", &ru);
        assert_eq!(p.text, "{1}长，每米{2}颗灯珠");
        assert_eq!(
            restore("длиной {1}м, по {2} штук", &p).text,
            "длиной 5 м, по 60 штук"
        );
        assert_eq!(
            restore("длиной {1} м, по {2} штук", &p).text,
            "длиной 5 м, по 60 штук"
        );
        let p = protect("浸泡30秒", &ru);
        assert_eq!(
            restore("Замочить на {1} с водой", &p).text,
            "Замочить на 30 с с водой"
        );
        let en = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("长5米", &en);
        assert_eq!(restore("{1}m long", &p).text, "5 metres long");
        // Degrees named after their sign: "-40 °C tot 230 °C graad".
        let nl = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(&nf),
            language: Some("nl"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("耐温-40℃至230℃", &nl);
        assert_eq!(
            restore("Bestand van {1} tot {2} graad", &p).text,
            "Bestand van -40 °C tot 230 °C"
        );
        assert_eq!(
            restore("Bestand van {1} tot {2} graden Celsius", &p).text,
            "Bestand van -40 °C tot 230 °C"
        );
        // "grado" is also a grade: "230 °C grado alimenticio" is food-grade.
        assert_eq!(
            restore("Silicona {2} grado alimenticio", &p).text,
            "Silicona 230 °C grado alimenticio"
        );
        // Hours named in Russian after "ч": "с 1/3 до 6 ч часов".
        let ru = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            language: Some("ru"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("定时6小时", &ru);
        assert_eq!(p.text, "定时{1}");
        assert_eq!(restore("Таймер до {1} часов", &p).text, "Таймер до 6 ч");
        assert_eq!(
            restore("Таймер {1} часа работы", &p).text,
            "Таймер 6 ч работы"
        );
        // And metres, litres, watts named after their symbols: "Длина 5 м
        // метров" (长度5米); not a word that only holds the name ("диаметр").
        let p = protect("长度5米，容量1.5升，功率1800W", &ru);
        assert_eq!(
            restore("Длина {1} метров, объём {2} литра, мощность {3} ватт", &p).text,
            "Длина 5 м, объём 1.5 л, мощность 1800 Вт"
        );
        assert_eq!(
            restore("{1} метровый кабель, {1} диаметр", &p).text,
            "5 м кабель, 5 м диаметр"
        );
        // An Arabic bar after a pressure converted to bars: "10.3 bar
        // (150PSI) بارا" (最高150PSI, a tyre inflator).
        let ar = ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            keep_original_units: true,
            language: Some("ar"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("最高150PSI气压", &ar);
        assert_eq!(p.text, "最高{1}气压");
        let once = restore("الضغط الأقصى {1}", &p).text;
        assert_eq!(restore("الضغط الأقصى {1} بارا", &p).text, once);
        assert_eq!(restore("الضغط الأقصى {1} بار", &p).text, once);
        let dot = NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        };
        let rules = |lang, nf| ProtectRules {
            measurement: Some(MeasurementSystem::Metric),
            number_format: Some(nf),
            language: Some(lang),
            source_language: Some("en"),
            ..Default::default()
        };
        let source = "Boils 1.2 L of water in about 4 minutes";
        let back = |lang, nf, out: &str| {
            let p = protect(source, &rules(lang, nf));
            assert_eq!(p.text, "Boils {1} of water in about {2}");
            restore(out, &p).text
        };
        // The issue's output: "Wasser von 1,2 L Liter in etwa 4 Minuten Minuten".
        assert_eq!(
            back("de", &nf, "Kocht Wasser von {1} Liter in etwa {2} Minuten."),
            "Kocht Wasser von 1,2 L in etwa 4 Minuten."
        );
        let p = protect(source, &rules("de", &nf));
        assert!(restore("{1} Liter, {2} Minuten", &p).issues.is_empty());
        // An inflected name, a name in another language, a symbol, case aside.
        assert_eq!(
            back("de", &nf, "Mit {1} Litern Wasser, {2} minutes"),
            "Mit 1,2 L Wasser, 4 Minuten"
        );
        assert_eq!(
            back("de", &nf, "{1} L in {2} MINUTEN"),
            "1,2 L in 4 Minuten"
        );
        // Another unit, an ordinary word, a compound and a different case of an
        // exact-case symbol stay.
        assert_eq!(
            back(
                "de",
                &nf,
                "{1} Wasser in {2} Stunden, {2}-Timer, {2} Minuten-Timer, {1} l"
            ),
            "1,2 L Wasser in 4 Minuten Stunden, 4 Minuten-Timer, 4 Minuten Minuten-Timer, 1,2 L l"
        );
        assert_eq!(
            back(
                "fr",
                &nf,
                "Fait bouillir {1} litres d'eau en {2} minutes environ"
            ),
            "Fait bouillir 1,2 L d'eau en 4 minutes environ"
        );
        assert_eq!(
            back("es", &nf, "Hierve {1} litros de agua en unos {2} minutos"),
            "Hierve 1,2 L de agua en unos 4 minutos"
        );
        // Japanese: no spaces; a name ends where the script changes.
        assert_eq!(
            back("ja", &dot, "{1}リットルのお湯を約{2}分で沸かします"),
            "1.2 Lのお湯を約4分で沸かします"
        );
        // A unit name of several words (zh→en: "35000 rpm revolutions per minute").
        let en = ProtectRules {
            language: Some("en"),
            source_language: Some("zh"),
            ..Default::default()
        };
        let p = protect("转速高达35000转/分钟", &en);
        assert_eq!(p.text, "转速高达{1}", "{:?}", p.spans);
        assert_eq!(
            restore("Speed up to {1} revolutions per minute", &p).text,
            "Speed up to 35000 rpm"
        );
        // A converted quantity: the source's unit written after it goes too.
        let p = protect("a 9/16 in hole", &rules("de", &nf));
        assert_eq!(restore("ein {1} Zoll Loch", &p).text, "ein 14,3 mm Loch");
        // "in" is also a word: a quantity in inches followed by "in" keeps it.
        let p = protect("10 in in diameter", &ProtectRules::default());
        assert_eq!(restore("{1} in diameter", &p).text, "10 in in diameter");
        // Another unit of the quantity's dimension, written as a symbol, goes
        // too: the zh→ja "刃の長さ 20cm mm" and "約210g kg" (the quantity says
        // its unit). A unit of another dimension stays, for `added_units`.
        let zh_ja = ProtectRules {
            language: Some("ja"),
            source_language: Some("zh"),
            ..Default::default()
        };
        // The unit's name right after its symbol: "60℃度を超える" (zh→ja).
        let p = protect("请勿在温度超过60℃的环境中放置", &zh_ja);
        assert_eq!(p.text, "请勿在温度超过{1}的环境中放置");
        assert_eq!(
            restore("温度が{1}度を超える環境に置かないでください", &p).text,
            "温度が60℃を超える環境に置かないでください"
        );
        // Apart from the symbol, or another word, it stays.
        assert_eq!(restore("{1} 度", &p).text, "60℃ 度");
        assert_eq!(restore("{1}以上", &p).text, "60℃以上");
        let p = protect("刀刃长20cm，总长33cm，刀身厚2.5mm", &zh_ja);
        assert_eq!(p.text, "刀刃长{1}，总长{2}，刀身厚{3}");
        assert_eq!(
            restore("刃の長さ {1} mm、総長 {2} mm、刃身厚 {3}", &p).text,
            "刃の長さ 20cm、総長 33cm、刃身厚 2.5mm"
        );
        let p = protect("净重约210g", &zh_ja);
        assert_eq!(restore("約{1} kg", &p).text, "約210g");
        assert_eq!(restore("約{1} mAh", &p).text, "約210g mAh");
        // A bare number has no unit to repeat: the model's unit word is the unit.
        let p = protect("holds 4 cups", &ProtectRules::default());
        assert_eq!(p.text, "holds {1} cups");
        assert_eq!(restore("fasst {1} Tassen", &p).text, "fasst 4 Tassen");
        // One-character CJK names only when repeated as they are.
        let zh = ProtectRules {
            language: Some("zh"),
            ..Default::default()
        };
        let p = protect("5 m beige, 3 pieces", &zh);
        let got: Vec<&str> = p.spans.iter().map(|s| s.restore.as_str()).collect();
        assert_eq!(got, ["5 m", "3件"]);
        assert_eq!(restore("{1}米色，{2}套", &p).text, "5 m米色，3件套");
        assert_eq!(restore("{2}件，{1}", &p).text, "3件，5 m");
        // Japanese outputs of the dev set: a symbol of its own sign, a lowercase
        // symbol before kana, a one-character name doubled before a kanji.
        let ja = |src: &str, out: &str| restore(out, &protect(src, &rules("ja", &dot))).text;
        assert_eq!(
            ja("oven safe up to 260 °C", "{1}℃までオーブン対応"),
            "260 °Cまでオーブン対応"
        );
        assert_eq!(
            ja("weighs only 180 g", "重さはわずか{1} gで"),
            "重さはわずか180 gで"
        );
        assert_eq!(
            ja("in about 4 minutes", "約{1}分沸かします"),
            "約4分沸かします"
        );
        // A symbol glued to a quantity restored with the unit's Japanese name.
        let zh_ja = ProtectRules {
            language: Some("ja"),
            source_language: Some("zh"),
            number_format: Some(&dot),
            ..Default::default()
        };
        let p = protect("重量约350克", &zh_ja);
        let g = p.spans[0].restore.clone();
        assert!(g.ends_with(script::is_cjk), "{g}");
        assert_eq!(restore("重量：約{1}g", &p).text, format!("重量：約{g}"));
        assert_eq!(restore("約{1}g、軽量", &p).text, format!("約{g}、軽量"));
        // Not a repeat: a lowercase symbol before a Latin word, another
        // character.
        assert_eq!(ja("weighs 180 g", "{1} g total"), "180 g g total");
        assert_eq!(ja("in about 4 minutes", "約{1}間"), "約4分間");
    }

    #[test]
    fn missing_duplicated_and_unknown_placeholders_are_reported() {
        let p = protect("WH-1000XM5 with 30 h battery", &ProtectRules::default());
        assert_eq!(p.text, "{1} with {2} battery");
        let r = restore("{1} mit {1} Akku {7}", &p);
        assert_eq!(
            r.issues,
            vec![
                SpanIssue::Unknown(7),
                SpanIssue::Duplicated(1, 2),
                SpanIssue::Missing(2)
            ]
        );
        // The model copied the model number literally instead of the placeholder: fine.
        let r = restore("WH-1000XM5 mit {2} Akku", &p);
        assert!(r.issues.is_empty(), "{:?}", r.issues);
        // A changed number is not.
        let r = restore("{1} mit 31 h Akku", &p);
        assert_eq!(r.issues, vec![SpanIssue::Missing(2)]);
    }

    #[test]
    fn spans_only_segment_is_trivial() {
        assert!(protect("WH-1000XM5", &ProtectRules::default()).is_trivial());
        assert!(!protect("Bottle 1 l", &ProtectRules::default()).is_trivial());
    }
}
