//! A count of pieces written as a count of sets or packs, for the
//! `pieces_as_sets` check: a tool kit's "108件套" (a set of 108 pieces) came back
//! in Spanish "con 108 paquetes" (108 packages), a knife block's "7件套" in
//! German "Messerset, 7 Set" (seven sets). The number is the source's, and the
//! buyer expects 108 packs.
//!
//! Read where the source counts pieces (a number before 件, 件套, 节, 颗, 粒, "pcs",
//! "pieces", "-piece"; not 个 or 只, measure words of any noun: "2个收纳盒"
//! is two storage boxes): a translation that writes that number right
//! before a word for sets, packs or boxes of its language is flagged, unless
//! the source also counts that number in sets, packs or boxes (套, 包, 盒,
//! 袋, 组, 装, "sets", "packs").

use std::sync::LazyLock;

use regex::Regex;

use crate::script;

/// A number of a Chinese or English source and the count word after it.
static SOURCE_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d{1,4})\s*(?:-\s*)?(件套|件装|件|节|颗|粒|片装|片|支装|支|个装|个|只装|只|套|包|盒|袋|组|装|pcs\b|pc\b|pieces?\b|sets?\b|packs?\b|boxes\b|box\b|kits?\b)")
        .expect("static regex")
});

/// Count words of a source that count pieces; the others count sets, packs
/// or boxes.
/// (个, 只, 支 and 片 are measure words of any noun: "2个收纳盒" is two storage
/// boxes. 节, 颗 and 粒 count batteries, sections, beads and tablets, never
/// boxes.)
const PIECE_WORDS: [&str; 9] = [
    "件套", "件", "节", "颗", "粒", "pcs", "pc", "piece", "pieces",
];

/// Per target language, words for sets, packs and boxes (lower case) that
/// must not follow a count of pieces.
#[rustfmt::skip]
const SET_WORDS: &[(&str, &[&str])] = &[
    ("en", &["sets", "packs", "packages", "boxes", "kits"]),
    ("de", &["set", "sets", "packungen", "packs", "pakete", "packung", "kartons"]),
    ("fr", &["sets", "ensembles", "ensemble", "paquets", "paquet", "lots", "boîtes", "coffrets"]),
    ("es", &["juegos", "sets", "paquetes", "paquete", "conjuntos", "conjunto", "cajas", "kits", "packs"]),
    ("it", &["set", "confezioni", "confezione", "pacchi", "pacco", "kit", "scatole"]),
    ("pt", &["conjuntos", "conjunto", "jogos", "pacotes", "pacote", "kits", "caixas"]),
    ("nl", &["sets", "pakken", "pakketten", "verpakkingen", "dozen"]),
    ("pl", &["zestawy", "zestawów", "opakowania", "opakowań", "paczki", "paczek", "pudełek"]),
    ("ru", &["набора", "наборов", "упаковки", "упаковок", "комплекта", "комплектов", "коробок"]),
    ("tr", &["set", "paket", "kutu"]),
    ("id", &["set", "paket", "pak", "kotak", "bungkus"]),
    ("ms", &["set", "paket", "pek", "kotak", "bungkus"]),
    ("vi", &["bộ", "gói", "hộp"]),
    ("th", &["ชุด", "แพ็ค", "กล่อง"]),
    ("ar", &["مجموعات", "عبوات", "علب", "أطقم"]),
    ("ja", &["セット", "パック", "箱"]),
    ("ko", &["세트", "팩", "박스", "상자"]),
];

/// The numbers `source` counts in pieces and never in sets, packs or boxes.
fn piece_counts(source: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut sets: Vec<String> = Vec::new();
    for c in SOURCE_COUNT.captures_iter(source) {
        let (Some(m), Some(n), Some(w)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        // Not the end of a longer number or code ("A108件").
        if source[..m.start()].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '.') {
            continue;
        }
        let w = w.as_str().to_lowercase();
        let n = n.as_str().to_string();
        if PIECE_WORDS.contains(&w.as_str()) {
            pieces.push(n);
        } else {
            sets.push(n);
        }
    }
    pieces.retain(|n| !sets.contains(n));
    pieces.dedup();
    pieces
}

/// The places where `output` (in `lang`) writes one of `source`'s counts of
/// pieces as a count of sets, packs or boxes ("108 paquetes").
pub fn as_sets(source: &str, output: &str, lang: &str) -> Vec<String> {
    let Some((_, words)) = SET_WORDS.iter().find(|(l, _)| *l == lang) else {
        return Vec::new();
    };
    let counts = piece_counts(source);
    if counts.is_empty() {
        return Vec::new();
    }
    let lower = output.to_lowercase();
    let mut found = Vec::new();
    for n in &counts {
        for (i, _) in lower.match_indices(n.as_str()) {
            let before = &lower[..i];
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == ',') {
                continue;
            }
            let rest = &lower[i + n.len()..];
            if rest.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == ',') {
                continue;
            }
            let rest = rest.trim_start_matches([' ', '\u{a0}', '-']);
            let hit = words.iter().find(|w| {
                rest.starts_with(**w)
                    && (!w.chars().next().is_some_and(|c| {
                        c.is_alphabetic()
                            && !script::is_cjk(c)
                            && !('\u{0E00}'..='\u{0E7F}').contains(&c)
                    }) || !rest[w.len()..].starts_with(char::is_alphanumeric))
            });
            if let Some(w) = hit {
                let q = format!("{n} {w}");
                if !found.contains(&q) {
                    found.push(q);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_pieces_written_as_sets_is_read() {
        assert_eq!(
            as_sets(
                "工匠 家用工具箱套装 108件套 铬钒钢",
                "Paquete de herramientas, con 108 paquetes",
                "es"
            ),
            ["108 paquetes"]
        );
        assert_eq!(
            as_sets("刀工 厨房刀具套装 7件套", "Messerset, 7 Set", "de"),
            ["7 set"]
        );
        // Batteries counted with 节 came back in Thai as three sets.
        assert_eq!(
            as_sets("插电+3节D号电池", "สาย+ 3 ชุดแบตเตอรี่ D", "th"),
            ["3 ชุด"]
        );
        // A singular after the number, as the model writes it ("108 paquete").
        assert_eq!(
            as_sets("108件套", "108 paquete, satisfactorio", "es"),
            ["108 paquete"]
        );
        assert_eq!(
            as_sets("12 pcs makeup brushes", "12 juegos de brochas", "es").len(),
            1
        );
        // Right: pieces as pieces; a source that counts sets or packs too.
        for (src, out, lang) in [
            ("108件套", "Juego de herramientas de 108 piezas", "es"),
            ("7件套", "7-teiliges Messerset", "de"),
            ("3套共108件", "3 juegos, 108 piezas", "es"),
            ("2件装", "2 paquetes", "es"),
            ("5pcs", "Set of 5", "en"),
            ("7件套", "7点セット", "ja"),
            ("108件套", "108 piece set", "en"),
            ("A108件", "108 sets", "en"),
            ("3节AAA电池", "3 pilas AAA", "es"),
        ] {
            assert!(as_sets(src, out, lang).is_empty(), "{src} => {out}");
        }
    }

    #[test]
    #[ignore]
    fn measure_pieces_as_sets() {
        // The precision of `pieces_as_sets` on good translations whose source
        // counts pieces.
        crate::localize::eval::print_precision(
            |a| !piece_counts(a).is_empty(),
            |_, tl, a, b| {
                let f = as_sets(a, b, tl);
                (!f.is_empty()).then(|| format!("{f:?}"))
            },
        );
    }
}
