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
    /// Rows `first..first + n` (`head_dim` values each, one after the other)
    /// as f32: in place when stored as f32, converted into `tmp` when f16.
    #[inline]
    fn rows<'b>(&'b self, first: usize, n: usize, hd: usize, tmp: &'b mut [f32]) -> &'b [f32] {
        let range = first * hd..(first + n) * hd;
        match self {
            Buf::F32(v) => &v[range],
            Buf::F16(v) => {
                let out = &mut tmp[..n * hd];
                v[range].convert_to_f32_slice(out);
                out
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

/// Queries per vector of [`dots`]: the lanes of one 256-bit vector.
const LANES: usize = 8;

/// Keys scored side by side by [`dots`] (one chain each per lane: enough
/// independent multiply-adds in flight to hide their latency).
const KEYS: usize = 8;

/// Keys whose values are summed per pass of [`weighted_sum`].
const VALUE_BLOCK: usize = 64;

/// Dot products of the [`KEYS`] key rows `ks` with the [`LANES`] queries of
/// `qt` (transposed: `qt[i * LANES + l]` is dimension `i` of query `l`), into
/// `out[l][x]`. Each dot product is one chain of fused multiply-adds over
/// the dimensions in order, as a matmul's inner loop does (the order with
/// which the test model reproduces llama.cpp's greedy output token for
/// token); the chains of other keys and queries run side by side for
/// throughput and change nothing in any one chain. Each key's value at
/// dimension `i` is broadcast to the lanes, so the keys are read in place.
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
#[inline(always)]
fn dots(qt: &[f32], ks: [&[f32]; KEYS], out: &mut [[f32; KEYS]; LANES]) {
    let hd = qt.len() / LANES;
    let ks: [&[f32]; KEYS] = std::array::from_fn(|x| &ks[x][..hd]);
    let mut acc = [[0f32; LANES]; KEYS];
    for (i, q) in qt.chunks_exact(LANES).enumerate() {
        for x in 0..KEYS {
            let b = ks[x][i];
            for l in 0..LANES {
                acc[x][l] = fmadd(q[l], b, acc[x][l]);
            }
        }
    }
    for (x, a) in acc.iter().enumerate() {
        for l in 0..LANES {
            out[l][x] = a[l];
        }
    }
}

/// [`dots`] where the build has AVX2 and FMA (this project builds with
/// `target-cpu=native`): written with the instructions, because the compiler
/// gathered the keys' values into vectors instead of broadcasting each one.
/// Each lane's `vfmadd` is the portable version's `mul_add`, bit for bit.
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
#[inline(always)]
fn dots(qt: &[f32], ks: [&[f32]; KEYS], out: &mut [[f32; KEYS]; LANES]) {
    use std::arch::x86_64::*;
    const _: () = assert!(LANES == 8, "one 256-bit vector of queries");
    let hd = qt.len() / LANES;
    let ks: [&[f32]; KEYS] = std::array::from_fn(|x| &ks[x][..hd]);
    let mut rows = [[0f32; LANES]; KEYS];
    // SAFETY: AVX2 and FMA are enabled for the whole build (the cfg above);
    // every load is inside `qt` (`hd * LANES` values) or a key row (`hd`
    // values, checked by the slicing above), every store inside `rows`.
    unsafe {
        let mut acc = [_mm256_setzero_ps(); KEYS];
        for i in 0..hd {
            let q = _mm256_loadu_ps(qt.as_ptr().add(i * LANES));
            for x in 0..KEYS {
                let b = _mm256_broadcast_ss(&*ks[x].as_ptr().add(i));
                acc[x] = _mm256_fmadd_ps(q, b, acc[x]);
            }
        }
        for x in 0..KEYS {
            _mm256_storeu_ps(rows[x].as_mut_ptr(), acc[x]);
        }
    }
    for (x, a) in rows.iter().enumerate() {
        for l in 0..LANES {
            out[l][x] = a[l];
        }
    }
}

/// `a += Σ_t p[t] · vs[t]` for the value rows `vs` (`a.len()` values each),
/// each element one chain of fused multiply-adds over the keys in order,
/// kept in registers across the keys 64 elements at a time.
#[inline(always)]
fn weighted_sum(a: &mut [f32], p: &[f32], vs: &[f32]) {
    const CHUNK: usize = 64;
    let hd = a.len();
    let vs = &vs[..p.len() * hd];
    let mut c = 0;
    while c + CHUNK <= hd {
        let mut r = [0f32; CHUNK];
        r.copy_from_slice(&a[c..c + CHUNK]);
        for (&pt, v) in p.iter().zip(vs.chunks_exact(hd)) {
            let v = &v[c..c + CHUNK];
            for e in 0..CHUNK {
                r[e] = fmadd(pt, v[e], r[e]);
            }
        }
        a[c..c + CHUNK].copy_from_slice(&r);
        c += CHUNK;
    }
    for e in c..hd {
        let mut r = a[e];
        for (&pt, v) in p.iter().zip(vs.chunks_exact(hd)) {
            r = fmadd(pt, v[e], r);
        }
        a[e] = r;
    }
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
        // Lane l = jj * g + gg: query row j0 + jj, query head kh * g + gg.
        let lanes = nq * g;
        let groups = lanes.div_ceil(LANES);
        let qrow = |l: usize| {
            let (r, qh) = (first + j0 + l / g, kh * g + l % g);
            &q[(r * nh + qh) * hd..(r * nh + qh + 1) * hd]
        };
        // The queries transposed, LANES per group (zeros past the last).
        let mut qt = vec![0f32; groups * hd * LANES];
        for l in 0..lanes {
            let grp = &mut qt[(l / LANES) * hd * LANES..(l / LANES + 1) * hd * LANES];
            for (i, v) in qrow(l).iter().enumerate() {
                grp[i * LANES + l % LANES] = *v;
            }
        }
        let zeros = vec![0f32; hd];
        // Room to convert a block of an f16 cache; an f32 cache is read in
        // place and needs none (this runs per work item, layer and step).
        let f16 = matches!(kb, Buf::F16(_)) || matches!(vb, Buf::F16(_));
        let mut tmp = vec![0f32; if f16 { VALUE_BLOCK.max(KEYS) * hd } else { 0 }];
        // Scores of lane l at l * span.
        let mut scores = vec![0f32; lanes * span];
        for t0 in (0..span).step_by(KEYS) {
            let nk = KEYS.min(span - t0);
            let block = kb.rows(base + t0, nk, hd, &mut tmp);
            let ks: [&[f32]; KEYS] = std::array::from_fn(|x| {
                if x < nk {
                    &block[x * hd..(x + 1) * hd]
                } else {
                    &zeros[..]
                }
            });
            // Groups holding a lane whose query sees a key of this block; a
            // key past a query's own position gets a score that its softmax
            // never reads.
            for grp in sees(t0) * g / LANES..groups {
                let mut res = [[0f32; KEYS]; LANES];
                dots(&qt[grp * hd * LANES..(grp + 1) * hd * LANES], ks, &mut res);
                for (u, row) in res.iter().enumerate() {
                    let l = grp * LANES + u;
                    if l >= lanes {
                        break;
                    }
                    let at = l * span + t0;
                    for (s, d) in scores[at..at + nk].iter_mut().zip(row) {
                        *s = d * scale;
                    }
                }
            }
        }
        for jj in 0..nq {
            let len = pos + j0 + jj + 1;
            for gg in 0..g {
                let at = (jj * g + gg) * span;
                softmax(&mut scores[at..at + len]);
            }
        }
        // Values summed in key order per lane: query j0 + jj sees keys
        // 0..=pos + j0 + jj.
        let mut acc = vec![0f32; lanes * hd];
        for t0 in (0..span).step_by(VALUE_BLOCK) {
            let nt = VALUE_BLOCK.min(span - t0);
            let vs = vb.rows(base + t0, nt, hd, &mut tmp);
            for l in 0..lanes {
                let len = pos + j0 + l / g + 1;
                if t0 >= len {
                    continue;
                }
                let n = nt.min(len - t0);
                let p = &scores[l * span + t0..l * span + t0 + n];
                weighted_sum(&mut acc[l * hd..(l + 1) * hd], p, vs);
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
        let qs: Vec<Vec<f32>> = (0..LANES)
            .map(|w| {
                (0..hd)
                    .map(|i| ((w * 17 + i * 5) % 11) as f32 * 0.53 - 2.7)
                    .collect()
            })
            .collect();
        let transposed = |qs: &[Vec<f32>]| {
            let mut qt = vec![0f32; hd * LANES];
            for (l, q) in qs.iter().enumerate() {
                for (i, v) in q.iter().enumerate() {
                    qt[i * LANES + l] = *v;
                }
            }
            qt
        };
        let ks: [&[f32]; KEYS] = std::array::from_fn(|x| keys[x].as_slice());
        let chain = |q: &[f32], k: &[f32]| q.iter().zip(k).fold(0f32, |a, (x, y)| fmadd(*x, *y, a));
        let mut all = [[0f32; KEYS]; LANES];
        dots(&transposed(&qs), ks, &mut all);
        for (w, q) in qs.iter().enumerate() {
            // The same query alone in its group (the other lanes zero).
            let mut one = [[0f32; KEYS]; LANES];
            dots(&transposed(std::slice::from_ref(q)), ks, &mut one);
            for x in 0..KEYS {
                let want = chain(q, &keys[x]).to_bits();
                assert_eq!(all[w][x].to_bits(), want, "lane {w} of {LANES}, key {x}");
                assert_eq!(one[0][x].to_bits(), want, "alone, key {x}");
            }
        }
    }

    #[test]
    fn weighted_sums_are_one_chain_per_element_over_the_keys_in_order() {
        // 64 + 8 elements: a whole chunk and a tail.
        let (hd, n) = (72, 11);
        let vs: Vec<f32> = (0..n * hd)
            .map(|i| ((i * 37) % 19) as f32 * 0.29 - 2.6)
            .collect();
        let p: Vec<f32> = (0..n).map(|t| ((t * 7) % 5) as f32 * 0.11 + 0.01).collect();
        let start: Vec<f32> = (0..hd).map(|e| e as f32 * 0.5 - 3.0).collect();
        let mut a = start.clone();
        weighted_sum(&mut a, &p, &vs);
        for e in 0..hd {
            let want = (0..n).fold(start[e], |r, t| fmadd(p[t], vs[t * hd + e], r));
            assert_eq!(a[e].to_bits(), want.to_bits(), "element {e}");
        }
        // Split into two calls at any key: the same bits.
        let mut b = start.clone();
        weighted_sum(&mut b, &p[..4], &vs[..4 * hd]);
        weighted_sum(&mut b, &p[4..], &vs[4 * hd..]);
        assert_eq!(a, b);
    }
}
