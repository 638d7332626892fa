//! Streaming detokenization: token ids go in one at a time, text deltas come
//! out, and a delta never ends inside a UTF-8 character (a byte-level BPE token
//! may hold only part of one, e.g. half of an emoji).
//!
//! [`Detokenizer`] keeps a small window of ids and decodes it through the
//! [`Tokenizer`] on each step, like candle-examples' `TokenOutputStream` and the
//! `tokenizers` crate's `DecodeStream`; unlike the latter it does not borrow the
//! tokenizer, so the engine can keep one per running sequence. The engine calls
//! [`Detokenizer::push`] for every sampled token and [`Detokenizer::flush`] when
//! the sequence ends.

use super::api::LlmError;
use super::tokenizer::Tokenizer;

/// Per-sequence streaming decoder. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Detokenizer {
    /// Ids not yet fully emitted, starting at `prefix` (relative start 0).
    ids: Vec<u32>,
    /// `ids[..read]` has been emitted; `ids[..read]` decoded is the prefix text
    /// that later decodes are compared against.
    read: usize,
    skip_special: bool,
}

impl Detokenizer {
    /// A decoder that emits special tokens as text (`<|im_end|>`, …).
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that leaves out special (control) tokens.
    pub fn skipping_special() -> Self {
        Self {
            skip_special: true,
            ..Self::default()
        }
    }

    fn decode(&self, tok: &Tokenizer, ids: &[u32]) -> Result<String, LlmError> {
        if self.skip_special {
            tok.decode_skip_special(ids)
        } else {
            tok.decode(ids)
        }
    }

    /// Feed the next token; returns the new text it completes, if any.
    pub fn push(&mut self, tok: &Tokenizer, id: u32) -> Result<Option<String>, LlmError> {
        let prefix = self.decode(tok, &self.ids[..self.read])?;
        self.ids.push(id);
        let text = self.decode(tok, &self.ids)?;
        // An incomplete character decodes to U+FFFD at the end: wait for more.
        if text.len() <= prefix.len() || text.ends_with(char::REPLACEMENT_CHARACTER) {
            return Ok(None);
        }
        let Some(delta) = text.strip_prefix(prefix.as_str()) else {
            // Cannot happen with byte-level decoding; emit nothing rather than
            // text that repeats or contradicts what was already sent.
            return Ok(None);
        };
        let delta = delta.to_string();
        // Keep the last emitted token as context for the next decode (some
        // decoders treat the first token specially), drop everything before it.
        let keep_from = self.ids.len() - 1;
        self.ids.drain(..keep_from);
        self.read = self.ids.len();
        Ok(Some(delta))
    }

    /// The text still held back (an incomplete character at the end of the
    /// sequence, decoded lossily); resets the decoder.
    pub fn flush(&mut self, tok: &Tokenizer) -> Result<Option<String>, LlmError> {
        let prefix = self.decode(tok, &self.ids[..self.read])?;
        let text = self.decode(tok, &self.ids)?;
        self.ids.clear();
        self.read = 0;
        Ok(text
            .strip_prefix(prefix.as_str())
            .filter(|d| !d.is_empty())
            .map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::tokenizer::testutil::tiny;

    fn stream(d: &mut Detokenizer, t: &Tokenizer, ids: &[u32]) -> Vec<String> {
        let mut out = Vec::new();
        for &id in ids {
            if let Some(s) = d.push(t, id).unwrap() {
                out.push(s);
            }
        }
        if let Some(s) = d.flush(t).unwrap() {
            out.push(s);
        }
        out
    }

    #[test]
    fn deltas_never_split_characters_and_concatenate_to_the_text() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        // The tiny vocabulary has no multi-byte merges, so every non-ASCII
        // character spans several tokens.
        let text = "hello wörld 日本 🎧!";
        let ids = t.encode(text, false).unwrap();
        assert!(ids.len() > text.chars().count());
        let deltas = stream(&mut Detokenizer::new(), &t, &ids);
        assert_eq!(deltas.concat(), text);
        assert!(
            deltas
                .iter()
                .all(|d| !d.contains(char::REPLACEMENT_CHARACTER))
        );
        assert!(deltas.contains(&"🎧".to_string()) || deltas.iter().any(|d| d.ends_with('🎧')));
    }

    #[test]
    fn special_tokens_can_be_skipped() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let ids = t.encode("hello<|im_end|>", false).unwrap();
        assert_eq!(
            stream(&mut Detokenizer::new(), &t, &ids).concat(),
            "hello<|im_end|>"
        );
        assert_eq!(
            stream(&mut Detokenizer::skipping_special(), &t, &ids).concat(),
            "hello"
        );
    }

    #[test]
    fn incomplete_tail_is_flushed_lossily() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let ids = t.encode("a🎧", false).unwrap();
        let mut d = Detokenizer::new();
        let mut out = String::new();
        for &id in &ids[..ids.len() - 1] {
            if let Some(s) = d.push(&t, id).unwrap() {
                out.push_str(&s);
            }
        }
        assert_eq!(out, "a");
        let tail = d.flush(&t).unwrap().unwrap();
        assert!(tail.contains(char::REPLACEMENT_CHARACTER));
    }
}
