//! Sniffing: the text encoding of a byte prefix (BOM, UTF-8, then `chardetng`), the
//! delimiter of a CSV header, and ISO 639-1 codes for `whatlang`'s guesses.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Guess the encoding of a file from its first bytes. `complete` says the prefix
/// is the whole file.
pub(crate) fn sniff_encoding(prefix: &[u8], complete: bool) -> &'static Encoding {
    if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return UTF_8;
    }
    if prefix.starts_with(&[0xFF, 0xFE]) {
        return UTF_16LE;
    }
    if prefix.starts_with(&[0xFE, 0xFF]) {
        return UTF_16BE;
    }
    // Mostly valid UTF-8 with a few broken bytes is a UTF-8 file with bad rows,
    // not a legacy encoding: count both.
    let mut non_ascii = 0usize;
    let mut invalid = 0usize;
    let mut chunks = prefix.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        non_ascii += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        // an incomplete sequence cut off at the end of the prefix is not an error
        if !chunk.invalid().is_empty() && (complete || chunks.peek().is_some()) {
            invalid += 1;
        }
    }
    if invalid == 0 || (non_ascii > 0 && invalid * 4 <= non_ascii) {
        return UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(prefix, complete);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

/// Pick the delimiter among `,` `;` tab `|`: the one found on every one of the
/// first lines (outside quotes) the most times; `,` when nothing fits.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    // drop the last line when the prefix was cut in the middle of it
    let lines = if lines.len() > 2 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        // the header line decides; other lines must agree when they are plain
        let min = counts.iter().copied().filter(|&c| c > 0).min().unwrap_or(0);
        let score = first.min(if min == 0 { first } else { min });
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, d: u8) -> usize {
    let mut in_q = false;
    let mut n = 0;
    for b in line.bytes() {
        if b == b'"' {
            in_q = !in_q;
        } else if b == d && !in_q {
            n += 1;
        }
    }
    n
}

/// Detect the language of a listing's text: [`crate::listing::detect_language`].
pub(crate) fn detect_language(text: &str) -> Option<String> {
    crate::listing::detect_language(text).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_ignore_markup() {
        assert_eq!(
            detect_language("<p>Dieses Messer ist aus rostfreiem Stahl und sehr scharf.</p>")
                .as_deref(),
            Some("de")
        );
        assert_eq!(
            detect_language("这款保温杯采用双层真空设计，保温十二小时。").as_deref(),
            Some("zh")
        );
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t\"x,y,z\"\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), b'|');
        assert_eq!(sniff_delimiter("single\n"), b',');
    }

    #[test]
    fn encodings() {
        let (gbk, _, _) = encoding_rs::GBK
            .encode("货号,商品名称,价格\nA1,不锈钢保温杯 大容量,99\nA2,陶瓷马克杯 办公室,45\n");
        assert_eq!(sniff_encoding(&gbk, true).name(), "GBK");
        assert_eq!(sniff_encoding("sku,tïtle\n".as_bytes(), true), UTF_8);
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBFsku\n", true), UTF_8);
    }
}
