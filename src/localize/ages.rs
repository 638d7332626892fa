//! Whether a product is for children or adults, for the `age_changed` check:
//! an adults' jump rope (跳绳 成人) came back in English "Jump Rope for
//! Adults and Kids". A child's product sold as an adult's, or an adult's as
//! a child's, is a claim about safety and size that the seller never made,
//! and every number is still there.
//!
//! A source is read loosely: 儿童, 童, 宝宝, 婴, 幼 and an age in years (岁,
//! 歳) name children; 成人, 成年, 大人 and 老人 name adults; 全家, 老少 and "all
//! ages" name both. English words count in a source of any language. An
//! output is read with words that name children or adults wherever they
//! stand. A translation changes the age where it names children for a source
//! that names adults alone, or adults alone for a source that names children
//! alone. A source that names neither lets any translation pass.

use super::seasons::{Find, named_in};

/// Per language: how its forms are found, and the forms for children and for
/// adults. Lower case.
#[rustfmt::skip]
const TABLE: &[(&str, Find, [&[&str]; 2])] = &[
    ("en", Find::Word, [&["kid", "kids", "child", "children", "childrens", "baby", "babies", "infant*", "toddler*"], &["adult", "adults"]]),
    ("de", Find::Word, [&["kind", "kinder*", "kindes", "baby*", "babys", "kleinkind*", "säugling*"], &["erwachsen*"]]),
    ("fr", Find::Word, [&["enfant*", "bébé*", "nourrisson*"], &["adulte*"]]),
    ("es", Find::Word, [&["niño*", "niña*", "infantil*", "bebé*", "bebe", "bebes"], &["adulto*"]]),
    ("it", Find::Word, [&["bambin*", "bimb*", "neonat*", "infantil*"], &["adult*"]]),
    ("pt", Find::Word, [&["criança*", "infantil*", "bebê*", "bebé*"], &["adulto*"]]),
    ("nl", Find::Word, [&["kind", "kinderen", "kinder*", "baby*", "peuter*"], &["volwassen*"]]),
    ("pl", Find::Word, [&["dzieci*", "dziecko", "dziecka", "dziecku", "dziecię*", "niemowl*"], &["dorosł*"]]),
    ("ru", Find::Word, [&["дети", "детей", "детям", "детьми", "детск*", "ребён*", "ребен*", "малыш*", "младен*"], &["взросл*"]]),
    ("tr", Find::Word, [&["çocuk*", "bebek*"], &["yetişkin*"]]),
    ("id", Find::Word, [&["anak", "anak2", "bayi", "balita"], &["dewasa"]]),
    ("ms", Find::Word, [&["anak", "kanak", "bayi"], &["dewasa"]]),
    ("vi", Find::Within, [&["trẻ em", "em bé", "trẻ sơ sinh", "trẻ nhỏ"], &["người lớn", "người trưởng thành"]]),
    ("th", Find::Within, [&["เด็ก", "ทารก"], &["ผู้ใหญ่"]]),
    ("ar", Find::Within, [&["أطفال", "طفل", "الرضع", "رضيع"], &["البالغين", "للبالغين", "الكبار", "للكبار"]]),
    ("ja", Find::Within, [&["子供", "子ども", "こども", "キッズ", "ベビー", "赤ちゃん", "幼児", "乳児", "児童"], &["大人", "成人"]]),
    ("ko", Find::Within, [&["어린이", "아동", "유아", "아기", "키즈", "영아"], &["성인", "어른"]]),
    ("zh", Find::Within, [&["儿童", "童", "宝宝", "婴", "幼", "孩子", "小孩"], &["成人", "成年", "大人", "老人"]]),
];

/// Words of a source that name children, beside the table's: an age in
/// years, and Japanese words for a child. Not read in an output, where "18岁
/// 以上" (18 and over) is an adult's.
const SOURCE_CHILD: &[&str] = &["岁", "歳", "お子", "子様", "ジュニア"];

/// Words of a source that name children and adults both.
const BOTH: &[&str] = &[
    "全家",
    "老少",
    "大人小孩",
    "all ages",
    "all-ages",
    "family",
    "whole family",
];

/// Which ages `text` names in `lang`: children, adults, each with the word
/// found.
fn named(text: &str, lang: &str) -> [Option<String>; 2] {
    named_in(text, lang, TABLE)
}

/// Which ages a source names, read loosely: children, adults (both where
/// it names both or a word for both). Chinese and Japanese characters and
/// English words count in a source of any language.
fn in_source(source: &str, src_lang: &str) -> [bool; 2] {
    let mut seen = [false; 2];
    for lang in [src_lang, "en", "zh", "ja"] {
        let [c, a] = named(source, lang);
        seen[0] |= c.is_some();
        seen[1] |= a.is_some();
    }
    let lower = source.to_lowercase();
    seen[0] |= SOURCE_CHILD.iter().any(|w| lower.contains(w));
    if BOTH.iter().any(|w| lower.contains(w)) {
        seen = [true, true];
    }
    seen
}

/// The words of `output` that name an age otherwise than `source` does:
/// children for a source that names adults alone ("Kids" for 成人), or adults
/// alone for a source that names children alone ("adultes" for 儿童). Empty
/// where the output agrees, names no age, or its language is not in the
/// table.
pub fn changed(source: &str, output: &str, src_lang: &str, tgt_lang: &str) -> Vec<String> {
    let seen = in_source(source, src_lang);
    let [c, a] = named(output, tgt_lang);
    match (seen, c, a) {
        ([false, true], Some(x), _) => vec![x],
        ([true, false], None, Some(x)) => vec![x],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whether_a_product_is_for_children_or_adults_stays() {
        // An adults' jump rope came back for adults and kids.
        let rope = "{1} 跳绳 无绳 计数 负重 成人 健身";
        assert_eq!(
            changed(
                rope,
                "{1} Cordless Jump Rope for Adults and Kids",
                "zh",
                "en"
            ),
            ["kids"]
        );
        assert!(
            changed(
                rope,
                "{1} Cordless Weighted Jump Rope for Adults",
                "zh",
                "en"
            )
            .is_empty()
        );
        assert!(changed(rope, "{1} Cordless Weighted Jump Rope", "zh", "en").is_empty());
        // A child's product sold to adults alone; a child's named otherwise.
        let scooter = "儿童滑板车 3-12岁 可折叠";
        assert_eq!(
            changed(scooter, "Trottinette pliable pour adultes", "zh", "fr"),
            ["adultes"]
        );
        for out in [
            "Trottinette pliable pour enfants de 3 à 12 ans",
            "Trottinette pour enfants et adultes",
            "Trottinette pliable",
        ] {
            assert!(changed(scooter, out, "zh", "fr").is_empty(), "{out}");
        }
        // An age in years names a child; a source with no age lets anything
        // pass; a word for both lets either pass.
        assert_eq!(
            changed("适合5-12岁", "Für Erwachsene", "zh", "de"),
            ["erwachsene"]
        );
        assert!(changed("跳绳 计数", "Скакалка для детей", "zh", "ru").is_empty());
        assert!(changed("全家适用 成人", "Para toda la familia y niños", "zh", "es").is_empty());
        // Inflected and compound forms; no child read in look-alike words.
        assert_eq!(
            changed("成人 泳镜", "Kinderschwimmbrille", "zh", "de"),
            ["kinderschwimmbrille"]
        );
        assert!(changed("成人 手表", "Запасные детали для взрослых", "zh", "ru").is_empty());
        assert!(changed("成人 耳机", "아이폰용 성인 이어폰", "zh", "ko").is_empty());
    }

    #[test]
    #[ignore]
    fn measure_age_changed() {
        // The precision of `age_changed` on good translations whose source
        // names an age.
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
