//! Attention for decoding steps: every sequence of a batch that brings one new
//! token attends over its own cache, read in place, in one parallel pass.
//!
//! Why by hand: through candle, one sequence's decoding attention is about
//! fifteen small ops per layer (head reshapes, rotary embedding, cache append,
//! two matmuls, softmax), and reading the cache back as one f32 tensor copies
//! the whole of it every step (all of it converted, for an f16 cache). Over 28
//! layers and 8 sequences that was most of a batched decoding step beyond the
//! weight matmuls. Here the rotary embedding and the new key/value go in per
//! row, and one work item per (sequence, kv head) computes the scores of its
//! query heads against each cached key, the softmax and the weighted sum of the
//! values, reading the f32 or f16 buffers directly. Prompt steps (several new
//! tokens) keep candle's matmuls, where the work is large enough for them.

use candle_core::{CpuStorage, Result, Storage, Tensor};
use half::f16;
use half::slice::HalfFloatSliceExt;

use super::kv_cache::KvCache;
use super::transformer::{Hyper, RopeStyle};

/// Rotate one head's `x` (length `head_dim`) by the angles whose cosines and
/// sines are `cos` and `sin` (length `head_dim / 2`), as candle's `rope` (neox)
/// and `rope_i` (interleaved) do.
pub(crate) fn rope_head(x: &mut [f32], cos: &[f32], sin: &[f32], style: RopeStyle) {
    let half = cos.len();
    match style {
        RopeStyle::Neox => {
            for i in 0..half {
                let (a, b) = (x[i], x[i + half]);
                x[i] = a * cos[i] - b * sin[i];
                x[i + half] = b * cos[i] + a * sin[i];
            }
        }
        RopeStyle::Interleaved => {
            for i in 0..half {
                let (a, b) = (x[2 * i], x[2 * i + 1]);
                x[2 * i] = a * cos[i] - b * sin[i];
                x[2 * i + 1] = a * sin[i] + b * cos[i];
            }
        }
    }
}

/// One cache buffer, read in place.
enum Buf<'a> {
    F32(&'a [f32]),
    F16(&'a [f16]),
}

impl Buf<'_> {
    /// Row `i` (`head_dim` values) as f32, converted into `tmp` when stored as f16.
    #[inline]
    fn row<'b>(&'b self, i: usize, hd: usize, tmp: &'b mut [f32]) -> &'b [f32] {
        match self {
            Buf::F32(v) => &v[i * hd..(i + 1) * hd],
            Buf::F16(v) => {
                v[i * hd..(i + 1) * hd].convert_to_f32_slice(tmp);
                tmp
            }
        }
    }
}

fn buf<'a>(storage: &'a Storage, tensor: &Tensor) -> Result<Buf<'a>> {
    let start = tensor.layout().start_offset();
    if !tensor.is_contiguous() {
        candle_core::bail!("kv cache buffer is not contiguous");
    }
    match storage {
        Storage::Cpu(CpuStorage::F32(v)) => Ok(Buf::F32(&v[start..])),
        Storage::Cpu(CpuStorage::F16(v)) => Ok(Buf::F16(&v[start..])),
        _ => candle_core::bail!("kv cache buffer is not an f32 or f16 CPU tensor"),
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent sums, so the compiler vectorizes it (no fast-math).
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: each work item writes only its own query heads' output rows.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

impl SyncPtr {
    /// The pointer (a method, so closures capture the `Sync` wrapper).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// For decoding sequences `seqs[i]` (one new token each, at position
/// `caches[i].len()`), whose projected rows are `q[i]` (`n_head * head_dim`) and
/// `k[i]`, `v[i]` (`n_kv_head * head_dim`): rotate q and k, append k and v to
/// layer `layer` of each cache, and return the attention output rows,
/// `(seqs, n_head * head_dim)` flattened. `cos`/`sin` are the rotary tables,
/// `head_dim / 2` values per position.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode(
    h: &Hyper,
    layer: usize,
    q: &mut [f32],
    k: &mut [f32],
    v: &[f32],
    caches: &mut [&mut KvCache],
    cos: &[f32],
    sin: &[f32],
) -> Result<Vec<f32>> {
    let (nh, nkv, hd) = (h.n_head, h.n_kv_head, h.head_dim);
    let half = hd / 2;
    let n = caches.len();
    if q.len() != n * nh * hd || k.len() != n * nkv * hd || v.len() != n * nkv * hd {
        candle_core::bail!("decode attention: row sizes do not match the heads");
    }
    for (i, cache) in caches.iter_mut().enumerate() {
        let pos = cache.len();
        let (c, s) = (
            cos.get(pos * half..(pos + 1) * half),
            sin.get(pos * half..(pos + 1) * half),
        );
        let (Some(c), Some(s)) = (c, s) else {
            candle_core::bail!("decode attention: position {pos} beyond the rotary table");
        };
        for head in q[i * nh * hd..(i + 1) * nh * hd].chunks_exact_mut(hd) {
            rope_head(head, c, s, h.rope);
        }
        for head in k[i * nkv * hd..(i + 1) * nkv * hd].chunks_exact_mut(hd) {
            rope_head(head, c, s, h.rope);
        }
        let row = |x: &[f32]| {
            Tensor::from_slice(
                &x[i * nkv * hd..(i + 1) * nkv * hd],
                (nkv, 1, hd),
                &candle_core::Device::Cpu,
            )
        };
        cache.push(layer, &row(k)?, &row(v)?)?;
    }

    // Read every cache in place: hold the storages while the pool works.
    let mut guards = Vec::with_capacity(n);
    for cache in caches.iter() {
        let Some((kt, vt)) = cache.buffers(layer) else {
            candle_core::bail!("decode attention: layer {layer} missing from a cache");
        };
        let cap = kt.dim(1)?;
        guards.push((
            kt.storage_and_layout().0,
            vt.storage_and_layout().0,
            kt,
            vt,
            cap,
        ));
    }
    let mut bufs = Vec::with_capacity(n);
    for (gk, gv, kt, vt, cap) in &guards {
        bufs.push((buf(gk, kt)?, buf(gv, vt)?, *cap));
    }
    let lens: Vec<usize> = caches.iter().map(|c| c.len() + 1).collect();

    let g = nh / nkv;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut out = vec![0f32; n * nh * hd];
    let out_ptr = SyncPtr(out.as_mut_ptr());
    let q = &*q;
    let work = |item: usize| {
        let (i, kh) = (item / nkv, item % nkv);
        let (kb, vb, cap) = &bufs[i];
        let len = lens[i];
        let base = kh * cap; // first row of this kv head
        let mut tmp = vec![0f32; hd];
        let mut scores = vec![0f32; g * len];
        let qrow = |j: usize| {
            let qh = kh * g + j;
            &q[(i * nh + qh) * hd..(i * nh + qh + 1) * hd]
        };
        for t in 0..len {
            let krow = kb.row(base + t, hd, &mut tmp);
            for j in 0..g {
                scores[j * len + t] = dot(qrow(j), krow) * scale;
            }
        }
        for sc in scores.chunks_exact_mut(len) {
            let max = sc.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0f32;
            for x in sc.iter_mut() {
                *x = (*x - max).exp();
                sum += *x;
            }
            let inv = 1.0 / sum;
            sc.iter_mut().for_each(|x| *x *= inv);
        }
        let mut acc = vec![0f32; g * hd];
        for t in 0..len {
            let vrow = vb.row(base + t, hd, &mut tmp);
            for j in 0..g {
                let p = scores[j * len + t];
                for (a, x) in acc[j * hd..(j + 1) * hd].iter_mut().zip(vrow) {
                    *a += p * x;
                }
            }
        }
        let at = (i * nh + kh * g) * hd;
        // SAFETY: item (i, kh) writes only the g*hd values of its query heads
        // in row i; no other item writes them, and `out` outlives the pool call.
        unsafe {
            std::ptr::copy_nonoverlapping(acc.as_ptr(), out_ptr.get().add(at), g * hd);
        }
    };
    let items = n * nkv;
    let pool = candle_core::utils::barrier_pool();
    if items > 1 && pool.n_workers() > 0 {
        pool.execute_chunked(items, |range| range.for_each(work));
    } else {
        (0..items).for_each(work);
    }
    drop(bufs);
    drop(guards);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn rope_head_matches_candle_in_both_styles() {
        let (hd, half) = (8usize, 4usize);
        let x: Vec<f32> = (0..hd).map(|i| i as f32 * 0.37 - 1.0).collect();
        let angles: Vec<f32> = (0..half).map(|i| 0.3 + i as f32 * 0.9).collect();
        let cos: Vec<f32> = angles.iter().map(|a| a.cos()).collect();
        let sin: Vec<f32> = angles.iter().map(|a| a.sin()).collect();
        let t = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &Device::Cpu).unwrap();
        let xt = t(&x, &[1, 1, 1, hd]);
        let (ct, st) = (t(&cos, &[1, half]), t(&sin, &[1, half]));
        for (style, want) in [
            (RopeStyle::Neox, candle_nn::rotary_emb::rope(&xt, &ct, &st)),
            (
                RopeStyle::Interleaved,
                candle_nn::rotary_emb::rope_i(&xt, &ct, &st),
            ),
        ] {
            let want = want
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let mut got = x.clone();
            rope_head(&mut got, &cos, &sin, style);
            for (a, b) in got.iter().zip(&want) {
                assert!((a - b).abs() < 1e-6, "{style:?}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn dot_handles_lengths_that_are_not_multiples_of_eight() {
        for n in [0usize, 1, 7, 8, 9, 64, 67] {
            let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let b: Vec<f32> = (0..n).map(|i| 1.0 - i as f32 * 0.5).collect();
            let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (dot(&a, &b) - want).abs() <= want.abs() * 1e-5 + 1e-5,
                "{n}"
            );
        }
    }
}
