//! Speculative decoding: a small draft model with the target's vocabulary
//! guesses the next k tokens one at a time, and the target checks all k in
//! one forward pass over k + 1 positions. Main types: [`Draft`] (the draft
//! model and its own prefix cache, owned by the engine's worker) and
//! [`Speculation`] (one sequence's draft cache and its k). The engine
//! (`engine.rs`) runs a speculative step for a greedy sequence decoding alone
//! and batched steps otherwise.
//!
//! Exactness: the target's logits at each verified position are bit for bit
//! those of a one-token step (`Transformer::forward_all`, see `transformer`'s
//! batch invariance), and the engine chooses each token from them with the
//! sequence's own sampler exactly as a plain step would; a drafted token only
//! decides how many positions one step gets to look at. Greedy output is
//! therefore token for token the target's alone, whatever the draft proposes.
//! Rejected positions are forgotten by truncating both caches
//! ([`KvCache::truncate`]).
//!
//! k adapts to the acceptance: it starts at [`START_K`], grows by one after a
//! step that accepted every drafted token and shrinks by one after a step that
//! accepted fewer than half, within `1..=`[`MAX_K`].

use candle_core::{DType, Result};

use super::api::LlmError;
use super::kv_cache::{KvCache, PrefixCache};
use super::sampling::argmax;
use super::tokenizer::Tokenizer;
use super::transformer::{SeqStep, Transformer};

/// Drafted tokens per step at the start of a sequence.
pub(crate) const START_K: usize = 4;
/// Most drafted tokens per step.
pub(crate) const MAX_K: usize = 8;

/// The draft model, with a prefix cache of its own (the pipeline's prompts
/// share their system prompt and examples for the draft as for the target).
pub(crate) struct Draft {
    model: Transformer,
    prefix: PrefixCache,
}

/// One sequence's speculative state: the draft's cache (the draft's view of
/// the sequence, possibly a few tokens behind the target) and its current k.
pub(crate) struct Speculation {
    cache: KvCache,
    k: usize,
}

impl Speculation {
    /// Tokens to draft next.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Forget draft positions from `len` on (tokens the target rejected).
    pub fn rollback(&mut self, len: usize) {
        self.cache.truncate(len);
    }

    /// Adjust k after a step that drafted `drafted` tokens and saw `accepted`
    /// of them taken.
    pub fn adapt(&mut self, drafted: usize, accepted: usize) {
        self.k = next_k(self.k, drafted, accepted);
    }

    /// Bytes held by the draft cache.
    pub fn bytes(&self) -> usize {
        self.cache.bytes()
    }
}

/// k after a step that drafted `drafted` and had `accepted` taken.
fn next_k(k: usize, drafted: usize, accepted: usize) -> usize {
    if drafted == 0 {
        k
    } else if accepted >= drafted {
        (k + 1).min(MAX_K)
    } else if 2 * accepted < drafted {
        k.saturating_sub(1).max(1)
    } else {
        k
    }
}

/// Shortest shared prompt beginning worth taking from the draft's prefix cache.
const MIN_REUSE: usize = 16;

impl Draft {
    /// Wrap a loaded draft model; `prefix_cache_bytes` bounds its prefix cache.
    pub fn new(model: Transformer, prefix_cache_bytes: usize) -> Self {
        Self {
            model,
            prefix: PrefixCache::new(prefix_cache_bytes),
        }
    }

    /// The draft's context window.
    pub fn context_len(&self) -> usize {
        self.model.hp.context_length
    }

    /// Fresh speculative state for a sequence with `prompt`, starting from the
    /// draft's longest cached prefix of it.
    pub fn start(&mut self, prompt: &[u32], dtype: DType) -> Speculation {
        let cache = self
            .prefix
            .start(prompt, MIN_REUSE)
            .filter(|c| c.dtype() == dtype)
            .unwrap_or_else(|| self.model.new_cache(dtype));
        Speculation { cache, k: START_K }
    }

    /// Feed the draft the tokens of `seq` it has not seen (`seq[cache len..]`),
    /// at most `chunk` per forward pass, and return the logits after the last
    /// (`None` when there was nothing to feed). The first `prompt_len` tokens
    /// of `seq` are the prompt: once the draft holds exactly those, its cache
    /// is offered to the draft's prefix cache.
    pub fn catch_up(
        &mut self,
        spec: &mut Speculation,
        seq: &[u32],
        prompt_len: usize,
        chunk: usize,
    ) -> Result<Option<Vec<f32>>> {
        let mut logits = None;
        while spec.cache.len() < seq.len() {
            let from = spec.cache.len();
            let mut to = seq.len().min(from + chunk.max(1));
            if from < prompt_len {
                to = to.min(prompt_len);
            }
            let out = self.model.forward(&mut [SeqStep {
                tokens: &seq[from..to],
                cache: &mut spec.cache,
            }])?;
            if to == prompt_len {
                self.prefix.insert(&seq[..prompt_len], &spec.cache);
            }
            logits = Some(out);
        }
        match logits {
            Some(l) => Ok(Some(l.squeeze(0)?.to_vec1()?)),
            None => Ok(None),
        }
    }

    /// Bring the draft up to `context` (prompt and generated tokens; the
    /// last one is not in the target's cache yet) and propose `k` greedy
    /// continuations, considering only ids below `vocab`. Afterwards the
    /// draft's cache holds `context` and all but the last proposal.
    pub fn propose(
        &mut self,
        spec: &mut Speculation,
        context: &[u32],
        prompt_len: usize,
        k: usize,
        vocab: usize,
        chunk: usize,
    ) -> Result<Vec<u32>> {
        // The last token always goes through the draft here, so there are
        // logits to start from.
        if spec.cache.len() >= context.len() {
            spec.cache.truncate(context.len().saturating_sub(1));
        }
        let mut row = self
            .catch_up(spec, context, prompt_len, chunk)?
            .unwrap_or_default();
        let mut out = Vec::with_capacity(k);
        while out.len() < k {
            let t = argmax(&row[..row.len().min(vocab)]);
            out.push(t);
            if out.len() == k {
                break;
            }
            row = self
                .model
                .forward(&mut [SeqStep {
                    tokens: &[t],
                    cache: &mut spec.cache,
                }])?
                .squeeze(0)?
                .to_vec1()?;
        }
        Ok(out)
    }
}

/// Check that the draft reads token ids as the target does: the same
/// vocabulary (every id the same string), the same end-of-turn ids and
/// pre-tokenizer, and embeddings (`draft_rows`) for every id the target can
/// emit. Speculation with another vocabulary would still be exact (the
/// target decides every token) but would accept almost nothing.
pub(crate) fn check_vocabulary(
    target: &Tokenizer,
    draft: &Tokenizer,
    draft_rows: usize,
) -> std::result::Result<(), LlmError> {
    let mismatch = |reason: String| Err(LlmError::DraftMismatch(reason));
    if target.vocab_size() != draft.vocab_size() {
        return mismatch(format!(
            "the target's vocabulary has {} tokens, the draft's {}",
            target.vocab_size(),
            draft.vocab_size()
        ));
    }
    if draft_rows < target.vocab_size() {
        return mismatch(format!(
            "the draft model embeds {draft_rows} tokens, fewer than the vocabulary's {}",
            target.vocab_size()
        ));
    }
    for id in 0..target.vocab_size() as u32 {
        let (a, b) = (target.id_to_token(id), draft.id_to_token(id));
        if a != b {
            return mismatch(format!(
                "token {id} is {:?} for the target and {:?} for the draft",
                a.unwrap_or_default(),
                b.unwrap_or_default()
            ));
        }
    }
    if target.eos_ids() != draft.eos_ids() {
        return mismatch(format!(
            "end-of-turn ids differ: {:?} for the target, {:?} for the draft",
            target.eos_ids(),
            draft.eos_ids()
        ));
    }
    if target.pre_tokenizer() != draft.pre_tokenizer() {
        return mismatch(format!(
            "pre-tokenizers differ: {:?} for the target, {:?} for the draft",
            target.pre_tokenizer(),
            draft.pre_tokenizer()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::tokenizer::testutil::tiny;
    use candle_core::quantized::gguf_file::Value;

    #[test]
    fn k_grows_on_full_acceptance_and_shrinks_on_poor() {
        assert_eq!(next_k(4, 4, 4), 5);
        assert_eq!(next_k(8, 8, 8), 8);
        assert_eq!(next_k(4, 4, 2), 4);
        assert_eq!(next_k(4, 4, 1), 3);
        assert_eq!(next_k(1, 1, 0), 1);
        assert_eq!(next_k(3, 0, 0), 3);
    }

    #[test]
    fn tokenizers_must_share_the_vocabulary() {
        let a = Tokenizer::from_gguf(&tiny("qwen2", &[])).unwrap();
        let n = a.vocab_size();
        assert!(check_vocabulary(&a, &a.clone(), n).is_ok());

        // One token spelled differently.
        let mut ct = tiny("qwen2", &[]);
        if let Some(Value::Array(tokens)) = ct.metadata.get_mut("tokenizer.ggml.tokens")
            && let Some(last) = tokens.last_mut()
        {
            *last = Value::String("<tool_use>".into());
        }
        let b = Tokenizer::from_gguf(&ct).unwrap();
        let e = check_vocabulary(&a, &b, n).unwrap_err();
        assert!(matches!(e, LlmError::DraftMismatch(_)), "{e}");
        assert!(e.to_string().contains("<tool_use>"), "{e}");

        // Another pre-tokenizer over the same tokens.
        let c = Tokenizer::from_gguf(&tiny("llama-bpe", &[])).unwrap();
        let e = check_vocabulary(&a, &c, n).unwrap_err();
        assert!(e.to_string().contains("pre-tokenizers"), "{e}");

        // A draft whose embeddings stop short of the vocabulary.
        let e = check_vocabulary(&a, &a.clone(), n - 1).unwrap_err();
        assert!(e.to_string().contains("embeds"), "{e}");
    }
}
