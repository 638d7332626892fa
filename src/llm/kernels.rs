//! Weight matrices for the model code: [`Linear`] is candle's `QMatMul`, except
//! for the GGUF block formats that candle 0.11 multiplies with scalar code on
//! x86 (Q5_0 and Q4_1), which get the AVX2 kernels here.
//!
//! Why by hand: candle has AVX2 dot products for Q4_0, Q8_0 and the K-quants
//! only. Qwen2.5-0.5B's Q4_K_M file stores most of its weights as Q5_0 (its
//! 896-wide rows do not fit the 256-wide K-quant blocks) and SmolLM2's test
//! file is Q4_1, so both ran several times slower than their size promises.
//! The kernels follow ggml's (`ggml_vec_dot_q5_0_q8_0`, `ggml_vec_dot_q4_1_q8_1`):
//! activations are quantized to 8 bits per 32-value block, and each weight
//! block is unpacked once and multiplied with up to four activation rows.
//! The work is split over weight-row chunks on candle's own worker pool.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor};

/// A quantized weight matrix `(out, in)` that multiplies activations `(.., in)`.
pub(crate) enum Linear {
    /// candle's own quantized matmul.
    Candle(QMatMul),
    /// One of the formats with a kernel here.
    Fast(FastLinear),
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Linear::Candle(_) => f.write_str("Linear::Candle"),
            Linear::Fast(l) => write!(f, "Linear::Fast({:?}, {}x{})", l.format, l.n, l.k),
        }
    }
}

impl Linear {
    /// Wrap a quantized tensor, using a kernel here when one fits.
    pub fn new(t: QTensor) -> Result<Linear> {
        match FastLinear::try_new(&t)? {
            Some(f) => Ok(Linear::Fast(f)),
            None => Ok(Linear::Candle(QMatMul::from_qtensor(t)?)),
        }
    }

    /// [`Linear::new`] for a tensor shared with something else (tied embeddings).
    pub fn from_arc(t: Arc<QTensor>) -> Result<Linear> {
        match FastLinear::try_new(&t)? {
            Some(f) => Ok(Linear::Fast(f)),
            None => Ok(Linear::Candle(QMatMul::from_arc(t)?)),
        }
    }

    /// Always candle's matmul (the reference the kernels are tested against).
    #[cfg(test)]
    pub fn candle(t: QTensor) -> Result<Linear> {
        Ok(Linear::Candle(QMatMul::from_qtensor(t)?))
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Linear::Candle(m) => m.forward(x),
            Linear::Fast(f) => f.forward(x),
        }
    }
}

/// Weight block formats with a kernel here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// 32 weights: f16 scale, 32 high bits, 16 bytes of nibbles; w = d * (q - 16).
    Q5_0,
    /// 32 weights: f16 scale, f16 min, 16 bytes of nibbles; w = d * q + m.
    Q4_1,
}

impl Format {
    fn block_bytes(self) -> usize {
        match self {
            Format::Q5_0 => 22,
            Format::Q4_1 => 20,
        }
    }
}

/// Values per block in both formats.
const QK: usize = 32;
/// Weight rows per work item.
const CHUNK_ROWS: usize = 16;
/// Activation rows multiplied per unpacked weight block.
const TILE: usize = 4;

/// A Q5_0 or Q4_1 matrix kept as its GGUF bytes.
pub(crate) struct FastLinear {
    format: Format,
    /// Output features (weight rows).
    n: usize,
    /// Input features (a multiple of 32).
    k: usize,
    data: Vec<u8>,
}

impl FastLinear {
    /// `Some` when `t` is a CPU Q5_0 or Q4_1 matrix and this CPU has AVX2 and FMA.
    fn try_new(t: &QTensor) -> Result<Option<FastLinear>> {
        let format = match t.dtype() {
            GgmlDType::Q5_0 => Format::Q5_0,
            GgmlDType::Q4_1 => Format::Q4_1,
            _ => return Ok(None),
        };
        if !matches!(t.device(), Device::Cpu) || !enabled() {
            return Ok(None);
        }
        let Ok((n, k)) = t.shape().dims2() else {
            return Ok(None);
        };
        if k % QK != 0 {
            return Ok(None);
        }
        let data = t.data()?.into_owned();
        if data.len() != n * (k / QK) * format.block_bytes() {
            candle_core::bail!(
                "{format:?} tensor of shape ({n}, {k}) has {} bytes",
                data.len()
            );
        }
        Ok(Some(FastLinear { format, n, k, data }))
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let Some(&k) = dims.last() else {
            candle_core::bail!("matmul of a scalar");
        };
        if k != self.k {
            candle_core::bail!("matmul: input has {k} features, the weights {}", self.k);
        }
        let m = x.elem_count() / k.max(1);
        let xs = x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let mut out = vec![0f32; m * self.n];
        self.matmul(&xs, m, &mut out);
        let mut shape = dims;
        if let Some(last) = shape.last_mut() {
            *last = self.n;
        }
        Tensor::from_vec(out, shape, x.device())
    }

    /// `out (m, n) = x (m, k) · Wᵀ`.
    fn matmul(&self, x: &[f32], m: usize, out: &mut [f32]) {
        let acts = Acts::quantize(x, m, self.k);
        let chunks = self.n.div_ceil(CHUNK_ROWS);
        let out_ptr = SyncPtr(out.as_mut_ptr());
        let work = |c: usize| {
            let rows = c * CHUNK_ROWS..self.n.min((c + 1) * CHUNK_ROWS);
            // SAFETY: chunk `c` writes only columns `rows` of `out`, so work items
            // never write the same element, and `out` outlives the pool call.
            unsafe { self.chunk(&acts, rows, out_ptr) }
        };
        // candle's own worker pool (sized by CANDLE_NUM_THREADS): one set of
        // threads for every kernel.
        let pool = candle_core::utils::barrier_pool();
        if chunks > 1 && pool.n_workers() > 0 {
            pool.execute_chunked(chunks, |range| range.for_each(work));
        } else {
            (0..chunks).for_each(work);
        }
    }

    /// Every activation row times the weight rows `rows`, written into `out`.
    ///
    /// # Safety
    /// `out` points to an `(acts.m, self.n)` buffer; no one else writes its
    /// columns `rows` meanwhile.
    unsafe fn chunk(&self, acts: &Acts, rows: std::ops::Range<usize>, out: SyncPtr) {
        let row_bytes = self.k / QK * self.format.block_bytes();
        let q5 = self.format == Format::Q5_0;
        let mut i0 = 0;
        while i0 < acts.m {
            let r = TILE.min(acts.m - i0);
            let mut j = rows.start;
            while j < rows.end {
                let w = if j + 1 < rows.end { 2 } else { 1 };
                let bytes = &self.data[j * row_bytes..(j + w) * row_bytes];
                let mut res = [[0f32; TILE]; 2];
                // SAFETY: AVX2 and FMA were detected when this matrix was made;
                // `bytes` holds `w` whole rows and `i0 + r <= acts.m`.
                unsafe {
                    macro_rules! go {
                        ($($q5:literal, $w:literal, $r:literal);*) => {
                            match (q5, w, r) {
                                $(($q5, $w, $r) => avx2::tile::<$q5, $w, $r>(bytes, acts, i0, &mut res),)*
                                _ => unreachable!("w is 1 or 2 and r is 1 to 4"),
                            }
                        };
                    }
                    go!(true, 2, 4; true, 2, 3; true, 2, 2; true, 2, 1;
                        true, 1, 4; true, 1, 3; true, 1, 2; true, 1, 1;
                        false, 2, 4; false, 2, 3; false, 2, 2; false, 2, 1;
                        false, 1, 4; false, 1, 3; false, 1, 2; false, 1, 1);
                }
                for (c, col) in res.iter().take(w).enumerate() {
                    for (t, v) in col.iter().take(r).enumerate() {
                        // SAFETY: (i0 + t, j + c) is inside `out`, in this chunk's columns.
                        unsafe { *out.0.add((i0 + t) * self.n + j + c) = *v };
                    }
                }
                j += w;
            }
            i0 += r;
        }
    }
}

#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: used only as described in `FastLinear::matmul`: disjoint writes.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

/// Activations quantized to 8 bits per 32-value block (ggml's Q8_0 / Q8_1),
/// with each block's sum for the weight formats' offsets.
struct Acts {
    m: usize,
    /// Blocks per row.
    kb: usize,
    /// `(m, k)` quantized values.
    q: Vec<i8>,
    /// `(m, kb)` block scales, rounded through f16 as ggml stores them.
    d: Vec<f32>,
    /// `(m, kb)` block sums `d * Σq`, for the weights' offsets (Q5_0's 16,
    /// Q4_1's min). Kept in f32: with it SmolLM2's greedy output matches
    /// llama.cpp's token for token, with ggml's f16 `s` it did not.
    s: Vec<f32>,
}

impl Acts {
    fn quantize(x: &[f32], m: usize, k: usize) -> Acts {
        let kb = k / QK;
        let mut q = vec![0i8; m * k];
        let mut d = vec![0f32; m * kb];
        let mut s = vec![0f32; m * kb];
        for (b, (xs, qs)) in x.chunks_exact(QK).zip(q.chunks_exact_mut(QK)).enumerate() {
            let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
            let scale = amax / 127.0;
            let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let mut sum = 0i32;
            for (qv, xv) in qs.iter_mut().zip(xs) {
                *qv = (xv * inv).round() as i8;
                sum += *qv as i32;
            }
            d[b] = half::f16::from_f32(scale).to_f32();
            s[b] = d[b] * sum as f32;
        }
        Acts { m, kb, q, d, s }
    }
}

/// `SILKROUTE_KERNELS=candle` turns the kernels here off (to compare speed or
/// output against candle's own code).
fn candle_only() -> bool {
    std::env::var("SILKROUTE_KERNELS").is_ok_and(|v| v.eq_ignore_ascii_case("candle"))
}

/// Whether the kernels here run: AVX2 and FMA present and not turned off.
/// When they do not, the loader re-encodes Q5_0 as Q8_0, which candle
/// multiplies with AVX2.
pub(crate) fn enabled() -> bool {
    has_avx2() && !candle_only()
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Acts, QK};
    use std::arch::x86_64::*;

    #[inline(always)]
    fn f16_at(b: &[u8], at: usize) -> f32 {
        half::f16::from_le_bytes([b[at], b[at + 1]]).to_f32()
    }

    /// 32 nibbles (16 bytes) as 32 bytes 0..15, low nibbles first.
    #[inline(always)]
    unsafe fn nibbles(p: *const u8) -> __m256i {
        unsafe {
            let tmp = _mm_loadu_si128(p as *const __m128i);
            let bytes = _mm256_set_m128i(_mm_srli_epi16(tmp, 4), tmp);
            _mm256_and_si256(_mm256_set1_epi8(0x0f), bytes)
        }
    }

    /// 32 bits as 32 bytes: 0xff where the bit is set.
    #[inline(always)]
    unsafe fn bits(p: *const u8) -> __m256i {
        unsafe {
            let x32 = std::ptr::read_unaligned(p as *const u32);
            let shuf = _mm256_set_epi64x(
                0x0303030303030303,
                0x0202020202020202,
                0x0101010101010101,
                0,
            );
            let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(x32 as i32), shuf);
            let mask = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
            _mm256_cmpeq_epi8(_mm256_or_si256(bytes, mask), _mm256_set1_epi64x(-1))
        }
    }

    #[inline(always)]
    unsafe fn hsum(x: __m256) -> f32 {
        unsafe {
            let r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
            let r = _mm_add_ps(r, _mm_movehl_ps(r, r));
            let r = _mm_add_ss(r, _mm_movehdup_ps(r));
            _mm_cvtss_f32(r)
        }
    }

    /// `W` weight rows (`w`, row after row) times activation rows `i0..i0 + R`,
    /// into `out[weight row][activation row]`. Both formats are unpacked to
    /// unsigned bytes `u` with `weight = d * u + c` (Q5_0: `u` = the 5-bit value,
    /// `c = -16 d`; Q4_1: `u` = the nibble, `c` = the block's min), so each pair
    /// of blocks costs one `maddubs` and the offset one scalar multiply-add with
    /// the activation block's sum. All `W * R` sums stay in registers.
    ///
    /// # Safety
    /// AVX2 and FMA present; `w` holds `W` rows of `acts.kb` blocks;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile<const Q5: bool, const W: usize, const R: usize>(
        w: &[u8],
        acts: &Acts,
        i0: usize,
        out: &mut [[f32; super::TILE]; 2],
    ) {
        let kb = acts.kb;
        let bb = if Q5 { 22 } else { 20 };
        let row_bytes = kb * bb;
        debug_assert!(w.len() >= W * row_bytes && i0 + R <= acts.m && W <= 2 && R <= 4);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); R]; W];
        let mut offs = [[0f32; R]; W];
        for b in 0..kb {
            let mut u = [_mm256_setzero_si256(); W];
            let mut dw = [0f32; W];
            let mut cw = [0f32; W];
            for j in 0..W {
                let blk = &w[j * row_bytes + b * bb..j * row_bytes + (b + 1) * bb];
                dw[j] = f16_at(blk, 0);
                // SAFETY: Q5_0 blocks hold qh at 2..6 and qs at 6..22; Q4_1
                // blocks hold qs at 4..20.
                unsafe {
                    if Q5 {
                        let hi = _mm256_and_si256(bits(blk.as_ptr().add(2)), _mm256_set1_epi8(16));
                        u[j] = _mm256_or_si256(nibbles(blk.as_ptr().add(6)), hi);
                        cw[j] = -16.0 * dw[j];
                    } else {
                        u[j] = nibbles(blk.as_ptr().add(4));
                        cw[j] = f16_at(blk, 2);
                    }
                }
            }
            for r in 0..R {
                let row = i0 + r;
                let at = (row * kb + b) * QK;
                // SAFETY: `at + 32 <= acts.q.len()` for row < m, b < kb.
                let a = unsafe { _mm256_loadu_si256(acts.q.as_ptr().add(at) as *const __m256i) };
                let da = acts.d[row * kb + b];
                let sa = acts.s[row * kb + b];
                for j in 0..W {
                    let p =
                        _mm256_cvtepi32_ps(_mm256_madd_epi16(ones, _mm256_maddubs_epi16(u[j], a)));
                    acc[j][r] = _mm256_fmadd_ps(_mm256_set1_ps(dw[j] * da), p, acc[j][r]);
                    offs[j][r] += cw[j] * sa;
                }
            }
        }
        for j in 0..W {
            for r in 0..R {
                // SAFETY: AVX2 is enabled for this function.
                out[j][r] = unsafe { hsum(acc[j][r]) } + offs[j][r];
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx2 {
    use super::Acts;
    pub(super) unsafe fn tile<const Q5: bool, const W: usize, const R: usize>(
        _: &[u8],
        _: &Acts,
        _: usize,
        _: &mut [[f32; super::TILE]; 2],
    ) {
        unreachable!("FastLinear is only built where AVX2 was detected")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, k: usize, seed: u64) -> Tensor {
        // A small LCG: deterministic, no extra dependency.
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let v: Vec<f32> = (0..n * k)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
            })
            .collect();
        Tensor::from_vec(v, (n, k), &Device::Cpu).unwrap()
    }

    /// The kernels give what candle's scalar code gives, for every row count
    /// around the tile and chunk sizes (decode and prefill shapes): the same
    /// values for Q5_0, and for Q4_1 (where candle rounds the activation sums
    /// through f16 arithmetic) no larger an error against the exact product with
    /// the dequantized weights.
    #[test]
    fn kernels_match_candle() {
        if !has_avx2() {
            eprintln!("no AVX2: kernels not used on this CPU");
            return;
        }
        for dtype in [GgmlDType::Q5_0, GgmlDType::Q4_1] {
            let (n, k) = (37, 128);
            let w = random(n, k, 7);
            let q = QTensor::quantize(&w, dtype).unwrap();
            let exact_w = q.dequantize(&Device::Cpu).unwrap();
            let fast = Linear::new(QTensor::quantize(&w, dtype).unwrap()).unwrap();
            assert!(matches!(fast, Linear::Fast(_)), "{dtype:?} uses the kernel");
            let reference = Linear::candle(q).unwrap();
            for m in [1, 2, 3, 4, 5, 9] {
                let x = random(m, k, 100 + m as u64);
                let a = fast.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                let b = reference.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                let exact = x
                    .matmul(&exact_w.t().unwrap())
                    .unwrap()
                    .to_vec2::<f32>()
                    .unwrap();
                let (mut err_fast, mut err_candle) = (0f32, 0f32);
                for ((ra, rb), re) in a.iter().zip(&b).zip(&exact) {
                    for ((va, vb), ve) in ra.iter().zip(rb).zip(re) {
                        if dtype == GgmlDType::Q5_0 {
                            assert!(
                                (va - vb).abs() <= 1e-4 * (1.0 + vb.abs()),
                                "m={m}: {va} vs {vb}"
                            );
                        }
                        err_fast = err_fast.max((va - ve).abs());
                        err_candle = err_candle.max((vb - ve).abs());
                    }
                }
                assert!(
                    err_fast <= err_candle * 1.05 + 1e-5,
                    "{dtype:?} m={m}: error {err_fast} against candle's {err_candle}"
                );
                // Sums of 128 products of values in ±1: a few hundredths is quantization.
                assert!(err_fast < 0.1, "{dtype:?} m={m}: error {err_fast}");
            }
            // A batch of sequences keeps its leading dimensions.
            let x3 = random(6, k, 3).reshape((2, 3, k)).unwrap();
            assert_eq!(fast.forward(&x3).unwrap().dims(), &[2, 3, n]);
        }
    }
}
