//! The HTML helpers every module shares: escaping text for a page or a file,
//! decoding the entities a product description uses, and stripping tags. One
//! of each, so a page, a catalog file and a check never disagree on what a
//! description's text is. (Translating a description's text nodes is
//! `localize::html`'s, with a real HTML rewriter.)

use std::borrow::Cow;

/// Escape `&`, `<`, `>`, `"` and `'`: safe in element content and in quoted
/// attribute values alike (pages, error pages).
pub fn escape(s: &str) -> String {
    escape_with(s, true)
}

/// Escape `&`, `<` and `>` only: for text written between tags (a
/// description's text nodes, a Shopify body), where quotes stay as the seller
/// wrote them.
pub fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Decode the entities a product description uses (`&amp;`, `&lt;`, `&gt;`,
/// `&quot;`, `&#39;`, `&#x27;`, `&apos;`, `&nbsp;`); others are left as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", "\u{a0}")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text without HTML tags (`<p>`, `</li>`, `<img src=…>`, `<!-- … -->`), each
/// tag replaced by a space: markup is neither language nor shown text. A `<`
/// that starts no tag (`a < b`, `<3`) is kept. Linear in the input.
pub fn strip_tags(text: &str) -> Cow<'_, str> {
    if !text.contains('<') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let starts_tag =
            after.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            out.push_str(&rest[..=i]);
            rest = after;
            continue;
        }
        match after.find('>') {
            Some(j) => {
                out.push_str(&rest[..i]);
                out.push(' ');
                rest = &after[j + 1..];
            }
            // No `>` anywhere after: no tag can close, the rest is text.
            None => break,
        }
    }
    out.push_str(rest);
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_decoding_round_trip() {
        let s = "Tom's <b>\"12\" & more</b>";
        assert_eq!(
            escape(s),
            "Tom&#39;s &lt;b&gt;&quot;12&quot; &amp; more&lt;/b&gt;"
        );
        assert_eq!(escape_text(s), "Tom's &lt;b&gt;\"12\" &amp; more&lt;/b&gt;");
        assert_eq!(decode_entities(&escape(s)), s);
        assert_eq!(decode_entities(&escape_text(s)), s);
        assert_eq!(decode_entities("&amp;lt;"), "&lt;", "decoded once");
        assert_eq!(decode_entities("a&nbsp;b &#x27;"), "a\u{a0}b '");
    }

    #[test]
    fn tags_become_spaces_and_a_lone_angle_bracket_stays() {
        assert_eq!(strip_tags("<p>Hello <b>world</b></p>"), " Hello  world  ");
        assert_eq!(
            strip_tags("<img src=\"a.jpg\">Size < 5 cm, <3 <!-- x -->ok"),
            " Size < 5 cm, <3  ok"
        );
        assert_eq!(strip_tags("plain"), "plain");
        assert_eq!(strip_tags("unclosed <b tag"), "unclosed <b tag");
        // Many openings and no closing: linear, and all kept.
        let hostile = "<a".repeat(100_000);
        assert_eq!(strip_tags(&hostile), hostile);
    }
}
