//! The target's own language named where the source does not name it, for
//! the `language_added` check: a baby food maker's "含中文说明书" (includes a
//! manual in Chinese) came back in Polish "zawiera tłumaczenie w języku
//! polski" (includes a Polish translation). A small model writes the language
//! it is writing in for the one the source names, and the buyer expects a
//! manual, an interface or a voice in their language that the product does
//! not have.
//!
//! Only the target's own language is read in the output (the model's
//! substitution), by its name in that language ("polsk*", "deutsch*",
//! "日本語"). A source names it where it has the language's name in Chinese
//! (波兰, 德语, 日文 …) or English ("Polish"), the country included, or
//! speaks of many languages (多国语言, "multilingual"): then any output passes.

use super::seasons::{Find, find_form};

/// A target language, how its own name is found in it, its forms (lower
/// case), and the forms that name it in a Chinese and an English source.
type Row = (
    &'static str,
    Find,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// Per target language, its [`Row`].
#[rustfmt::skip]
const TABLE: &[Row] = &[
    ("en", Find::Word, &["english"], &["英语", "英文", "英国", "英式"], &["english"]),
    ("de", Find::Word, &["deutsch*"], &["德语", "德文", "德国", "德式"], &["german*"]),
    ("fr", Find::Word, &["français*", "francais", "francophone*"], &["法语", "法文", "法国", "法式"], &["french"]),
    ("es", Find::Word, &["español*", "castellano"], &["西班牙", "西语"], &["spanish"]),
    ("it", Find::Word, &["italian*"], &["意大利", "意语"], &["italian*"]),
    ("pt", Find::Word, &["portugu*"], &["葡萄牙", "葡语"], &["portugu*"]),
    ("nl", Find::Word, &["nederlands*"], &["荷兰", "荷语"], &["dutch"]),
    ("pl", Find::Word, &["polsk*", "polski*"], &["波兰"], &["polish", "poland"]),
    ("ru", Find::Word, &["русск*"], &["俄"], &["russian*", "russia"]),
    ("tr", Find::Word, &["türkçe*"], &["土耳其"], &["turkish", "turkey"]),
    ("id", Find::Within, &["bahasa indonesia"], &["印尼", "印度尼西亚"], &["indonesia*"]),
    ("ms", Find::Within, &["bahasa melayu", "bahasa malaysia"], &["马来"], &["malay*"]),
    ("vi", Find::Within, &["tiếng việt"], &["越南"], &["vietnam*"]),
    ("th", Find::Within, &["ภาษาไทย"], &["泰语", "泰文", "泰国"], &["thai", "thailand"]),
    ("ar", Find::Within, &["اللغة العربية", "باللغة العربية"], &["阿拉伯"], &["arabic"]),
    ("ja", Find::Within, &["日本語"], &["日语", "日文", "日本"], &["japan*"]),
    ("ko", Find::Within, &["한국어"], &["韩语", "韩文", "韩国", "朝鲜", "韓"], &["korea*"]),
];

/// Words of a source that speaks of many languages: any language may follow.
const MANY: &[&str] = &[
    "多国语言",
    "多语言",
    "多种语言",
    "多國語言",
    "多語言",
    "multilingual",
    "multi-language",
    "languages",
    "多言語",
];

/// The words of `output` that name the target's own language where `source`
/// names neither it nor many languages. Empty where the output names none or
/// the target is not in the table.
pub fn added(source: &str, output: &str, tgt_lang: &str) -> Vec<String> {
    let Some((_, find, own, zh, en)) = TABLE.iter().find(|t| t.0 == tgt_lang) else {
        return Vec::new();
    };
    let lower = output.to_lowercase();
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let out_words = words(&lower);
    let out_refs: Vec<&str> = out_words.iter().map(String::as_str).collect();
    let Some(found) = own
        .iter()
        .find_map(|f| find_form(&lower, &out_refs, *find, f))
    else {
        return Vec::new();
    };
    let src = source.to_lowercase();
    let src_words = words(&src);
    let src_refs: Vec<&str> = src_words.iter().map(String::as_str).collect();
    let named = zh.iter().any(|f| src.contains(f))
        || en
            .iter()
            .any(|f| find_form(&src, &src_refs, Find::Word, f).is_some())
        || own
            .iter()
            .any(|f| find_form(&src, &src_refs, *find, f).is_some())
        || MANY.iter().any(|m| src.contains(m));
    if named { Vec::new() } else { vec![found] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_targets_own_language_for_another_is_added() {
        // 含中文说明书 came back "a Polish translation".
        assert_eq!(
            added(
                "{1}婴儿辅食机，电压{2}，含中文说明书。",
                "Instrukcja dla niemowląt, zasilanie {2}, zawiera tłumaczenie w języku polski.",
                "pl"
            ),
            ["polski"]
        );
        assert_eq!(
            added("含中文说明书", "Bedienungsanleitung auf Deutsch", "de"),
            ["deutsch"]
        );
        assert_eq!(added("支持中文语音", "日本語音声に対応", "ja"), ["日本語"]);
        // The source names the language, or many; or the output names none.
        for (src, out, t) in [
            ("含德语说明书", "Mit deutscher Anleitung", "de"),
            (
                "Manual in Polish and English",
                "Instrukcja po polsku i angielsku",
                "pl",
            ),
            (
                "支持多国语言",
                "Obsługuje wiele języków, w tym polski",
                "pl",
            ),
            ("含中文说明书", "Zawiera instrukcję w języku chińskim", "pl"),
            ("日本製のモーター", "日本語", "ko"),
            ("含说明书", "Includes a manual", "en"),
        ] {
            assert!(added(src, out, t).is_empty(), "{out}");
        }
    }

    #[test]
    #[ignore]
    fn measure_language_added() {
        // The precision of `language_added` on good translations.
        crate::localize::eval::print_precision(
            |_| true,
            |_sl, tl, a, b| {
                let f = added(a, b, tl);
                (!f.is_empty()).then(|| format!("{f:?}"))
            },
        );
    }
}
