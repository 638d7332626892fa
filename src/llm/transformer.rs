//! The decoder stack shared by the llama-family architectures (llama, qwen2):
//! RMS-normed pre-norm blocks with grouped-query attention, rotary positions
//! and a SwiGLU feed-forward. The architecture files (`llama.rs`, `qwen2.rs`)
//! read their GGUF metadata and tensors and build a [`Transformer`]; the engine
//! calls [`Transformer::forward`].
//!
//! Unlike candle-transformers' quantized models, `forward` takes a ragged batch:
//! several sequences, each bringing its own new tokens and its own [`KvCache`]
//! (owned by the scheduler). All rows of all sequences go through the quantized
//! matmuls together, so each weight block is decoded once per step for the whole
//! batch; only attention runs per sequence.
//!
//! Batch invariance: every step is computed row by row — embeddings, norms,
//! the kernels' matmuls (see `kernels`' module doc) and attention (see
//! `attention`) — so a sequence's logits come out the same bits whatever
//! else shares the step, however its prompt was chunked, whether its cache
//! began as a copy from the prefix cache, and on any number of threads. Greedy
//! output is therefore reproducible: a listing localized twice, or resumed
//! after a crash, or sent while a batch job runs, comes back with the same
//! words.

use candle_core::quantized::QTensor;
use candle_core::{DType, Device, Module, Result, Tensor};
use std::sync::Arc;

use super::attention;
use super::kernels::Linear;
use super::kv_cache::KvCache;

/// How rotary embeddings pair the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RopeStyle {
    /// Pairs (2i, 2i+1): GGUF llama weights.
    Interleaved,
    /// Pairs (i, i + d/2): qwen2 ("neox").
    Neox,
}

/// Hyperparameters of one model, read from GGUF metadata by the architecture file.
#[derive(Debug, Clone)]
pub(crate) struct Hyper {
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub context_length: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    pub rope: RopeStyle,
}

/// One transformer block.
pub(crate) struct Layer {
    pub attn_norm: Tensor,
    pub wq: Linear,
    pub wk: Linear,
    pub wv: Linear,
    /// qwen2 has q/k/v biases; llama does not.
    pub bias: Option<(Tensor, Tensor, Tensor)>,
    pub wo: Linear,
    pub ffn_norm: Tensor,
    pub gate: Linear,
    pub up: Linear,
    pub down: Linear,
}

/// One sequence's part of a ragged batch: its new tokens and its cache. The
/// tokens are placed at positions `cache.len()..cache.len() + tokens.len()`.
pub(crate) struct SeqStep<'a> {
    pub tokens: &'a [u32],
    pub cache: &'a mut KvCache,
}

/// A decoder-only transformer with quantized weights.
pub(crate) struct Transformer {
    pub hp: Hyper,
    pub vocab: usize,
    /// Token embeddings, kept quantized: rows are dequantized on lookup.
    pub embed: Arc<QTensor>,
    pub layers: Vec<Layer>,
    pub norm: Tensor,
    pub output: Linear,
    /// Rotary tables, `head_dim / 2` cosines (sines) per position.
    cos: Vec<f32>,
    sin: Vec<f32>,
    device: Device,
}

impl Transformer {
    /// Assemble a model and precompute the rotary tables for its context.
    pub fn new(
        hp: Hyper,
        embed: Arc<QTensor>,
        layers: Vec<Layer>,
        norm: Tensor,
        output: Linear,
        device: &Device,
    ) -> Result<Self> {
        let vocab = embed.shape().dims2()?.0;
        let half = hp.head_dim / 2;
        let inv: Vec<f32> = (0..half)
            .map(|i| 1f32 / hp.rope_base.powf((2 * i) as f32 / hp.head_dim as f32))
            .collect();
        let n = hp.context_length;
        let mut angles = Vec::with_capacity(n * half);
        for p in 0..n {
            angles.extend(inv.iter().map(|f| p as f32 * f));
        }
        Ok(Self {
            vocab,
            embed,
            layers,
            norm,
            output,
            cos: angles.iter().map(|a| a.cos()).collect(),
            sin: angles.iter().map(|a| a.sin()).collect(),
            device: device.clone(),
            hp,
        })
    }

    /// A fresh, empty cache for one sequence of this model.
    pub fn new_cache(&self, dtype: DType) -> KvCache {
        KvCache::new(self.layers.len(), dtype)
    }

    /// Run one step for a ragged batch and return the logits of each sequence's
    /// last new token, shape `(seqs.len(), vocab)`, f32. Every cache grows by its
    /// sequence's token count. Sequences must bring at least one token each and
    /// fit the context (the engine checks both).
    pub fn forward(&self, seqs: &mut [SeqStep<'_>]) -> Result<Tensor> {
        self.run(seqs, false)
    }

    /// Like [`Transformer::forward`], but return the logits of every new
    /// token, shape `(total new tokens, vocab)`, sequences in order. Row `j`
    /// of a sequence is what `forward` would return had its tokens been fed
    /// up to `j` only, bit for bit (see the module doc): speculative decoding
    /// verifies all drafted tokens with one call.
    pub fn forward_all(&self, seqs: &mut [SeqStep<'_>]) -> Result<Tensor> {
        self.run(seqs, true)
    }

    fn run(&self, seqs: &mut [SeqStep<'_>], every_row: bool) -> Result<Tensor> {
        let hp = &self.hp;
        let device = self.device.clone();
        let mut ids = Vec::new();
        let mut spans = Vec::with_capacity(seqs.len());
        for s in seqs.iter() {
            if s.tokens.is_empty() {
                candle_core::bail!("forward: a sequence brought no tokens");
            }
            if s.cache.len() + s.tokens.len() > hp.context_length {
                candle_core::bail!(
                    "forward: {} tokens exceed the context of {}",
                    s.cache.len() + s.tokens.len(),
                    hp.context_length
                );
            }
            if let Some(&t) = s.tokens.iter().find(|&&t| t as usize >= self.vocab) {
                candle_core::bail!("forward: token id {t} outside the vocabulary");
            }
            spans.push((ids.len(), s.tokens.len()));
            ids.extend_from_slice(s.tokens);
        }
        let total = ids.len();
        let ids = Tensor::from_vec(ids, total, &device)?;
        let mut x = self.embed.embedding(&ids)?;

        for (li, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, hp.rms_eps as f32)?;
            let mut q = layer.wq.forward(&h)?;
            let mut k = layer.wk.forward(&h)?;
            let mut v = layer.wv.forward(&h)?;
            if let Some((bq, bk, bv)) = &layer.bias {
                q = q.broadcast_add(bq)?;
                k = k.broadcast_add(bk)?;
                v = v.broadcast_add(bv)?;
            }
            let vec = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
            let (mut qr, mut kr, vr) = (vec(&q)?, vec(&k)?, vec(&v)?);
            let y = attention::attend(hp, li, &mut qr, &mut kr, &vr, seqs, &self.cos, &self.sin)?;
            let y = Tensor::from_vec(y, (total, hp.n_head * hp.head_dim), &device)?;
            x = (x + layer.wo.forward(&y)?)?;

            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, hp.rms_eps as f32)?;
            let g = candle_nn::ops::silu(&layer.gate.forward(&h)?)?;
            let u = layer.up.forward(&h)?;
            x = (x + layer.down.forward(&(g * u)?)?)?;
        }
        for (s, &(_, n)) in seqs.iter_mut().zip(spans.iter()) {
            s.cache.advance(n);
        }

        let x = if every_row {
            x
        } else {
            let last: Vec<u32> = spans.iter().map(|&(off, n)| (off + n - 1) as u32).collect();
            let last = Tensor::from_vec(last, spans.len(), &device)?;
            x.index_select(&last, 0)?
        };
        let x = candle_nn::ops::rms_norm(&x, &self.norm, hp.rms_eps as f32)?;
        self.output.forward(&x)
    }
}

/// Dequantize a (small) GGUF tensor such as a norm weight or a bias to f32.
pub(crate) fn dense(t: QTensor, device: &Device) -> Result<Tensor> {
    t.dequantize(device)?.to_dtype(DType::F32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::model;
    use crate::llm::tiny::{TinyArch, write_tiny_model};

    fn tiny(arch: TinyArch) -> (tempfile::TempDir, Transformer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_model(&path, arch, 7).unwrap();
        let (m, _) = model::load(&path, &Device::Cpu).unwrap();
        (dir, m)
    }

    fn logits_once(m: &Transformer, tokens: &[u32]) -> Vec<f32> {
        let mut cache = m.new_cache(DType::F32);
        let mut steps = [SeqStep {
            tokens,
            cache: &mut cache,
        }];
        m.forward(&mut steps)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
            .remove(0)
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn cached_decoding_matches_a_full_forward_pass() {
        for arch in [TinyArch::Llama, TinyArch::Qwen2] {
            let (_d, m) = tiny(arch);
            let tokens: Vec<u32> = (0..24).map(|i| (i * 37 + 5) % 96).collect();
            let mut cache = m.new_cache(DType::F32);
            // Prefill 5 tokens, then a chunk of 3, then one at a time.
            let mut fed = 0;
            for n in [5usize, 3].into_iter().chain(std::iter::repeat_n(1, 16)) {
                let mut steps = [SeqStep {
                    tokens: &tokens[fed..fed + n],
                    cache: &mut cache,
                }];
                let cached = m.forward(&mut steps).unwrap().to_vec2::<f32>().unwrap();
                fed += n;
                let full = logits_once(&m, &tokens[..fed]);
                let d = max_diff(&cached[0], &full);
                assert!(d < 1e-3, "{arch:?} at {fed} tokens: max diff {d}");
            }
            assert_eq!(cache.len(), tokens.len());
        }
    }

    #[test]
    fn an_f16_cache_stays_close_to_f32() {
        let (_d, m) = tiny(TinyArch::Llama);
        let tokens: Vec<u32> = (0..16).map(|i| (i * 13 + 2) % 96).collect();
        let mut cache = m.new_cache(DType::F16);
        let mut steps = [SeqStep {
            tokens: &tokens[..12],
            cache: &mut cache,
        }];
        m.forward(&mut steps).unwrap();
        for t in 12..16 {
            let mut steps = [SeqStep {
                tokens: &tokens[t..t + 1],
                cache: &mut cache,
            }];
            let half = m.forward(&mut steps).unwrap().to_vec2::<f32>().unwrap();
            let full = logits_once(&m, &tokens[..=t]);
            let d = max_diff(&half[0], &full);
            let scale = full.iter().fold(0f32, |a, x| a.max(x.abs()));
            // f16 keys shift the logits of this random model by a few percent
            // (its attention scores are large); f32 caches agree to 1e-3.
            assert!(d < 0.05 * scale, "at {t}: max diff {d} of {scale}");
        }
        assert_eq!(cache.bytes() % 2, 0);
    }

    #[test]
    fn a_ragged_batch_gives_each_sequence_its_own_logits() {
        let (_d, m) = tiny(TinyArch::Qwen2);
        let a: Vec<u32> = (0..9).collect();
        let b: Vec<u32> = (20..23).collect();
        let c: Vec<u32> = vec![50];
        let (mut ca, mut cb, mut cc) = (
            m.new_cache(DType::F32),
            m.new_cache(DType::F32),
            m.new_cache(DType::F32),
        );
        // b already has two tokens of history, so it sits at a different position.
        let mut warm = [SeqStep {
            tokens: &[1, 2],
            cache: &mut cb,
        }];
        m.forward(&mut warm).unwrap();
        let mut steps = [
            SeqStep {
                tokens: &a,
                cache: &mut ca,
            },
            SeqStep {
                tokens: &b,
                cache: &mut cb,
            },
            SeqStep {
                tokens: &c,
                cache: &mut cc,
            },
        ];
        let batched = m.forward(&mut steps).unwrap().to_vec2::<f32>().unwrap();
        assert!(max_diff(&batched[0], &logits_once(&m, &a)) < 1e-4);
        let b_full: Vec<u32> = [1, 2].iter().chain(&b).copied().collect();
        assert!(max_diff(&batched[1], &logits_once(&m, &b_full)) < 1e-3);
        assert!(max_diff(&batched[2], &logits_once(&m, &c)) < 1e-4);
    }
}

#[cfg(test)]
mod invariance {
    //! A sequence's logits, bit for bit, whatever shares its steps and however
    //! its prompt reaches the cache.
    use super::*;
    use crate::llm::model;
    use crate::llm::tiny::{TinyArch, TinyWeights, write_tiny_model_as};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn tiny(arch: TinyArch, weights: TinyWeights) -> (tempfile::TempDir, Transformer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_model_as(&path, arch, 7, weights).unwrap();
        let (m, _) = model::load(&path, &Device::Cpu).unwrap();
        (dir, m)
    }

    /// How the target's prompt gets in: `chunk` tokens per step, after
    /// `cached` tokens forked from another cache, next to random others.
    struct Plan {
        chunk: usize,
        cached: usize,
        others: usize,
        seed: u64,
    }

    /// Logits (as bits) of the target's prompt end and of each of `follow`
    /// tokens fed after it one at a time.
    fn run(
        m: &Transformer,
        prompt: &[u32],
        follow: &[u32],
        plan: &Plan,
        dtype: DType,
    ) -> Vec<Vec<u32>> {
        let mut rng = StdRng::seed_from_u64(plan.seed);
        let vocab = 96u32;
        let mut cache = if plan.cached > 0 {
            // The prefix computed elsewhere: another prompt sharing it, in
            // chunks of 5.
            let mut other = m.new_cache(dtype);
            let mut src: Vec<u32> = prompt[..plan.cached].to_vec();
            src.extend((0..9).map(|_| rng.random_range(0..vocab)));
            for c in src.chunks(5) {
                m.forward(&mut [SeqStep {
                    tokens: c,
                    cache: &mut other,
                }])
                .unwrap();
            }
            other.fork(plan.cached, 16).unwrap()
        } else {
            m.new_cache(dtype)
        };
        let mut others: Vec<(KvCache, Vec<u32>)> = (0..plan.others)
            .map(|_| {
                let len = rng.random_range(1..40);
                (
                    m.new_cache(dtype),
                    (0..len).map(|_| rng.random_range(0..vocab)).collect(),
                )
            })
            .collect();
        let mut feed: Vec<Vec<u32>> = prompt[plan.cached..]
            .chunks(plan.chunk)
            .map(|c| c.to_vec())
            .collect();
        feed.extend(follow.iter().map(|&t| vec![t]));
        let last_prompt_chunk = prompt[plan.cached..].chunks(plan.chunk).count() - 1;
        let mut out = Vec::new();
        for (step, tokens) in feed.iter().enumerate() {
            // Each other sequence joins at a random step, brings a random
            // chunk of its prompt or one token, and sometimes sits out.
            let mut steps = Vec::new();
            let mut others_tokens = Vec::new();
            for (_, toks) in others.iter() {
                let n = if rng.random_bool(0.3) {
                    0
                } else {
                    rng.random_range(1..=toks.len().min(9))
                };
                let start = rng.random_range(0..=toks.len() - n);
                others_tokens.push(toks[start..start + n].to_vec());
            }
            for ((c, _), t) in others.iter_mut().zip(&others_tokens) {
                if !t.is_empty() && c.len() + t.len() < 500 {
                    steps.push(SeqStep {
                        tokens: t,
                        cache: c,
                    });
                }
            }
            let target_row = rng.random_range(0..=steps.len());
            steps.insert(
                target_row,
                SeqStep {
                    tokens,
                    cache: &mut cache,
                },
            );
            let logits = m.forward(&mut steps).unwrap().to_vec2::<f32>().unwrap();
            if step >= last_prompt_chunk {
                out.push(logits[target_row].iter().map(|x| x.to_bits()).collect());
            }
        }
        out
    }

    /// Speculative decoding's verification: each row of `forward_all` over
    /// drafted tokens is the one-token step's logits, bit for bit, and a
    /// cache truncated after it goes on as if the rejected tokens had never
    /// been fed.
    #[test]
    fn forward_all_rows_are_one_token_steps_and_truncation_rolls_back() {
        for (arch, weights) in [
            (TinyArch::Qwen2, TinyWeights::F32),
            (TinyArch::Llama, TinyWeights::Q8_0),
        ] {
            let (_d, m) = tiny(arch, weights);
            let mut rng = StdRng::seed_from_u64(5);
            let prompt: Vec<u32> = (0..30).map(|_| rng.random_range(0..96)).collect();
            let follow: Vec<u32> = (0..6).map(|_| rng.random_range(0..96)).collect();
            let bits = |row: &[f32]| row.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
            let step = |c: &mut KvCache, t: &[u32]| {
                m.forward(&mut [SeqStep {
                    tokens: t,
                    cache: c,
                }])
                .unwrap()
                .to_vec2::<f32>()
                .unwrap()
                .remove(0)
            };
            let mut one = m.new_cache(DType::F32);
            step(&mut one, &prompt);
            let want: Vec<Vec<u32>> = follow
                .iter()
                .map(|&t| bits(&step(&mut one, &[t])))
                .collect();

            let mut all = m.new_cache(DType::F32);
            step(&mut all, &prompt);
            let rows = m
                .forward_all(&mut [SeqStep {
                    tokens: &follow,
                    cache: &mut all,
                }])
                .unwrap()
                .to_vec2::<f32>()
                .unwrap();
            assert_eq!(rows.len(), follow.len());
            for (j, row) in rows.iter().enumerate() {
                assert!(bits(row) == want[j], "{arch:?} {weights:?}: row {j}");
            }
            // Keep three of the six, then feed another token in their place.
            all.truncate(prompt.len() + 3);
            let other = (follow[3] + 1) % 96;
            let got = bits(&step(&mut all, &[other]));
            let mut fresh = m.new_cache(DType::F32);
            step(&mut fresh, &prompt);
            step(&mut fresh, &follow[..3]);
            assert!(
                got == bits(&step(&mut fresh, &[other])),
                "{arch:?} {weights:?}"
            );
        }
    }

    /// The same on the test model (SmolLM2, Q4_1, tied output matrix) when
    /// `SILKROUTE_TEST_MODEL` names it.
    #[test]
    fn forward_all_rows_are_one_token_steps_on_the_test_model() {
        let Some(path) = std::env::var_os("SILKROUTE_TEST_MODEL") else {
            eprintln!("skipped: SILKROUTE_TEST_MODEL is not set");
            return;
        };
        let (m, _) = model::load(std::path::Path::new(&path), &Device::Cpu).unwrap();
        let mut rng = StdRng::seed_from_u64(9);
        let prompt: Vec<u32> = (0..60).map(|_| rng.random_range(0..40000)).collect();
        let follow: Vec<u32> = (0..8).map(|_| rng.random_range(0..40000)).collect();
        let bits = |row: &[f32]| row.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
        let step = |c: &mut KvCache, t: &[u32]| {
            m.forward(&mut [SeqStep {
                tokens: t,
                cache: c,
            }])
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
            .remove(0)
        };
        let mut one = m.new_cache(DType::F32);
        let first = bits(&step(&mut one, &prompt));
        let want: Vec<Vec<u32>> = follow
            .iter()
            .map(|&t| bits(&step(&mut one, &[t])))
            .collect();
        let mut all = m.new_cache(DType::F32);
        for c in prompt.chunks(7) {
            step(&mut all, c);
        }
        let mut chunked = m.new_cache(DType::F32);
        for c in prompt[..59].chunks(13) {
            step(&mut chunked, c);
        }
        assert!(
            bits(&step(&mut chunked, &prompt[59..])) == first,
            "prompt end"
        );
        let rows = m
            .forward_all(&mut [SeqStep {
                tokens: &follow,
                cache: &mut all,
            }])
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        for (j, row) in rows.iter().enumerate() {
            let diff = row
                .iter()
                .zip(&want[j])
                .filter(|(a, b)| a.to_bits() != **b)
                .count();
            assert!(diff == 0, "row {j}: {diff} logits differ");
        }
    }

    /// The target alone with its whole prompt in one step, then in chunks of
    /// 1, 7, 64 and the whole prompt, from scratch or after 20 tokens forked
    /// from another prompt's cache, next to 0, 1, 3 or 7 other sequences
    /// that bring random chunks at random steps, the target at a random place
    /// in each step; f32 and f16 caches; f32 matrices (every bit of every sum
    /// reaches the logits) and Q8_0 (the quantized kernels).
    #[test]
    fn logits_do_not_depend_on_the_batch_the_chunking_or_the_prefix_cache() {
        for (arch, weights) in [
            (TinyArch::Llama, TinyWeights::F32),
            (TinyArch::Qwen2, TinyWeights::F32),
            (TinyArch::Llama, TinyWeights::Q8_0),
            (TinyArch::Qwen2, TinyWeights::Q8_0),
        ] {
            let (_d, m) = tiny(arch, weights);
            let mut rng = StdRng::seed_from_u64(3);
            let prompt: Vec<u32> = (0..70).map(|_| rng.random_range(0..96)).collect();
            let follow: Vec<u32> = (0..6).map(|_| rng.random_range(0..96)).collect();
            for dtype in [DType::F32, DType::F16] {
                let alone = Plan {
                    chunk: prompt.len(),
                    cached: 0,
                    others: 0,
                    seed: 0,
                };
                let want = run(&m, &prompt, &follow, &alone, dtype);
                let mut seed = 0;
                for chunk in [1, 7, 64, prompt.len()] {
                    for cached in [0, 20] {
                        for others in [0, 1, 3, 7] {
                            seed += 1;
                            let plan = Plan {
                                chunk,
                                cached,
                                others,
                                seed,
                            };
                            let got = run(&m, &prompt, &follow, &plan, dtype);
                            assert!(
                                got == want,
                                "{arch:?} {weights:?} {dtype:?}: chunk {chunk}, {cached} cached, \
                                 {others} others"
                            );
                        }
                    }
                }
            }
        }
    }
}
