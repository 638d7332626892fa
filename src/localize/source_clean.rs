//! The Chinese source cleaner: what Taobao/1688-style listings carry that foreign
//! marketplaces ban or buyers misread, handled BEFORE translation by rules kept as
//! data (`terminology/zh-source.toml`, compiled in). Promotion, logistics and
//! unprovable-claim words, years used as "new" and repeated title keywords are
//! removed; gift add-ons (送杯刷) move out of the title into a bullet of their own;
//! a bullet's 【headline】 becomes "headline：" (nothing is lost, so nothing is
//! reported);
//! Chinese sizes (S–5XL, 码) are kept as written and flagged (a 码 size within
//! the EU sizes the listing itself states, "EU39-46", is not); Chinese attribute
//! names (颜色, 材质 …) become the marketplace's name in the target language.
//! Every removal or move is reported as a warning naming the field, the words and the
//! reason, so nothing disappears silently. Main type: [`SourceCleaner`]; the
//! pipeline calls [`clean`] once per listing.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::LocalizeError;
use crate::listing::{FieldId, Listing, Warning};

const BUILTIN: &str = include_str!("../../terminology/zh-source.toml");

/// Warning code of a word, year or repeated keyword removed from the source.
pub const REMOVED: &str = "source_removed";
/// Warning code of a gift add-on moved from the title to a bullet.
pub const GIFT_MOVED: &str = "gift_moved";
/// Warning code of a Chinese (CN chart) size kept as written: needs a size chart.
pub const CN_SIZE: &str = "cn_size";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemove {
    reason: String,
    words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    reason: String,
    regex: String,
    action: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRename {
    #[allow(dead_code)] // documents the rule in the file
    reason: String,
    regex: String,
    replace: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    reason: String,
    regex: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    size_attributes: Vec<String>,
    #[serde(default)]
    remove: Vec<RawRemove>,
    #[serde(default)]
    pattern: Vec<RawPattern>,
    #[serde(default)]
    rename: Vec<RawRename>,
    #[serde(default)]
    flag: Vec<RawFlag>,
    #[serde(default)]
    attributes: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Remove,
    MoveToBullet,
}

#[derive(Debug)]
struct Pattern {
    reason: String,
    regex: Regex,
    action: Action,
}

/// The cleaner's rules (see the module doc).
#[derive(Debug)]
pub struct SourceCleaner {
    /// (word, reason), longest word first.
    words: Vec<(String, String)>,
    patterns: Vec<Pattern>,
    /// Names written the way buyers abroad know them, nothing lost
    /// ("7号电池" → "AAA电池"): not reported.
    renames: Vec<(Regex, String)>,
    flags: Vec<(String, Regex)>,
    size_attributes: Vec<String>,
    attributes: BTreeMap<String, BTreeMap<String, String>>,
}

/// A listing after cleaning, with what was changed.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The listing to translate.
    pub listing: Listing,
    /// One warning per field and reason.
    pub warnings: Vec<Warning>,
}

/// The built-in rules (`terminology/zh-source.toml`).
pub fn builtin() -> &'static SourceCleaner {
    static RULES: LazyLock<SourceCleaner> = LazyLock::new(|| {
        SourceCleaner::from_toml(BUILTIN, "builtin:terminology/zh-source.toml")
            .expect("terminology/zh-source.toml is compiled in and loaded by a unit test")
    });
    &RULES
}

/// Clean `listing` with the built-in rules when its source language is Chinese
/// (`zh`, `zh-CN` …); any other listing comes back as it is.
pub fn clean(listing: &Listing, source_lang: &str, target_lang: &str) -> Cleaned {
    if source_lang == "zh" || source_lang.starts_with("zh-") {
        builtin().clean(listing, target_lang)
    } else {
        Cleaned {
            listing: listing.clone(),
            warnings: Vec::new(),
        }
    }
}

/// One text of a `source_lang` source as the pipeline translates it: for Chinese,
/// without the removed words and years used as "new" (gift add-ons stay in place).
/// For the checks that compare an output with its source outside the pipeline.
pub fn clean_text(text: &str, source_lang: &str) -> String {
    if source_lang == "zh" || source_lang.starts_with("zh-") {
        builtin().strip(text, None).0
    } else {
        text.to_string()
    }
}

/// The gift add-ons the pipeline moves out of a `source_lang` title into a
/// bullet of their own ("送10根胶棒" → a bullet "附赠：10根胶棒"): none unless
/// the source is Chinese. For the evaluation, which scores the title against a
/// reference that keeps the gift in it.
pub fn moved_gifts(title: &str, source_lang: &str) -> Vec<String> {
    let mut gifts = Vec::new();
    if source_lang == "zh" || source_lang.starts_with("zh-") {
        builtin().strip(title, Some(&mut gifts));
    }
    gifts
}

/// A bullet's leading 【headline】 and the text after it.
static HEADLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*【([^【】]{1,30})】[\s：:，,]*(\S[\s\S]*)$").expect("static regex")
});

/// A bullet that opens with a 【headline】, as Chinese listings mark one, with
/// the headline followed by a colon instead: marketplaces abroad write a
/// headline that way, and a model copies the brackets into the translation or
/// runs the headline into the sentence. A bullet that is only a headline, or
/// has none, comes back as it is.
fn headline_with_colon(bullet: &str) -> String {
    match HEADLINE.captures(bullet) {
        Some(c) => {
            let head = c[1].trim().trim_end_matches(['：', ':']);
            if head.is_empty() {
                return bullet.to_string();
            }
            format!("{head}：{}", &c[2])
        }
        None => bullet.to_string(),
    }
}

/// Spaces, separators and brackets left over once a word is cut out.
static EMPTY_BRACKETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"【\s*】|\[\s*\]|\(\s*\)|（\s*）|「\s*」").expect("static regex"));
static SPACES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[ \t\u{3000}]+").expect("static regex"));
const EDGE: &[char] = &[
    ' ', '\u{3000}', '，', ',', '、', '|', '/', '+', '＋', '；', ';', '-',
];

fn tidy(text: &str) -> String {
    let mut t = text.to_string();
    loop {
        let next = EMPTY_BRACKETS.replace_all(&t, " ").into_owned();
        if next == t {
            break;
        }
        t = next;
    }
    let t = SPACES.replace_all(&t, " ");
    // A separator left at either end, or doubled where a word was cut out.
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        let last = out.chars().last();
        if matches!(c, '，' | ',' | '、')
            && last.is_some_and(|l| matches!(l, '，' | ',' | '、' | ' '))
            && out.trim_end().ends_with(['，', ',', '、'])
        {
            continue;
        }
        out.push(c);
    }
    trim_edges(&out).to_string()
}

/// `text` without [`EDGE`] characters at either end, except a sign that
/// belongs to the number after it ("-20℃ 可用" keeps its minus) and a "+"
/// that ends a token with a digit ("UPF50+", "3岁+": "or more").
fn trim_edges(text: &str) -> &str {
    let mut t = text;
    loop {
        let before = t.len();
        if let Some(c) = t.chars().next() {
            let rest = &t[c.len_utf8()..];
            let sign =
                matches!(c, '-' | '+' | '＋') && rest.starts_with(|d: char| d.is_ascii_digit());
            if EDGE.contains(&c) && !sign {
                t = rest;
            }
        }
        if let Some(c) = t.chars().last() {
            let rest = &t[..t.len() - c.len_utf8()];
            let token = rest
                .rsplit([' ', '\u{3000}', '，', ',', '、', '|', '/', '；', ';'])
                .next();
            let more = matches!(c, '+' | '＋')
                && !rest.ends_with([' ', '\u{3000}'])
                && token.is_some_and(|w| w.contains(|d: char| d.is_ascii_digit()));
            if EDGE.contains(&c) && !more {
                t = rest;
            }
        }
        if t.len() == before {
            return t;
        }
    }
}

/// What one text lost: (removed piece, reason) in order.
type Removals = Vec<(String, String)>;

impl SourceCleaner {
    /// Parse the rules file.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
        let err = |message: String| LocalizeError::Input {
            file: source_name.to_string(),
            line: 0,
            field: String::new(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut words: Vec<(String, String)> = raw
            .remove
            .into_iter()
            .flat_map(|r| {
                let reason = r.reason;
                r.words
                    .into_iter()
                    .filter(|w| !w.trim().is_empty())
                    .map(move |w| (w, reason.clone()))
            })
            .collect();
        words.sort_by_key(|(w, _)| std::cmp::Reverse(w.chars().count()));
        let compile = |re: &str| Regex::new(re).map_err(|e| err(format!("regex `{re}`: {e}")));
        let patterns = raw
            .pattern
            .into_iter()
            .map(|p| {
                let action = match p.action.as_str() {
                    "remove" => Action::Remove,
                    "move_to_bullet" => Action::MoveToBullet,
                    other => {
                        return Err(err(format!(
                            "pattern action `{other}` (remove, move_to_bullet)"
                        )));
                    }
                };
                let regex = compile(&p.regex)?;
                if action == Action::MoveToBullet && regex.captures_len() < 2 {
                    return Err(err(format!(
                        "pattern `{}`: move_to_bullet needs a group for the gift",
                        p.regex
                    )));
                }
                Ok(Pattern {
                    reason: p.reason,
                    regex,
                    action,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let renames = raw
            .rename
            .into_iter()
            .map(|r| Ok((compile(&r.regex)?, r.replace)))
            .collect::<Result<Vec<_>, LocalizeError>>()?;
        let flags = raw
            .flag
            .into_iter()
            .map(|f| Ok((f.reason, compile(&f.regex)?)))
            .collect::<Result<Vec<_>, LocalizeError>>()?;
        Ok(Self {
            words,
            patterns,
            renames,
            flags,
            size_attributes: raw.size_attributes,
            attributes: raw.attributes,
        })
    }

    /// The marketplace's name of a Chinese attribute name in `target_lang` (`颜色` →
    /// `Color`), when the rules know it.
    pub fn attribute_name(&self, name: &str, target_lang: &str) -> Option<&str> {
        self.attributes
            .get(name.trim())
            .and_then(|m| m.get(target_lang))
            .map(String::as_str)
    }

    /// Whether an attribute name names an identifier: a model, part or
    /// article number (型号, 货号, 型番, "Model", "SKU", "EAN"), in the
    /// source's words or as [`Self::attribute_name`] gives 型号 and 货号 in any
    /// language. "Compatible models" (适用型号) names no identifier of this
    /// product.
    pub fn names_identifier(&self, name: &str) -> bool {
        const NAMES: [&str; 26] = [
            "型号",
            "货号",
            "款号",
            "产品型号",
            "商品型号",
            "型號",
            "型番",
            "品番",
            "model",
            "model number",
            "model no",
            "model no.",
            "item model number",
            "part number",
            "mpn",
            "sku",
            "ean",
            "upc",
            "gtin",
            "article number",
            "modellnummer",
            "artikelnummer",
            "référence",
            "numéro de modèle",
            "número de modelo",
            "артикул",
        ];
        let n = name
            .trim()
            .trim_end_matches([':', '：'])
            .trim()
            .to_lowercase();
        NAMES.contains(&n.as_str())
            || ["型号", "货号"].iter().any(|k| {
                self.attributes
                    .get(*k)
                    .is_some_and(|m| m.values().any(|v| v.to_lowercase() == n))
            })
    }

    /// Remove the words and `remove` patterns from one text; gifts too when
    /// `gifts` is given (they are pushed there).
    fn strip(&self, text: &str, mut gifts: Option<&mut Vec<String>>) -> (String, Removals) {
        let mut removed: Removals = Vec::new();
        let mut t = self.rename(text);
        for p in &self.patterns {
            match p.action {
                Action::Remove => {
                    let mut out = String::with_capacity(t.len());
                    let mut last = 0;
                    for m in p.regex.find_iter(&t) {
                        // A year must not continue a longer number (12024新款).
                        if t[..m.start()].ends_with(|c: char| c.is_ascii_digit()) {
                            continue;
                        }
                        out.push_str(&t[last..m.start()]);
                        out.push(' ');
                        removed.push((m.as_str().trim().to_string(), p.reason.clone()));
                        last = m.end();
                    }
                    out.push_str(&t[last..]);
                    t = out;
                }
                Action::MoveToBullet => {
                    let Some(g) = gifts.as_deref_mut() else {
                        continue;
                    };
                    let mut out = String::with_capacity(t.len());
                    let mut last = 0;
                    for c in p.regex.captures_iter(&t) {
                        let (Some(all), Some(gift)) = (c.get(0), c.get(1)) else {
                            continue;
                        };
                        // Keep the separator the match began with.
                        let lead = all
                            .as_str()
                            .chars()
                            .next()
                            .filter(|ch| !matches!(ch, '送' | '赠' | '加'));
                        out.push_str(&t[last..all.start()]);
                        if let Some(ch) = lead {
                            out.push(ch);
                        }
                        out.push(' ');
                        g.push(gift.as_str().to_string());
                        removed.push((
                            all.as_str().trim_start_matches(EDGE).to_string(),
                            p.reason.clone(),
                        ));
                        last = all.end();
                    }
                    out.push_str(&t[last..]);
                    t = out;
                }
            }
        }
        for (w, reason) in &self.words {
            if t.contains(w.as_str()) {
                t = t.replace(w.as_str(), " ");
                removed.push((w.clone(), reason.clone()));
            }
        }
        (tidy(&t), removed)
    }

    /// `text` with the `rename` rules applied (names as buyers abroad know
    /// them).
    fn rename(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (re, replace) in &self.renames {
            t = re.replace_all(&t, replace.as_str()).into_owned();
        }
        t
    }

    /// The title's space-separated keywords with repeats removed (case-insensitive).
    fn dedup_keywords(title: &str) -> (String, Removals) {
        let mut seen: Vec<String> = Vec::new();
        let mut kept: Vec<&str> = Vec::new();
        let mut removed = Removals::new();
        for w in title.split(' ').filter(|w| !w.is_empty()) {
            let key = w.to_lowercase();
            if seen.contains(&key) {
                removed.push((w.to_string(), "duplicate keyword".to_string()));
            } else {
                seen.push(key);
                kept.push(w);
            }
        }
        (kept.join(" "), removed)
    }

    /// Flags `text`'s sizes on the Chinese chart, except a size whose every
    /// number lies in a range of `eu` sizes the listing states itself: a
    /// shoe's "42码" where the listing says "EU39-46" is on the EU chart.
    fn flag(&self, field: &str, text: &str, eu: &[(u32, u32)], warnings: &mut Vec<Warning>) {
        for (reason, re) in &self.flags {
            let found: Vec<&str> = re
                .find_iter(text)
                .map(|m| m.as_str())
                .filter(|m| !on_eu_chart(m, eu))
                .collect();
            if !found.is_empty() {
                warnings.push(Warning {
                    field: field.to_string(),
                    code: CN_SIZE.into(),
                    message: format!("{}: {reason}", found.join(", ")),
                });
            }
        }
    }

    /// Clean a Chinese-source listing for `target_lang` (see the module doc).
    pub fn clean(&self, listing: &Listing, target_lang: &str) -> Cleaned {
        let mut out = listing.clone();
        let mut warnings: Vec<Warning> = Vec::new();
        let report = |field: &str, removed: Removals, warnings: &mut Vec<Warning>| {
            let mut by_reason: Vec<(String, Vec<String>)> = Vec::new();
            for (word, reason) in removed {
                match by_reason.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, ws)) => ws.push(word),
                    None => by_reason.push((reason, vec![word])),
                }
            }
            for (reason, ws) in by_reason {
                let moved = reason.contains("moved");
                warnings.push(Warning {
                    field: field.to_string(),
                    code: if moved { GIFT_MOVED } else { REMOVED }.into(),
                    message: format!(
                        "{} {} from the Chinese source: {reason}",
                        if moved { "moved" } else { "removed" },
                        ws.join(", ")
                    ),
                });
            }
        };

        let eu = eu_sizes(listing);
        let mut gifts = Vec::new();
        let (title, mut removed) = self.strip(&listing.title, Some(&mut gifts));
        let (title, dups) = Self::dedup_keywords(&title);
        removed.extend(dups);
        // A title made only of banned words stays as written: an empty title is worse.
        if title.trim().is_empty() {
            warnings.push(Warning {
                field: "title".into(),
                code: REMOVED.into(),
                message: "the title is only promotion or logistics words: kept as written".into(),
            });
        } else {
            out.title = title;
            report("title", removed, &mut warnings);
        }
        self.flag("title", &out.title, &eu, &mut warnings);

        let mut bullets = Vec::with_capacity(listing.bullets.len());
        for (i, b) in listing.bullets.iter().enumerate() {
            let field = FieldId::Bullet(i).to_string();
            let (text, removed) = self.strip(b, None);
            if text.is_empty() {
                bullets.push(b.clone());
            } else {
                bullets.push(headline_with_colon(&text));
                report(&field, removed, &mut warnings);
            }
            self.flag(&field, &bullets[i], &eu, &mut warnings);
        }
        for g in gifts {
            if !bullets.iter().any(|b| b.contains(&g)) {
                bullets.push(format!("附赠：{g}"));
            }
        }
        out.bullets = bullets;
        if !listing.description.trim().is_empty() {
            out.description = self.rename(&listing.description);
            self.flag("description", &listing.description, &eu, &mut warnings);
        }

        for a in &mut out.attributes {
            let chinese = a.name.trim().to_string();
            if let Some(name) = self.attribute_name(&chinese, target_lang) {
                a.name = name.to_string();
            }
            let field = FieldId::Attribute(a.name.clone()).to_string();
            a.value = self.rename(&a.value);
            if self.size_attributes.contains(&chinese) {
                warnings.push(Warning {
                    field,
                    code: CN_SIZE.into(),
                    message: format!(
                        "{}: a size on the Chinese (CN) chart, kept as written; give a size chart to convert",
                        a.value
                    ),
                });
            } else {
                self.flag(&field, &a.value, &eu, &mut warnings);
            }
        }
        Cleaned {
            listing: out,
            warnings,
        }
    }
}

/// Sizes on the EU chart that a listing states ("EU39-46", "EU 42", "欧码40"):
/// each as the range it covers.
fn eu_sizes(listing: &Listing) -> Vec<(u32, u32)> {
    static EU: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:(?-u:\b)EUR?|欧码)\s*[:：]?\s*(\d{2})(?:\s*[-~～到至]\s*(\d{2}))?")
            .expect("static regex")
    });
    let mut texts: Vec<&str> = vec![&listing.title, &listing.description];
    texts.extend(listing.bullets.iter().map(String::as_str));
    texts.extend(listing.attributes.iter().map(|a| a.value.as_str()));
    let mut out = Vec::new();
    for t in texts {
        for c in EU.captures_iter(t) {
            let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
            if let Some(a) = n(1) {
                let b = n(2).unwrap_or(a);
                out.push((a.min(b), a.max(b)));
            }
        }
    }
    out
}

/// Whether every number of a size found on the Chinese chart lies in one of
/// the listing's own EU ranges (and it has a number: a letter size has none).
fn on_eu_chart(size: &str, eu: &[(u32, u32)]) -> bool {
    let numbers: Vec<u32> = size
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    !numbers.is_empty()
        && numbers
            .iter()
            .all(|n| eu.iter().any(|(lo, hi)| lo <= n && n <= hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::Attribute;

    fn zh(title: &str, bullets: &[&str]) -> Listing {
        Listing {
            sku: "A1".into(),
            title: title.into(),
            bullets: bullets.iter().map(|b| b.to_string()).collect(),
            language: Some("zh".into()),
            ..Default::default()
        }
    }

    fn codes(c: &Cleaned, field: &str) -> Vec<String> {
        c.warnings
            .iter()
            .filter(|w| w.field == field)
            .map(|w| format!("{}: {}", w.code, w.message))
            .collect()
    }

    #[test]
    fn builtin_rules_load() {
        let r = builtin();
        assert!(r.words.len() > 50);
        assert!(!r.patterns.is_empty() && !r.flags.is_empty());
        assert_eq!(r.attribute_name("颜色", "pt"), Some("Cor"));
        assert_eq!(r.attribute_name(" 材质 ", "ko"), Some("소재"));
        assert_eq!(r.attribute_name("颜色", "xx"), None);
        assert!(
            SourceCleaner::from_toml("[[pattern]]\nreason='r'\nregex='('\naction='remove'", "t")
                .is_err()
        );
        assert!(
            SourceCleaner::from_toml("[[pattern]]\nreason='r'\nregex='a'\naction='shout'", "t")
                .is_err()
        );
        assert!(
            SourceCleaner::from_toml(
                "[[pattern]]\nreason='r'\nregex='a'\naction='move_to_bullet'",
                "t"
            )
            .is_err()
        );
    }

    #[test]
    fn chinese_battery_sizes_get_their_names_abroad() {
        // "2节7号电池" came back in Korean "2 channel 7th battery": the size
        // gets its name abroad, the counter 节 becomes 个.
        let mut l = zh("遥控器 需2节7号电池", &["使用4节5号碱性电池（不含）"]);
        l.description = "1号电池和2号干电池均可".into();
        l.attributes = vec![crate::listing::Attribute {
            name: "电池".into(),
            value: "2节7号电池（不含）".into(),
        }];
        let c = clean(&l, "zh", "ko");
        assert_eq!(c.listing.title, "遥控器 需2个AAA电池");
        assert_eq!(c.listing.bullets, ["使用4个AA碱性电池（不含）"]);
        assert_eq!(c.listing.description, "D电池和C干电池均可");
        assert_eq!(c.listing.attributes[0].value, "2个AAA电池（不含）");
        // Nothing is lost, so nothing is reported; another number's digits
        // are no size ("15号", "0.5号").
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let c = clean(&zh("15号电池 0.5号电池 第5号", &[]), "zh", "de");
        assert_eq!(c.listing.title, "15号电池 0.5号电池 第5号");
    }

    #[test]
    fn the_counter_of_long_things_is_the_common_one() {
        // "4根天线" came back in Italian "4 radici" (four roots).
        let mut l = zh("路由器 4根5dBi天线", &["4根天线，覆盖更广", "附2根数据线"]);
        l.attributes = vec![crate::listing::Attribute {
            name: "天线".into(),
            value: "4根".into(),
        }];
        let c = clean(&l, "zh", "it");
        assert_eq!(c.listing.bullets, ["4个天线，覆盖更广", "附2个数据线"]);
        assert_eq!(c.listing.attributes[0].value, "4个");
        // Not before a word it does not count, nor 根据 (according to).
        assert_eq!(c.listing.title, "路由器 4根5dBi天线");
        let c = clean(&zh("第3根据说明书 树根", &[]), "zh", "it");
        assert_eq!(c.listing.title, "第3根据说明书 树根");
    }

    #[test]
    fn horsepower_and_sizes_with_named_sides_are_written_as_read_abroad() {
        // "长47.4×宽49.5×高114厘米" came back "length 47.4×, width 49.5×,
        // height 3.74 ft"; "1.5匹" came back "1.5-Pfote" (paw).
        let l = zh(
            "1.5匹变频空调",
            &["【尺寸】长47.4×宽49.5×高114厘米", "长 60 x 宽 40cm 两匹马"],
        );
        let c = clean(&l, "zh", "en");
        assert_eq!(c.listing.title, "1.5HP变频空调");
        assert_eq!(
            c.listing.bullets,
            ["尺寸：长宽高47.4×49.5×114厘米", "长宽60×40cm 两匹马"]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn a_unit_written_as_one_character_is_spelled_out() {
        // A paint's "35-40㎡" came back "35-40 m²", flagged as a unit the
        // source lacked, and its "7-8㎡/L" lost the "/L" unread.
        let l = zh(
            "乳胶漆 5L",
            &["可涂刷约35-40㎡，涂布率7-8㎡/L", "净重2㎏，长30㎝"],
        );
        let c = clean(&l, "zh", "pl");
        assert_eq!(
            c.listing.bullets,
            ["可涂刷约35-40m²，涂布率7-8m²/L", "净重2kg，长30cm"]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn a_bullets_bracketed_headline_is_followed_by_a_colon() {
        let l = zh(
            "保温杯",
            &[
                "【长效保温】保温12小时，保冷24小时",
                " 【防漏设计：】 倒置不漏水",
                "【赠品】",
                "食品级【304】不锈钢",
                "【】空的",
            ],
        );
        let c = clean(&l, "zh", "en");
        assert_eq!(
            c.listing.bullets,
            vec![
                "长效保温：保温12小时，保冷24小时",
                "防漏设计：倒置不漏水",
                "【赠品】",
                "食品级【304】不锈钢",
                "空的",
            ]
        );
        // Nothing was removed, so nothing is reported.
        assert!(c.warnings.iter().all(|w| !w.field.starts_with("bullets")));
        // A listing in another language is left alone.
        let mut en = l.clone();
        en.language = Some("en".into());
        assert_eq!(clean(&en, "en", "de").listing.bullets, l.bullets);
    }

    #[test]
    fn keyword_pile_titles_lose_promotion_logistics_years_and_repeats() {
        let l = zh(
            "2025年新品 热销 加厚珊瑚绒睡衣 女士 秋冬 家居服 套装 女士 一件代发 顺丰包邮",
            &["【柔软亲肤】加厚珊瑚绒，保暖不掉毛"],
        );
        let c = clean(&l, "zh", "en");
        assert_eq!(c.listing.title, "加厚珊瑚绒睡衣 女士 秋冬 家居服 套装");
        let t = codes(&c, "title").join("\n");
        for w in ["2025年新品", "热销", "一件代发", "顺丰包邮", "女士"] {
            assert!(t.contains(w), "{w} not reported in {t}");
        }
        assert!(t.contains("year used as \"new\"") && t.contains("duplicate keyword"));
        assert!(t.contains("logistics or sales channel") && t.contains("promotion"));
        assert_eq!(c.listing.bullets, vec!["柔软亲肤：加厚珊瑚绒，保暖不掉毛"]);
        assert!(codes(&c, "bullets[0]").is_empty());
        // Longest entry wins: 顺丰包邮 is one removal, not 顺丰 + 包邮.
        assert!(!t.contains("顺丰,") && !t.contains(", 包邮"));
    }

    #[test]
    fn years_that_are_facts_stay() {
        let l = zh(
            "蓝牙耳机 2024款 降噪",
            &["保质期至2026年", "2023年生产", "型号A12024新款"],
        );
        let c = clean(&l, "zh", "en");
        assert_eq!(c.listing.title, "蓝牙耳机 2024款 降噪");
        assert_eq!(c.listing.bullets[0], "保质期至2026年");
        assert_eq!(c.listing.bullets[1], "2023年生产");
        // 12024 is not a year; 新款 alone is still a promotion word.
        assert_eq!(c.listing.bullets[2], "型号A12024");
    }

    #[test]
    fn gifts_move_to_a_bullet_and_gift_words_inside_words_do_not() {
        let l = zh(
            "304不锈钢保温杯 大容量 男女学生 包邮 送杯刷",
            &["保温12小时"],
        );
        let c = clean(&l, "zh", "es");
        assert_eq!(c.listing.title, "304不锈钢保温杯 大容量 男女学生");
        assert_eq!(c.listing.bullets, vec!["保温12小时", "附赠：杯刷"]);
        assert!(
            codes(&c, "title")
                .iter()
                .any(|w| w.starts_with("gift_moved") && w.contains("送杯刷"))
        );
        let l = zh("电动螺丝刀套装【赠2块电池】 送礼佳品 输送带", &[]);
        let c = clean(&l, "zh", "en");
        assert_eq!(c.listing.title, "电动螺丝刀套装 送礼佳品 输送带");
        assert_eq!(c.listing.bullets, vec!["附赠：2块电池"]);
    }

    #[test]
    fn a_sign_or_an_or_more_at_the_edge_of_a_field_is_kept() {
        let c = clean(
            &zh(
                "防晒衣 UPF50+",
                &["-20℃也能正常使用", "适合3岁+", "保温杯 + 包邮", "+5V供电"],
            ),
            "zh",
            "en",
        );
        assert_eq!(c.listing.title, "防晒衣 UPF50+");
        assert_eq!(
            c.listing.bullets,
            vec!["-20℃也能正常使用", "适合3岁+", "保温杯", "+5V供电"]
        );
    }

    #[test]
    fn chinese_sizes_are_kept_and_flagged() {
        let mut l = zh("纯棉T恤 男 宽松 S-5XL", &["儿童款110-160码", "面料：纯棉"]);
        l.attributes = vec![Attribute::new("尺码", "XL"), Attribute::new("颜色", "白色")];
        let c = clean(&l, "zh", "ru");
        assert_eq!(c.listing.title, "纯棉T恤 男 宽松 S-5XL");
        assert!(
            codes(&c, "title")
                .iter()
                .any(|w| w.starts_with("cn_size") && w.contains("S-5XL"))
        );
        assert!(
            codes(&c, "bullets[0]")
                .iter()
                .any(|w| w.contains("110-160码"))
        );
        assert!(codes(&c, "bullets[1]").is_empty());
        // A size word with a size after it is flagged; the word alone is not.
        let l = zh(
            "运动袜",
            &[
                "尺码110-160，按身高选择",
                "均码，适合鞋码39-44",
                "宽松版型，建议按平时尺码选购",
                "均码",
            ],
        );
        let socks = clean(&l, "zh", "en");
        for (i, size) in [
            (0, Some("尺码110-160")),
            (1, Some("鞋码39-44")),
            (2, None),
            (3, None),
        ] {
            let found = codes(&socks, &format!("bullets[{i}]"));
            match size {
                Some(s) => assert!(found.iter().any(|w| w.contains(s)), "{i}: {found:?}"),
                None => assert!(found.is_empty(), "{i}: {found:?}"),
            }
        }
        // A shoe size where the listing states its EU sizes is on the EU
        // chart; outside the stated range, or without one, it is flagged.
        let shoes = zh(
            "跑步鞋 EU39-46",
            &["单只鞋重约260g（42码）", "童鞋30码", "尺码：EU39-46"],
        );
        let shoes = clean(&shoes, "zh", "en");
        assert!(codes(&shoes, "bullets[0]").is_empty());
        assert!(!codes(&shoes, "bullets[1]").is_empty());
        let l = zh("跑步鞋", &["单只鞋重约260g（42码）"]);
        assert!(!codes(&clean(&l, "zh", "en"), "bullets[0]").is_empty());
        let names: Vec<_> = c
            .listing
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, vec!["Размер", "Цвет"]);
        assert_eq!(c.listing.attributes[0].value, "XL");
        assert!(
            codes(&c, "attributes.Размер")
                .iter()
                .any(|w| w.starts_with("cn_size"))
        );
        assert!(codes(&c, "attributes.Цвет").is_empty());
    }

    #[test]
    fn other_sources_and_all_banned_titles_are_left_as_written() {
        let l = Listing {
            title: "Hot sale bottle 包邮".into(),
            ..zh("", &[])
        };
        let c = clean(&l, "en", "de");
        assert_eq!(c.listing.title, l.title);
        assert!(c.warnings.is_empty());
        let c = clean(&zh("爆款 包邮", &["包邮"]), "zh-CN", "en");
        assert_eq!(c.listing.title, "爆款 包邮");
        assert_eq!(c.listing.bullets, vec!["包邮"]);
        assert!(codes(&c, "title")[0].contains("kept as written"));
    }
}
