//! Whom a product is for, for the `gender_changed` check: a men's quartz
//! watch (男士石英手表) came back in French "Montre de femme en quartz", and a
//! unisex backpack (男女通用) in Polish "dla osób mężczyzn" (for men). Every
//! number and name is still there, and the buyer reads another product.
//!
//! A source is read loosely (anything that names a gender counts: 男 and 女
//! anywhere in Chinese or Japanese, 男女 and 中性 as both), so that a source
//! that names both lets any translation pass. An output is read with words
//! that name men or women wherever they stand. A translation changes the
//! gender where it names one the source does not name and none the source
//! names, or where the source is for both (unisex) and the translation names
//! one alone.

use super::seasons::{Find, named_in};

/// Per language: how its forms are found, and the forms for men, for women
/// and for both. Lower case.
#[rustfmt::skip]
const TABLE: &[(&str, Find, [&[&str]; 3])] = &[
    ("en", Find::Word, [&["men", "mens", "male", "gentlemen"], &["women", "womens", "woman", "female", "ladies", "lady"], &["unisex"]]),
    ("de", Find::Word, [&["herren*", "männer*", "männlich*"], &["damen*", "frauen*", "weiblich*"], &["unisex"]]),
    ("fr", Find::Word, [&["homme", "hommes", "masculin*"], &["femme", "femmes", "féminin*"], &["unisexe", "unisex", "mixte"]]),
    ("es", Find::Word, [&["hombre", "hombres", "masculin*", "caballero", "caballeros"], &["mujer", "mujeres", "femenin*", "dama", "damas"], &["unisex", "unisexo"]]),
    ("it", Find::Word, [&["uomo", "uomini", "maschil*"], &["donna", "donne", "femminil*"], &["unisex"]]),
    ("pt", Find::Word, [&["homem", "homens", "masculin*"], &["mulher", "mulheres", "feminin*"], &["unissex", "unisex"]]),
    ("nl", Find::Word, [&["heren*", "mannen*"], &["dames*", "vrouwen*", "vrouw"], &["unisex"]]),
    ("pl", Find::Word, [&["męsk*", "mężczyzn*", "mężczyźni"], &["damsk*", "kobiet*", "kobiec*"], &["unisex", "uniseks*"]]),
    ("ru", Find::Word, [&["мужск*", "мужчин*"], &["женск*", "женщин*"], &["унисекс"]]),
    ("tr", Find::Word, [&["erkek*"], &["kadın*", "bayan*"], &["unisex", "uniseks"]]),
    ("id", Find::Word, [&["pria", "lelaki", "laki"], &["wanita", "perempuan"], &["unisex", "uniseks"]]),
    ("ms", Find::Word, [&["lelaki", "pria", "laki"], &["wanita", "perempuan"], &["unisex", "uniseks"]]),
    ("vi", Find::Within, [&["đàn ông", "nam giới", "cho nam"], &["phụ nữ", "nữ giới", "cho nữ"], &["unisex", "nam nữ", "nam và nữ", "nam lẫn nữ"]]),
    ("th", Find::Within, [&["ผู้ชาย", "บุรุษ"], &["ผู้หญิง", "สตรี"], &["unisex", "ยูนิเซ็กซ์"]]),
    ("ar", Find::Within, [&["رجالي", "رجال"], &["نسائي", "نساء", "حريمي"], &["للجنسين", "يونيسكس"]]),
    ("ja", Find::Within, [&["メンズ", "男性", "紳士"], &["レディース", "女性", "婦人"], &["ユニセックス", "男女兼用", "男女"]]),
    ("ko", Find::Within, [&["남성", "남자"], &["여성", "여자"], &["남녀공용", "남녀", "유니섹스"]]),
    ("zh", Find::Within, [&["男"], &["女"], &["男女", "中性", "通用款"]]),
];

/// Which genders `text` names in `lang`: men, women, and whether it names
/// both as one (unisex), each with the word found.
fn named(text: &str, lang: &str) -> [Option<String>; 3] {
    named_in(text, lang, TABLE)
}

/// Whom a source is for, read loosely: men, women (both where it names both
/// or a word for both). Chinese and Japanese characters and English words
/// count in a source of any language.
fn in_source(source: &str, src_lang: &str) -> [bool; 2] {
    let mut seen = [false; 2];
    for lang in [src_lang, "en", "zh"] {
        let [m, w, both] = named(source, lang);
        seen[0] |= m.is_some() || both.is_some();
        seen[1] |= w.is_some() || both.is_some();
    }
    seen
}

/// The words of `output` that name whom the product is for otherwise than
/// `source` does: a gender the source does not name where the output names
/// none the source names ("femme" for 男士), or one gender alone for a source
/// for both ("mężczyzn" for 男女通用). Empty where the output agrees, names no
/// gender, or its language is not in the table.
pub fn changed(source: &str, output: &str, src_lang: &str, tgt_lang: &str) -> Vec<String> {
    let seen = in_source(source, src_lang);
    if !seen[0] && !seen[1] {
        return Vec::new();
    }
    let [m, w, both] = named(output, tgt_lang);
    if both.is_some() {
        return Vec::new();
    }
    match (seen, m, w) {
        // For both, and one alone written.
        ([true, true], Some(x), None) | ([true, true], None, Some(x)) => vec![x],
        // For one, and only the other written.
        ([true, false], None, Some(x)) | ([false, true], Some(x), None) => vec![x],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whom_a_product_is_for_stays() {
        // A men's watch came back a woman's; a unisex backpack a man's.
        let watch = "{1} 男士石英手表 3ATM防水 不锈钢表带";
        assert_eq!(
            changed(watch, "{1} Montre de femme en quartz", "zh", "fr"),
            ["femme"]
        );
        assert!(changed(watch, "{1} Montre homme à quartz", "zh", "fr").is_empty());
        assert!(changed(watch, "{1} Montre à quartz", "zh", "fr").is_empty());
        let bag = "{1} 登山包 40L 防水 轻量 男女通用";
        assert_eq!(
            changed(bag, "Plecak turystyczny dla mężczyzn", "zh", "pl"),
            ["mężczyzn"]
        );
        for out in [
            "Plecak turystyczny unisex",
            "Plecak dla kobiet i mężczyzn",
            "Plecak turystyczny",
        ] {
            assert!(changed(bag, out, "zh", "pl").is_empty(), "{out}");
        }
        // Compounds and inflected forms; a source with no gender lets
        // anything pass.
        assert_eq!(
            changed("女士运动内衣", "Herren-Sport-BH", "zh", "de"),
            ["herren"]
        );
        assert_eq!(
            changed("男士钱包", "Женский кошелёк", "zh", "ru"),
            ["женский"]
        );
        assert!(changed("钱包 真皮", "Damenbörse", "zh", "de").is_empty());
        // An English source; both named in the output.
        assert_eq!(
            changed("Men's running shoes", "Zapatillas para mujer", "en", "es"),
            ["mujer"]
        );
        assert!(
            changed(
                "Men's running shoes",
                "Zapatillas hombre y mujer",
                "en",
                "es"
            )
            .is_empty()
        );
        // English "man-made" names no gender; nor does "human".
        assert!(changed("女士外套", "Man-made fibre, human touch", "zh", "en").is_empty());
    }

    #[test]
    #[ignore]
    fn measure_gender_changed() {
        // The precision of `gender_changed` on good translations whose
        // source names whom the product is for.
        crate::localize::eval::print_precision(
            |a| {
                let s = in_source(a, "en");
                s[0] || s[1]
            },
            |sl, tl, a, b| {
                let c = changed(a, b, sl, tl);
                (!c.is_empty()).then(|| format!("{c:?}"))
            },
        );
    }
}
