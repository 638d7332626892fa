//! HTML descriptions: walk the text nodes (and the `alt`/`title` attributes) of a
//! description with lol_html's streaming tokenizer, so only text is translated and
//! the markup comes back untouched; strip tags a market does not allow.

use std::cell::RefCell;

use lol_html::html_content::{ContentType, TextType};
use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};

use super::LocalizeError;

/// Attributes whose values are shown to shoppers and so translated.
const TEXT_ATTRIBUTES: [&str; 3] = ["alt", "title", "placeholder"];
/// Elements that end a line: when stripped, a `<br>` (or a newline) takes their place.
const BLOCKS: [&str; 13] = [
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol", "table",
];

fn err(e: impl std::fmt::Display) -> LocalizeError {
    LocalizeError::Html(e.to_string())
}

/// Visit every translatable piece (text node content without its surrounding
/// whitespace, and text attribute values) in document order; `f` returns a
/// replacement or `None` to keep the piece.
fn walk(html: &str, f: impl FnMut(&str) -> Option<String>) -> Result<String, LocalizeError> {
    let f = RefCell::new(f);
    let buf = RefCell::new(String::new());
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("*", |el| {
            for name in TEXT_ATTRIBUTES {
                if let Some(v) = el.get_attribute(name)
                    && v.chars().any(char::is_alphabetic)
                    && let Some(t) = (f.borrow_mut())(&v)
                {
                    el.set_attribute(name, &t)?;
                }
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(|chunk| {
            let mut b = buf.borrow_mut();
            b.push_str(chunk.as_str());
            if !chunk.last_in_text_node() {
                chunk.remove();
                return Ok(());
            }
            let full = std::mem::take(&mut *b);
            let translatable =
                chunk.text_type() == TextType::Data && full.chars().any(char::is_alphanumeric);
            let mut out = full.clone();
            if translatable {
                let decoded = crate::html::decode_entities(&full);
                let core = decoded.trim();
                let lead = &decoded[..decoded.len() - decoded.trim_start().len()];
                let trail = &decoded[decoded.trim_end().len()..];
                if let Some(t) = (f.borrow_mut())(core) {
                    out = format!("{lead}{}{trail}", crate::html::escape_text(&t));
                }
            }
            chunk.replace(&out, ContentType::Html);
            Ok(())
        }));
    rewrite_str(html, settings).map_err(err)
}

/// The translatable pieces of an HTML fragment, in document order.
pub fn extract(html: &str) -> Result<Vec<String>, LocalizeError> {
    let mut out = Vec::new();
    walk(html, |s| {
        out.push(s.to_string());
        None
    })?;
    Ok(out)
}

/// Put translations back, piece by piece in the order of [`extract`]. Missing
/// translations keep the source text.
pub fn rebuild(html: &str, translations: &[String]) -> Result<String, LocalizeError> {
    let mut i = 0;
    walk(html, |_| {
        let t = translations.get(i).cloned();
        i += 1;
        t
    })
}

/// The element names used in a fragment, lower case, in order of appearance.
pub fn tag_names(html: &str) -> Result<Vec<String>, LocalizeError> {
    let names = RefCell::new(Vec::new());
    let settings = RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
        names.borrow_mut().push(el.tag_name().to_ascii_lowercase());
        Ok(())
    }));
    rewrite_str(html, settings).map_err(err)?;
    Ok(names.into_inner())
}

/// Unwrap the inline elements (`<b>`, `<span>`, `<a>` …) not in `allowed`,
/// keeping their text, before translation: "The <b>Kovaro KT-120</b> kettle
/// heats …" is then one sentence to translate, not three pieces ("The" alone
/// has no translation a German sentence can use). Block elements, `<br>`,
/// images and scripts stay for [`sanitize`] after translation: they separate
/// the pieces. Returns the HTML and the names of the elements unwrapped, in
/// document order.
pub fn unwrap_inline(
    html: &str,
    allowed: &[String],
) -> Result<(String, Vec<String>), LocalizeError> {
    let names = RefCell::new(Vec::new());
    let settings = RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
        let name = el.tag_name().to_ascii_lowercase();
        let keep = allowed.contains(&name)
            || BLOCKS.contains(&name.as_str())
            || KEPT_INLINE.contains(&name.as_str());
        if !keep {
            names.borrow_mut().push(name);
            el.remove_and_keep_content();
        }
        Ok(())
    }));
    let out = rewrite_str(html, settings).map_err(err)?;
    Ok((out, names.into_inner()))
}

/// Elements that are no inline text formatting: they stay for [`sanitize`].
const KEPT_INLINE: [&str; 14] = [
    "br", "img", "script", "style", "iframe", "object", "hr", "td", "th", "tbody", "thead",
    "section", "article", "body",
];

/// Remove every element not in `allowed`, keeping its text; a stripped block
/// element is followed by `<br>` when `<br>` is allowed, else a newline. Scripts
/// and styles go entirely.
pub fn sanitize(html: &str, allowed: &[String]) -> Result<String, LocalizeError> {
    let br = allowed.iter().any(|a| a == "br");
    let settings = RewriteStrSettings::new().append_element_content_handler(element!("*", |el| {
        let name = el.tag_name().to_ascii_lowercase();
        if allowed.contains(&name) {
            return Ok(());
        }
        if matches!(name.as_str(), "script" | "style" | "iframe" | "object") {
            el.remove();
            return Ok(());
        }
        if BLOCKS.contains(&name.as_str()) {
            el.append(if br { "<br>" } else { "\n" }, ContentType::Html);
        } else if name == "br" {
            el.after("\n", ContentType::Html);
        }
        el.remove_and_keep_content();
        Ok(())
    }));
    let out = rewrite_str(html, settings).map_err(err)?;
    // Collapse the runs of <br> that nested blocks leave behind.
    let mut s = out.trim().to_string();
    while s.contains("<br><br><br>") {
        s = s.replace("<br><br><br>", "<br><br>");
    }
    Ok(s.trim_end_matches("<br>").trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESC: &str = "<p>Keeps drinks <b>cold</b> for 24 h.</p>\n<ul><li>Leak-proof &amp; light</li></ul><img src=\"a.jpg\" alt=\"Blue bottle\"><script>var x = 'no';</script>";

    #[test]
    fn only_text_nodes_and_text_attributes_are_translated() {
        let pieces = extract(DESC).unwrap();
        assert_eq!(
            pieces,
            [
                "Keeps drinks",
                "cold",
                "for 24 h.",
                "Leak-proof & light",
                "Blue bottle"
            ]
        );
        let t: Vec<String> = [
            "Hält Getränke",
            "kalt",
            "24 h lang.",
            "Dicht & leicht",
            "Blaue Flasche",
        ]
        .map(String::from)
        .to_vec();
        let out = rebuild(DESC, &t).unwrap();
        assert_eq!(
            out,
            "<p>Hält Getränke <b>kalt</b> 24 h lang.</p>\n<ul><li>Dicht &amp; leicht</li></ul><img src=\"a.jpg\" alt=\"Blaue Flasche\"><script>var x = 'no';</script>"
        );
        // Plain text is one text node.
        assert_eq!(extract("Just text.").unwrap(), ["Just text."]);
    }

    #[test]
    fn inline_elements_are_unwrapped_and_blocks_kept() {
        let (out, names) = unwrap_inline(
            "<p>The <b>Kovaro <i>KT-120</i></b> kettle.</p><p>Cool <span>body</span>.<br>Hot.</p>",
            &["br".to_string()],
        )
        .unwrap();
        assert_eq!(
            out,
            "<p>The Kovaro KT-120 kettle.</p><p>Cool body.<br>Hot.</p>"
        );
        assert_eq!(names, ["b", "i", "span"]);
        assert_eq!(
            extract(&out).unwrap(),
            ["The Kovaro KT-120 kettle.", "Cool body.", "Hot."]
        );
        // Allowed inline elements stay; nothing to unwrap is no change.
        let (out, names) = unwrap_inline("<p>A <b>b</b></p>", &["b".to_string()]).unwrap();
        assert_eq!((out.as_str(), names.len()), ("<p>A <b>b</b></p>", 0));
        let (out, _) = unwrap_inline("plain text", &[]).unwrap();
        assert_eq!(out, "plain text");
    }

    #[test]
    fn sanitize_keeps_only_allowed_tags() {
        let out = sanitize(DESC, &["br".to_string()]).unwrap();
        assert_eq!(
            out,
            "Keeps drinks cold for 24 h.<br>\nLeak-proof &amp; light"
        );
        assert_eq!(tag_names(&out).unwrap(), ["br"]);
        let plain = sanitize("<p>a</p><p>b<br>c</p>", &[]).unwrap();
        assert_eq!(plain, "a\nb\nc");
    }
}
