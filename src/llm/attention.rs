//! Attention for every row of a step: each sequence's new rows (one token
//! when decoding, a chunk of prompt in prefill) are rotated, appended to its
//! own cache, and each attends causally over that cache, read in place, in
//! one parallel pass over (sequence, kv head, block of rows).
//!
//! Why by hand: through candle, one sequence's attention is about fifteen
//! small ops per layer (head reshapes, rotary embedding, cache append, two
//! matmuls, mask, softmax), and reading the cache back as one f32 tensor
//! copies the whole of it every step (all of it converted, for an f16 cache).
//!
//! Batch invariance (see `kernels`' module doc for the rule): a query row's
//! output depends only on its own query and its sequence's cached keys and
//! values, computed by one code path: each score one chain of multiply-adds
//! over the head's dimensions ([`dots`]), one [`softmax`] over the keys in
//! order, values summed in key order. A row gives the same bits decoded
//! alone, in a prompt chunk of any size, next to any other sequences, from a
//! cache forked out of the prefix cache, on any number of threads. (Prompts
//! used to go through candle's matmuls with a causal mask, which sum in
//! another order: SmolLM2's logits after a 60-token prompt differed in every
//! entry, by up to 0.44, between the whole prompt in one step and one token
//! per step.)

use candle_core::{CpuStorage, Device, Result, Storage, Tensor};
use half::f16;
use half::slice::HalfFloatSliceExt;

use super::transformer::{Hyper, RopeStyle, SeqStep};

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

/// `a * b + c`: one fused multiply-add where the build targets a CPU that has
/// it (this project builds with `target-cpu=native`), else a multiply and an
/// add. Fixed per build, so every row of a run sums the same way.
#[inline(always)]
fn fmadd(a: f32, b: f32, c: f32) -> f32 {
    if cfg!(any(target_feature = "fma", target_arch = "aarch64")) {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Keys per block of [`dots`]: the lanes of one vector.
const KEYS: usize = 8;

/// Dot products of `W` query rows `qs` with the [`KEYS`] keys of `kt`
/// (transposed: `kt[i * KEYS + x]` is dimension `i` of key `x`), into
/// `out[w][x]`. Each dot product is one chain of fused multiply-adds over
/// the dimensions in order, as a matmul's inner loop does (the order with
/// which the test model reproduces llama.cpp's greedy output token for
/// token); `W` chains of `KEYS` lanes run side by side for throughput, and
/// `W` changes nothing in any one chain.
#[inline(always)]
fn dots<const W: usize>(kt: &[f32], qs: [&[f32]; W], out: &mut [[f32; KEYS]; W]) {
    let mut acc = [[0f32; KEYS]; W];
    for (i, k) in kt.chunks_exact(KEYS).enumerate() {
        for w in 0..W {
            let b = qs[w][i];
            for x in 0..KEYS {
                acc[w][x] = fmadd(b, k[x], acc[w][x]);
            }
        }
    }
    *out = acc;
}

#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: each work item writes only its own rows' query heads.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

impl SyncPtr {
    /// The pointer (a method, so closures capture the `Sync` wrapper).
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// Rows per work item of a prompt chunk: the block's queries share each key
/// and value row as it is read (a blocking of the work, not of the sums).
const QUERY_BLOCK: usize = 8;

/// Softmax of one query's scores, in place, in key order.
#[inline]
fn softmax(sc: &mut [f32]) {
    let max = sc.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for x in sc.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let inv = 1.0 / sum;
    sc.iter_mut().for_each(|x| *x *= inv);
}

/// For the sequences of one step (`seqs[i]` brings `tokens.len()` rows at
/// positions `cache.len()..`), whose projected rows are `q` (`n_head *
/// head_dim` each) and `k`, `v` (`n_kv_head * head_dim` each), all sequences'
/// rows one after the other: rotate q and k, append k and v to layer `layer`
/// of each cache, and return the attention output rows, `(rows, n_head *
/// head_dim)` flattened. `cos`/`sin` are the rotary tables, `head_dim / 2`
/// values per position.
#[allow(clippy::too_many_arguments)]
pub(crate) fn attend(
    h: &Hyper,
    layer: usize,
    q: &mut [f32],
    k: &mut [f32],
    v: &[f32],
    seqs: &mut [SeqStep<'_>],
    cos: &[f32],
    sin: &[f32],
) -> Result<Vec<f32>> {
    let (nh, nkv, hd) = (h.n_head, h.n_kv_head, h.head_dim);
    let half = hd / 2;
    let total: usize = seqs.iter().map(|s| s.tokens.len()).sum();
    if q.len() != total * nh * hd || k.len() != total * nkv * hd || v.len() != total * nkv * hd {
        candle_core::bail!("attention: row sizes do not match the heads");
    }
    // (first row, rows, position) of each sequence.
    let mut spans = Vec::with_capacity(seqs.len());
    let mut first = 0;
    for s in seqs.iter_mut() {
        let (n, pos) = (s.tokens.len(), s.cache.len());
        for j in 0..n {
            let p = pos + j;
            let (c, sn) = (
                cos.get(p * half..(p + 1) * half),
                sin.get(p * half..(p + 1) * half),
            );
            let (Some(c), Some(sn)) = (c, sn) else {
                candle_core::bail!("attention: position {p} beyond the rotary table");
            };
            let r = first + j;
            for head in q[r * nh * hd..(r + 1) * nh * hd].chunks_exact_mut(hd) {
                rope_head(head, c, sn, h.rope);
            }
            for head in k[r * nkv * hd..(r + 1) * nkv * hd].chunks_exact_mut(hd) {
                rope_head(head, c, sn, h.rope);
            }
        }
        // Rows (n, kv heads, hd) as the cache's (kv heads, n, hd).
        let heads = |x: &[f32]| -> Result<Tensor> {
            let rows = &x[first * nkv * hd..(first + n) * nkv * hd];
            let t = Tensor::from_slice(rows, (n, nkv, hd), &Device::Cpu)?;
            if n == 1 {
                t.reshape((nkv, 1, hd))
            } else {
                t.transpose(0, 1)?.contiguous()
            }
        };
        s.cache.push(layer, &heads(k)?, &heads(v)?)?;
        spans.push((first, n, pos));
        first += n;
    }

    // Read every cache in place: hold the storages while the pool works.
    let mut guards = Vec::with_capacity(seqs.len());
    for s in seqs.iter() {
        let Some((kt, vt)) = s.cache.buffers(layer) else {
            candle_core::bail!("attention: layer {layer} missing from a cache");
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
    let mut bufs = Vec::with_capacity(seqs.len());
    for (gk, gv, kt, vt, cap) in &guards {
        bufs.push((buf(gk, kt)?, buf(gv, vt)?, *cap));
    }

    // Work items: (sequence, kv head, rows j0..j1 of the sequence).
    let mut items = Vec::new();
    for (i, &(_, n, _)) in spans.iter().enumerate() {
        for kh in 0..nkv {
            for j0 in (0..n).step_by(QUERY_BLOCK) {
                items.push((i, kh, j0, n.min(j0 + QUERY_BLOCK)));
            }
        }
    }
    let g = nh / nkv;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut out = vec![0f32; total * nh * hd];
    let out_ptr = SyncPtr(out.as_mut_ptr());
    let q = &*q;
    let work = |&(i, kh, j0, j1): &(usize, usize, usize, usize)| {
        let (kb, vb, cap) = &bufs[i];
        let (first, _, pos) = spans[i];
        let base = kh * cap; // first row of this kv head
        let nq = j1 - j0;
        // Keys 0..span: query j sees keys 0..=pos + j.
        let span = pos + j1;
        // The first of this block's queries (as 0..nq) that sees key `t`.
        let sees = |t: usize| t.saturating_sub(pos).saturating_sub(j0).min(nq);
        let mut tmp = vec![0f32; hd];
        // Lane l = jj * g + gg: query row j0 + jj, query head kh * g + gg.
        let lanes = nq * g;
        let qrow = |l: usize| {
            let (r, qh) = (first + j0 + l / g, kh * g + l % g);
            &q[(r * nh + qh) * hd..(r * nh + qh + 1) * hd]
        };
        // Scores of lane l at l * span.
        let mut scores = vec![0f32; lanes * span];
        let mut kt = vec![0f32; hd * KEYS];
        for t0 in (0..span).step_by(KEYS) {
            let nk = KEYS.min(span - t0);
            for x in 0..KEYS {
                if x < nk {
                    let krow = kb.row(base + t0 + x, hd, &mut tmp);
                    for (i, v) in krow.iter().enumerate() {
                        kt[i * KEYS + x] = *v;
                    }
                } else {
                    (0..hd).for_each(|i| kt[i * KEYS + x] = 0.0);
                }
            }
            // Lanes whose query sees a key of this block; a key past a
            // query's own position gets a score that its softmax never reads.
            let mut l = sees(t0) * g;
            while l < lanes {
                let w = (lanes - l).min(4);
                let mut res = [[0f32; KEYS]; 4];
                match w {
                    4 => dots::<4>(&kt, std::array::from_fn(|u| qrow(l + u)), &mut res),
                    3 => {
                        let mut r3 = [[0f32; KEYS]; 3];
                        dots::<3>(&kt, std::array::from_fn(|u| qrow(l + u)), &mut r3);
                        res[..3].copy_from_slice(&r3);
                    }
                    2 => {
                        let mut r2 = [[0f32; KEYS]; 2];
                        dots::<2>(&kt, std::array::from_fn(|u| qrow(l + u)), &mut r2);
                        res[..2].copy_from_slice(&r2);
                    }
                    _ => {
                        let mut r1 = [[0f32; KEYS]; 1];
                        dots::<1>(&kt, [qrow(l)], &mut r1);
                        res[0] = r1[0];
                    }
                }
                for (u, row) in res.iter().take(w).enumerate() {
                    let at = (l + u) * span + t0;
                    for (s, d) in scores[at..at + nk].iter_mut().zip(row) {
                        *s = d * scale;
                    }
                }
                l += w;
            }
        }
        for jj in 0..nq {
            let len = pos + j0 + jj + 1;
            for gg in 0..g {
                let at = (jj * g + gg) * span;
                softmax(&mut scores[at..at + len]);
            }
        }
        let mut acc = vec![0f32; nq * g * hd];
        for t in 0..span {
            let vrow = vb.row(base + t, hd, &mut tmp);
            for jj in sees(t)..nq {
                for gg in 0..g {
                    let p = scores[(jj * g + gg) * span + t];
                    let a = &mut acc[(jj * g + gg) * hd..(jj * g + gg + 1) * hd];
                    for (a, x) in a.iter_mut().zip(vrow) {
                        *a = fmadd(p, *x, *a);
                    }
                }
            }
        }
        for jj in 0..nq {
            let at = ((first + j0 + jj) * nh + kh * g) * hd;
            // SAFETY: item (i, kh, j0..j1) writes only the g*hd values of its
            // query heads in its rows; no other item writes them, and `out`
            // outlives the pool call.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    acc[jj * g * hd..].as_ptr(),
                    out_ptr.get().add(at),
                    g * hd,
                );
            }
        }
    };
    let pool = candle_core::utils::barrier_pool();
    if items.len() > 1 && pool.n_workers() > 0 {
        pool.execute_chunked(items.len(), |range| range.for_each(|i| work(&items[i])));
    } else {
        items.iter().for_each(work);
    }
    drop(bufs);
    drop(guards);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::kv_cache::KvCache;
    use candle_core::DType;

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

    /// Rows of two sequences in one step (a prompt chunk from position 0, and
    /// one token after three in its cache) against attention computed
    /// naively in f64: rotate, score every key up to the row's own position,
    /// softmax, weighted sum of the values.
    #[test]
    fn attention_matches_a_naive_causal_reference() {
        let h = Hyper {
            n_head: 4,
            n_kv_head: 2,
            head_dim: 8,
            context_length: 32,
            rms_eps: 1e-6,
            rope_base: 10_000.0,
            rope: RopeStyle::Neox,
        };
        let (nh, nkv, hd, half) = (4usize, 2usize, 8usize, 4usize);
        let angles: Vec<f32> = (0..32 * half)
            .map(|i| (i / half) as f32 * 0.3 / (1 + i % half) as f32)
            .collect();
        let cos: Vec<f32> = angles.iter().map(|a| a.cos()).collect();
        let sin: Vec<f32> = angles.iter().map(|a| a.sin()).collect();
        let val = |i: usize, salt: usize| ((i * 37 + salt * 11) % 23) as f32 * 0.17 - 1.9;
        let rows = |n: usize, width: usize, salt: usize| -> Vec<f32> {
            (0..n * width).map(|i| val(i, salt)).collect()
        };
        // Sequence b's first three tokens, then one more next to a's five.
        let mut a = KvCache::new(1, DType::F32);
        let mut b = KvCache::new(1, DType::F32);
        let (qb0, kb0, vb0) = (
            rows(3, nh * hd, 1),
            rows(3, nkv * hd, 2),
            rows(3, nkv * hd, 3),
        );
        attend(
            &h,
            0,
            &mut qb0.clone(),
            &mut kb0.clone(),
            &vb0,
            &mut [SeqStep {
                tokens: &[0; 3],
                cache: &mut b,
            }],
            &cos,
            &sin,
        )
        .unwrap();
        b.advance(3);
        let (q, k, v) = (
            rows(6, nh * hd, 4),
            rows(6, nkv * hd, 5),
            rows(6, nkv * hd, 6),
        );
        let got = attend(
            &h,
            0,
            &mut q.clone(),
            &mut k.clone(),
            &v,
            &mut [
                SeqStep {
                    tokens: &[0; 5],
                    cache: &mut a,
                },
                SeqStep {
                    tokens: &[0; 1],
                    cache: &mut b,
                },
            ],
            &cos,
            &sin,
        )
        .unwrap();

        // Each sequence's rows (q, k, v) with positions from 0.
        // (q, k, v, rows already computed in an earlier step)
        let seqs = [
            (
                q[..5 * nh * hd].to_vec(),
                k[..5 * nkv * hd].to_vec(),
                v[..5 * nkv * hd].to_vec(),
                0,
            ),
            (
                [&qb0[..], &q[5 * nh * hd..]].concat(),
                [&kb0[..], &k[5 * nkv * hd..]].concat(),
                [&vb0[..], &v[5 * nkv * hd..]].concat(),
                3,
            ),
        ];
        let mut want = Vec::new();
        for (q, k, v, skip) in seqs {
            let n = k.len() / (nkv * hd);
            let rot = |x: &[f32], heads: usize| -> Vec<f32> {
                let mut x = x.to_vec();
                for (r, row) in x.chunks_exact_mut(heads * hd).enumerate() {
                    for head in row.chunks_exact_mut(hd) {
                        let at = r * half..(r + 1) * half;
                        rope_head(head, &cos[at.clone()], &sin[at], RopeStyle::Neox);
                    }
                }
                x
            };
            let (q, k) = (rot(&q, nh), rot(&k, nkv));
            for r in skip..n {
                for qh in 0..nh {
                    let kh = qh / (nh / nkv);
                    let qv = &q[(r * nh + qh) * hd..][..hd];
                    let sc: Vec<f64> = (0..=r)
                        .map(|t| {
                            let kv = &k[(t * nkv + kh) * hd..][..hd];
                            let d: f64 =
                                qv.iter().zip(kv).map(|(a, b)| *a as f64 * *b as f64).sum();
                            d / (hd as f64).sqrt()
                        })
                        .collect();
                    let max = sc.iter().copied().fold(f64::MIN, f64::max);
                    let e: Vec<f64> = sc.iter().map(|s| (s - max).exp()).collect();
                    let sum: f64 = e.iter().sum();
                    for i in 0..hd {
                        let y: f64 = (0..=r)
                            .map(|t| e[t] / sum * v[(t * nkv + kh) * hd + i] as f64)
                            .sum();
                        want.push(y);
                    }
                }
            }
        }
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((*g as f64 - w).abs() < 1e-5, "value {i}: {g} vs {w}");
        }
        assert_eq!((a.len(), b.len()), (0, 3), "the caller advances the caches");
    }

    #[test]
    fn dots_are_one_chain_of_multiply_adds_per_key_whatever_the_lanes() {
        let hd = 24;
        let keys: Vec<Vec<f32>> = (0..KEYS)
            .map(|x| {
                (0..hd)
                    .map(|i| ((x * 31 + i * 7) % 13) as f32 * 0.37 - 2.1)
                    .collect()
            })
            .collect();
        let qs: Vec<Vec<f32>> = (0..4)
            .map(|w| {
                (0..hd)
                    .map(|i| ((w * 17 + i * 5) % 11) as f32 * 0.53 - 2.7)
                    .collect()
            })
            .collect();
        let mut kt = vec![0f32; hd * KEYS];
        for (x, k) in keys.iter().enumerate() {
            for (i, v) in k.iter().enumerate() {
                kt[i * KEYS + x] = *v;
            }
        }
        let chain = |q: &[f32], k: &[f32]| q.iter().zip(k).fold(0f32, |a, (x, y)| fmadd(*x, *y, a));
        let mut four = [[0f32; KEYS]; 4];
        dots::<4>(&kt, std::array::from_fn(|w| qs[w].as_slice()), &mut four);
        for (w, q) in qs.iter().enumerate() {
            let mut one = [[0f32; KEYS]; 1];
            dots::<1>(&kt, [q.as_slice()], &mut one);
            for x in 0..KEYS {
                let want = chain(q, &keys[x]).to_bits();
                assert_eq!(four[w][x].to_bits(), want, "lane {w} of four, key {x}");
                assert_eq!(one[0][x].to_bits(), want, "alone, key {x}");
            }
        }
    }
}
