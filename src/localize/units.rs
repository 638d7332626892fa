//! Units as data: the table in `markets/units.toml` (compiled in) says, for every
//! unit silkroute recognises next to a number, how it is written (symbols, and words
//! per language), what it measures, how it converts and whether it is converted at
//! all (international units such as mAh, W or dB never are). Compound units (ft-lb,
//! psi, sq ft …) are single entries, so they convert whole or not at all.
//!
//! The same file lists the standard-size families (tool, pipe-thread, screen,
//! wheel sizes …) with their context words per language and the reason they stay as
//! written; [`UnitTable::standard_size`] decides for one quantity.
//!
//! Main type: [`UnitTable`] ([`table`] is the built-in one). Numbers are parsed and
//! written here too: [`parse_quantity`] (source text), [`parse_number`] and
//! [`format_number`] (a market's separators), [`round_sensibly`].

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

use super::LocalizeError;
use crate::market::{MeasurementSystem, NumberFormat};

/// The compiled-in unit table.
const BUILTIN: &str = include_str!("../../markets/units.toml");

/// Which system a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitSystem {
    /// Millimetres, kilograms, litres …
    Metric,
    /// Inches, pounds, fluid ounces …
    Imperial,
    /// The same everywhere (mAh, W, V, Hz, dB, lm, K, TPI …): never converted.
    International,
    /// China's market units (斤, half a kilogram): read only in a Chinese
    /// source, converted for every market of another language.
    Chinese,
}

/// One step of a conversion ladder: write `unit` when the largest converted value is
/// below `below` (the last step has no bound).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// Target unit id.
    pub unit: String,
    /// Use this unit while the largest value is below this.
    #[serde(default)]
    pub below: Option<f64>,
}

/// One unit of the table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// The symbol silkroute writes.
    pub id: String,
    /// What it measures (`length`, `torque` …).
    pub dimension: String,
    /// Its system.
    pub system: UnitSystem,
    /// Value of one unit in the dimension's base unit.
    pub factor: f64,
    /// Added after the factor (temperatures).
    #[serde(default)]
    pub offset: f64,
    /// Symbols, kept as written.
    #[serde(default)]
    pub symbols: Vec<String>,
    /// Spelled-out forms per language: singular, plural, then other forms read only.
    #[serde(default)]
    pub words: BTreeMap<String, Vec<String>>,
    /// Spelled-out forms per language that are written (singular, plural) but
    /// never read: the languages added for issue 18, whose words would collide
    /// with English ones or with each other in a source ("2 jam jars" is no
    /// two hours; Malay saat is a second, Turkish saat an hour).
    #[serde(default)]
    pub writes: BTreeMap<String, Vec<String>>,
    /// The symbol written in a language whose own script has one (Russian
    /// `см`, `кг`, `Вт`, as GOST 8.417 and Russian marketplaces write them);
    /// written, never read.
    #[serde(default)]
    pub local: BTreeMap<String, String>,
    /// Symbols match only in this case.
    #[serde(default)]
    pub exact_case: bool,
    /// Units a conversion to metric writes.
    #[serde(default)]
    pub to_metric: Vec<Rung>,
    /// Units a conversion to imperial writes.
    #[serde(default)]
    pub to_imperial: Vec<Rung>,
    /// A converted value keeps the original in brackets.
    #[serde(default)]
    pub show_original: bool,
    /// Written against its number, without a space ("60S", a yarn count).
    #[serde(default)]
    pub glued: bool,
}

impl Unit {
    /// `v` of this unit in the dimension's base unit.
    pub fn to_base(&self, v: f64) -> f64 {
        v * self.factor + self.offset
    }

    /// A base value in this unit.
    pub fn from_base(&self, b: f64) -> f64 {
        (b - self.offset) / self.factor
    }

    /// The unit spelled out in `lang` (singular when `one`), if the table has it
    /// (read and written, or only written).
    pub fn word(&self, lang: &str, one: bool) -> Option<&str> {
        let w = self.words.get(lang).or_else(|| self.writes.get(lang))?;
        let i = usize::from(!one).min(w.len().saturating_sub(1));
        w.get(i).map(String::as_str)
    }

    /// Every name the unit has in `lang` (read and written), in lower case and
    /// without an abbreviation's full stop ("godz." is found in "godzinę",
    /// "Std." in "Std"), for finding the unit in a text.
    pub fn names_in(&self, lang: &str) -> Vec<String> {
        self.words
            .get(lang)
            .into_iter()
            .chain(self.writes.get(lang))
            .flatten()
            .map(|w| w.trim_end_matches('.').to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// The symbol written in `lang`: its own where the table has one, else the id.
    pub fn symbol(&self, lang: &str) -> &str {
        self.local
            .get(lang)
            .map_or(self.id.as_str(), String::as_str)
    }

    /// The conversion ladder towards `target` (empty: not converted).
    pub fn ladder(&self, target: MeasurementSystem) -> &[Rung] {
        match (self.system, target) {
            (UnitSystem::Imperial, MeasurementSystem::Metric) => &self.to_metric,
            (UnitSystem::Metric, MeasurementSystem::Imperial) => &self.to_imperial,
            (UnitSystem::Chinese, MeasurementSystem::Metric) => &self.to_metric,
            (UnitSystem::Chinese, MeasurementSystem::Imperial) => &self.to_imperial,
            _ => &[],
        }
    }

    fn is_temperature(&self) -> bool {
        self.offset != 0.0
    }
}

/// A family of standard sizes that stay as written (see the file's comments).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeFamily {
    /// Id (`tool`, `screen` …).
    pub id: String,
    /// Units whose quantities the family keeps.
    pub units: Vec<String>,
    /// Why these sizes stay as written.
    pub why: String,
    /// Markets of the other system get the converted value in brackets.
    #[serde(default)]
    pub metric_in_brackets: bool,
    /// Context words per language.
    pub words: BTreeMap<String, Vec<String>>,
}

/// A unit symbol that means another unit in some contexts (see the file's
/// comments): `oz` of a bottle's capacity is a fluid ounce.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// The unit as found.
    pub unit: String,
    /// The unit it means where the context words say so.
    pub reads_as: String,
    /// Why.
    pub why: String,
    /// Context words per language that mean `reads_as`.
    pub words: BTreeMap<String, Vec<String>>,
    /// Context words per language that keep `unit` (checked first).
    pub not_words: BTreeMap<String, Vec<String>>,
    /// The ways of writing `unit` it is about (`度`, not `℃`); empty: all.
    #[serde(default)]
    pub forms: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitFile {
    unit: Vec<Unit>,
    #[serde(default)]
    size: Vec<SizeFamily>,
    #[serde(default)]
    reading: Vec<Reading>,
}

/// How a unit was found in text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitMatch<'a> {
    /// The unit.
    pub unit: &'a Unit,
    /// Written as a word ("inches", "Stunden") rather than a symbol.
    pub spelled_out: bool,
}

/// The unit table: units, the ways they are written, and standard-size families.
#[derive(Debug)]
pub struct UnitTable {
    units: Vec<Unit>,
    exact: HashMap<String, (usize, bool)>,
    folded: HashMap<String, (usize, bool)>,
    sizes: Vec<SizeFamily>,
    readings: Vec<Reading>,
    pattern: String,
}

/// The built-in table (`markets/units.toml`).
pub fn table() -> &'static UnitTable {
    static TABLE: LazyLock<UnitTable> = LazyLock::new(|| {
        UnitTable::from_toml(BUILTIN, "builtin:markets/units.toml")
            .expect("markets/units.toml is compiled in and loaded by a unit test")
    });
    &TABLE
}

/// The lookup key of a way of writing a unit: no spaces or dots, lower case unless exact.
fn key(s: &str, exact: bool) -> String {
    let k: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '\u{202f}')
        .collect();
    if exact { k } else { k.to_lowercase() }
}

impl UnitTable {
    /// Parse and check a unit table; errors name the file and the unit.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, LocalizeError> {
        let bad = |field: &str, message: String| LocalizeError::Input {
            file: source_name.to_string(),
            line: 0,
            field: field.to_string(),
            message,
        };
        let f: UnitFile = toml::from_str(text).map_err(|e| bad("", e.to_string()))?;
        let mut exact = HashMap::new();
        let mut folded = HashMap::new();
        let ids: HashMap<&str, usize> = f
            .unit
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i))
            .collect();
        if ids.len() != f.unit.len() {
            return Err(bad("unit.id", "two units share an id".into()));
        }
        for (i, u) in f.unit.iter().enumerate() {
            if !(u.factor.is_finite() && u.factor > 0.0 && u.offset.is_finite()) {
                return Err(bad(&u.id, "factor must be a positive number".into()));
            }
            for r in u.to_metric.iter().chain(&u.to_imperial) {
                let Some(&t) = ids.get(r.unit.as_str()) else {
                    return Err(bad(&u.id, format!("converts to unknown unit `{}`", r.unit)));
                };
                if f.unit[t].dimension != u.dimension {
                    return Err(bad(&u.id, format!("`{}` measures something else", r.unit)));
                }
            }
            let insert = |map: &mut HashMap<String, (usize, bool)>, k: String, word: bool| match map
                .get(&k)
            {
                Some((j, _)) if *j != i => Err(bad(
                    &u.id,
                    format!("`{k}` is also written for `{}`", f.unit[*j].id),
                )),
                _ => {
                    map.insert(k, (i, word));
                    Ok(())
                }
            };
            for s in &u.symbols {
                if u.exact_case {
                    insert(&mut exact, key(s, true), false)?;
                } else {
                    insert(&mut folded, key(s, false), false)?;
                }
            }
            for w in u.words.values().flatten() {
                insert(&mut folded, key(w, false), true)?;
            }
        }
        for s in &f.size {
            if let Some(u) = s.units.iter().find(|u| !ids.contains_key(u.as_str())) {
                return Err(bad(&s.id, format!("unknown unit `{u}`")));
            }
        }
        for r in &f.reading {
            for u in [&r.unit, &r.reads_as] {
                if !ids.contains_key(u.as_str()) {
                    return Err(bad(&r.unit, format!("reading: unknown unit `{u}`")));
                }
            }
        }
        let pattern = Self::build_pattern(&f.unit);
        Ok(Self {
            units: f.unit,
            exact,
            folded,
            sizes: f.size,
            readings: f.reading,
            pattern,
        })
    }

    /// A regex alternation of every way of writing a unit, longest first, with a word
    /// boundary after forms that end in a letter or digit.
    fn build_pattern(units: &[Unit]) -> String {
        let mut forms: Vec<(String, bool)> = Vec::new();
        for u in units {
            for s in &u.symbols {
                forms.push((s.clone(), u.exact_case));
            }
            for w in u.words.values().flatten() {
                forms.push((w.clone(), false));
            }
        }
        let mut alts: Vec<(usize, String)> = forms
            .into_iter()
            .filter_map(|(f, exact)| {
                // A final dot is sentence punctuation as often as an abbreviation's:
                // it stays outside the quantity.
                let f = f.trim_end_matches('.');
                if f.is_empty() {
                    return None;
                }
                let mut re = String::new();
                for c in f.chars() {
                    if c.is_whitespace() {
                        re.push_str(r"[\s\u{a0}]?");
                    } else {
                        re.push_str(&regex::escape(&c.to_string()));
                    }
                }
                if f.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                    re.push_str(r"\b");
                }
                if !exact && f.chars().any(char::is_alphabetic) {
                    re = format!("(?i:{re})");
                }
                Some((f.chars().count(), re))
            })
            .collect();
        alts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        alts.dedup_by(|a, b| a.1 == b.1);
        let body: Vec<String> = alts.into_iter().map(|(_, r)| r).collect();
        format!("(?:{})", body.join("|"))
    }

    /// Every unit.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Every standard-size family.
    pub fn sizes(&self) -> &[SizeFamily] {
        &self.sizes
    }

    /// Whether some unit of the table is written `word` in `lang` (read or
    /// only written: Chinese 度 is an angle's word, 分钟 a minute's; Japanese 分
    /// is no Chinese unit word).
    pub fn written_in(&self, word: &str, lang: &str) -> bool {
        self.units.iter().any(|u| {
            [&u.words, &u.writes]
                .iter()
                .any(|m| m.get(lang).is_some_and(|w| w.iter().any(|x| x == word)))
        })
    }

    /// The unit with this id.
    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// A regex (non-capturing group) matching every way of writing a unit.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The unit written as `token` (`in`, `"`, `lbs`, `fl oz`, `ft-lb`, `Stunden`, `°F`).
    pub fn lookup(&self, token: &str) -> Option<UnitMatch<'_>> {
        let t = token.trim();
        let (i, word) = self
            .exact
            .get(&key(t, true))
            .or_else(|| self.folded.get(&key(t, false)))
            .copied()?;
        Some(UnitMatch {
            unit: &self.units[i],
            spelled_out: word,
        })
    }

    /// Convert `values` (one number, the ends of a range, or dimensions) in `unit` to
    /// the `target` system: all share one output unit, chosen from the largest value
    /// by the unit's ladder. `None` when the unit is not converted for `target`.
    pub fn convert(
        &self,
        values: &[f64],
        unit: &Unit,
        target: MeasurementSystem,
    ) -> Option<(Vec<f64>, &Unit)> {
        let ladder = unit.ladder(target);
        if ladder.is_empty() || values.is_empty() {
            return None;
        }
        let base: Vec<f64> = values.iter().map(|&v| unit.to_base(v)).collect();
        let mut chosen = None;
        for r in ladder {
            let to = self.get(&r.unit)?;
            let out: Vec<f64> = base.iter().map(|&b| to.from_base(b)).collect();
            let max = out.iter().cloned().fold(f64::MIN, f64::max);
            chosen = Some((out, to));
            if r.below.is_some_and(|b| max < b) {
                break;
            }
        }
        chosen
    }

    /// The unit a quantity written in `unit` really is, where a [`Reading`]'s
    /// context words say so: first in `near` (the source text around the
    /// quantity), then in `title`; a word that keeps `unit` ("weighs") wins over
    /// one that reads it otherwise ("bottle") at the same place. `None`: `unit`
    /// as written.
    pub fn reading(
        &self,
        unit: &Unit,
        written: &str,
        near: &str,
        title: &str,
        lang: Option<&str>,
    ) -> Option<&Unit> {
        let words = |m: &BTreeMap<String, Vec<String>>| -> Vec<String> {
            m.iter()
                .filter(|(l, _)| lang.is_none_or(|x| x == *l || *l == "en"))
                .flat_map(|(_, w)| w.iter().cloned())
                .collect()
        };
        let written = written.trim();
        for r in self.readings.iter().filter(|r| {
            r.unit == unit.id && (r.forms.is_empty() || r.forms.iter().any(|f| f == written))
        }) {
            let (yes, no) = (words(&r.words), words(&r.not_words));
            // A word that keeps the unit ends this reading, not the next one
            // ("加热" keeps 度 from an angle, not from a kilowatt-hour).
            for text in [near, title] {
                let hay = text.to_lowercase();
                if no.iter().any(|w| mentions(&hay, w)) {
                    break;
                }
                if yes.iter().any(|w| mentions(&hay, w)) {
                    return self.get(&r.reads_as);
                }
            }
        }
        None
    }

    /// The standard-size family that keeps a quantity in `unit` as written, decided
    /// from the family's context words in `near` (the source text around the
    /// quantity) or, failing that, in `title` (the listing's title). Words of
    /// `lang` and English are used (every language's when `lang` is `None`).
    pub fn standard_size(
        &self,
        unit: &Unit,
        near: &str,
        title: &str,
        lang: Option<&str>,
    ) -> Option<&SizeFamily> {
        let families = || self.sizes.iter().filter(|s| s.units.contains(&unit.id));
        let words = |s: &'_ SizeFamily| -> Vec<String> {
            s.words
                .iter()
                .filter(|(l, _)| lang.is_none_or(|x| x == *l || *l == "en"))
                .flat_map(|(_, w)| w.iter().cloned())
                .collect()
        };
        for text in [near, title] {
            let hay = text.to_lowercase();
            if let Some(f) = families().find(|f| words(f).iter().any(|w| mentions(&hay, w))) {
                return Some(f);
            }
        }
        None
    }
}

/// Whether lower-cased `hay` mentions the context word `w`: at the start of a word in
/// Latin script (a prefix: "socket" finds "sockets"; words of up to three letters
/// only whole, with an optional plural `s`), anywhere in CJK text.
pub(crate) fn mentions(hay: &str, w: &str) -> bool {
    let w = w.to_lowercase();
    if w.is_empty() {
        return false;
    }
    if !w
        .chars()
        .any(|c| c.is_ascii_alphabetic() || c.is_alphabetic() && c < '\u{2e80}')
    {
        return hay.contains(&w);
    }
    let short = w.chars().count() <= 3;
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|h| h.find(&w)) {
        let (s, e) = (from + i, from + i + w.len());
        from = e;
        if hay[..s].ends_with(char::is_alphanumeric) {
            continue;
        }
        let rest = &hay[e..];
        let rest = if short {
            rest.strip_prefix('s').unwrap_or(rest)
        } else {
            ""
        };
        if !rest.starts_with(char::is_alphanumeric) {
            return true;
        }
    }
    false
}

/// Round to three significant figures; temperatures and values of 100 or more to
/// whole numbers.
pub fn round_sensibly(v: f64, unit: &Unit) -> f64 {
    let step = rounding_step(v, unit);
    if step == 0.0 {
        return 0.0;
    }
    (v / step).round() * step
}

/// The step [`round_sensibly`] rounds `v` to (0 for zero or non-finite values).
pub fn rounding_step(v: f64, unit: &Unit) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    if unit.is_temperature() || v.abs() >= 100.0 {
        return 1.0;
    }
    10f64.powi(v.abs().log10().floor() as i32 - 2)
}

/// Write a number with the market's separators: as few decimals as it needs, no
/// trailing zeros, grouping from 10,000 up (`12.500` in German, `1500` stays ungrouped).
pub fn format_number(v: f64, nf: &NumberFormat) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let mut s = format!("{v:.0}");
    for prec in 0..=10 {
        s = format!("{v:.prec$}");
        if s.parse::<f64>()
            .is_ok_and(|p| (p - v).abs() <= v.abs() * 1e-9)
        {
            break;
        }
    }
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    let sign = if int.chars().all(|c| c == '0') && frac.is_empty() {
        ""
    } else {
        sign
    };
    let grouped = if int.len() > 4 {
        group_digits(int, &nf.grouping)
    } else {
        int.to_string()
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{}{frac}", nf.decimal)
    }
}

/// Digits `int` (an integer part, no sign) in groups of three from the right,
/// joined by `sep` (`12500` → `12.500`). The one grouping routine of quantities
/// and prices; each decides from which size it groups.
pub(crate) fn group_digits(int: &str, sep: &str) -> String {
    let n = int.chars().count();
    let mut grouped = String::with_capacity(int.len() + n / 3 * sep.len());
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            grouped.push_str(sep);
        }
        grouped.push(c);
    }
    grouped
}

/// A number as a seller's source text writes it (English conventions: `1,234.5`,
/// `1.234,5`, `1,5`, `12,500`) in plain form (`1234.5`, `1.5`, `12500`): the later
/// of `.` and `,` is the decimal separator, and a lone `,` before exactly three
/// digits groups thousands. The one reading of source numbers, for quantities and
/// prices.
pub(crate) fn plain_source_number(raw: &str) -> String {
    match (raw.rfind(','), raw.rfind('.')) {
        (Some(c), Some(d)) if c > d => raw.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => raw.replace(',', ""),
        (Some(c), None) if raw.len() - c - 1 == 3 => raw.replace(',', ""),
        (Some(_), None) => raw.replace(',', "."),
        _ => raw.to_string(),
    }
}

/// Fractions (`9/16`, `1 1/2`, `1-1/2`) through `plain` for their parts.
fn parse_with(s: &str, plain: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let s = s.trim();
    if let Some((whole, frac)) = s.rsplit_once([' ', '-', '\u{a0}'])
        && frac.contains('/')
        && !whole.is_empty()
    {
        return Some(parse_with(whole, plain)? + parse_with(frac, plain)?);
    }
    if let Some((n, d)) = s.split_once('/') {
        let n: f64 = n.trim().parse().ok()?;
        let d: f64 = d.trim().parse().ok()?;
        return (d != 0.0).then_some(n / d);
    }
    plain(s)
}

/// Parse a source-language quantity: `12`, `1.5`, `1,234.5`, `9/16`, `1 1/2`, `1-1/2`.
/// Source text is read with English conventions (`.` decimal, `,` thousands when
/// followed by exactly three digits, otherwise a decimal comma).
pub fn parse_quantity(s: &str) -> Option<f64> {
    parse_with(s, &|s| plain_source_number(s).parse().ok())
}

/// Parse a number written in a market's format (`1.234,5` in German, `12 500` in
/// French), fractions included.
pub fn parse_number(s: &str, nf: &NumberFormat) -> Option<f64> {
    parse_with(s, &|s| {
        let mut t = s.to_string();
        if !nf.grouping.is_empty() {
            t = t.replace(&nf.grouping, "");
            if nf.grouping.trim().is_empty() {
                t = t.replace(['\u{a0}', '\u{202f}', ' '], "");
            }
        }
        let t = t.replace(&nf.decimal, ".");
        if t.is_empty()
            || !t
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        {
            return None;
        }
        // Grouped digits come in threes after the first group ("1,5" is no US number).
        if !nf.grouping.is_empty() {
            let int = s.split(nf.decimal.as_str()).next().unwrap_or("");
            let groups: Vec<&str> = int
                .split(|c: char| nf.grouping.contains(c) || c == '\u{a0}' || c == '\u{202f}')
                .collect();
            if groups.len() > 1 && groups[1..].iter().any(|g| g.len() != 3) {
                return None;
            }
        }
        t.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketRegistry;
    use proptest::prelude::*;

    fn de() -> NumberFormat {
        NumberFormat {
            decimal: ",".into(),
            grouping: ".".into(),
        }
    }
    fn us() -> NumberFormat {
        NumberFormat {
            decimal: ".".into(),
            grouping: ",".into(),
        }
    }

    fn conv(v: &[f64], u: &str, t: MeasurementSystem) -> String {
        let t_ = table();
        let unit = t_.lookup(u).unwrap_or_else(|| panic!("{u}")).unit;
        let (vals, to) = t_.convert(v, unit, t).unwrap_or_else(|| panic!("{u}"));
        let vals: Vec<String> = vals
            .iter()
            .map(|&x| format_number(round_sensibly(x, to), &us()))
            .collect();
        format!("{} {}", vals.join("-"), to.id)
    }

    #[test]
    fn table_loads_and_lookups_respect_case_and_words() {
        let t = table();
        assert!(t.units().len() > 60);
        let id = |s: &str| t.lookup(s).map(|m| m.unit.id.as_str());
        assert_eq!(id("Inches"), Some("in"));
        assert_eq!(id("\""), Some("in"));
        assert_eq!(id("ft-lb"), Some("ft-lb"));
        assert_eq!(id("lb-ft"), Some("ft-lb"));
        assert_eq!(id("ft. lbs."), Some("ft-lb"));
        assert_eq!(id("sq. ft."), Some("sq ft"));
        assert_eq!(id("Nm"), Some("Nm"));
        assert_eq!(id("nm"), Some("nm"));
        assert_eq!(id("M"), None, "M is not a metre");
        assert_eq!(id("KG"), Some("kg"));
        assert_eq!(id("Stunden"), Some("h"));
        assert_eq!(id("英寸"), Some("in"));
        assert_eq!(id("gkg"), None);
        assert_eq!(id("m-lb"), None);
        assert!(t.lookup("inches").unwrap().spelled_out);
        assert!(!t.lookup("in").unwrap().spelled_out);
        assert_eq!(t.get("h").unwrap().word("de", false), Some("Stunden"));
        assert_eq!(t.get("h").unwrap().word("de", true), Some("Stunde"));
        // Every dimension with a conversion reaches units that exist.
        for u in t.units() {
            for r in u.to_metric.iter().chain(&u.to_imperial) {
                assert!(t.get(&r.unit).is_some(), "{} -> {}", u.id, r.unit);
            }
        }
    }

    #[test]
    fn broken_tables_name_the_unit() {
        let e = UnitTable::from_toml(
            "[[unit]]\nid='a'\ndimension='x'\nsystem='metric'\nfactor=1.0\nto_imperial=[{unit='b'}]\n",
            "u.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("u.toml") && e.contains("`b`"), "{e}");
        let e = UnitTable::from_toml(
            "[[unit]]\nid='a'\ndimension='x'\nsystem='metric'\nfactor=1.0\nsymbols=['q']\n[[unit]]\nid='b'\ndimension='x'\nsystem='metric'\nfactor=2.0\nsymbols=['Q']\n",
            "u.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("also written"), "{e}");
    }

    #[test]
    fn conversion_table_to_metric() {
        use MeasurementSystem::Metric as M;
        let table = [
            (vec![0.25], "\"", "6.35 mm"),
            (vec![0.5625], "in", "14.3 mm"),
            (vec![10.0], "inches", "25.4 cm"),
            (vec![6.0], "ft", "1.83 m"),
            (vec![2.0], "ft", "61 cm"),
            (vec![5.0], "lbs", "2.27 kg"),
            (vec![1.0], "lb", "454 g"),
            (vec![8.0], "oz", "227 g"),
            (vec![24.0], "fl oz", "710 ml"),
            (vec![64.0], "fl oz", "1.89 l"),
            (vec![1.0], "gal", "3.79 l"),
            (vec![350.0], "°F", "177 °C"),
            (vec![32.0], "°F", "0 °C"),
            (vec![10.0, 12.0], "in", "25.4-30.5 cm"),
            (vec![120.0], "ft-lb", "163 Nm"),
            (vec![150.0], "in-lb", "16.9 Nm"),
            (vec![30.0], "psi", "2.07 bar"),
            (vec![15.5], "mph", "24.9 km/h"),
            (vec![200.0], "sq ft", "18.6 m²"),
            (vec![1.7], "cu ft", "48.1 l"),
            (vec![2.0], "lb/ft³", "32 kg/m³"),
            (vec![6.0], "oz/yd²", "203 g/m²"),
            (vec![12000.0], "BTU", "3.52 kW"),
        ];
        for (v, u, want) in table {
            assert_eq!(conv(&v, u, M), want, "{v:?} {u}");
        }
        // International units are never converted.
        for u in ["mAh", "W", "V", "Hz", "dB", "lm", "K", "TPI", "Wh"] {
            let unit = super::table().lookup(u).unwrap().unit;
            assert!(super::table().convert(&[5.0], unit, M).is_none(), "{u}");
            assert!(
                super::table()
                    .convert(&[5.0], unit, MeasurementSystem::Imperial)
                    .is_none()
            );
        }
    }

    #[test]
    fn conversion_table_to_imperial() {
        use MeasurementSystem::Imperial as I;
        let table = [
            (vec![10.0, 12.0], "mm", "0.394-0.472 in"),
            (vec![30.0], "cm", "11.8 in"),
            (vec![2.0], "m", "6.56 ft"),
            (vec![500.0], "g", "1.1 lb"),
            (vec![100.0], "g", "3.53 oz"),
            (vec![2.5], "kg", "5.51 lb"),
            (vec![750.0], "ml", "25.4 fl oz"),
            (vec![5.0], "l", "5.28 qt"),
            (vec![20.0], "l", "5.28 gal"),
            (vec![180.0], "°C", "356 °F"),
            (vec![40.0], "Nm", "29.5 ft-lb"),
            (vec![2.5], "bar", "36.3 psi"),
        ];
        for (v, u, want) in table {
            assert_eq!(conv(&v, u, I), want, "{v:?} {u}");
        }
        let mm = super::table().get("mm").unwrap();
        assert!(
            super::table()
                .convert(&[3.0], mm, MeasurementSystem::Metric)
                .is_none()
        );
    }

    #[test]
    fn ounces_of_a_container_or_a_liquid_are_fluid_ounces() {
        let t = table();
        let oz = t.get("oz").unwrap();
        let read = |near: &str, title: &str, lang| {
            t.reading(oz, "oz", near, title, lang)
                .map(|u| u.id.as_str())
        };
        let en = Some("en");
        assert_eq!(
            read("Water Bottle, ", ", Leak-Proof Lid", en),
            Some("fl oz")
        );
        assert_eq!(read("", "", en), None);
        assert_eq!(read("Capacity: ", "", en), Some("fl oz"));
        assert_eq!(
            read("Weighs only ", "", en),
            None,
            "a weight in a bottle's listing"
        );
        assert_eq!(read("", "", en), None);
        assert_eq!(read("Net wt ", "Coffee beans", en), None);
        assert_eq!(read("", "Travel mug with lid", en), Some("fl oz"));
        assert_eq!(read("Steak, ", " cut", en), None, "meat is weighed");
        assert_eq!(
            read("Waterproof hiking boots, ", "", en),
            None,
            "not a liquid"
        );
        assert_eq!(read("Heavy-duty water bottle, ", "", en), Some("fl oz"));
        assert_eq!(read("容量", "", Some("zh")), Some("fl oz"));
        // Either way, a fluid ounce written as such is one already.
        assert_eq!(
            t.reading(t.get("fl oz").unwrap(), "fl oz", "Bottle", "", en),
            None
        );
    }

    #[test]
    fn standard_sizes_are_decided_from_context() {
        let t = table();
        let inch = t.get("in").unwrap();
        let fam = |near: &str, title: &str, lang| {
            t.standard_size(inch, near, title, lang)
                .map(|f| f.id.as_str())
        };
        assert_eq!(
            fam("Deep Socket Set, ", " to 1-9/16", Some("en")),
            Some("tool")
        );
        assert_eq!(fam(" Drive Ratchet", "", Some("en")), Some("tool"));
        assert_eq!(fam("Smart ", " TV with HDR", Some("en")), Some("screen"));
        assert_eq!(fam("", " x 2.1 tires", Some("en")), Some("wheel"));
        assert_eq!(fam("外径", "英寸电视", Some("zh")), Some("screen"));
        // A scooter's "10寸充气胎" (pneumatic tyres) came back in French "pneus
        // 25,4 cm" before 胎 and 滑板车 were words of the family.
        assert_eq!(
            fam("成人 350W ", "寸充气胎 可折叠", Some("zh")),
            Some("wheel")
        );
        assert_eq!(fam("", "", Some("zh")), None);
        // A laptop bag's "电脑包 15.6英寸" came back in Vietnamese "39,6 cm" alone.
        assert_eq!(fam("双肩包 电脑包 ", " 防水", Some("zh")), Some("screen"));
        // A watch's or a phone's display, as Chinese titles write it ("1.43英寸AMOLED屏",
        // converted to "36,3 mm" in Italian before 屏 and AMOLED were words of the
        // family).
        assert_eq!(fam("", "AMOLED屏", Some("zh")), Some("screen"));
        assert_eq!(fam("【", "大屏】", Some("zh")), Some("screen"));
        assert_eq!(fam("", "", Some("zh")), None);
        assert_eq!(fam("屏幕尺寸 ", "", Some("zh")), Some("screen"));
        assert_eq!(fam("", " AMOLED display", Some("en")), Some("screen"));
        assert_eq!(fam("智能手表 ", "", Some("zh")), Some("screen"));
        assert_eq!(fam("", " smartwatch", Some("en")), Some("screen"));
        assert_eq!(
            fam("Anschluss ", " Gewinde", Some("de")),
            Some("pipe_thread")
        );
        // A pump's ports ("1英寸接口" came back "25.4 mm ports" for Temu UK).
        assert_eq!(fam("流量3.5m³/h ", "接口", Some("zh")), Some("pipe_thread"));
        assert_eq!(
            fam("", " inlet and outlet", Some("en")),
            Some("pipe_thread")
        );
        assert_eq!(fam("Cutting board, ", " long", Some("en")), None);
        // The title decides when the text around the number does not.
        assert_eq!(fam("Ranges from ", "", None), None);
        assert_eq!(
            fam("Ranges from ", "40-Piece Socket Set", None),
            Some("tool")
        );
        // Short context words are whole words: "rad" is not "radius".
        assert!(!mentions("radius", "rad"));
        assert!(mentions("sockets", "socket"));
        assert!(mentions("tvs", "tv"));
        assert!(!mentions("tvx", "tv"));
    }

    #[test]
    fn numbers_parse_and_format() {
        assert_eq!(parse_quantity("9/16"), Some(0.5625));
        assert_eq!(parse_quantity("1 1/2"), Some(1.5));
        assert_eq!(parse_quantity("1-1/2"), Some(1.5));
        assert_eq!(parse_quantity("1,234.5"), Some(1234.5));
        assert_eq!(parse_quantity("1,500"), Some(1500.0));
        assert_eq!(parse_quantity("1,5"), Some(1.5));
        assert_eq!(
            parse_quantity("1.234,5"),
            Some(1234.5),
            "a decimal comma last"
        );
        assert_eq!(parse_quantity("1,234,567"), Some(1_234_567.0));
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(group_digits("1234567", "."), "1.234.567");
        assert_eq!(group_digits("123", "."), "123");
        assert_eq!(group_digits("1234", ""), "1234");
        assert_eq!(format_number(14.3, &de()), "14,3");
        assert_eq!(format_number(12500.0, &de()), "12.500");
        assert_eq!(format_number(1500.0, &de()), "1500");
        assert_eq!(format_number(2.0, &us()), "2");
        assert_eq!(format_number(0.00394, &us()), "0.00394");
        assert_eq!(parse_number("12.500", &de()), Some(12500.0));
        assert_eq!(parse_number("1.234,5", &de()), Some(1234.5));
        assert_eq!(parse_number("9/16", &de()), Some(0.5625));
        assert_eq!(parse_number("1,5", &us()), None);
    }

    proptest! {
        /// Every unit that converts: converted, rounded and written in every
        /// market's number format, it parses back to the rounded value, and
        /// converting that back lands on the original within the rounding.
        #[test]
        fn every_unit_converts_formats_and_parses_back(
            v in 0.01f64..200_000.0,
            pick in any::<prop::sample::Index>(),
        ) {
            let t = table();
            let reg = MarketRegistry::builtin().unwrap();
            let units: Vec<&Unit> = t
                .units()
                .iter()
                .filter(|u| !u.to_metric.is_empty() || !u.to_imperial.is_empty())
                .collect();
            let u = units[pick.index(units.len())];
            for target in [MeasurementSystem::Metric, MeasurementSystem::Imperial] {
                let Some((out, to)) = t.convert(&[v], u, target) else { continue };
                let rounded = round_sensibly(out[0], to);
                for p in reg.iter() {
                    let nf = &p.number_format;
                    let s = format_number(rounded, nf);
                    let back = parse_number(&s, nf);
                    prop_assert!(
                        back.is_some_and(|b| (b - rounded).abs() <= rounded.abs() * 1e-9 + 1e-12),
                        "{v} {} -> {s} {} in {} parsed {back:?}", u.id, to.id, p.id
                    );
                }
                let again = u.from_base(to.to_base(rounded));
                let tol = rounding_step(out[0], to) / 2.0 * to.factor / u.factor;
                prop_assert!(
                    (again - v).abs() <= tol * (1.0 + 1e-6) + 1e-9,
                    "{v} {} -> {rounded} {} -> {again}", u.id, to.id
                );
            }
        }
    }

    #[test]
    fn every_unit_is_covered_by_the_property_test_range() {
        // Each converting unit has a ladder per direction it converts in, and each
        // builtin market writes its numbers in a format parse_number reads.
        let reg = MarketRegistry::builtin().unwrap();
        for u in table().units() {
            for target in [MeasurementSystem::Metric, MeasurementSystem::Imperial] {
                if let Some((out, to)) = table().convert(&[1.0], u, target) {
                    for p in reg.iter() {
                        let s = format_number(round_sensibly(out[0], to), &p.number_format);
                        assert!(parse_number(&s, &p.number_format).is_some(), "{} {s}", u.id);
                    }
                }
            }
        }
    }
}
