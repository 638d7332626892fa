//! The seasons a text names, for the `season_added` check: a translation
//! that names a season its source does not ("vestido de verano y invierno",
//! summer and winter, for 秋冬, autumn and winter) tells the buyer the wrong
//! thing about what the product is for, and every number is still there.
//!
//! A source names a season by a word of the table below in its language, by
//! a Chinese or Japanese season character (春 夏 秋 冬, in 春夏, 秋冬款, 夏季,
//! 冬暖夏凉) or by a word for all of them (四季, all-season), which names the
//! four. Reading too much in a source only lets a translation pass; in an
//! output the table holds only words that are seasons wherever they stand
//! (English "spring" and "fall" are not read there, nor French "été" but
//! after "d'", "l'", "en" or "cet", where it is no participle).

/// How a language's forms are found in a text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Find {
    /// As a whole word, or as the start of one where the form ends in `*`
    /// ("invierno*": inviernos; "летн*": летний, летняя). Words are split at
    /// anything but a letter or digit.
    Word,
    /// Anywhere in the text (languages written without spaces between
    /// words, and phrases: "mùa hè", "musim panas").
    Within,
}

/// Per language: how its forms are found, and each season's forms: spring,
/// summer, autumn, winter.
#[rustfmt::skip]
const TABLE: &[(&str, Find, [&[&str]; 4])] = &[
    ("en", Find::Word, [&[], &["summer*"], &["autumn*"], &["winter*"]]),
    ("de", Find::Word, [&["frühling*", "frühjahr*"], &["sommer*"], &["herbst*"], &["winter*"]]),
    ("fr", Find::Word, [&["printemps", "printani*"], &["estival*"], &["automn*"], &["hiver*", "hivern*"]]),
    ("es", Find::Word, [&["primaver*"], &["verano", "veranos", "veranieg*"], &["otoño*", "otoñal*"], &["invierno*", "invernal*"]]),
    ("it", Find::Word, [&["primaver*"], &["estate", "estati", "estiv*"], &["autunn*"], &["invern*"]]),
    ("pt", Find::Word, [&["primaver*"], &["verão", "verões", "veranieg*"], &["outono*", "outonal*"], &["inverno*", "invernal*"]]),
    ("nl", Find::Word, [&["lente*", "voorjaar*"], &["zomer*"], &["herfst*", "najaar*"], &["winter*"]]),
    ("pl", Find::Word, [&["wiosna", "wiosną", "wiosnę", "wiosny", "wiośnie", "wiosenn*"], &["lato", "latem", "lecie", "letni*"], &["jesień", "jesienią", "jesieni", "jesienn*"], &["zima", "zimą", "zimę", "zimy", "zimie", "zimow*"]]),
    ("ru", Find::Word, [&["весна", "весной", "весну", "весны", "весенн*"], &["лето", "летом", "лета", "летн*"], &["осень", "осенью", "осени", "осенн*"], &["зима", "зимой", "зиму", "зимы", "зиме", "зимн*"]]),
    ("tr", Find::Word, [&["ilkbahar*", "bahar"], &["yaz", "yazlık*"], &["sonbahar*"], &["kış", "kışın", "kışlık*"]]),
    ("ko", Find::Word, [&["봄*"], &["여름*"], &["가을*"], &["겨울*"]]),
    ("vi", Find::Within, [&["mùa xuân"], &["mùa hè", "mùa hạ"], &["mùa thu"], &["mùa đông"]]),
    ("id", Find::Within, [&["musim semi"], &["musim panas"], &["musim gugur"], &["musim dingin"]]),
    ("ms", Find::Within, [&["musim bunga"], &["musim panas"], &["musim luruh"], &["musim sejuk"]]),
    ("th", Find::Within, [&["ฤดูใบไม้ผลิ"], &["ฤดูร้อน", "หน้าร้อน"], &["ฤดูใบไม้ร่วง"], &["ฤดูหนาว", "หน้าหนาว"]]),
    ("ar", Find::Within, [&["الربيع", "ربيعي"], &["الصيف", "صيفي", "للصيف"], &["الخريف", "خريفي"], &["الشتاء", "شتوي", "للشتاء"]]),
    ("ja", Find::Within, [&["春"], &["夏"], &["秋"], &["冬"]]),
    ("zh", Find::Within, [&["春"], &["夏"], &["秋"], &["冬"]]),
];

/// Words of a source that name every season.
const ALL_SEASONS: &[&str] = &[
    "四季",
    "全年",
    "全季",
    "オールシーズン",
    "all-season",
    "all season",
    "all seasons",
    "four season",
    "four-season",
    "4 season",
    "4-season",
    "year-round",
    "year round",
    "all year",
    "ganzjahr",
    "ganzjähr",
    "toutes saisons",
    "4 saisons",
    "quatre saisons",
    "todas las estaciones",
    "cuatro estaciones",
    "quattro stagioni",
    "tutte le stagioni",
    "quatro estações",
    "todas as estações",
    "всесезон",
    "całoroczn",
    "dört mevsim",
];

/// French words before which "été" is the summer, not a participle.
const FR_SUMMER_AFTER: &[&str] = &["d", "l", "en", "cet", "printemps", "automne", "hiver"];

/// The word of `lower` (split into `words`) that `form` finds as `find`
/// says ([`Find`]), if any.
pub(super) fn find_form(lower: &str, words: &[&str], find: Find, form: &str) -> Option<String> {
    match find {
        Find::Within => lower.contains(form).then(|| form.to_string()),
        Find::Word => {
            let (stem, prefix) = match form.strip_suffix('*') {
                Some(s) => (s, true),
                None => (form, false),
            };
            words
                .iter()
                .find(|w| {
                    if prefix {
                        w.starts_with(stem)
                    } else {
                        **w == stem
                    }
                })
                .map(|w| w.to_string())
        }
    }
}

/// For each column of `lang`'s row of a table of forms, the first form that
/// `text` holds ([`find_form`]); all `None` where the table has no row for
/// `lang`. Used by [`super::gender`], [`super::ages`] and [`super::animals`].
pub(super) fn named_in<const N: usize>(
    text: &str,
    lang: &str,
    table: &[(&str, Find, [&[&str]; N])],
) -> [Option<String>; N] {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    let Some((_, find, forms)) = table.iter().find(|(l, _, _)| *l == lang) else {
        return out;
    };
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (k, forms) in forms.iter().enumerate() {
        out[k] = forms
            .iter()
            .find_map(|form| find_form(&lower, &words, *find, form));
    }
    out
}

/// The seasons (0 spring to 3 winter) `text` names in `lang`, each with the
/// word found. `loose`: read as a source is, with the English words an output
/// does not count ("spring", "fall") and French "été" anywhere.
fn named(text: &str, lang: &str, loose: bool) -> Vec<(usize, String)> {
    let lower = text.to_lowercase();
    let mut out: Vec<(usize, String)> = Vec::new();
    let Some((_, find, forms)) = TABLE.iter().find(|(l, _, _)| *l == lang) else {
        return out;
    };
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (season, forms) in forms.iter().enumerate() {
        for form in *forms {
            if let Some(w) = find_form(&lower, &words, *find, form) {
                out.push((season, w));
                break;
            }
        }
    }
    if lang == "fr" && !out.iter().any(|(s, _)| *s == 1) {
        let summer = words.iter().enumerate().any(|(i, w)| {
            *w == "été" && (loose || i > 0 && FR_SUMMER_AFTER.contains(&words[i - 1]))
        });
        if summer {
            out.push((1, "été".to_string()));
        }
    }
    if loose && lang == "en" {
        for (season, word) in [(0, "spring"), (2, "fall")] {
            if words.contains(&word) && !out.iter().any(|(s, _)| *s == season) {
                out.push((season, word.to_string()));
            }
        }
    }
    out
}

/// The seasons a source names, read loosely (module doc).
fn in_source(source: &str, src_lang: &str) -> [bool; 4] {
    let lower = source.to_lowercase();
    if ALL_SEASONS.iter().any(|w| lower.contains(w)) {
        return [true; 4];
    }
    let mut seen = [false; 4];
    let mut langs = vec![src_lang, "en"];
    // A season character in a source of any language (a Chinese source's
    // language may be given as another).
    langs.push("zh");
    for lang in langs {
        for (season, _) in named(source, lang, true) {
            seen[season] = true;
        }
    }
    seen
}

/// The words of `output` that name a season `source` does not: "verano" in
/// "vestido de verano y invierno" for 秋冬. Empty for a target language the
/// table lacks.
pub fn added(source: &str, output: &str, src_lang: &str, tgt_lang: &str) -> Vec<String> {
    let seen = in_source(source, src_lang);
    if seen.iter().all(|s| *s) {
        return Vec::new();
    }
    let mut out: Vec<String> = named(output, tgt_lang, false)
        .into_iter()
        .filter(|(season, _)| !seen[*season])
        .map(|(_, word)| word)
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_season_the_source_does_not_name_is_added() {
        // 秋冬 (autumn and winter) came back "verano y invierno" in Spanish.
        let src = "{1} 女士针织开衫 V领 长袖 宽松 纯色 秋冬 米白色 均码";
        let out = "{1} Cárdigan de punto para mujer, cuello en V, vestido de verano y invierno";
        assert_eq!(added(src, out, "zh", "es"), ["verano"]);
        assert!(added(src, "Cárdigan de punto, otoño-invierno", "zh", "es").is_empty());
        // Inflected and compound forms.
        assert_eq!(
            added("冬季保暖手套", "Тёплые летние перчатки", "zh", "ru"),
            ["летние"]
        );
        assert_eq!(
            added("冬季保暖手套", "Warme Sommerhandschuhe", "zh", "de"),
            ["sommerhandschuhe"]
        );
        assert_eq!(
            added("夏季薄款", "Robe d'été, légère", "zh", "fr"),
            Vec::<String>::new()
        );
        assert_eq!(
            added("冬季加厚", "Robe d'été, épaisse", "zh", "fr"),
            ["été"]
        );
        assert_eq!(
            added("冬季加厚", "겨울용 두꺼운 여름 이불", "zh", "ko"),
            ["여름"]
        );
        assert_eq!(added("冬季加厚", "ผ้าห่มฤดูร้อน", "zh", "th"), ["ฤดูร้อน"]);
        // A German source's word for all year.
        assert!(
            added(
                "Ganzjährige Autositzbezüge",
                "Fundas de invierno",
                "de",
                "es"
            )
            .is_empty()
        );
        // An English source: its own words, "fall" and "spring" included.
        assert!(added("Fall jacket", "Chaqueta de otoño", "en", "es").is_empty());
        assert_eq!(
            added("Winter jacket", "Chaqueta de verano", "en", "es"),
            ["verano"]
        );
    }

    #[test]
    #[ignore]
    fn measure_seasons_added() {
        // The precision of `season_added` on good translations: the dev set's
        // references and the built-in bank's pairs.
        crate::localize::eval::print_precision(
            |_| true,
            |sl, tl, a, b| {
                let x = added(a, b, sl, tl);
                (!x.is_empty()).then(|| format!("{x:?}"))
            },
        );
        // The sources that name a season (in Chinese or English), where
        // an output names one most often.
        crate::localize::eval::print_precision(
            |s| in_source(s, "en").iter().any(|x| *x),
            |sl, tl, a, b| {
                let x = added(a, b, sl, tl);
                (!x.is_empty()).then(|| format!("{x:?}"))
            },
        );
    }

    #[test]
    fn words_that_are_no_season_pass() {
        let none = Vec::<String>::new();
        // All seasons named in the source.
        assert_eq!(
            added(
                "四季通用 汽车座套",
                "Capa para primavera, verão, outono e inverno",
                "zh",
                "pt"
            ),
            none
        );
        assert_eq!(
            added(
                "冬暖夏凉 凉席",
                "Fresco en verano, cálido en invierno",
                "zh",
                "es"
            ),
            none
        );
        // A participle, years, cold, care: no seasons.
        assert_eq!(added("防水外套", "Le tissu a été testé", "zh", "fr"), none);
        assert_eq!(added("保修5年", "Гарантия 5 лет", "zh", "ru"), none);
        assert_eq!(
            added("冷水洗", "Prać w zimnej wodzie, zimna woda", "zh", "pl"),
            none
        );
        assert_eq!(added("宠物护理", "반려동물 돌봄 용품", "zh", "ko"), none);
        assert_eq!(added("温室", "Invernadero de jardín", "zh", "es"), none);
        // English "spring" and "fall" in an output are a spring and a drop.
        assert_eq!(
            added("弹簧铰链", "Spring hinge, survives a fall", "zh", "en"),
            none
        );
        // A language the table lacks.
        assert_eq!(added("冬季", "Summer", "zh", "xx"), none);
    }
}
