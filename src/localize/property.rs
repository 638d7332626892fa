//! A quantity given as a property its unit does not measure, for the
//! `property_mismatch` check: a camping chair's "重约1.8kg，收纳后仅40×15×12cm"
//! (weighs about 1.8 kg, packed only 40×15×12 cm) came back "weighs only
//! 40×15×12 cm when packed", and a robot vacuum's "2600mAh电池，续航约120分钟"
//! came back in Portuguese "duração aproximada de 2600mAh" (a running time of
//! 2600 mAh). Every number and unit is still there, and the buyer reads a
//! size as a weight.
//!
//! Four properties are read, in every target language: a weight, which no
//! length, volume, time, charge, power, voltage, temperature, area, speed or
//! data size gives, and a running time (battery life, autonomy), which no
//! mass, volume, charge, power, voltage, temperature, area or data size gives
//! (a distance is a range: "autonomía de 25 km"), and a length, which no
//! (nor a diameter, thickness or width) mass, volume, time, charge, power,
//! voltage, temperature, area, speed or data size gives (a fishing rod's
//! "2.7米竿长仅重98g" came back in Portuguese "2,7 metros com comprimento
//! mínimo de 98 g", a length of 98 g), and a temperature, which no
//! quantity of those kinds gives (a tyre inflator's size came back in Thai
//! "อุณหภูมิประมาณ 16×7×5 cm", a temperature of about 16×7×5 cm; a colour
//! temperature in kelvin is one). The quantity read is the first one
//! after the property's word in its clause, within a few words.

use std::sync::LazyLock;

use regex::Regex;

use super::units;
use crate::script;

/// A property: its name in a finding, the dimensions that contradict it, and
/// its words per language, lower case. A word ending in `*` may go on
/// ("weigh*": weighs, weight); the others stand whole.
struct Property {
    name: &'static str,
    contradicts: &'static [&'static str],
    words: &'static [(&'static str, &'static [&'static str])],
}

#[rustfmt::skip]
const PROPERTIES: &[Property] = &[
    Property {
        name: "weight",
        contradicts: &["length", "volume", "time", "charge", "power", "voltage", "temperature", "area", "speed", "data", "energy", "colour_temperature", "current", "frequency", "sound", "luminous_flux", "pressure", "flow", "torque"],
        words: &[
            ("en", &["weigh*"]),
            ("de", &["gewicht*", "wiegt", "wiegen"]),
            ("fr", &["poids", "pèse", "pesant"]),
            ("es", &["peso", "pesa", "pesan"]),
            ("it", &["peso", "pesa", "pesano"]),
            ("pt", &["peso", "pesa", "pesam"]),
            ("nl", &["gewicht", "weegt", "wegen"]),
            ("pl", &["waga", "wagi", "wagę", "waży", "ważą"]),
            ("ru", &["вес", "веса", "весом", "весит", "весят"]),
            ("tr", &["ağırlık*", "ağırlığı*"]),
            ("id", &["berat", "beratnya"]),
            ("ms", &["berat", "beratnya"]),
            ("vi", &["cân nặng", "trọng lượng", "nặng"]),
            ("th", &["น้ำหนัก"]),
            ("ar", &["وزن", "الوزن", "يزن", "بوزن"]),
            ("ja", &["重さ", "重量"]),
            ("ko", &["무게", "중량"]),
            ("zh", &["重量", "净重"]),
        ],
    },
    Property {
        name: "running time",
        contradicts: &["mass", "volume", "charge", "power", "voltage", "temperature", "area", "data", "colour_temperature", "current", "frequency", "sound", "luminous_flux", "pressure", "flow", "torque"],
        words: &[
            ("en", &["runtime", "run time", "battery life", "playtime", "play time", "working time"]),
            ("de", &["laufzeit", "akkulaufzeit", "betriebszeit", "spielzeit", "betriebsdauer"]),
            ("fr", &["autonomie", "durée"]),
            ("es", &["autonomía", "duración"]),
            ("it", &["autonomia", "durata"]),
            ("pt", &["autonomia", "duração"]),
            ("nl", &["looptijd", "gebruiksduur", "speelduur", "accuduur"]),
            ("pl", &["czas pracy", "czas działania"]),
            ("ru", &["время работы", "автономн*"]),
            ("tr", &["çalışma süresi", "kullanım süresi", "pil ömrü"]),
            ("id", &["daya tahan baterai", "masa pakai"]),
            ("ms", &["hayat bateri", "masa penggunaan"]),
            ("vi", &["thời lượng", "thời gian sử dụng"]),
            ("th", &["ระยะเวลาใช้งาน"]),
            ("ar", &["مدة التشغيل", "عمر البطارية"]),
            ("ja", &["駆動時間", "連続使用時間", "再生時間"]),
            ("ko", &["사용 시간", "재생 시간", "작동 시간"]),
            ("zh", &["续航", "使用时间"]),
        ],
    },
    Property {
        name: "length",
        contradicts: &["mass", "volume", "time", "charge", "power", "voltage", "temperature", "area", "speed", "data", "energy", "colour_temperature", "current", "frequency", "sound", "luminous_flux", "pressure", "flow", "torque"],
        words: &[
            ("en", &["length", "diameter", "thickness", "width"]),
            ("de", &["länge", "gesamtlänge", "kabellänge", "durchmesser", "dicke", "breite"]),
            ("fr", &["longueur", "diamètre", "épaisseur", "largeur"]),
            ("es", &["longitud", "diámetro", "grosor", "espesor", "anchura"]),
            ("it", &["lunghezza", "diametro", "spessore", "larghezza"]),
            ("pt", &["comprimento", "diâmetro", "espessura", "largura"]),
            ("nl", &["lengte", "diameter", "dikte", "breedte"]),
            ("pl", &["długość", "długości", "średnica", "średnicy", "grubość", "szerokość"]),
            ("ru", &["длина", "длиной", "длины", "диаметр*", "толщин*", "ширин*"]),
            ("tr", &["uzunluk*", "uzunluğu*", "çap*", "kalınlı*", "genişli*"]),
            ("id", &["panjang", "diameter", "ketebalan"]),
            ("ms", &["panjang", "diameter", "ketebalan"]),
            ("vi", &["chiều dài", "đường kính", "độ dày", "chiều rộng"]),
            ("th", &["ความยาว", "เส้นผ่านศูนย์กลาง", "ความหนา", "ความกว้าง"]),
            ("ar", &["طول", "بطول", "الطول", "قطر", "بقطر", "سماكة", "سمك"]),
            ("ja", &["長さ", "全長", "直径", "厚さ"]),
            ("ko", &["길이", "지름", "직경", "두께"]),
            ("zh", &["长度", "全长", "直径", "厚度"]),
        ],
    },
    Property {
        name: "temperature",
        contradicts: &["mass", "length", "volume", "time", "charge", "power", "voltage", "area", "speed", "data", "energy", "current", "frequency", "sound", "luminous_flux", "pressure", "flow", "torque"],
        words: &[
            ("en", &["temperature*"]),
            ("de", &["temperatur*"]),
            ("fr", &["température*"]),
            ("es", &["temperatura*"]),
            ("it", &["temperatura*", "temperature"]),
            ("pt", &["temperatura*"]),
            ("nl", &["temperatuur*"]),
            ("pl", &["temperatur*"]),
            ("ru", &["температур*"]),
            ("tr", &["sıcaklı*"]),
            ("id", &["suhu"]),
            ("ms", &["suhu"]),
            ("vi", &["nhiệt độ"]),
            ("th", &["อุณหภูมิ"]),
            ("ar", &["درجة الحرارة", "حرارة"]),
            ("ja", &["温度"]),
            ("ko", &["온도"]),
            ("zh", &["温度"]),
        ],
    },
];

/// A number, or dimensions ("40×15×12") or a range ("3000-6500"), and what
/// follows it.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d+(?:[.,]\d+)?(?:\s*[×xX*\-–~]\s*\d+(?:[.,]\d+)?)*").expect("static regex")
});

/// How far after a property's word its quantity may stand, in characters.
const WINDOW: usize = 32;

/// Whether `c` ends a clause: the quantity after it is another property's.
fn clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | '('
            | ')'
            | '|'
            | '\n'
            | '，'
            | '。'
            | '；'
            | '、'
            | '（'
            | '）'
            | '/'
            | '+'
            | '&'
            | '،'
    )
}

/// Whether `w` is written in letters of a script that spaces its words.
fn spaced(w: &str) -> bool {
    w.chars().next().is_some_and(|c| {
        c.is_alphabetic()
            && !script::is_cjk(c)
            && !script::is_hangul(c)
            && !('\u{0E00}'..='\u{0E7F}').contains(&c)
    })
}

/// Where each word of `words` stands in `lower`, as the end of the word.
fn word_ends(lower: &str, words: &[&str]) -> Vec<usize> {
    let mut ends = Vec::new();
    for w in words {
        let (stem, open) = match w.strip_suffix('*') {
            Some(s) => (s, true),
            None => (*w, false),
        };
        let letter = |c: char| c.is_alphabetic() && !script::is_cjk(c);
        for (i, _) in lower.match_indices(stem) {
            let mut end = i + stem.len();
            if spaced(stem) {
                // Nor the end of a compound ("waist-length hair").
                if lower[..i].ends_with(letter) || lower[..i].ends_with('-') {
                    continue;
                }
                if open {
                    end += lower[end..]
                        .find(|c: char| !letter(c))
                        .unwrap_or(lower.len() - end);
                } else if lower[end..].starts_with(letter) {
                    continue;
                }
            }
            ends.push(end);
        }
    }
    ends
}

/// The unit after a number, looked up in the unit table: a symbol glued or
/// after a space ("40×15×12 cm", "2600mAh").
pub(super) fn unit_after(rest: &str) -> Option<&'static units::Unit> {
    let rest = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let token: String = rest
        .chars()
        .take_while(|c| c.is_alphabetic() && !script::is_cjk(*c) || "°℃℉%²³·".contains(*c))
        .collect();
    if token.is_empty() {
        return None;
    }
    let table = units::table();
    table.lookup(&token).map(|m| m.unit).or_else(|| {
        // A symbol of a language's own script (Russian "см", "кг").
        table
            .units()
            .iter()
            .find(|u| u.local.values().any(|l| l.to_lowercase() == token))
    })
}

/// The quantities of `output` (in `lang`) given as a property their unit does
/// not measure: each as the property's name and the quantity ("weight:
/// 40×15×12 cm").
pub fn mismatched(output: &str, lang: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (p, unit, q) in read(output, lang) {
        if p.contradicts.contains(&unit.dimension.as_str()) {
            let q = format!("{}: {q}", p.name);
            if !found.contains(&q) {
                found.push(q);
            }
        }
    }
    found
}

/// Each property's word of `output` with the quantity after it: the
/// property, the quantity's unit, and the quantity as written.
fn read(output: &str, lang: &str) -> Vec<(&'static Property, &'static units::Unit, String)> {
    let lower = output.to_lowercase();
    let mut found = Vec::new();
    for p in PROPERTIES {
        let Some((_, words)) = p.words.iter().find(|(l, _)| *l == lang) else {
            continue;
        };
        for end in word_ends(&lower, words) {
            let window: String = lower[end..].chars().take(WINDOW).collect();
            let mut window = match window.find(clause_break) {
                Some(b) => &window[..b],
                None => window.as_str(),
            };
            // Chinese and Japanese part a title with spaces: a space before
            // the next word ends the clause ("温度传感器 传输距离300m", a
            // temperature sensor, then a range of 300 m).
            if matches!(lang, "zh" | "ja")
                && let Some((b, _)) =
                    window
                        .char_indices()
                        .zip(window.chars().skip(1))
                        .find_map(|((i, c), next)| {
                            (c.is_whitespace() && script::is_cjk(next)).then_some((i, c))
                        })
            {
                window = &window[..b];
            }
            let Some(m) = NUMBER.find(window) else {
                continue;
            };
            // The unit as written, where lower case kept every offset: a
            // symbol's case tells units apart ("K", kelvin; "k" is none).
            let at = end + m.end();
            let rest = if lower.len() == output.len() {
                output.get(at..end + window.len())
            } else {
                None
            }
            .unwrap_or(&window[m.end()..]);
            let Some(unit) = unit_after(rest) else {
                continue;
            };
            found.push((p, unit, window[m.start()..].trim_end().to_string()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_given_as_a_weight_is_read() {
        // The camping chair and the robot vacuum of the module's doc.
        assert_eq!(
            mismatched(
                "Weight: approx. 1.8 kg, weighs only 40×15×12 cm when packed",
                "en"
            )
            .len(),
            1
        );
        assert_eq!(
            mismatched("Bateria, duração aproximada de 2600mAh", "pt"),
            ["running time: 2600mah"]
        );
        // Right: each property with its own unit, a range as a running time,
        // another clause's quantity.
        for (text, lang) in [
            ("Weight: approx. 1.8 kg, packed only 40×15×12 cm", "en"),
            ("Gewicht 1,8 kg", "de"),
            ("Autonomía de 25 km", "es"),
            ("Autonomie d'environ 90 min", "fr"),
            ("Lightweight, 40 cm long", "en"),
            ("重量約1.8kg、収納時40×15×12cm", "ja"),
            ("Вес 1,8 кг", "ru"),
            ("Batterie 2600 mAh, autonomie 120 min", "fr"),
            ("весь день 10 ч", "ru"),
        ] {
            assert!(mismatched(text, lang).is_empty(), "{text}");
        }
        assert_eq!(mismatched("重量約40cm", "ja").len(), 1);
        // An abbreviation's full stop ends nothing: "peso aprox. 120 minutos".
        assert_eq!(
            mismatched("Bateria, peso aprox. 120 minutos", "pt"),
            ["weight: 120 minutos"]
        );
        assert_eq!(mismatched("Вес 40 см", "ru").len(), 1);
        // A temperature given as a size (a tyre inflator's in Thai); a
        // temperature, a colour temperature, and a sensor's part of a
        // Chinese title that ends before the next part's range.
        assert_eq!(
            mismatched("ปั๊มลม LED อุณหภูมิประมาณ 16×7×5 cm", "th"),
            ["temperature: 16×7×5 cm"]
        );
        for (text, lang) in [
            ("Temperatura de trabajo: -20 °C a 70 °C", "es"),
            ("Farbtemperatur 3000 K", "de"),
            ("双向对讲 温度传感器 传输距离300m", "zh"),
        ] {
            assert!(mismatched(text, lang).is_empty(), "{text}");
        }
        // A length given in grams; and lengths given as lengths.
        assert_eq!(
            mismatched("2,7 metros com comprimento mínimo de 98 g", "pt"),
            ["length: 98 g"]
        );
        // A ceiling lamp's diameter given as a colour temperature.
        assert_eq!(
            mismatched("เส้นผ่านศูนย์กลางของ Lamp เป็น 3000-6500K", "th").len(),
            1
        );
        for (text, lang) in [
            ("Comprimento fechado de 1,1 metros", "pt"),
            ("Kabellänge 1,5 m", "de"),
            ("Length: 40-160 cm, weight 380 g", "en"),
            ("длина 2,7 м, вес 98 г", "ru"),
            ("Dries waist-length hair in 3 minutes", "en"),
            ("Diamètre 42 mm, épaisseur 10 mm", "fr"),
        ] {
            assert!(mismatched(text, lang).is_empty(), "{text}");
        }
    }

    #[test]
    fn the_check_reads_the_translation_not_the_sellers_own_wording() {
        use crate::localize::checks::CheckOptions;
        use crate::localize::spans::{ProtectRules, protect};
        let codes = |src: &str, out: &str, tl| {
            let rules = ProtectRules {
                language: Some(tl),
                source_language: Some("zh"),
                ..Default::default()
            };
            let p = protect(src, &rules);
            let out = out.replace("{A}", "{1}").replace("{B}", "{2}");
            let (_, f) = crate::localize::pipeline::check_output(
                &p,
                &out,
                "bullet",
                "zh",
                tl,
                &CheckOptions::default(),
            );
            f.iter().map(|x| x.code).collect::<Vec<_>>()
        };
        assert!(
            codes(
                "2600mAh电池，续航120分钟",
                "Bateria, duração de {A}, {B}",
                "pt"
            )
            .contains(&"property_mismatch")
        );
        // The seller's own "续航 5000mAh" is translated as it is.
        assert!(!codes("超长续航5000mAh", "Autonomia de {A}", "pt").contains(&"property_mismatch"));
    }

    #[test]
    #[ignore]
    fn measure_property_mismatch() {
        // The precision of `property_mismatch` on good translations.
        // How many good translations give a property a quantity at all.
        let n = crate::localize::eval::dev_reference_pairs()
            .iter()
            .filter(|(_, t, _, b)| !read(b, t).is_empty())
            .count();
        let b = crate::localize::retrieval::tests::builtin_pairs()
            .iter()
            .filter(|p| !read(&p.target, &p.target_lang).is_empty())
            .count();
        println!("with a property's quantity: dev references {n}, bank pairs {b}");
        crate::localize::eval::print_precision(
            |_| true,
            |_, tl, _, b| {
                let m = mismatched(b, tl);
                (!m.is_empty()).then(|| format!("{m:?}"))
            },
        );
    }
}
