//! Per-sequence key/value cache, owned by the engine's scheduler (one per running
//! sequence) and passed into [`super::transformer::Transformer::forward`].
//!
//! Keys and values are stored in capacity-doubling buffers, so appending a
//! token copies that token only; attention reads the filled part back as f32.
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

    /// Bytes held by the buffers (capacity, not just the filled part).
    pub fn bytes(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .map(|l| 2 * l.k.elem_count() * self.dtype.size_in_bytes())
            .sum()
    }

    /// Append `k` and `v` (`(n_kv_head, n, head_dim)`, f32) to layer `layer` at
    /// the current length and return the layer's whole keys and values so far
    /// as f32 `(n_kv_head, len + n, head_dim)`. The length itself moves on in
    /// [`KvCache::advance`] once every layer has been appended to.
    pub fn append(&mut self, layer: usize, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
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
        let k = l.k.narrow(1, 0, need)?.to_dtype(DType::F32)?;
        let v = l.v.narrow(1, 0, need)?.to_dtype(DType::F32)?;
        Ok((k, v))
    }

    /// Record that `n` tokens were appended to every layer.
    pub fn advance(&mut self, n: usize) {
        self.len += n;
    }
}
