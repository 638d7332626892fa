//! Which writing system a character belongs to: the one place silkroute decides
//! CJK, Han, kana and Latin, used by the search analyzers and the localization
//! checks alike.

/// Whether `c` belongs to a CJK script written without spaces (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    is_han(c) || is_kana(c) || is_hangul(c)
}

/// Han or kana: Chinese and Japanese writing, Hangul apart (Korean is a target
/// language of its own, told apart by the language checks).
pub fn is_han_or_kana(c: char) -> bool {
    is_han(c) || is_kana(c)
}

/// A Han character (Chinese characters, Japanese kanji).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF   // CJK ext A
        | 0x4E00..=0x9FFF // CJK unified
        | 0xF900..=0xFAFF // compatibility ideographs
        | 0x20000..=0x2FFFF)
}

/// Hiragana or katakana (incl. ー, the katakana extensions and half-width katakana).
pub fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

/// Hangul.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0xAC00..=0xD7AF | 0x3130..=0x318F)
}

/// A Han character Japanese writes: one that Shift_JIS (JIS X 0208 with its usual
/// extensions, every jōyō and jinmeiyō kanji) can encode. Simplified Chinese forms
/// such as 铬, 钢 or 锈 cannot, so they are not Japanese.
pub fn is_japanese_kanji(c: char) -> bool {
    if !is_han(c) {
        return false;
    }
    let mut buf = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    !unmappable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        assert!(is_han('钢') && is_han('鋼') && !is_han('カ'));
        assert!(is_kana('カ') && is_kana('ー') && is_kana('ｶ'));
        assert!(is_cjk('한') && !is_cjk('a'));
        for c in ['鋼', '銅', '電', '視', '保', '証', '国', '体', '的'] {
            assert!(is_japanese_kanji(c), "{c}");
        }
        for c in ['铬', '钢', '锈', '铝', '电', '视', '这', '们'] {
            assert!(!is_japanese_kanji(c), "{c}");
        }
    }
}
