//! The tokenizer, built from a GGUF file's own metadata so that no second
//! download (`tokenizer.json`) is needed.
//!
//! [`Tokenizer::from_gguf`] reads `tokenizer.ggml.*` (tokens, merges, token
//! types, special token ids, the pre-tokenizer name) and assembles a
//! byte-level BPE `tokenizers::Tokenizer` with the same normalizer,
//! pre-tokenizer split regex, added tokens and decoder as the model's reference
//! `tokenizer.json`. The engine calls it once per loaded model; the chat template
//! ([`super::chat`]) produces the text it encodes and the streaming detokenizer
//! ([`super::detok`]) decodes through it.
//!
//! The GGUF is untrusted input: every key the tokenizer needs is checked for
//! presence and type, sizes are capped, and an error names the key.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, PreTokenizerWrapper, SplitDelimiterBehavior};

use super::api::LlmError;

/// Largest vocabulary accepted (the biggest real ones are ~260k).
const MAX_VOCAB: usize = 1 << 20;
/// Largest number of merges accepted.
const MAX_MERGES: usize = 1 << 21;
/// Longest text [`Tokenizer::encode`] accepts, in bytes (a context window of
/// 128k tokens is well under this).
pub const MAX_ENCODE_BYTES: usize = 4 << 20;

/// Split regex of Qwen2/Qwen2.5/Qwen3 (`tokenizer.ggml.pre = qwen2`): single
/// digits, letters with one leading non-letter, punctuation runs, newlines.
const REGEX_QWEN2: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Split regex of Llama 3 (`llama-bpe`): like Qwen2 but digits in groups of three.
const REGEX_LLAMA3: &str = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Token types of `tokenizer.ggml.token_type` (llama.cpp's `llama_token_type`).
mod token_type {
    pub const NORMAL: u32 = 1;
    pub const UNKNOWN: u32 = 2;
    pub const CONTROL: u32 = 3;
    pub const USER_DEFINED: u32 = 4;
    pub const UNUSED: u32 = 5;
    pub const BYTE: u32 = 6;
}

/// End-of-turn markers of the chat families silkroute knows; those present in
/// the vocabulary stop generation in addition to the GGUF's eos id.
const END_OF_TURN: &[&str] = &[
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
];

/// How text is split before BPE, chosen by `tokenizer.ggml.pre`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizerKind {
    /// Qwen2/2.5/3: NFC, then the Qwen split regex, then byte-level.
    Qwen2,
    /// Llama 3: the Llama 3 split regex (digits in threes), then byte-level;
    /// merges are ignored for whole-word vocabulary hits.
    Llama3,
    /// SmolLM / StarCoder: every digit on its own, then GPT-2 byte-level with
    /// its own regex.
    SmolLm,
    /// Plain GPT-2 byte-level.
    Gpt2,
}

impl PreTokenizerKind {
    /// The kind for a `tokenizer.ggml.pre` value, `None` when unknown.
    pub fn from_gguf_name(name: &str) -> Option<Self> {
        Some(match name {
            "qwen2" | "deepseek-r1-qwen" | "megrez" => Self::Qwen2,
            "llama3" | "llama-v3" | "llama-bpe" | "smaug-bpe" | "falcon3" | "pixtral" => {
                Self::Llama3
            }
            "smollm" | "starcoder" | "refact" | "codeshell" => Self::SmolLm,
            "gpt2" | "gpt-2" | "default" => Self::Gpt2,
            _ => return None,
        })
    }
}

/// A byte-level BPE tokenizer built from GGUF metadata. Cheap to share behind an
/// `Arc`; all methods take `&self`.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    kind: PreTokenizerKind,
    bos: Option<u32>,
    eos: Option<u32>,
    pad: Option<u32>,
    add_bos: bool,
    eos_ids: Vec<u32>,
    vocab_size: usize,
    /// [`Tokenizer::cjk_tokens`], computed on first use.
    cjk: OnceLock<Arc<[bool]>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("kind", &self.kind)
            .field("vocab_size", &self.vocab_size)
            .field("bos", &self.bos)
            .field("eos_ids", &self.eos_ids)
            .finish_non_exhaustive()
    }
}

/// The byte each character of a byte-level BPE token stands for: GPT-2's
/// `bytes_to_unicode` table inverted (printable bytes stand for themselves, the
/// others for U+0100 onwards in order). Written here because `tokenizers`
/// keeps its own copy crate-private.
fn byte_level_bytes() -> HashMap<char, u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut next = 0x100u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            char::from(b)
        } else {
            next += 1;
            char::from_u32(next - 1).unwrap_or(char::REPLACEMENT_CHARACTER)
        };
        map.insert(c, b);
    }
    map
}

fn meta<'a>(ct: &'a Content, key: &str) -> Result<&'a Value, LlmError> {
    ct.metadata
        .get(key)
        .ok_or_else(|| LlmError::Metadata(key.to_string()))
}

fn meta_opt_u32(ct: &Content, key: &str) -> Result<Option<u32>, LlmError> {
    match ct.metadata.get(key) {
        None => Ok(None),
        Some(v) => value_u32(v)
            .map(Some)
            .ok_or_else(|| LlmError::Metadata(format!("{key} (expected an unsigned integer)"))),
    }
}

fn meta_opt_bool(ct: &Content, key: &str) -> Result<Option<bool>, LlmError> {
    match ct.metadata.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(LlmError::Metadata(format!("{key} (expected a boolean)"))),
    }
}

fn value_u32(v: &Value) -> Option<u32> {
    match *v {
        Value::U8(x) => Some(u32::from(x)),
        Value::U16(x) => Some(u32::from(x)),
        Value::U32(x) => Some(x),
        Value::U64(x) => u32::try_from(x).ok(),
        Value::I8(x) => u32::try_from(x).ok(),
        Value::I16(x) => u32::try_from(x).ok(),
        Value::I32(x) => u32::try_from(x).ok(),
        Value::I64(x) => u32::try_from(x).ok(),
        _ => None,
    }
}

fn string_array<'a>(ct: &'a Content, key: &str, max: usize) -> Result<Vec<&'a str>, LlmError> {
    let Value::Array(items) = meta(ct, key)? else {
        return Err(LlmError::Metadata(format!("{key} (expected an array)")));
    };
    if items.len() > max {
        return Err(LlmError::Metadata(format!(
            "{key} (has {} entries, more than the {max} accepted)",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) => Ok(s.as_str()),
            _ => Err(LlmError::Metadata(format!(
                "{key}[{i}] (expected a string)"
            ))),
        })
        .collect()
}

fn tok_err(what: &str) -> impl Fn(tokenizers::Error) -> LlmError + '_ {
    move |e| LlmError::Tokenizer(format!("{what}: {e}"))
}

fn split_then_byte_level(regex: &str) -> Result<PreTokenizerWrapper, LlmError> {
    let split = Split::new(
        SplitPattern::Regex(regex.to_string()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(tok_err("split regex"))?;
    Ok(Sequence::new(vec![
        split.into(),
        ByteLevel::new(false, false, false).into(),
    ])
    .into())
}

impl Tokenizer {
    /// Build the tokenizer from a GGUF's metadata (tensors are not needed, so a
    /// `Content` read from the file header is enough).
    ///
    /// Supports byte-level BPE vocabularies (`tokenizer.ggml.model = gpt2`) with
    /// the pre-tokenizers of Qwen2/2.5/3, Llama 3, SmolLM/StarCoder and GPT-2.
    pub fn from_gguf(ct: &Content) -> Result<Self, LlmError> {
        let model = match meta(ct, "tokenizer.ggml.model")? {
            Value::String(s) => s.as_str(),
            _ => {
                return Err(LlmError::Metadata(
                    "tokenizer.ggml.model (expected a string)".into(),
                ));
            }
        };
        if model != "gpt2" {
            return Err(LlmError::Tokenizer(format!(
                "tokenizer.ggml.model `{model}` is not supported (only byte-level BPE, `gpt2`)"
            )));
        }
        let pre_name = match ct.metadata.get("tokenizer.ggml.pre") {
            None => "gpt2",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(LlmError::Metadata(
                    "tokenizer.ggml.pre (expected a string)".into(),
                ));
            }
        };
        let kind = PreTokenizerKind::from_gguf_name(pre_name).ok_or_else(|| {
            LlmError::Tokenizer(format!(
                "tokenizer.ggml.pre `{pre_name}` is not supported (known: qwen2, llama-bpe, smollm, gpt2)"
            ))
        })?;

        let tokens = string_array(ct, "tokenizer.ggml.tokens", MAX_VOCAB)?;
        if tokens.is_empty() {
            return Err(LlmError::Metadata("tokenizer.ggml.tokens (empty)".into()));
        }
        let types: Vec<u32> = match ct.metadata.get("tokenizer.ggml.token_type") {
            None => vec![token_type::NORMAL; tokens.len()],
            Some(Value::Array(items)) => {
                if items.len() != tokens.len() {
                    return Err(LlmError::Metadata(format!(
                        "tokenizer.ggml.token_type (has {} entries for {} tokens)",
                        items.len(),
                        tokens.len()
                    )));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        value_u32(v).ok_or_else(|| {
                            LlmError::Metadata(format!(
                                "tokenizer.ggml.token_type[{i}] (expected an integer)"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            Some(_) => {
                return Err(LlmError::Metadata(
                    "tokenizer.ggml.token_type (expected an array)".into(),
                ));
            }
        };
        let merges = string_array(ct, "tokenizer.ggml.merges", MAX_MERGES)?
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| {
                        LlmError::Metadata(format!(
                            "tokenizer.ggml.merges[{i}] (`{m}` is not two tokens separated by a space)"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;

        // The first id wins when a (broken) vocabulary repeats a token string.
        let mut vocab = Vocab::with_capacity(tokens.len());
        for (id, t) in tokens.iter().enumerate() {
            let id = u32::try_from(id)
                .map_err(|_| LlmError::Metadata("tokenizer.ggml.tokens".into()))?;
            vocab.entry((*t).to_string()).or_insert(id);
        }
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .ignore_merges(kind == PreTokenizerKind::Llama3)
            .build()
            .map_err(|e| LlmError::Tokenizer(format!("tokenizer.ggml.merges: {e}")))?;
        let mut inner = tokenizers::Tokenizer::new(bpe);

        match kind {
            PreTokenizerKind::Qwen2 => {
                inner
                    .with_normalizer(Some(NFC))
                    .map_err(tok_err("NFC normalizer"))?;
                inner.with_pre_tokenizer(Some(split_then_byte_level(REGEX_QWEN2)?));
            }
            PreTokenizerKind::Llama3 => {
                inner.with_pre_tokenizer(Some(split_then_byte_level(REGEX_LLAMA3)?));
            }
            PreTokenizerKind::SmolLm => {
                let seq: PreTokenizerWrapper = Sequence::new(vec![
                    Digits::new(true).into(),
                    ByteLevel::new(false, true, true).into(),
                ])
                .into();
                inner.with_pre_tokenizer(Some(seq));
            }
            PreTokenizerKind::Gpt2 => {
                inner.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
            }
        }
        inner.with_decoder(Some(ByteLevelDecoder::new(false, true, true)));

        // Control tokens are special (dropped by `decode_skip_special`);
        // user-defined ones (Qwen's `<tool_call>`) are plain added tokens. Both
        // are matched in raw text before pre-tokenization, as in `tokenizer.json`.
        let added: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, ty)| {
                matches!(
                    **ty,
                    token_type::CONTROL | token_type::USER_DEFINED | token_type::UNKNOWN
                )
            })
            .map(|(t, ty)| {
                AddedToken::from((*t).to_string(), *ty != token_type::USER_DEFINED)
                    .normalized(false)
            })
            .collect();
        if types.contains(&token_type::BYTE) {
            return Err(LlmError::Tokenizer(
                "byte tokens (tokenizer.ggml.token_type = 6) belong to SentencePiece vocabularies, which are not supported".into(),
            ));
        }
        let _ = token_type::UNUSED; // never matched in text, decoded as plain tokens
        inner
            .add_tokens(added)
            .map_err(tok_err("adding the special and user-defined tokens"))?;

        let vocab_size = tokens.len();
        let check_id = |key: &str| -> Result<Option<u32>, LlmError> {
            match meta_opt_u32(ct, key)? {
                Some(id) if id as usize >= vocab_size => Err(LlmError::Metadata(format!(
                    "{key} (id {id} is outside the vocabulary of {vocab_size})"
                ))),
                other => Ok(other),
            }
        };
        let bos = check_id("tokenizer.ggml.bos_token_id")?;
        let eos = check_id("tokenizer.ggml.eos_token_id")?;
        let pad = check_id("tokenizer.ggml.padding_token_id")?;
        let add_bos = meta_opt_bool(ct, "tokenizer.ggml.add_bos_token")?.unwrap_or(false);

        let mut eos_ids: Vec<u32> = eos.into_iter().collect();
        for name in END_OF_TURN {
            if let Some(id) = inner.token_to_id(name)
                && !eos_ids.contains(&id)
            {
                eos_ids.push(id);
            }
        }

        Ok(Self {
            inner,
            kind,
            bos,
            eos,
            pad,
            add_bos,
            eos_ids,
            vocab_size,
            cjk: OnceLock::new(),
        })
    }

    /// Encode text to token ids. Special tokens written in the text
    /// (`<|im_start|>` …) become their ids. With `add_special`, the BOS token is
    /// prepended when the GGUF asks for it (`tokenizer.ggml.add_bos_token`).
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>, LlmError> {
        if text.len() > MAX_ENCODE_BYTES {
            return Err(LlmError::Tokenizer(format!(
                "text of {} bytes is longer than the {MAX_ENCODE_BYTES} accepted",
                text.len()
            )));
        }
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(tok_err("encode"))?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if add_special
            && self.add_bos
            && let Some(bos) = self.bos
        {
            ids.push(bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Decode token ids to text, special tokens included (so that
    /// `decode(encode(s)) == s`). Ids outside the vocabulary are an error.
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.check_ids(ids)?;
        self.inner.decode(ids, false).map_err(tok_err("decode"))
    }

    /// Decode token ids to text, leaving out special (control) tokens.
    pub fn decode_skip_special(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.check_ids(ids)?;
        self.inner.decode(ids, true).map_err(tok_err("decode"))
    }

    fn check_ids(&self, ids: &[u32]) -> Result<(), LlmError> {
        match ids.iter().find(|&&id| id as usize >= self.vocab_size) {
            Some(id) => Err(LlmError::Tokenizer(format!(
                "token id {id} is outside the vocabulary of {}",
                self.vocab_size
            ))),
            None => Ok(()),
        }
    }

    /// The id of a token string (a vocabulary entry such as `<|im_end|>` or `Ġthe`).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The vocabulary entry of an id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Ids that end a generation: the GGUF's eos plus the end-of-turn tokens of
    /// the known chat families that exist in this vocabulary (`<|im_end|>`,
    /// `<|endoftext|>`, …).
    pub fn eos_ids(&self) -> Vec<u32> {
        self.eos_ids.clone()
    }

    /// Whether `id` ends a generation (see [`Tokenizer::eos_ids`]).
    pub fn is_eos(&self, id: u32) -> bool {
        self.eos_ids.contains(&id)
    }

    /// The beginning-of-sequence id, if the GGUF declares one.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos
    }

    /// The GGUF's own `eos_token_id`.
    pub fn eos_id(&self) -> Option<u32> {
        self.eos
    }

    /// The padding id, if declared.
    pub fn pad_id(&self) -> Option<u32> {
        self.pad
    }

    /// Which ids (`true` at the id) write a Chinese, Japanese or Korean
    /// character, or begin one: their bytes hold a UTF-8 lead byte of U+3000 to
    /// U+DFFF (CJK symbols, kana, CJK ideographs, Yi, Hangul), which is how a
    /// byte-level token holding part of such a character starts it. For
    /// [`SamplingParams::ban_cjk`](super::SamplingParams::ban_cjk); computed
    /// once, on first use (a pass over the vocabulary).
    pub fn cjk_tokens(&self) -> Arc<[bool]> {
        self.cjk
            .get_or_init(|| {
                let bytes = byte_level_bytes();
                (0..self.vocab_size as u32)
                    .map(|id| {
                        self.inner.id_to_token(id).is_some_and(|t| {
                            t.chars().any(|c| match bytes.get(&c) {
                                Some(b) => (0xE3..=0xED).contains(b),
                                // An added token, as written.
                                None => ('\u{3000}'..='\u{D7FF}').contains(&c),
                            })
                        })
                    })
                    .collect()
            })
            .clone()
    }

    /// Number of entries in the vocabulary (`tokenizer.ggml.tokens`); may be
    /// smaller than the model's embedding rows.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The pre-tokenizer in use.
    pub fn pre_tokenizer(&self) -> PreTokenizerKind {
        self.kind
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

/// A tiny in-memory GGUF tokenizer for unit tests of this module and its neighbours.
#[cfg(test)]
pub(crate) mod testutil {
    use super::token_type;
    use candle_core::quantized::gguf_file::{Content, Value};
    use std::collections::HashMap;

    /// A tiny GPT-2 style vocabulary: all 256 byte-level characters, a few
    /// merges, and ChatML control tokens.
    pub(crate) fn tiny(pre: &str, extra: &[(&str, Value)]) -> Content {
        let bytes = byte_chars();
        let mut tokens: Vec<String> = bytes.clone();
        let merges = [
            "h e", "l l", "he ll", "hell o", "Ġ w", "Ġw o", "r l", "Ġwo rl", "Ġworl d",
        ];
        for m in merges {
            tokens.push(m.replace(' ', ""));
        }
        let mut types = vec![token_type::NORMAL; tokens.len()];
        for special in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] {
            tokens.push(special.to_string());
            types.push(token_type::CONTROL);
        }
        tokens.push("<tool_call>".into());
        types.push(token_type::USER_DEFINED);
        let n = tokens.len() as u32;
        let mut metadata = HashMap::new();
        metadata.insert("tokenizer.ggml.model".into(), Value::String("gpt2".into()));
        metadata.insert("tokenizer.ggml.pre".into(), Value::String(pre.into()));
        metadata.insert(
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        );
        metadata.insert(
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.into_iter().map(|t| Value::I32(t as i32)).collect()),
        );
        metadata.insert(
            "tokenizer.ggml.merges".into(),
            Value::Array(
                merges
                    .iter()
                    .map(|m| Value::String(m.to_string()))
                    .collect(),
            ),
        );
        metadata.insert("tokenizer.ggml.eos_token_id".into(), Value::U32(n - 4));
        metadata.insert("tokenizer.ggml.bos_token_id".into(), Value::U32(n - 4));
        for (k, v) in extra {
            metadata.insert((*k).to_string(), v.clone());
        }
        Content {
            magic: candle_core::quantized::gguf_file::VersionedMagic::GgufV3,
            metadata,
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        }
    }

    /// GPT-2's byte-to-character table, in byte order.
    /// The 256 byte-level characters, in byte order.
    fn byte_chars() -> Vec<String> {
        let mut by_byte: Vec<(u8, char)> = super::byte_level_bytes()
            .into_iter()
            .map(|(c, b)| (b, c))
            .collect();
        by_byte.sort_unstable();
        by_byte.into_iter().map(|(_, c)| c.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::tiny;
    use super::*;

    #[test]
    fn encodes_with_merges_and_specials() {
        for pre in ["qwen2", "smollm", "gpt2", "llama-bpe"] {
            let t = Tokenizer::from_gguf(&tiny(pre, &[])).unwrap();
            let ids = t
                .encode("<|im_start|>hello world<|im_end|>", false)
                .unwrap();
            let toks: Vec<String> = ids.iter().map(|&i| t.id_to_token(i).unwrap()).collect();
            assert_eq!(
                toks,
                ["<|im_start|>", "hello", "Ġworld", "<|im_end|>"],
                "{pre}"
            );
            assert_eq!(t.decode(&ids).unwrap(), "<|im_start|>hello world<|im_end|>");
            assert_eq!(t.decode_skip_special(&ids).unwrap(), "hello world");
        }
    }

    #[test]
    fn tokens_that_write_or_begin_a_cjk_character_are_known() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let cjk = t.cjk_tokens();
        assert_eq!(cjk.len(), t.vocab_size());
        let banned = |text: &str| {
            let ids = t.encode(text, false).unwrap();
            assert_eq!(t.decode(&ids).unwrap(), text);
            ids.iter().any(|&i| cjk[i as usize])
        };
        // Chinese, Japanese and Korean, byte by byte in this vocabulary: the
        // lead byte's token is marked.
        for text in ["长绒棉", "绒", "サビ", "、", "방수", "ㄱ"] {
            assert!(banned(text), "{text}");
        }
        // Latin letters with accents, symbols and punctuation of Latin text,
        // other scripts, specials and merged words are not.
        for text in [
            "hello world",
            "café 30 °C – 5’ € ™ × ½ Ω µ №",
            "Größe ñ ç ø ł ő ş",
            "Москва ελληνικά العربية ไทย हिन्दी Việt",
            "<|im_end|>",
        ] {
            assert!(!banned(text), "{text}");
        }
    }

    #[test]
    fn user_defined_tokens_are_matched_but_not_special() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let ids = t.encode("a<tool_call>b", false).unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(t.decode_skip_special(&ids).unwrap(), "a<tool_call>b");
    }

    #[test]
    fn digits_split_per_pre_tokenizer() {
        // qwen2 and smollm split every digit; llama3 keeps groups of three.
        let count = |pre: &str| {
            let t = Tokenizer::from_gguf(&tiny(pre, &[])).unwrap();
            t.encode("12345", false).unwrap().len()
        };
        assert_eq!(count("qwen2"), 5);
        assert_eq!(count("smollm"), 5);
        assert_eq!(count("llama-bpe"), 5); // no merges for digits in the tiny vocab
    }

    #[test]
    fn utf8_round_trip_through_bytes() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let s = "Größe 9/16\" – 日本語 🎧\n\n  x";
        let ids = t.encode(s, false).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), s);
    }

    #[test]
    fn eos_ids_include_end_of_turn_tokens() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let eot = t.token_to_id("<|im_end|>").unwrap();
        let eos = t.token_to_id("<|endoftext|>").unwrap();
        assert_eq!(t.eos_ids(), vec![eos, eot]);
        assert!(t.is_eos(eot));
    }

    #[test]
    fn bos_is_added_only_when_the_file_asks() {
        let t = Tokenizer::from_gguf(&tiny("gpt2", &[])).unwrap();
        assert_eq!(t.encode("h", true).unwrap().len(), 1);
        let t = Tokenizer::from_gguf(&tiny(
            "gpt2",
            &[("tokenizer.ggml.add_bos_token", Value::Bool(true))],
        ))
        .unwrap();
        let ids = t.encode("h", true).unwrap();
        assert_eq!(ids[0], t.bos_id().unwrap());
        assert_eq!(ids.len(), 2);
        assert_eq!(t.encode("h", false).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_key() {
        let mut ct = tiny("qwen2", &[]);
        ct.metadata.remove("tokenizer.ggml.merges");
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.merges"), "{e}");

        let ct = tiny(
            "qwen2",
            &[("tokenizer.ggml.eos_token_id", Value::U32(1_000_000))],
        );
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.eos_token_id"), "{e}");

        let ct = tiny(
            "qwen2",
            &[(
                "tokenizer.ggml.merges",
                Value::Array(vec![Value::String("nospace".into())]),
            )],
        );
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.merges[0]"), "{e}");

        let ct = tiny("mystery", &[]);
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("mystery"), "{e}");

        let ct = tiny(
            "qwen2",
            &[("tokenizer.ggml.model", Value::String("llama".into()))],
        );
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.model"), "{e}");

        let ct = tiny(
            "qwen2",
            &[(
                "tokenizer.ggml.token_type",
                Value::Array(vec![Value::I32(1)]),
            )],
        );
        let e = Tokenizer::from_gguf(&ct).unwrap_err().to_string();
        assert!(e.contains("tokenizer.ggml.token_type"), "{e}");
    }

    #[test]
    fn out_of_vocabulary_ids_are_errors() {
        let t = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        assert!(t.decode(&[u32::MAX]).is_err());
        assert!(t.encode(&"a".repeat(MAX_ENCODE_BYTES + 1), false).is_err());
    }
}
