//! Certifications, test standards and health claims a text names, for the
//! `claim_added` check: a blood pressure monitor's 电子血压计 (electronic
//! blood pressure monitor) came back in Spanish "Medidor de presión arterial
//! electrocardiográfico (ECG)", a function the device does not have. A mark
//! or rating the seller never claimed (CE, FDA, IPX7, BPA-free) is a claim the
//! seller answers for on the market, and every number is still there.
//!
//! A translation names one by its acronym, as marketplaces write it, in
//! capitals at word boundaries ("CE", "IPX7"; an ingress rating by its exact
//! code, so IP67 for IPX7 is another). A source names it by the acronym in
//! any case, or by a native form (心电 for ECG, 双酚A for BPA).

use std::sync::LazyLock;

use regex::Regex;

/// Each claim's name (as the finding gives it), the acronyms that write it in
/// a translation, and the forms that name it in a source (lower case,
/// anywhere).
#[rustfmt::skip]
const TABLE: &[(&str, &[&str], &[&str])] = &[
    ("CE", &["CE"], &["ce"]),
    ("FCC", &["FCC"], &["fcc"]),
    ("FDA", &["FDA"], &["fda", "食品药品监督", "食品藥品監督"]),
    ("RoHS", &["RoHS", "ROHS"], &["rohs"]),
    ("UL", &["UL"], &["ul"]),
    ("ETL", &["ETL"], &["etl"]),
    ("GS", &["GS"], &["gs"]),
    ("TÜV", &["TÜV", "TUV"], &["tüv", "tuv", "莱茵", "萊茵"]),
    ("ECG", &["ECG", "EKG"], &["ecg", "ekg", "心电", "心電", "electrocardiogra", "elektrokardiogra", "électrocardiogra"]),
    ("PSE", &["PSE"], &["pse"]),
    ("KC", &["KC"], &["kc"]),
    ("UKCA", &["UKCA"], &["ukca"]),
    ("LFGB", &["LFGB"], &["lfgb"]),
    ("ISO", &["ISO"], &["iso"]),
    ("N95", &["N95", "KN95"], &["n95"]),
    ("FFP2", &["FFP2"], &["ffp2"]),
    ("FFP3", &["FFP3"], &["ffp3"]),
    ("BPA", &["BPA"], &["bpa", "双酚a", "雙酚a", "ビスフェノールa", "bisphenol"]),
    ("SGS", &["SGS"], &["sgs"]),
    ("3C", &["3C", "CCC"], &["3c", "ccc"]),
    ("GOTS", &["GOTS"], &["gots"]),
    ("OEKO-TEX", &["OEKO-TEX"], &["oeko-tex", "oeko tex", "oekotex"]),
    ("FSC", &["FSC"], &["fsc"]),
];

/// An ingress protection rating ("IP67", "IPX7").
static RATING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bIP[X0-9][0-9]\b").expect("static regex"));

/// Whether `text` has `word` at word boundaries: no letter or digit either
/// side, but for Chinese, Japanese and Korean, which write the next word
/// against it ("3C认证", "IPX7防水").
fn has_word(text: &str, word: &str) -> bool {
    let joined = |c: char| c.is_alphanumeric() && !crate::script::is_cjk(c);
    text.match_indices(word)
        .any(|(i, w)| !text[..i].ends_with(joined) && !text[i + w.len()..].starts_with(joined))
}

/// The claims `output` names that `source` does not: each as the acronym the
/// output writes. Empty where it names none of its own.
pub fn added(source: &str, output: &str) -> Vec<String> {
    let lower = source.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for (_, forms, source_forms) in TABLE {
        let Some(form) = forms.iter().find(|f| has_word(output, f)) else {
            continue;
        };
        let named = source_forms.iter().any(|f| {
            if f.is_ascii() && f.chars().all(|c| c.is_ascii_alphanumeric()) {
                has_word(&lower, f)
            } else {
                lower.contains(f)
            }
        });
        if !named && !out.iter().any(|o| o == form) {
            out.push(form.to_string());
        }
    }
    let upper = source.to_uppercase();
    for m in RATING.find_iter(output) {
        let code = m.as_str();
        if !has_word(&upper, code) && !out.iter().any(|o| o == code) {
            out.push(code.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_the_source_does_not_make_is_added() {
        // An electronic blood pressure monitor sold as an ECG.
        assert_eq!(
            added(
                "卫康 电子血压计 上臂式 家用",
                "Medidor de presión arterial electrocardiográfico (ECG), de brazo"
            ),
            ["ECG"]
        );
        assert_eq!(added("防水", "Waterproof IPX7"), ["IPX7"]);
        assert_eq!(added("IPX7防水", "Waterproof IP67"), ["IP67"]);
        assert_eq!(added("食品级硅胶", "BPA-free food-grade silicone"), ["BPA"]);
        // Claims the source makes, in any case or its own words; and words
        // that only contain the letters.
        for (src, out) in [
            ("通过CE、FCC认证", "CE and FCC certified"),
            ("不含双酚A", "BPA-free"),
            ("心电图监测", "ECG monitoring"),
            ("ipx7防水", "IPX7 waterproof"),
            ("纯棉", "Cotton, CEO's choice, ISOlated, ULtra"),
            ("3C认证", "CCC certified"),
        ] {
            assert!(added(src, out).is_empty(), "{out}");
        }
    }

    #[test]
    #[ignore]
    fn measure_claim_added() {
        // The precision of `claim_added` on good translations.
        crate::localize::eval::print_precision(
            |_| true,
            |_sl, _tl, a, b| {
                let f = added(a, b);
                (!f.is_empty()).then(|| format!("{f:?}"))
            },
        );
    }
}
