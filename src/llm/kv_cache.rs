//! Per-sequence key/value cache, owned by the engine's scheduler (one per running
//! sequence) and passed into [`super::transformer::Transformer::forward`], and
//! the [`PrefixCache`] of finished prompts that new sequences start from.
//!
//! Keys and values are stored in capacity-doubling buffers, so appending a
//! token copies that token only; attention reads the filled part in place.
//! The storage type is the engine's choice: f32 (exact, the same greedy tokens
//! as candle-transformers' own models) or f16 (half the memory: the default
//! 1.5B model holds 8 sequences of 2,048 tokens in about 470 MB instead of 940
//! MB, at the price of small logit differences that can flip near-ties).

use candle_core::{DType, Result, Tensor};

/// One layer's storage: `(n_kv_head, capacity, head_dim)` for keys and values.
struct LayerKv {
    k: Tensor,
    v: Tensor,
}

/// The cache of one sequence: every layer's keys and values so far.
pub(crate) struct KvCache {
    layers: Vec<Option<LayerKv>>,
    len: usize,
    dtype: DType,
}

impl KvCache {
    /// An empty cache for a model with `n_layers` blocks, storing `dtype`
    /// (f32 or f16).
    pub fn new(n_layers: usize, dtype: DType) -> Self {
        Self {
            layers: (0..n_layers).map(|_| None).collect(),
            len: 0,
            dtype,
        }
    }

    /// Number of positions stored (the next token's position).
    pub fn len(&self) -> usize {
        self.len
    }

    /// The storage type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Bytes held by the buffers (capacity, not just the filled part).
    pub fn bytes(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .map(|l| 2 * l.k.elem_count() * self.dtype.size_in_bytes())
            .sum()
    }

    /// Layer `layer`'s key and value buffers, `(n_kv_head, capacity, head_dim)`
    /// each, contiguous, in the cache's dtype: attention reads the filled part
    /// in place.
    pub fn buffers(&self, layer: usize) -> Option<(&Tensor, &Tensor)> {
        let l = self.layers.get(layer)?.as_ref()?;
        Some((&l.k, &l.v))
    }

    /// Append `k` and `v` (`(n_kv_head, n, head_dim)`, f32) to layer `layer` at
    /// the current length, stored in the cache's dtype. The length itself
    /// moves on in [`KvCache::advance`] once every layer has been appended to.
    pub fn push(&mut self, layer: usize, k: &Tensor, v: &Tensor) -> Result<()> {
        let n = k.dim(1)?;
        let need = self.len + n;
        let slot = self
            .layers
            .get_mut(layer)
            .ok_or_else(|| candle_core::Error::Msg(format!("kv cache has no layer {layer}")))?;
        let kq = k.to_dtype(self.dtype)?;
        let vq = v.to_dtype(self.dtype)?;
        let cap = slot.as_ref().map_or(0, |l| l.k.dim(1).unwrap_or(0));
        if need > cap {
            let new_cap = need.max(cap * 2).max(64);
            let (h, _, d) = k.dims3()?;
            let grow = |old: Option<&Tensor>| -> Result<Tensor> {
                let fresh = Tensor::zeros((h, new_cap, d), self.dtype, k.device())?;
                if let Some(old) = old {
                    fresh.slice_set(&old.narrow(1, 0, self.len)?.contiguous()?, 1, 0)?;
                }
                Ok(fresh)
            };
            let grown = LayerKv {
                k: grow(slot.as_ref().map(|l| &l.k))?,
                v: grow(slot.as_ref().map(|l| &l.v))?,
            };
            *slot = Some(grown);
        }
        let l = slot
            .as_ref()
            .ok_or_else(|| candle_core::Error::Msg("kv cache slot missing".into()))?;
        l.k.slice_set(&kq.contiguous()?, 1, self.len)?;
        l.v.slice_set(&vq.contiguous()?, 1, self.len)?;
        Ok(())
    }

    /// Record that `n` tokens were appended to every layer.
    pub fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// Forget every position from `len` on (speculative decoding rolls back
    /// the drafted tokens the target rejected). The buffers keep their
    /// capacity; the next [`KvCache::push`] writes over the forgotten rows,
    /// and attention never reads past [`KvCache::len`].
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// A deep copy of the first `len` positions, with room for `headroom` more
    /// before the buffers grow. The copy shares no storage with `self`.
    pub fn fork(&self, len: usize, headroom: usize) -> Result<KvCache> {
        let len = len.min(self.len);
        let cap = len + headroom;
        let copy = |t: &Tensor| -> Result<Tensor> {
            let (h, _, d) = t.dims3()?;
            let fresh = Tensor::zeros((h, cap.max(1), d), self.dtype, t.device())?;
            if len > 0 {
                fresh.slice_set(&t.narrow(1, 0, len)?.contiguous()?, 1, 0)?;
            }
            Ok(fresh)
        };
        let layers = self
            .layers
            .iter()
            .map(|l| match l {
                Some(l) => Ok(Some(LayerKv {
                    k: copy(&l.k)?,
                    v: copy(&l.v)?,
                })),
                None => Ok(None),
            })
            .collect::<Result<_>>()?;
        Ok(KvCache {
            layers,
            len,
            dtype: self.dtype,
        })
    }
}

/// Length of the common prefix of two token sequences.
pub(crate) fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Caches of recently finished prompts, so that a prompt sharing its beginning
/// with an earlier one (the same system prompt and worked examples, a retry of
/// the same segment) computes only what differs. Bounded by bytes; the least
/// recently used entry goes first.
pub(crate) struct PrefixCache {
    entries: Vec<PrefixEntry>,
    budget: usize,
    clock: u64,
}

struct PrefixEntry {
    tokens: Vec<u32>,
    cache: KvCache,
    used: u64,
}

impl PrefixCache {
    /// An empty store holding at most `budget` bytes of keys and values (0
    /// turns it off).
    pub fn new(budget: usize) -> Self {
        Self {
            entries: Vec::new(),
            budget,
            clock: 0,
        }
    }

    /// The entry sharing the longest beginning with `prompt`, and that length,
    /// capped so the prompt's last token is always computed (the step that
    /// computes it yields the first logits).
    fn best(&self, prompt: &[u32]) -> Option<(usize, usize)> {
        let most = prompt.len().saturating_sub(1);
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, common_prefix(&e.tokens, prompt).min(most)))
            .max_by_key(|&(_, n)| n)
    }

    /// The longest stored prefix of `prompt` that still leaves its last token
    /// to compute.
    pub fn longest(&self, prompt: &[u32]) -> usize {
        self.best(prompt).map_or(0, |(_, n)| n)
    }

    /// A cache holding the longest stored prefix of `prompt` (at least `min`
    /// tokens), or `None` when there is none that long.
    pub fn start(&mut self, prompt: &[u32], min: usize) -> Option<KvCache> {
        let (i, n) = self.best(prompt)?;
        if n < min.max(1) {
            return None;
        }
        self.clock += 1;
        self.entries[i].used = self.clock;
        let headroom = prompt.len() - n + 64;
        self.entries[i].cache.fork(n, headroom).ok()
    }

    /// Remember the cache of a prompt whose tokens were all just computed.
    pub fn insert(&mut self, prompt: &[u32], cache: &KvCache) {
        if self.budget == 0 || cache.len() != prompt.len() || prompt.is_empty() {
            return;
        }
        self.clock += 1;
        if let Some(e) = self.entries.iter_mut().find(|e| e.tokens == prompt) {
            e.used = self.clock;
            return;
        }
        let Ok(copy) = cache.fork(prompt.len(), 0) else {
            return;
        };
        let size = copy.bytes();
        if size > self.budget {
            return;
        }
        while self.bytes() + size > self.budget {
            let Some(oldest) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used) else {
                break;
            };
            self.entries.swap_remove(oldest);
        }
        self.entries.push(PrefixEntry {
            tokens: prompt.to_vec(),
            cache: copy,
            used: self.clock,
        });
    }

    /// Bytes held by the stored caches.
    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.cache.bytes()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// A one-layer cache holding `n` positions whose values are their positions.
    fn filled(n: usize) -> KvCache {
        let mut c = KvCache::new(1, DType::F32);
        let data: Vec<f32> = (0..n * 2).map(|i| (i / 2) as f32).collect();
        let t = Tensor::from_vec(data, (1, n, 2), &Device::Cpu).unwrap();
        c.push(0, &t, &t).unwrap();
        c.advance(n);
        c
    }

    /// The first `n` keys of layer 0, flattened.
    fn keys(c: &KvCache, n: usize) -> Vec<f32> {
        let (k, _) = c.buffers(0).unwrap();
        k.narrow(1, 0, n)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn fork_copies_the_prefix_and_shares_nothing() {
        let c = filled(10);
        let mut f = c.fork(4, 8).unwrap();
        assert_eq!(f.len(), 4);
        let extra = Tensor::full(99f32, (1, 1, 2), &Device::Cpu).unwrap();
        f.push(0, &extra, &extra).unwrap();
        f.advance(1);
        assert_eq!(keys(&f, 5), [0., 0., 1., 1., 2., 2., 3., 3., 99., 99.]);
        // The source still holds position 4, not the fork's 99.
        assert_eq!(keys(&c, 10)[8], 4.);
        let mut full = c.fork(10, 0).unwrap();
        full.push(0, &extra, &extra).unwrap();
        full.advance(1);
        assert_eq!(
            keys(&full, 11)[8..],
            [4., 4., 5., 5., 6., 6., 7., 7., 8., 8., 9., 9., 99., 99.][..]
        );
    }

    #[test]
    fn truncate_forgets_the_tail_and_the_next_push_overwrites_it() {
        let mut c = filled(6);
        c.truncate(4);
        assert_eq!(c.len(), 4);
        c.truncate(9);
        assert_eq!(c.len(), 4, "truncate never grows");
        let extra = Tensor::full(99f32, (1, 1, 2), &Device::Cpu).unwrap();
        c.push(0, &extra, &extra).unwrap();
        c.advance(1);
        assert_eq!(keys(&c, 5), [0., 0., 1., 1., 2., 2., 3., 3., 99., 99.]);
    }

    #[test]
    fn prefix_cache_finds_the_longest_prefix_and_evicts_the_oldest() {
        let one = filled(20).fork(20, 0).unwrap().bytes();
        let mut p = PrefixCache::new(2 * one);
        let a: Vec<u32> = (0..20).collect();
        let mut b = a.clone();
        b[15] = 1000;
        p.insert(&a, &filled(20));
        p.insert(&b, &filled(20));
        let mut q = a.clone();
        q.push(7);
        assert_eq!(p.longest(&q), 20);
        assert_eq!(p.longest(&b), 19, "the last token is always computed");
        let started = p.start(&q, 16).unwrap();
        assert_eq!(started.len(), 20);
        assert!(p.start(&q[..10], 16).is_none(), "shorter than the minimum");
        // `a` was used last, so a third entry pushes out `b`.
        let c: Vec<u32> = (100..120).collect();
        p.insert(&c, &filled(20));
        assert_eq!(p.bytes(), 2 * one);
        assert_eq!(p.longest(&b), 15);
        assert_eq!(p.longest(&q), 20);
        // A cache that does not hold exactly the prompt is not stored.
        p.insert(&(200..230).collect::<Vec<u32>>(), &filled(20));
        assert_eq!(p.longest(&(200..230).collect::<Vec<u32>>()), 0);
    }
}
