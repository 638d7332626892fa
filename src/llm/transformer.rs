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
            spans.push((ids.len(), s.tokens.len(), s.cache.len()));
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
            // Sequences bringing one token: fused attention on the caches in
            // place. The others (prompts): candle ops.
            let decoding: Vec<usize> = (0..spans.len()).filter(|&i| spans[i].1 == 1).collect();
            let mut decoded = Vec::new();
            if !decoding.is_empty() {
                let rows = |t: &Tensor| -> Result<Vec<f32>> {
                    let t = if decoding.len() == total {
                        t.clone()
                    } else {
                        let idx: Vec<u32> = decoding.iter().map(|&i| spans[i].0 as u32).collect();
                        t.index_select(&Tensor::from_vec(idx, decoding.len(), &device)?, 0)?
                    };
                    t.flatten_all()?.to_vec1::<f32>()
                };
                let (mut qr, mut kr, vr) = (rows(&q)?, rows(&k)?, rows(&v)?);
                let mut caches: Vec<&mut KvCache> = seqs
                    .iter_mut()
                    .zip(spans.iter())
                    .filter(|(_, sp)| sp.1 == 1)
                    .map(|(s, _)| &mut *s.cache)
                    .collect();
                decoded = attention::decode(
                    hp,
                    li,
                    &mut qr,
                    &mut kr,
                    &vr,
                    &mut caches,
                    &self.cos,
                    &self.sin,
                )?;
            }
            let width = hp.n_head * hp.head_dim;
            let y = if decoding.len() == seqs.len() {
                Tensor::from_vec(decoded, (total, width), &device)?
            } else {
                let mut ys = Vec::with_capacity(seqs.len());
                let mut next_decoded = 0;
                for (s, &(off, n, pos)) in seqs.iter_mut().zip(spans.iter()) {
                    if n == 1 {
                        let row = &decoded[next_decoded * width..(next_decoded + 1) * width];
                        next_decoded += 1;
                        ys.push(Tensor::from_slice(row, (1, width), &device)?);
                        continue;
                    }
                    ys.push(self.attend(
                        &q.narrow(0, off, n)?,
                        &k.narrow(0, off, n)?,
                        &v.narrow(0, off, n)?,
                        pos,
                        s.cache,
                        li,
                    )?);
                }
                Tensor::cat(&ys, 0)?
            };
            x = (x + layer.wo.forward(&y)?)?;

            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, hp.rms_eps as f32)?;
            let g = candle_nn::ops::silu(&layer.gate.forward(&h)?)?;
            let u = layer.up.forward(&h)?;
            x = (x + layer.down.forward(&(g * u)?)?)?;
        }
        for (s, &(_, n, _)) in seqs.iter_mut().zip(spans.iter()) {
            s.cache.advance(n);
        }

        let last: Vec<u32> = spans
            .iter()
            .map(|&(off, n, _)| (off + n - 1) as u32)
            .collect();
        let last = Tensor::from_vec(last, spans.len(), &device)?;
        let x = x.index_select(&last, 0)?;
        let x = candle_nn::ops::rms_norm(&x, &self.norm, hp.rms_eps as f32)?;
        self.output.forward(&x)
    }

    /// Attention of one sequence's `n` new rows at position `pos`: rotate q and
    /// k, append k and v to the cache, attend causally over the whole cache.
    fn attend(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        pos: usize,
        cache: &mut KvCache,
        layer: usize,
    ) -> Result<Tensor> {
        let hp = &self.hp;
        let n = q.dim(0)?;
        let (nh, nkv, hd) = (hp.n_head, hp.n_kv_head, hp.head_dim);
        // (n, heads * hd) -> (1, heads, n, hd), the layout candle's rope wants.
        let heads = |t: &Tensor, h: usize| -> Result<Tensor> {
            t.reshape((n, h, hd))?
                .transpose(0, 1)?
                .contiguous()?
                .unsqueeze(0)
        };
        let half = hd / 2;
        let table = |t: &[f32]| -> Result<Tensor> {
            let Some(rows) = t.get(pos * half..(pos + n) * half) else {
                candle_core::bail!("attention: positions beyond the rotary table");
            };
            Tensor::from_slice(rows, (n, half), &self.device)
        };
        let (cos, sin) = (table(&self.cos)?, table(&self.sin)?);
        let rope = |t: &Tensor| match hp.rope {
            RopeStyle::Interleaved => candle_nn::rotary_emb::rope_i(t, &cos, &sin),
            RopeStyle::Neox => candle_nn::rotary_emb::rope(t, &cos, &sin),
        };
        let q = rope(&heads(q, nh)?)?.squeeze(0)?;
        let k = rope(&heads(k, nkv)?)?.squeeze(0)?;
        let v = heads(v, nkv)?.squeeze(0)?;
        let (k, v) = cache.append(layer, &k, &v)?;
        let kv_len = k.dim(1)?;

        // Grouped-query attention without copying k/v per head: the g query
        // heads that share one kv head become g*n rows of one matmul.
        let g = nh / nkv;
        let q = q.reshape((nkv, g * n, hd))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let att = (q.matmul(&k.t()?)? * scale)?;
        let att = if n > 1 {
            let mask = causal_mask(n, pos, kv_len, q.device())?;
            att.reshape((nkv, g, n, kv_len))?
                .broadcast_add(&mask)?
                .reshape((nkv, g * n, kv_len))?
        } else {
            att
        };
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att.matmul(&v)?; // (nkv, g*n, hd)
        y.reshape((nh, n, hd))?
            .transpose(0, 1)?
            .reshape((n, nh * hd))
    }
}

/// Additive causal mask for `n` queries at positions `pos..pos+n` over `kv_len`
/// keys: 0 where a query may look, -inf where the key lies in its future.
fn causal_mask(n: usize, pos: usize, kv_len: usize, device: &Device) -> Result<Tensor> {
    let mut m = vec![0f32; n * kv_len];
    for i in 0..n {
        for j in (pos + i + 1)..kv_len {
            m[i * kv_len + j] = f32::NEG_INFINITY;
        }
    }
    Tensor::from_vec(m, (n, kv_len), device)
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

    #[test]
    fn causal_mask_hides_the_future_only() {
        let m = causal_mask(2, 3, 5, &Device::Cpu).unwrap();
        let m: Vec<Vec<f32>> = m.to_vec2().unwrap();
        assert_eq!(m[0][..4], [0.0; 4]);
        assert!(m[0][4].is_infinite());
        assert_eq!(m[1], vec![0.0; 5]);
    }

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
