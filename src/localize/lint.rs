//! The deterministic linter: every rule of a market profile, checked on a
//! localized listing, and a deterministic fix for each (cut at a word boundary,
//! symbol removed, tag stripped …) used when the model could not fix it.

use std::sync::LazyLock;

use regex::Regex;

use super::html;
use crate::listing::FieldId;
use crate::market::MarketProfile;

/// A field of a listing the linter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The title.
    Title,
    /// One bullet.
    Bullet,
    /// The description.
    Description,
    /// Search terms (all keywords joined by spaces).
    SearchTerms,
}

impl FieldKind {
    /// The rules a field is linted by on its own: the title, a bullet and the
    /// description; attributes have none, and keywords are linted together
    /// ([`SearchTerms`](Self::SearchTerms)).
    pub fn of(field: &FieldId) -> Option<Self> {
        match field {
            FieldId::Title => Some(Self::Title),
            FieldId::Bullet(_) => Some(Self::Bullet),
            FieldId::Description => Some(Self::Description),
            FieldId::Attribute(_) | FieldId::Keyword(_) => None,
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Rule code (`title_too_long`, `bullet_banned_symbol`, …).
    pub rule: &'static str,
    /// What is wrong, in English (also given to the model to fix it).
    pub message: String,
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+").expect("static regex"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://|www\.)[^\s<>]+|\b[a-z0-9-]+\.(?:com|net|org|de|fr|es|it|co\.uk|co\.jp|jp|cn|shop|store)\b(?:/[^\s<>]*)?")
        .expect("static regex")
});
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+?\(?\d[\d\s().-]{6,}\d").expect("static regex"));

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x2B50 | 0x2B55 | 0x231A..=0x231B | 0x23E9..=0x23FA)
}

fn phones(s: &str) -> Vec<(usize, usize)> {
    PHONE
        .find_iter(s)
        .filter(|m| m.as_str().chars().filter(char::is_ascii_digit).count() >= 8)
        .filter(|m| !grouped_number(m.as_str()))
        .filter(|m| !unit_after(&s[m.end()..]))
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// Whether `rest` begins with a unit of the unit table, glued or after one
/// space: the run of digits before it is a quantity ("2700-6500K", a lamp's
/// colour temperatures, was deleted as a phone number), not a phone number.
fn unit_after(rest: &str) -> bool {
    let rest = rest
        .strip_prefix([' ', '\u{a0}', '\u{202f}'])
        .unwrap_or(rest);
    let token: String = rest
        .chars()
        .take_while(|c| (c.is_alphabetic() && (*c as u32) < 0x530) || "°℃℉%Ω²³".contains(*c))
        .collect();
    !token.is_empty() && super::units::table().lookup(&token).is_some()
}

/// Whether a run of digits is a number grouped by thousands, not a phone
/// number: "16.000.000", "16,000,000", "16 000 000" with a no-break space,
/// or a round number grouped by spaces ("16 000 000" of 1600万: its groups
/// after the first are 000). "+1 (555) 123-4567" and "612 345 678" are
/// phone numbers.
fn grouped_number(run: &str) -> bool {
    static GROUPED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\d{1,3}(?:(?:\.\d{3})+|(?:,\d{3})+|(?:\u{a0}\d{3})+|(?:\u{202f}\d{3})+)$")
            .expect("static regex")
    });
    static ROUND: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\d{1,3}(?: 000)+$").expect("static regex"));
    let run = run.trim();
    GROUPED.is_match(run) || ROUND.is_match(run)
}

/// Byte ranges of the brand in `s` (characters there are exempt from title rules).
fn brand_ranges(s: &str, brand: Option<&str>) -> Vec<(usize, usize)> {
    let Some(b) = brand.filter(|b| !b.is_empty()) else {
        return Vec::new();
    };
    s.match_indices(b).map(|(i, m)| (i, i + m.len())).collect()
}

fn in_ranges(i: usize, r: &[(usize, usize)]) -> bool {
    r.iter().any(|(s, e)| i >= *s && i < *e)
}

/// Check one field against the profile.
pub fn lint_field(
    kind: FieldKind,
    text: &str,
    p: &MarketProfile,
    brand: Option<&str>,
) -> Vec<Violation> {
    let mut v = Vec::new();
    let chars = text.chars().count();
    let lower = text.to_lowercase();
    let mut push = |rule, message: String| v.push(Violation { rule, message });
    match kind {
        FieldKind::Title => {
            if let Some((part, _)) = repeated_part(text) {
                push(
                    "title_part_repeated",
                    format!("\"{part}\" says again what an earlier part of the title says"),
                );
            }
            if chars > p.title.max_chars {
                push(
                    "title_too_long",
                    format!(
                        "title is {chars} characters, the limit is {}",
                        p.title.max_chars
                    ),
                );
            }
            let br = brand_ranges(text, brand);
            let bad: Vec<char> = text
                .char_indices()
                .filter(|(i, c)| p.title.banned_chars.contains(*c) && !in_ranges(*i, &br))
                .map(|(_, c)| c)
                .collect();
            if !bad.is_empty() {
                push(
                    "title_banned_char",
                    format!(
                        "title contains banned characters {}",
                        bad.iter().collect::<String>()
                    ),
                );
            }
            if let Some((w, n)) = most_repeated(text, p, brand) {
                push(
                    "title_word_repeat",
                    format!(
                        "\"{w}\" appears {n} times, at most {} allowed",
                        p.title.max_word_repeat
                    ),
                );
            }
        }
        FieldKind::Bullet => {
            if chars > p.bullets.max_chars {
                push(
                    "bullet_too_long",
                    format!(
                        "bullet is {chars} characters, the limit is {}",
                        p.bullets.max_chars
                    ),
                );
            }
            let bad: String = text
                .chars()
                .filter(|c| {
                    p.bullets.banned_symbols.contains(*c) || (p.bullets.ban_emoji && is_emoji(*c))
                })
                .collect();
            if !bad.is_empty() {
                push(
                    "bullet_banned_symbol",
                    format!("bullet contains banned symbols {bad}"),
                );
            }
        }
        FieldKind::Description => {
            if chars > p.description.max_chars {
                push(
                    "description_too_long",
                    format!(
                        "description is {chars} characters, the limit is {}",
                        p.description.max_chars
                    ),
                );
            }
            let tags = html::tag_names(text).unwrap_or_default();
            let mut bad: Vec<String> = tags
                .into_iter()
                .filter(|t| !p.description.allowed_html.contains(t))
                .collect();
            bad.dedup();
            if !bad.is_empty() {
                push(
                    "description_html",
                    format!("HTML not allowed here: <{}>", bad.join(">, <")),
                );
            }
        }
        FieldKind::SearchTerms => {
            if text.len() > p.search_terms.max_bytes {
                push(
                    "search_terms_too_long",
                    format!(
                        "search terms are {} bytes, the limit is {}",
                        text.len(),
                        p.search_terms.max_bytes
                    ),
                );
            }
        }
    }
    if kind != FieldKind::SearchTerms && shouts(text, brand) {
        push(
            "all_caps",
            "the text is written in capital letters: write it in normal case (acronyms, \
             model numbers and the brand stay as they are)"
                .into(),
        );
    }
    if kind != FieldKind::SearchTerms {
        let promo: Vec<&String> = p
            .promotional_phrases
            .iter()
            .filter(|ph| find_phrase(&lower, &ph.to_lowercase()).is_some())
            .collect();
        if let Some(ph) = promo.first() {
            push(
                "promotional_phrase",
                format!("promotional phrase \"{ph}\" is not allowed"),
            );
        }
        let c = &p.contact;
        if (c.ban_email && EMAIL.is_match(text))
            || (c.ban_url && URL.is_match(&crate::html::strip_tags(text)))
            || (c.ban_phone && !phones(text).is_empty())
        {
            push(
                "contact_info",
                "phone numbers, e-mail addresses and URLs are not allowed".into(),
            );
        }
    }
    v
}

/// Runs of cased letters and digits, with their byte offsets: a letter of a
/// script without case (Han, Thai, Arabic) parts them as a space does
/// ("RFID防盗刷" has the word "RFID").
fn cased_words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !(c.is_numeric() || c.is_uppercase() || c.is_lowercase()))
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// The words of a text written in capitals: runs of letters and digits with
/// two cased letters or more, all of them capitals, and no digit ("THICK",
/// "EDGE", also "USB" and "RFID"; not "IPX7", "Type-C" or "iPhone"), outside
/// the brand. Byte ranges.
fn capital_words(text: &str, brand: Option<&str>) -> Vec<(usize, usize)> {
    let br = brand_ranges(text, brand);
    let mut out = Vec::new();
    for (i, w) in cased_words(text) {
        let cased = w
            .chars()
            .filter(|c| c.is_uppercase() || c.is_lowercase())
            .count();
        if cased >= 2
            && !w.chars().any(|c| c.is_lowercase() || c.is_numeric())
            && !in_ranges(i, &br)
        {
            out.push((i, i + w.len()));
        }
    }
    out
}

/// Whether a text shouts, written in capitals where a shop writes it in normal
/// case (every marketplace's style rules forbid it: "THICK 1.5 CM, EDGE DESIGN
/// JUICE GROOVE"): three words in capitals of four letters or more, and words
/// in capitals are at least three in five of the words with cased letters.
/// Acronyms in a normal text ("USB-C, RFID-Schutz, LED") are few of its
/// words; a title of a brand and acronyms ("LED RGB USB") has no word of four
/// letters in capitals but the brand.
pub(crate) fn shouts(text: &str, brand: Option<&str>) -> bool {
    let caps = capital_words(text, brand);
    let long = caps
        .iter()
        .filter(|(s, e)| text[*s..*e].chars().count() >= 4)
        .count();
    if long < 3 {
        return false;
    }
    let br = brand_ranges(text, brand);
    let cased = cased_words(text)
        .filter(|(i, w)| {
            !in_ranges(*i, &br)
                && w.chars()
                    .filter(|c| c.is_uppercase() || c.is_lowercase())
                    .count()
                    >= 2
        })
        .count();
    caps.len() * 5 >= cased * 3
}

/// The words in capitals of a listing's own text that a fix of `all_caps`
/// keeps: its acronyms and codes ("RFID", "TPE", "USB"), from the source
/// fields that do not shout themselves.
pub fn source_capitals<'a>(
    fields: impl IntoIterator<Item = &'a str>,
    brand: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in fields {
        if shouts(f, brand) {
            continue;
        }
        for (s, e) in capital_words(f, brand) {
            out.push(f[s..e].to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Write a shouting text in normal case: each word in capitals but the brand
/// and the `keep` words (the source's acronyms) in small letters, its first
/// letter a capital where it begins the text, a sentence or a part after a
/// colon, semicolon, bar or dash (and
/// in German on every word of four letters or more, as its nouns are: a noun
/// is more common than not among them, and "und", "mit", "cm" are short).
fn unshout(text: &str, brand: Option<&str>, keep: &[String], language: &str) -> String {
    let turkic = matches!(language, "tr" | "az");
    let german = matches!(language, "de" | "lb");
    let mut out = text.to_string();
    for (s, e) in capital_words(text, brand).into_iter().rev() {
        let w = &text[s..e];
        if keep.iter().any(|k| k == w) {
            continue;
        }
        let before = text[..s].trim_end();
        let starts = before.is_empty()
            || before.ends_with(['.', '!', '?', ':', ';', '|', '\u{3002}'])
            || before.ends_with(" -")
            || before.ends_with(" –");
        let mut low = String::with_capacity(w.len());
        for (n, c) in w.chars().enumerate() {
            if n == 0 && (starts || (german && w.chars().count() >= 4)) {
                low.push(c);
            } else if turkic && c == 'I' {
                low.push('ı');
            } else if turkic && c == 'İ' {
                low.push('i');
            } else {
                low.extend(c.to_lowercase());
            }
        }
        out.replace_range(s..e, &low);
    }
    out
}

/// Position of a phrase at word boundaries (CJK phrases anywhere).
fn find_phrase(hay: &str, phrase: &str) -> Option<(usize, usize)> {
    let latin = phrase.chars().any(|c| c.is_ascii_alphabetic());
    let mut from = 0;
    while let Some(i) = hay.get(from..)?.find(phrase) {
        let (s, e) = (from + i, from + i + phrase.len());
        if !latin
            || (!hay[..s].ends_with(|c: char| c.is_alphanumeric())
                && !hay[e..].starts_with(|c: char| c.is_alphanumeric()))
        {
            return Some((s, e));
        }
        from = e;
    }
    None
}

/// A part of a title (as [`title_parts`] parts it) whose words an
/// earlier part already has, in the same order: "Vaso in ceramica stile
/// nordico, 3 pezzi, stile nordico, bianco". A part of one word is left (a
/// set's list may name again what its product is: "Set Sprei …, Sarung Duvet,
/// Sprei, dan Sarung Bantal"), as one with a digit (the numbers are checked
/// apart) or without a letter. Returns the part
/// and its byte range with the separator before it.
fn repeated_part(text: &str) -> Option<(String, (usize, usize))> {
    let parts = title_parts(text);
    let at = |p: &str| p.as_ptr() as usize - text.as_ptr() as usize;
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    for j in 1..parts.len() {
        let part = parts[j].0.trim();
        if part.chars().any(|c| c.is_ascii_digit()) || !part.chars().any(char::is_alphabetic) {
            continue;
        }
        let w = words(part);
        if w.len() < 2 {
            continue;
        }
        let earlier = parts[..j].iter().any(|(e, _)| {
            let e = words(e);
            e.len() >= w.len() && e.windows(w.len()).any(|x| x == w.as_slice())
        });
        if earlier {
            // From the end of the part before it (its separator included).
            let (before, _) = parts[j - 1];
            return Some((
                part.to_string(),
                (at(before) + before.len(), at(parts[j].0) + parts[j].0.len()),
            ));
        }
    }
    None
}

fn title_words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Whether the word at byte `i` of `text` is the unit of the number right
/// before it ("0,01 мм", "12 V"): part of a quantity, which a title may give
/// as often as it has quantities. Counted as a repeated word, the third "мм"
/// of a Russian caliper's title went, and "точность 0,01" lost its unit.
fn unit_of_number(text: &str, i: usize) -> bool {
    text[..i]
        .trim_end_matches([' ', '\u{a0}', '\u{202f}'])
        .ends_with(|c: char| c.is_ascii_digit())
}

fn most_repeated(text: &str, p: &MarketProfile, brand: Option<&str>) -> Option<(String, usize)> {
    if p.title.max_word_repeat == 0 {
        return None;
    }
    let br = brand_ranges(text, brand);
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for (i, w) in title_words(text) {
        let l = w.to_lowercase();
        if in_ranges(i, &br) || p.title.repeat_exempt.contains(&l) || unit_of_number(text, i) {
            continue;
        }
        *counts.entry(l).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > p.title.max_word_repeat)
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// Cut text to at most `max` characters at a word boundary (at a character for CJK text).
pub fn cut_at_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at_boundary = text.chars().nth(max).is_some_and(char::is_whitespace);
    let mut out = match cut.rfind(char::is_whitespace) {
        Some(i) if !at_boundary && i > cut.len() / 2 => cut[..i].to_string(),
        _ => cut,
    };
    // A number cut off from its unit ("aislado 12" of "aislado 12 horas", a
    // title cut at 60 characters) or a dimension cut in two ("15 x" of "15 x
    // 10 cm") is a wrong fact: the cut goes before the whole quantity.
    // An opening bracket before it ("(11.9–17.8" of "(11.9–17.8 cm)") does
    // not make a number a word.
    let is_number = |w: &str| {
        let w = w.trim_start_matches(OPENING);
        w.chars().any(|c| c.is_ascii_digit())
            && w.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '–'))
    };
    let is_times = |w: &str| matches!(w, "x" | "X" | "×" | "*");
    loop {
        let kept = out.trim_end();
        let Some(i) = kept.rfind(char::is_whitespace) else {
            break;
        };
        let (head, last) = (&kept[..i], &kept[i + 1..]);
        let next = text[kept.len()..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(|c: char| c.is_ascii_punctuation());
        // A count that begins a new phrase right after a quantity, cut off
        // from its noun ("15 metros (50 pies) 7" of "… 7 modos de riego"),
        // says nothing: it goes too. One after a word stays ("Set of 12").
        let prev = head.rsplit(char::is_whitespace).next().unwrap_or("");
        let after_quantity = prev.ends_with([')', ']'])
            || is_number(prev)
            || super::units::table().lookup(prev).is_some();
        // A range is a quantity whatever word follows it ("0-6" of "0-6
        // miesięcy", a Polish title cut at 75 characters).
        let is_range = |w: &str| {
            w.trim_start_matches(|c: char| !c.is_ascii_digit())
                .contains(['-', '–'])
                && w.ends_with(|c: char| c.is_ascii_digit())
        };
        let cut_off = is_times(last)
            || is_number(last)
                && text[kept.len()..].starts_with(char::is_whitespace)
                && (is_times(next)
                    || super::units::table().lookup(next).is_some()
                    || super::spans::is_slavic_time_word(next)
                    || is_range(last) && next.starts_with(char::is_alphabetic)
                    || after_quantity && next.starts_with(char::is_lowercase));
        if !cut_off || head.trim().is_empty() {
            break;
        }
        out = head.to_string();
    }
    // Nor on a word that joins what was cut off ("… con tapa para té y").
    let trim = |s: &str| -> String {
        s.trim_end_matches(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ';' | '-' | '–' | '/' | '|' | ':' | '،' | '؛')
        })
        .to_string()
    };
    let mut out = trim(&out);
    while let Some((head, last)) = out.rsplit_once(char::is_whitespace) {
        // After a number a word that is a unit is the number's: Russian "с"
        // is seconds and "в" volts there ("30 с").
        if head.trim().is_empty()
            || !(JOINING_WORDS.contains(&last) || CLAUSE_WORDS.contains(&last))
            || head.ends_with(|c: char| c.is_ascii_digit())
                && (matches!(last, "с" | "в") || super::units::table().lookup(last).is_some())
        {
            break;
        }
        out = trim(head);
    }
    // Nor inside a bracket whose end was cut off ("4.7-7 นิ้ว (11.9–17.8" of
    // a Thai title, the conversion cut from its unit and its bracket open):
    // the cut goes before the bracket, where that keeps something.
    if let Some(open) = unclosed_bracket(&out)
        && !out[..open].trim().is_empty()
    {
        out = trim(&out[..open]);
    }
    out
}

/// Brackets that open an aside in a title.
const OPENING: [char; 4] = ['(', '[', '（', '【'];

/// The byte offset of the last bracket of `text` that opens and is not
/// closed after it.
fn unclosed_bracket(text: &str) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            c if OPENING.contains(&c) => open.push(i),
            ')' | ']' | '）' | '】' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

/// Words a cut text never ends on: conjunctions, prepositions and articles
/// (lower case) of the languages written with spaces, which join the words
/// cut off to the rest.
const JOINING_WORDS: &[&str] = &[
    // en
    "and", "or", "with", "for", "of", "the", "a", "an", "to", "in", "on", "by", "from",
    // de
    "und", "oder", "mit", "für", "von", "der", "die", "das", "den", "dem", "zu", "zum", "zur",
    "ohne", "aus", "im", "ein", "eine", // fr
    "et", "ou", "avec", "pour", "sans", "de", "du", "des", "le", "la", "les", "un", "une", "au",
    "aux", "en", "à", // es, pt, it
    "y", "e", "o", "u", "con", "para", "por", "sin", "del", "el", "los", "las", "al", "com", "sem",
    "do", "da", "dos", "das", "os", "as", "em", "no", "na", "di", "per", "il", "lo", "gli", "ed",
    "dei", "delle", // nl, pl, tr, id, ms, vi
    "en", "met", "voor", "van", "het", "een", "i", "z", "w", "oraz", "dla", "ve", "ile", "için",
    "dan", "dengan", "untuk", "và", "với", "cho", "lub", "od", "ze", "bez", "atau", "hoặc",
    "của", // ru ("… 300 светодиодов с" of a title cut at 60)
    "и", "или", "с", "со", "для", "в", "во", "на", "из", "от", "по", "к", "без", "а",
];

/// Nor on a relative pronoun or a modal verb, which opens a clause the cut
/// ended: a stroller's Chilean title cut at 60 characters read "Carriola para
/// bebés que puede" (a stroller that can). Not en "can" and "may" (a noun and
/// a month), nor nl "kan" (a jug).
const CLAUSE_WORDS: &[&str] = &[
    // relative pronouns
    "que",
    "qui",
    "dont",
    "che",
    "cui",
    "which",
    "that",
    "who",
    "welche",
    "welcher",
    "welches",
    "dat",
    "który",
    "która",
    "które",
    "którą",
    "который",
    "которая",
    "которое",
    "которые",
    "что", // modal verbs
    "puede",
    "pueden",
    "peut",
    "peuvent",
    "può",
    "possono",
    "pode",
    "podem",
    "kann",
    "können",
    "może",
    "mogą",
    "может",
    "могут",
];

/// A title's parts, each with the separator after it: commas, semicolons,
/// bars, dashes and full stops between words (Arabic's "،" and "؛" too: an
/// Arabic watch title 8 characters over its limit, one part without them,
/// lost "Watch 4" of its model's name from the end), and in CJK text the
/// spaces between its phrases.
fn title_parts(text: &str) -> Vec<(&str, &str)> {
    let spaced = text.chars().any(crate::script::is_cjk);
    let mut parts: Vec<(&str, &str)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut best: Option<(usize, usize)> = None;
        for sep in [
            ", ", "; ", " | ", " - ", " – ", ". ", "，", "、", "، ", "؛ ",
        ] {
            if let Some(i) = rest.find(sep)
                && best.is_none_or(|(b, _)| i < b)
            {
                best = Some((i, sep.len()));
            }
        }
        // In CJK text a space between phrases parts them; not one between
        // words of a spaced language (a Polish title after a Chinese brand,
        // whose "0-6 miesięcy" lost its unit as a part without a digit).
        let cjk_space = |i: usize| {
            rest[i..].starts_with('\u{3000}')
                || rest[..i]
                    .chars()
                    .next_back()
                    .is_some_and(crate::script::is_cjk)
                || rest[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(crate::script::is_cjk)
        };
        if spaced
            && let Some(i) = rest
                .match_indices([' ', '\u{3000}'])
                .map(|(i, _)| i)
                .find(|&i| cjk_space(i))
            && best.is_none_or(|(b, _)| i < b)
        {
            let len = rest[i..].chars().next().map_or(1, char::len_utf8);
            best = Some((i, len));
        }
        match best {
            Some((i, len)) if i > 0 => {
                parts.push((&rest[..i], &rest[i..i + len]));
                rest = &rest[i + len..];
            }
            Some((_, len)) => rest = &rest[len..],
            None => {
                parts.push((rest, ""));
                break;
            }
        }
    }
    parts
}

/// The title's first parts ([`title_parts`]) that fit in `max` characters,
/// whole; `None` where not even the first fits.
fn whole_parts(text: &str, max: usize) -> Option<String> {
    let mut out = String::new();
    let mut best: Option<String> = None;
    for (part, sep) in title_parts(text) {
        out.push_str(part);
        if out.chars().count() > max {
            break;
        }
        best = Some(out.trim_end().to_string());
        out.push_str(sep);
    }
    best
}

/// Cut a title to at most `max` characters, its facts first. Where the plain
/// cut ([`cut_at_word`]) would lose a number ("Soporte de teléfono de aluminio,
/// plegable y regulable en altura, para teléfonos de 4-12,9 pulgadas" cut
/// before the sizes it fits), the title's parts without a digit go first, from
/// the end, the first part (the product) always kept; what is still too long
/// is then cut as before. Parts end at ", ", "; ", " | ", " - ", " – ", ". ",
/// and in a title in Chinese, Japanese or Korean (whose keywords are spaced)
/// at spaces too. A part with one of `codes` (model numbers and names kept as
/// written) counts as one with a number: an Arabic watch title's "Redmi" part
/// went before the parts with numbers did.
fn cut_title(text: &str, max: usize, brand: Option<&str>, codes: &[String]) -> String {
    let plain = cut_at_word(text, max);
    let has_digit = |s: &str| {
        s.chars().any(|c| c.is_ascii_digit())
            || codes
                .iter()
                .any(|c| !c.is_empty() && word_at(s, c).is_some())
    };
    if text.chars().count() <= max {
        return plain;
    }
    if !has_digit(&text[plain.len().min(text.len())..]) {
        // Whole parts rather than a part cut in the middle, whose words alone
        // may say something else: a unisex backpack's "dla osób mężczyzn i
        // kobiet" (for men and women) cut to "dla osób mężczyzn" (for men).
        // Not where that keeps less than half the length.
        // Nor where the part dropped has a number the plain cut keeps.
        return whole_parts(text, max)
            .filter(|w| {
                w.chars().count() * 2 >= max && !has_digit(plain.get(w.len()..).unwrap_or_default())
            })
            .unwrap_or(plain);
    }
    let mut parts = title_parts(text);
    let join = |parts: &[(&str, &str)], keep: &[bool]| -> String {
        let kept: Vec<&(&str, &str)> = parts
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(p, _)| p)
            .collect();
        let mut out = String::new();
        for (i, (part, sep)) in kept.iter().enumerate() {
            out.push_str(part);
            if i + 1 < kept.len() {
                out.push_str(sep);
            }
        }
        out
    };
    // The product is the first part, or the second where the first is a
    // brand in another script ("智联 Enchufe inteligente …", whose product
    // went before "16A, pack de 2 piezas"; "驰安, Capa de assento …", the
    // brand parted by a comma) or is the listing's brand itself.
    let foreign = |s: &str| {
        s.chars()
            .any(|c| c.is_alphabetic() && !crate::script::is_cjk(c))
    };
    let cjk = |s: &str| s.chars().any(crate::script::is_cjk);
    let is_brand = |s: &str| {
        brand.is_some_and(|b| !b.trim().is_empty() && s.trim().eq_ignore_ascii_case(b.trim()))
    };
    let product = usize::from(
        parts.len() > 1
            && (cjk(parts[0].0) && !foreign(parts[0].0) && foreign(parts[1].0)
                || foreign(parts[0].0) && !cjk(parts[0].0) && cjk(parts[1].0)
                || is_brand(parts[0].0)),
    );
    let mut keep = vec![true; parts.len()];
    for i in (1..parts.len()).rev() {
        if join(&parts, &keep).chars().count() <= max {
            break;
        }
        if i != product && !has_digit(parts[i].0) {
            keep[i] = false;
        }
    }
    // Still too long: the product's last words go, two at least kept,
    // before a number of the other parts; where it cannot keep two, the
    // other parts go from the end, numbers and all, rather than the product
    // ("驰安, 5 de assento, aplica-se aos veículos de 95%" named no product:
    // its "Capa de assento" cut to one word had gone whole).
    let (part, sep) = parts[product];
    let have = part.chars().count();
    loop {
        let len = join(&parts, &keep).chars().count();
        if len <= max {
            break;
        }
        let cut = cut_at_word(part, (have + max).saturating_sub(len));
        if cut.split_whitespace().count() >= 2
            && part.starts_with(&cut)
            && part[cut.len()..].starts_with(char::is_whitespace)
        {
            parts[product] = (&part[..cut.len()], sep);
            break;
        }
        match (1..parts.len()).rev().find(|&i| keep[i] && i != product) {
            Some(i) => keep[i] = false,
            None => break,
        }
    }
    cut_at_word(&join(&parts, &keep), max)
}

/// [`cut_title`], keeping the model numbers and names of `codes` the title
/// has (a name kept as written: "Redmi"). A
/// pressure cooker's title without commas, "苏泊尔 Olla … 24 horas SY-50YC8001Q"
/// cut to 60 characters, kept its first 60 and lost the model number, the
/// word a buyer searches for and the one fact that tells two models apart.
/// Each code the cut would lose goes after what the rest of the title, cut to
/// the room left, keeps, in the title's order; not where that room would be
/// less than half the title.
pub fn cut_title_keeping(text: &str, max: usize, brand: Option<&str>, codes: &[String]) -> String {
    let out = cut_title(text, max, brand, codes);
    let mut lost: Vec<(usize, &str)> = codes
        .iter()
        .filter(|c| !c.is_empty() && word_at(&out, c).is_none())
        .filter_map(|c| word_at(text, c).map(|i| (i, c.as_str())))
        .collect();
    if lost.is_empty() {
        return out;
    }
    lost.sort();
    lost.dedup_by(|a, b| a.1 == b.1);
    let tail = lost.iter().map(|(_, c)| *c).collect::<Vec<_>>().join(" ");
    let Some(room) = max.checked_sub(tail.chars().count() + 1) else {
        return out;
    };
    if room * 2 < max {
        return out;
    }
    let mut rest = text.to_string();
    for (_, c) in &lost {
        while let Some(i) = word_at(&rest, c) {
            rest.replace_range(i..i + c.len(), "");
        }
    }
    for empty in ["()", "[]", "（）", "【】"] {
        rest = rest.replace(empty, "");
    }
    let head = cut_title(&tidy(&rest), room, brand, codes);
    if head.is_empty() {
        return out;
    }
    format!("{head} {tail}")
}

/// The byte offset of `word` in `text` as a whole word: no letter or digit
/// of a spaced script glued to either side.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let joined = |c: char| c.is_alphanumeric() && !crate::script::is_cjk(c);
    text.match_indices(word)
        .map(|(i, _)| i)
        .find(|&i| !text[..i].ends_with(joined) && !text[i + word.len()..].starts_with(joined))
}

/// Cut to at most `max` UTF-8 bytes at a word boundary.
fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for w in text.split_whitespace() {
        let add = if out.is_empty() { w.len() } else { w.len() + 1 };
        if out.len() + add > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// What a symbol a marketplace bans in bullets is written as instead. Dropped,
/// "60±2HRC" (a knife's hardness) became "60 2HRC" and "10~20" would become
/// "1020": a symbol of a number's meaning is written in letters the market
/// allows ("60+/-2HRC", "10-20"); a sign of nothing (™, ®) goes.
fn banned_symbol_written(c: char, i: usize, chars: &[char]) -> &'static str {
    let before = chars[..i].iter().rfind(|c| !c.is_whitespace());
    let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
    match c {
        '±' => "+/-",
        '~' if before.is_some_and(char::is_ascii_digit)
            && after.is_some_and(char::is_ascii_digit) =>
        {
            "-"
        }
        '…' => "...",
        _ => "",
    }
}

fn tidy(s: &str) -> String {
    let s = s
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    s.replace(" ,", ",")
        .trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ';' | ':' | '–' | '-' | '|' | '/')
        })
        .to_string()
}

/// Fix a violation deterministically; returns the new text.
pub fn fix(
    kind: FieldKind,
    text: &str,
    v: &Violation,
    p: &MarketProfile,
    brand: Option<&str>,
) -> String {
    fix_keeping(kind, text, v, p, brand, &[], &[])
}

/// [`fix`], keeping the words in capitals of `keep` (the listing's own
/// acronyms: [`source_capitals`]) where it writes a shouting text in normal
/// case, and the model numbers and names of `codes` where it cuts a title
/// ([`cut_title_keeping`]).
pub fn fix_keeping(
    kind: FieldKind,
    text: &str,
    v: &Violation,
    p: &MarketProfile,
    brand: Option<&str>,
    keep: &[String],
    codes: &[String],
) -> String {
    match v.rule {
        "all_caps" => unshout(text, brand, keep, &p.language),
        "title_too_long" => cut_title_keeping(text, p.title.max_chars, brand, codes),
        "bullet_too_long" => cut_at_word(text, p.bullets.max_chars),
        "description_too_long" => {
            let plain = html::sanitize(text, &p.description.allowed_html)
                .unwrap_or_else(|_| text.to_string());
            cut_at_word(&plain, p.description.max_chars)
        }
        "search_terms_too_long" => cut_bytes(text, p.search_terms.max_bytes),
        "title_banned_char" => {
            let br = brand_ranges(text, brand);
            tidy(
                &text
                    .char_indices()
                    .map(|(i, c)| {
                        if p.title.banned_chars.contains(c) && !in_ranges(i, &br) {
                            ' '
                        } else {
                            c
                        }
                    })
                    .collect::<String>(),
            )
        }
        "bullet_banned_symbol" => {
            let chars: Vec<char> = text.chars().collect();
            let mut out = String::with_capacity(text.len());
            for (i, &c) in chars.iter().enumerate() {
                if !(p.bullets.banned_symbols.contains(c) || (p.bullets.ban_emoji && is_emoji(c))) {
                    out.push(c);
                    continue;
                }
                out.push_str(banned_symbol_written(c, i, &chars));
            }
            tidy(&out)
        }
        "title_part_repeated" => match repeated_part(text) {
            Some((_, (s, e))) => {
                let mut out = text.to_string();
                out.replace_range(s..e, "");
                tidy(&out)
            }
            None => text.to_string(),
        },
        "title_word_repeat" => {
            let br = brand_ranges(text, brand);
            let mut seen: std::collections::HashMap<String, usize> = Default::default();
            let mut out = text.to_string();
            let mut drop = Vec::new();
            for (i, w) in title_words(text) {
                let l = w.to_lowercase();
                if in_ranges(i, &br)
                    || p.title.repeat_exempt.contains(&l)
                    || unit_of_number(text, i)
                {
                    continue;
                }
                let n = seen.entry(l).or_default();
                *n += 1;
                if *n > p.title.max_word_repeat {
                    drop.push((i, i + w.len()));
                }
            }
            for (s, e) in drop.into_iter().rev() {
                out.replace_range(s..e, "");
            }
            tidy(&out)
        }
        "description_html" => {
            html::sanitize(text, &p.description.allowed_html).unwrap_or_else(|_| text.to_string())
        }
        "promotional_phrase" => {
            let mut out = text.to_string();
            for ph in &p.promotional_phrases {
                while let Some((s, e)) = find_phrase(&out.to_lowercase(), &ph.to_lowercase()) {
                    if out.is_char_boundary(s)
                        && out.is_char_boundary(e)
                        && out.to_lowercase().len() == out.len()
                    {
                        out.replace_range(s..e, "");
                    } else {
                        break;
                    }
                }
            }
            tidy(&out)
        }
        "contact_info" => {
            let mut out = EMAIL.replace_all(text, "").into_owned();
            if p.contact.ban_url {
                out = URL.replace_all(&out, "").into_owned();
            }
            if p.contact.ban_phone {
                for (s, e) in phones(&out).into_iter().rev() {
                    out.replace_range(s..e, "");
                }
            }
            tidy(&out)
        }
        _ => {
            let _ = kind;
            text.to_string()
        }
    }
}

/// Too many bullets for the market: the rule, when broken.
pub fn lint_bullet_count(n: usize, p: &MarketProfile) -> Option<Violation> {
    (p.bullets.max_count > 0 && n > p.bullets.max_count).then(|| Violation {
        rule: "bullet_count",
        message: format!(
            "{n} bullets, the market shows at most {}",
            p.bullets.max_count
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketRegistry;

    /// [`super::cut_title`] with no codes.
    fn cut_title(text: &str, max: usize, brand: Option<&str>) -> String {
        super::cut_title(text, max, brand, &[])
    }

    fn amazon() -> MarketProfile {
        MarketRegistry::builtin()
            .unwrap()
            .get("amazon.com")
            .unwrap()
            .clone()
    }

    fn rules(kind: FieldKind, text: &str, brand: Option<&str>) -> Vec<&'static str> {
        lint_field(kind, text, &amazon(), brand)
            .iter()
            .map(|v| v.rule)
            .collect()
    }

    /// Each rule: a passing text, a failing text, and the failing text after the fix passes.
    fn case(kind: FieldKind, rule: &str, pass: &str, fail: &str, brand: Option<&str>) -> String {
        let p = amazon();
        assert!(
            !rules(kind, pass, brand).contains(&rule),
            "{rule} should pass: {pass}"
        );
        let v = lint_field(kind, fail, &p, brand);
        let hit = v
            .iter()
            .find(|v| v.rule == rule)
            .unwrap_or_else(|| panic!("{rule} should fail: {fail}"));
        let fixed = fix(kind, fail, hit, &p, brand);
        assert!(
            !rules(kind, &fixed, brand).contains(&rule),
            "{rule} fix: {fixed}"
        );
        fixed
    }

    #[test]
    #[ignore]
    fn measure_all_caps() {
        // How often a good translation (the dev set's references, the
        // built-in bank's pairs) shouts by `shouts`, and how often a source does.
        crate::localize::eval::print_precision(
            |_| true,
            |_, _, _, b| shouts(b, None).then(|| b.to_string()),
        );
        crate::localize::eval::print_precision(
            |_| true,
            |_, _, a, _| shouts(a, None).then(|| a.to_string()),
        );
    }

    #[test]
    fn a_text_in_capitals_is_written_in_normal_case() {
        let fixed = case(
            FieldKind::Bullet,
            "all_caps",
            "Thick 1.5 cm bamboo, USB-C charging, RFID blocking, LED light",
            "THICK 1.5 CM, EDGE DESIGN WITH JUICE GROOVE, NON-SLIP FEET",
            None,
        );
        assert_eq!(
            fixed,
            "Thick 1.5 cm, edge design with juice groove, non-slip feet"
        );
        // The source's acronyms and the brand stay; codes with digits are
        // never read as words.
        let p = amazon();
        let text = "VORTEK RFID BLOCKING WALLET, GENUINE LEATHER, IPX7 CASE";
        let v = lint_field(FieldKind::Title, text, &p, Some("VORTEK"));
        let hit = v.iter().find(|v| v.rule == "all_caps").expect("shouts");
        let keep = source_capitals(["匠心 男士钱包 RFID防盗刷", "IPX7"], None);
        assert_eq!(keep, ["RFID"]);
        assert_eq!(
            fix_keeping(FieldKind::Title, text, hit, &p, Some("VORTEK"), &keep, &[]),
            "VORTEK RFID blocking wallet, genuine leather, IPX7 case"
        );
        // A listing of acronyms, a brand in capitals and a few acronyms in a
        // normal text do not shout.
        for pass in [
            "LED RGB USB 5V strip, APP control",
            "XIAOMI REDMI BUDS 4 earbuds",
            "Wireless earbuds with ANC, ENC, HiFi and IPX5",
            "Kit de 4 piezas: NOTA IMPORTANTE, lea antes de usar el producto",
        ] {
            assert!(
                !rules(FieldKind::Title, pass, Some("XIAOMI REDMI")).contains(&"all_caps"),
                "{pass}"
            );
        }
        // German capitalises its nouns; Turkish has a dotless i.
        let mut de = p.clone();
        de.language = "de".into();
        let v = Violation {
            rule: "all_caps",
            message: String::new(),
        };
        assert_eq!(
            fix(
                FieldKind::Bullet,
                "DICKE 1,5 CM MIT SAFTRILLE UND GRIFF",
                &v,
                &de,
                None
            ),
            "Dicke 1,5 cm mit Saftrille und Griff"
        );
        let mut tr = p.clone();
        tr.language = "tr".into();
        assert_eq!(
            fix(
                FieldKind::Bullet,
                "KALIN BAMBU KESME TAHTASI",
                &v,
                &tr,
                None
            ),
            "Kalın bambu kesme tahtası"
        );
    }

    #[test]
    fn title_rules() {
        let long = "Insulated Bottle ".repeat(15);
        let fixed = case(
            FieldKind::Title,
            "title_too_long",
            "Insulated Water Bottle 750 ml",
            &long,
            None,
        );
        assert!(
            fixed.chars().count() <= 200
                && long.starts_with(&fixed)
                && fixed.ends_with("Insulated"),
            "{fixed}"
        );
        let fixed = case(
            FieldKind::Title,
            "title_banned_char",
            "Yahoo! Travel Mug",
            "Travel Mug! Best?",
            Some("Yahoo!"),
        );
        assert_eq!(fixed, "Travel Mug Best");
        assert!(
            rules(FieldKind::Title, "Yahoo! Mug", Some("Yahoo!")).is_empty(),
            "brand is exempt"
        );
        let fixed = case(
            FieldKind::Title,
            "title_word_repeat",
            "Bottle for Water and for Tea and for Coffee",
            "Bottle Bottle Water Bottle",
            None,
        );
        assert_eq!(fixed, "Bottle Bottle Water");
        // A unit after its number is part of a quantity, however many the
        // title gives: a caliper's "0-150 mm … 0.01 mm" keeps every unit.
        let fixed = case(
            FieldKind::Title,
            "title_word_repeat",
            "Caliper in mm, 0-150 mm, 0.01 mm, 12 V",
            "Caliper mm mm, 0-150 mm, 0.01 mm, Caliper Caliper",
            None,
        );
        assert_eq!(fixed, "Caliper mm mm, 0-150 mm, 0.01 mm, Caliper");
        case(
            FieldKind::Title,
            "promotional_phrase",
            "Water Bottle",
            "Water Bottle Free Shipping",
            None,
        );
    }

    #[test]
    fn bullet_rules() {
        case(
            FieldKind::Bullet,
            "bullet_too_long",
            "Keeps drinks cold for 24 hours",
            &"cold ".repeat(60),
            None,
        );
        let fixed = case(
            FieldKind::Bullet,
            "bullet_banned_symbol",
            "Keeps drinks cold",
            "Keeps drinks cold™ ~ 24 h 😀",
            None,
        );
        assert_eq!(fixed, "Keeps drinks cold 24 h");
        // A symbol of a number's meaning is written in allowed letters, never
        // dropped between two numbers ("60±2HRC" became "60 2HRC").
        let fixed = case(
            FieldKind::Bullet,
            "bullet_banned_symbol",
            "Hardness 60 HRC",
            "Hardness 60±2HRC, angle 10~20°, 5 ~ 8 mm",
            None,
        );
        assert_eq!(fixed, "Hardness 60+/-2HRC, angle 10-20°, 5 - 8 mm");
        case(
            FieldKind::Bullet,
            "contact_info",
            "Call it a day: 24 h cold",
            "Questions? Call +1 (555) 123-4567 or mail help@acme.com",
            None,
        );
        // A number grouped by thousands is no phone number (1600万 colours
        // came back "16.000.000", and the fix deleted it).
        for n in [
            "16.000.000",
            "16,000,000",
            "16\u{a0}000\u{a0}000",
            "16 000 000",
        ] {
            let text = format!("Obsługuje {n} kolorów");
            assert!(
                !lint_field(FieldKind::Bullet, &text, &amazon(), None)
                    .iter()
                    .any(|v| v.rule == "contact_info"),
                "{text}"
            );
        }
        assert!(phones("Tel. 612 345 678").len() == 1);
        // A range of quantities is no phone number: a lamp's "2700-6500K"
        // was deleted from its title.
        for q in [
            "3種色温2700-6500K 10段階",
            "2700-6500 K",
            "1200-1800 mAh",
            "2700-6500K色温",
        ] {
            assert!(phones(q).is_empty(), "{q}");
        }
        assert!(phones("Tel. 612 345 678 kontakt").len() == 1);
        case(
            FieldKind::Bullet,
            "contact_info",
            "Made in Germany",
            "See www.acme.com/bottle for more",
            None,
        );
        case(
            FieldKind::Bullet,
            "promotional_phrase",
            "Wholesale pack design",
            "Best seller in sports",
            None,
        );
        let p = amazon();
        assert!(lint_bullet_count(5, &p).is_none());
        assert_eq!(lint_bullet_count(6, &p).unwrap().rule, "bullet_count");
    }

    #[test]
    fn description_and_search_term_rules() {
        let fixed = case(
            FieldKind::Description,
            "description_html",
            "Line one<br>Line two",
            "<p>Line <b>one</b></p><p>Line two</p>",
            None,
        );
        assert_eq!(fixed, "Line one<br>Line two");
        case(
            FieldKind::Description,
            "description_too_long",
            "Short.",
            &"Long text. ".repeat(300),
            None,
        );
        let terms = "bottle flask ".repeat(30);
        let fixed = case(
            FieldKind::SearchTerms,
            "search_terms_too_long",
            "bottle flask thermos",
            &terms,
            None,
        );
        assert!(fixed.len() < 250);
    }

    #[test]
    fn cut_at_word_handles_cjk_and_boundaries() {
        assert_eq!(cut_at_word("ステンレス製ボトル", 5), "ステンレス");
        assert_eq!(cut_at_word("one two three", 7), "one two");
        assert_eq!(cut_at_word("one two three", 9), "one two");
        // Never a number without its unit, nor half a dimension.
        let t = "Botella térmica 500 ml aislado 12 horas, 24 horas caliente";
        assert_eq!(cut_at_word(t, 38), "Botella térmica 500 ml aislado");
        assert_eq!(cut_at_word(t, 36), "Botella térmica 500 ml aislado");
        assert_eq!(
            cut_at_word("Tabla de cortar 15 x 10 cm", 20),
            "Tabla de cortar"
        );
        assert_eq!(
            cut_at_word("Tabla de cortar 15 x 10 cm", 23),
            "Tabla de cortar"
        );
        // A range, or a Russian or Polish unit of time, goes with its number.
        let t = "butelka do niemowląt 240 ml, zabrania podłagania 0-6 miesięcy";
        assert_eq!(
            cut_at_word(t, 56),
            "butelka do niemowląt 240 ml, zabrania podłagania"
        );
        let t = "Зубная щетка, работа 60 дней без подзарядки";
        assert_eq!(cut_at_word(t, 25), "Зубная щетка, работа");
        // A count before a word that is no unit stays.
        assert_eq!(cut_at_word("Set of 12 Black Pens", 12), "Set of 12");
        assert_eq!(cut_at_word("Set of 12 black pens", 12), "Set of 12");
        // Not one that begins a new phrase after a quantity, its noun cut off.
        let t = "Manguera extensible 15 metros (50 pies) 7 modos de riego";
        assert_eq!(
            cut_at_word(t, 42),
            "Manguera extensible 15 metros (50 pies)"
        );
        let t = "Manguera extensible 15 metros 7 modos de riego";
        assert_eq!(cut_at_word(t, 32), "Manguera extensible 15 metros");
        assert_eq!(
            cut_at_word("Funda para iPhone 15 transparente", 20),
            "Funda para iPhone 15"
        );
        // Never a joining word last.
        let t = "Botella térmica inoxidable 316 con tapa para té y filtro";
        assert_eq!(
            cut_at_word(t, 52),
            "Botella térmica inoxidable 316 con tapa para té"
        );
        assert_eq!(
            cut_at_word("Lampe de bureau avec la lumière", 22),
            "Lampe de bureau"
        );
        assert_eq!(cut_at_word("Size A and B", 6), "Size A");
        // Russian too: "с" (with) was left at the end of a cut title.
        let t = "Светодиодная лента 5 м RGB 12 В 300 светодиодов с пультом";
        assert_eq!(
            cut_at_word(t, 52),
            "Светодиодная лента 5 м RGB 12 В 300 светодиодов"
        );
        // Not a unit after its number ("30 с", thirty seconds).
        assert_eq!(
            cut_at_word("Таймер отключения 30 с и память", 24),
            "Таймер отключения 30 с"
        );
        // A joining word after a number that is no unit goes.
        assert_eq!(cut_at_word("Set of 12 and a lid", 15), "Set of 12");
        // Never inside a bracket whose end is cut off.
        let t = "ที่วางโทรศัพท์ 360°, สำหรับใช้กับ 4.7-7 นิ้ว (11.9–17.8 cm)";
        assert_eq!(
            cut_at_word(t, t.chars().count() - 1),
            "ที่วางโทรศัพท์ 360°, สำหรับใช้กับ 4.7-7 นิ้ว"
        );
        let t = "Manguera extensible 15 metros (50 pies, verde oscuro)";
        assert_eq!(cut_at_word(t, 45), "Manguera extensible 15 metros");
        // A closed one stays.
        assert_eq!(
            cut_at_word("Manguera 15 metros (50 pies) verde", 29),
            "Manguera 15 metros (50 pies)"
        );
    }

    #[test]
    fn a_title_part_said_twice_goes() {
        let t =
            "陶然 Vaso in ceramica stile nordico, 3 pezzi, diametro 12 cm, stile nordico, bianco";
        let v = lint_field(FieldKind::Title, t, &amazon(), Some("陶然"));
        let v = v
            .into_iter()
            .find(|v| v.rule == "title_part_repeated")
            .unwrap();
        assert_eq!(
            fix(FieldKind::Title, t, &v, &amazon(), Some("陶然")),
            "陶然 Vaso in ceramica stile nordico, 3 pezzi, diametro 12 cm, bianco"
        );
        // Words of an earlier part out of order, a part with a number, and
        // a part that only shares a word: kept.
        for t in [
            "Camiseta de algodón, algodón y poliéster, blanca",
            "Funda, 2 piezas, funda 2 piezas",
            "Botella de agua, agua mineral, azul",
            "Pack de 2, 2 unidades",
        ] {
            assert!(repeated_part(t).is_none(), "{t}: {:?}", repeated_part(t));
        }
        assert!(repeated_part("Set Sprei Katun, Sarung Duvet, Sprei, dan Sarung Bantal").is_none());
        assert_eq!(
            repeated_part("Soporte para portátil de aluminio, plegable, Portátil de Aluminio")
                .map(|x| x.0),
            Some("Portátil de Aluminio".to_string())
        );
    }

    #[test]
    fn an_arabic_title_is_cut_at_its_commas() {
        // Parts without a digit go first, as in a title with Latin commas, and
        // the cut ends on no comma.
        let t = "ساعة ذكية، شاشة 1.43 بوصة AMOLED، مراقبة الأكسجين في الدم ومعدل ضربات القلب، 5ATM مقاومة للماء، Redmi Watch 4";
        let cut = cut_title(t, 80, None);
        assert_eq!(
            cut,
            "ساعة ذكية، شاشة 1.43 بوصة AMOLED، 5ATM مقاومة للماء، Redmi Watch 4"
        );
        // A part with a name kept as written counts as one with a number.
        let t = "ساعة ذكية، شاشة 1.43 بوصة AMOLED، مراقبة الأكسجين في الدم ومعدل ضربات القلب، 5ATM مقاومة للماء، Redmi، الهاتف 4";
        assert!(!cut_title(t, 90, None).contains("Redmi"));
        let cut = cut_title_keeping(t, 90, None, &["Redmi".to_string()]);
        assert_eq!(
            cut,
            "ساعة ذكية، شاشة 1.43 بوصة AMOLED، 5ATM مقاومة للماء، Redmi، الهاتف 4"
        );
        let cut = cut_at_word("ساعة ذكية، شاشة 1.43 بوصة AMOLED، مراقبة", 26);
        assert!(!cut.ends_with('،'), "{cut}");
    }

    #[test]
    fn a_title_cut_keeps_its_model_numbers() {
        let codes = vec!["SY-50YC8001Q".to_string()];
        // No commas: the plain cut keeps the first 60 characters and loses the
        // model number at the end.
        let t = "苏泊尔 Olla de presión eléctrica 5 L 900W programable 24 horas SY-50YC8001Q";
        assert!(!cut_title(t, 60, None).contains("SY-50YC8001Q"));
        let cut = cut_title_keeping(t, 60, None, &codes);
        assert!(cut.ends_with(" SY-50YC8001Q"), "{cut}");
        assert!(cut.starts_with("苏泊尔 Olla de presión"), "{cut}");
        assert!(cut.chars().count() <= 60, "{cut}");
        // One the cut keeps stays where it was, and the cut is the plain one.
        let t = "Olla SY-50YC8001Q de presión eléctrica 5 L 900W programable 24 horas y recetas";
        assert_eq!(
            cut_title_keeping(t, 60, None, &codes),
            cut_title(t, 60, None)
        );
        // In brackets, the brackets go with it.
        let t = "Olla de presión eléctrica 5 L 900W programable de 24 horas (SY-50YC8001Q)";
        let cut = cut_title_keeping(t, 60, None, &codes);
        assert!(
            cut.ends_with(" SY-50YC8001Q") && !cut.contains("()"),
            "{cut}"
        );
        // A code the title does not have, or only inside a longer word, adds
        // nothing.
        let t = "Olla de presión eléctrica 5 L 900W programable 24 horas SY-50YC8001QX";
        assert_eq!(
            cut_title_keeping(t, 60, None, &codes),
            cut_title(t, 60, None)
        );
        // Codes that would leave less than half the title for the rest are not
        // forced in.
        let long = vec!["ABCDEFGHIJKLMNOPQRSTUVWXYZ-1234567890".to_string()];
        let t = "Olla de presión eléctrica 5 L 900W programable 24 horas ABCDEFGHIJKLMNOPQRSTUVWXYZ-1234567890";
        assert_eq!(
            cut_title_keeping(t, 60, None, &long),
            cut_title(t, 60, None)
        );
    }

    #[test]
    fn a_title_cut_keeps_its_numbers_first() {
        // The parts without a digit go, from the end, before a part with one.
        let t = "Taladro inalámbrico 20 V, 1/2 pulgadas, con batería y cargador, 45 Nm de par";
        assert_eq!(
            cut_title(t, 60, None),
            "Taladro inalámbrico 20 V, 1/2 pulgadas, 45 Nm de par"
        );
        let t = "Soporte de teléfono de aluminio, plegable y regulable en altura, para teléfonos de 4-12,9 pulgadas";
        assert_eq!(
            cut_title(t, 70, None),
            "Soporte de teléfono de aluminio, para teléfonos de 4-12,9 pulgadas"
        );
        // Still too long: the product's last words go, not the sizes.
        assert_eq!(
            cut_title(t, 60, None),
            "Soporte de teléfono, para teléfonos de 4-12,9 pulgadas"
        );
        // A Chinese brand parted by a space is not the product: the words
        // after it are ("16A, pack de 2 piezas" was all that was left).
        let t = "智联 Enchufe inteligente con medición de consumo, Wi-Fi, 16A, compatible con asistentes de voz, temporizador y programación, pack de 2 piezas";
        assert_eq!(
            cut_title(t, 60, None),
            "智联 Enchufe inteligente con medición, 16A, pack de 2 piezas"
        );
        // The same brand parted by a comma, and a brand in the title's own
        // script: the product is the part after it.
        let t = "驰安, Capa de assento de carro, envolvente, para as quatro estações, couro, 5 lugares, serve em 95% dos modelos";
        assert_eq!(
            cut_title(t, 60, None),
            "驰安, Capa de assento, 5 lugares, serve em 95% dos modelos"
        );
        // A product that cannot keep two words (its cut ends on "de") is
        // kept, and numbered parts go from the end instead.
        let t = "驰安 Capa de assento de carro, Envolvente, Para todas as estações, Couro, 5 de assento, aplica-se aos veículos de 95%";
        let cut = cut_title(t, 60, None);
        assert!(cut.starts_with("驰安 Capa de assento"), "{cut}");
        assert!(cut.chars().count() <= 60, "{cut}");
        let t = "Vortek, Capa de assento de carro, envolvente, para as quatro estações, couro, 5 lugares, serve em 95% dos modelos";
        assert_eq!(
            cut_title(t, 64, Some("vortek")),
            "Vortek, Capa de assento, 5 lugares, serve em 95% dos modelos"
        );
        assert_eq!(
            cut_title(t, 64, None),
            "Vortek, 5 lugares, serve em 95% dos modelos"
        );
        // Keyword titles in Japanese drop whole keywords.
        let t = "スマホスタンド 卓上 アルミ 折りたたみ 高さ調節 4-12.9インチ対応";
        assert_eq!(
            cut_title(t, 26, None),
            "スマホスタンド 卓上 アルミ 4-12.9インチ対応"
        );
        assert_eq!(
            cut_title(t, 24, None),
            "スマホスタンド 卓上 4-12.9インチ対応"
        );
        // A Chinese brand before a Polish title parts no Polish words: the
        // unit after "0-6" is no part of its own to drop (it was). The part
        // after the brand is kept as the product, and the last part goes
        // whole, its range with its unit.
        let t =
            "宝贝乐 Szkła szeroki, butelka do niemowląt 240 ml, zabrania podłagania 0-6 miesięcy";
        assert_eq!(
            cut_title(t, 75, None),
            "宝贝乐 Szkła szeroki, butelka do niemowląt 240 ml"
        );
        // Where the cut loses no number, whole parts: no part cut in the
        // middle ("acero" of "acero inoxidable"; "mężczyzn" of "mężczyzn i
        // kobiet", men of men and women).
        let t = "Botella térmica 500 ml, acero inoxidable, tapa a prueba de fugas";
        assert_eq!(
            cut_title(t, 40, None),
            "Botella térmica 500 ml, acero inoxidable"
        );
        let t = "山行 Plecak turystyczny 40 L, wodoodporny, lekki, pokrowiec przeciwdeszczowy, do wykorzystania na górach i dla osób mężczyzn i kobiet";
        assert_eq!(
            cut_title(t, 120, None),
            "山行 Plecak turystyczny 40 L, wodoodporny, lekki, pokrowiec przeciwdeszczowy"
        );
        // Nor where the part dropped has a number the plain cut keeps
        // ("HDR400 …" of a monitor's Polish title).
        let t = "视界, 27 cala (68,6 cm), 2K, 165Hz, 1ms, HDR400monitor podstawowy stół do regulacji i obracania";
        assert_eq!(cut_title(t, 75, None), cut_at_word(t, 75));
        assert!(cut_title(t, 75, None).contains("HDR400"));
        // Nor where whole parts keep less than half: the plain cut.
        let t = "Botella térmica 500 ml, acero inoxidable con aislamiento al vacío y tapa a prueba de fugas";
        assert_eq!(cut_title(t, 60, None), cut_at_word(t, 60));
        // The plain cut where dropping every other part is not enough.
        let t = "Botella térmica de acero inoxidable con aislamiento al vacío 500 ml";
        assert_eq!(cut_title(t, 40, None), cut_at_word(t, 40));
        assert_eq!(cut_title("Short, 5 ml", 60, None), "Short, 5 ml");
    }

    #[test]
    fn a_cut_title_never_ends_on_a_clause_it_opened() {
        // A stroller's Chilean title, 144 characters for Mercado Libre's 60:
        // its product part was cut to "Carriola para bebés que puede" (a
        // stroller that can).
        let t = "Carriola para bebés que puede sentarse y dormir, una sola pulsación para cerrar. Capacidad de carga 25 kg, para los bebés menores de 0-36 meses";
        assert_eq!(
            cut_title(t, 60, None),
            "Carriola para bebés, Capacidad de carga 25 kg"
        );
        assert_eq!(
            cut_at_word("Poussette pour bébé qui peut s'allonger", 26),
            "Poussette pour bébé"
        );
        assert_eq!(
            cut_at_word("Wózek dla dziecka, który może się rozłożyć", 30),
            "Wózek dla dziecka"
        );
    }
}
