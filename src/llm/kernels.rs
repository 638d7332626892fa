//! Weight matrices for the model code: [`Linear`] multiplies activations by a
//! quantized GGUF matrix with the kernels here (AVX2, or VNNI where the CPU
//! has it: [`vnni`], chosen once per process, [`KernelPath`]), and for other
//! formats or CPUs with candle's per-format dot products ([`DotLinear`]).
//!
//! # The invariance rule (every kernel here keeps it)
//!
//! Each output element `out[i][j]` (activation row `i`, weight row `j`) is
//! computed from activation row `i` and weight row `j` alone, by a fixed
//! sequence of float operations that depends only on the matrix (its format,
//! shape and layout) and the CPU's kernel choice made at load:
//! - never on the number of activation rows in the call (`m`: 1 when decoding
//!   alone, 8 in a batch, 512 in a prompt chunk), nor on where row `i` sits
//!   among them: a row alone and a row in a tile of four go through the same
//!   instructions in the same order (no separate "gemv" and "gemm" paths that
//!   sum differently, no kernel picked by `m`);
//! - never on the thread count or the work split: work is split over weight
//!   rows (output columns) only, each output summed whole by one work item,
//!   never the inner dimension;
//! - activations are quantized per row, per block, with no statistic taken
//!   across rows.
//!
//! Together with `attention` (the same rule for keys) this makes a sequence's
//! logits bit for bit the same whatever else shares its step, and greedy
//! output reproducible. A faster kernel that breaks it may exist only as an
//! opt-in documented as "outputs may vary" (as `SILKROUTE_KERNELS=candle`
//! is). `tests::every_output_row_is_the_same_whatever_the_rows_around_it`
//! checks it for every format and path; a new kernel joins that test.
//!
//! Why by hand:
//! - candle 0.11 has only scalar code on x86 for Q5_0 and Q4_1. Qwen2.5-0.5B's
//!   Q4_K_M file stores most of its weights as Q5_0 (its 896-wide rows do not
//!   fit the 256-wide K-quant blocks) and SmolLM2's test file is Q4_1.
//! - For Q4_K and Q6_K (the default model's formats) candle repacks every
//!   matrix on first use into tiles with f32 scales, 1.3–1.5× the size of the
//!   file's blocks, and keeps both: the default model held 2.5 GB of weights
//!   for a 1.1 GB file.
//!
//! Matrices are regrouped by eight rows at load ([`q4k_x8`], [`q6k_x8`],
//! [`q5_0_x8`], [`q8_0_x8`]) into (nearly) the file's size, replacing it:
//! one 32-byte vector then holds four columns of eight rows, and a kernel
//! sums eight rows at once with no horizontal sums, reading one contiguous
//! stream. Q4_1 and matrices shared with the embedding lookup are read in
//! place, a pair of rows at a time ([`avx2::tile`]).
//!
//! The kernels follow ggml's (`ggml_vec_dot_q5_0_q8_0`, `ggml_vec_dot_q4_K_q8_K`
//! and friends): activations are quantized to 8 bits, per 32 values for the
//! 32-weight formats and per 256 for the K-quants (whose kernels then sum a
//! whole block in integers); each unpacked weight vector is multiplied with up
//! to four activation rows. The work is split over weight-row chunks on
//! candle's own worker pool.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Result, Tensor};

mod bench;
mod vnni;
pub use bench::{KernelTiming, bench_kernels};
use vnni::TILE8;

/// A quantized weight matrix `(out, in)` that multiplies activations `(.., in)`.
pub(crate) enum Linear {
    /// candle's own quantized matmul, only with `SILKROUTE_KERNELS=candle`:
    /// it picks kernels by the number of rows, so outputs may vary with what
    /// shares a step.
    Candle(QMatMul),
    /// One of the formats with a kernel here.
    Fast(FastLinear),
    /// Any other format, or a CPU without the kernels' instructions.
    Dots(DotLinear),
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Linear::Candle(_) => f.write_str("Linear::Candle"),
            Linear::Fast(l) => write!(f, "Linear::Fast({:?}, {}x{})", l.format, l.n, l.k),
            Linear::Dots(l) => write!(f, "Linear::Dots({:?}, {}x{})", l.dtype, l.n, l.k),
        }
    }
}

impl Linear {
    /// Wrap a quantized tensor, using a kernel here when one fits.
    pub fn new(t: QTensor) -> Result<Linear> {
        Linear::from_arc(Arc::new(t))
    }

    /// [`Linear::new`] for a tensor shared with something else (tied
    /// embeddings). The 32-weight formats are read in place; K-quants are
    /// regrouped, so a tied K-quant embedding is held twice (the lookup keeps
    /// the file's blocks), as with candle's own repacking.
    pub fn from_arc(t: Arc<QTensor>) -> Result<Linear> {
        Linear::with_path(t, kernel_path())
    }

    /// [`Linear::from_arc`] with the kernels of `path` (which must be
    /// available on this CPU to be used; else candle's).
    pub(crate) fn with_path(t: Arc<QTensor>, path: KernelPath) -> Result<Linear> {
        if FastLinear::fits(&t, path)? {
            let (n, k) = t.shape().dims2()?;
            let format = Format::of(t.dtype()).expect("fits() checked the format");
            // A 32-weight matrix shared with the embedding lookup (tied
            // weights) is read in place rather than held twice.
            let alone = n % 8 == 0 && Arc::strong_count(&t) == 1;
            // Q4_1 stays with the AVX2 kernel on every path: it sums in
            // ggml's order (eight float lanes, the mins apart), so the test
            // model's greedy output is llama.cpp's token for token; a VNNI
            // kernel summing per block gave another answer at a near tie,
            // and no production model has Q4_1 matrices.
            let w = match format {
                Format::Q4_1 => Weights::Blocks(t),
                _ if path == KernelPath::Avx512Vnni
                    && n % 16 == 0
                    && (alone || format.block_len() == 256) =>
                {
                    Weights::X16(x16(format, &t.data()?, n, k))
                }
                Format::Q4K => Weights::X8(q4k_x8(&t.data()?, n, k)),
                Format::Q6K => Weights::X8(q6k_x8(&t.data()?, n, k)),
                Format::Q5_0 if alone => Weights::X8(q5_0_x8(&t.data()?, n, k)),
                Format::Q8_0 if alone => Weights::X8(q8_0_x8(&t.data()?, n, k)),
                _ => Weights::Blocks(t),
            };
            return Ok(Linear::Fast(FastLinear {
                format,
                n,
                k,
                w,
                path,
            }));
        }
        if candle_only() {
            return Ok(Linear::Candle(QMatMul::from_arc(t)?));
        }
        Ok(Linear::Dots(DotLinear::new(t)?))
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
            Linear::Dots(d) => d.forward(x),
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
    /// 32 weights: f16 scale, 32 signed bytes; w = d * q.
    Q8_0,
    /// 256 weights in 8 sub-blocks of 32: f16 d and dmin, 12 bytes of 6-bit
    /// sub-block scales and mins, 128 bytes of nibbles; w = d·sc·q − dmin·m.
    Q4K,
    /// 256 weights in 16 groups of 16: 128 bytes of low nibbles, 64 bytes of
    /// high bit pairs, 16 signed 8-bit scales, f16 d; w = d·sc·(q − 32).
    Q6K,
}

impl Format {
    fn of(dtype: GgmlDType) -> Option<Format> {
        Some(match dtype {
            GgmlDType::Q5_0 => Format::Q5_0,
            GgmlDType::Q4_1 => Format::Q4_1,
            GgmlDType::Q8_0 => Format::Q8_0,
            GgmlDType::Q4K => Format::Q4K,
            GgmlDType::Q6K => Format::Q6K,
            _ => return None,
        })
    }

    /// Bytes of one block.
    fn block_bytes(self) -> usize {
        match self {
            Format::Q5_0 => 22,
            Format::Q4_1 => 20,
            Format::Q8_0 => 34,
            Format::Q4K => 144,
            Format::Q6K => 210,
        }
    }

    /// Weights in one block.
    fn block_len(self) -> usize {
        match self {
            Format::Q4K | Format::Q6K => 256,
            _ => QK,
        }
    }
}

/// Values per activation block, and per (sub-)block of every weight format.
const QK: usize = 32;
/// Weight rows per work item.
const CHUNK_ROWS: usize = 16;
/// Activation rows multiplied per unpacked weight block.
const TILE: usize = 4;

/// A matrix in one of [`Format`]'s formats, regrouped by eight rows or read
/// in place from its tensor (see [`Weights`]).
pub(crate) struct FastLinear {
    format: Format,
    /// Output features (weight rows).
    n: usize,
    /// Input features (a multiple of the block length).
    k: usize,
    w: Weights,
    /// Whose kernels multiply it.
    path: KernelPath,
}

/// Where a [`FastLinear`]'s blocks are.
enum Weights {
    /// The tensor's own blocks, read in place.
    Blocks(Arc<QTensor>),
    /// The rows regrouped by eight for the format's `*_x8` kernel
    /// ([`q4k_x8`], [`q6k_x8`], [`q5_0_x8`], [`q8_0_x8`]); the tensor was
    /// dropped.
    X8(Vec<u8>),
    /// The rows regrouped by sixteen ([`x16`]) for the AVX-512 VNNI kernels.
    X16(Vec<u8>),
}

/// Bytes of one Q4_K block of eight rows in [`q4k_x8`]'s layout.
const Q4K_X8_BYTES: usize = 1216;

/// Regroup a Q4_K matrix (`n` a multiple of 8) by eight rows, so that one
/// 32-byte vector holds four consecutive weights of each of eight rows and the
/// kernel sums eight rows at once, with no horizontal sums and one contiguous
/// stream of weights. Per group and block of 256 columns (1,216 bytes, 5.6%
/// more than the eight rows' own 1,152):
/// - `d[8]`, `dmin[8]`: f32;
/// - `scales[8 sub-blocks][8 rows]`, `mins[8][8]`: the 6-bit fields unpacked;
/// - `qs[4 pairs c][8 quads q][8 rows][4]`: the row's bytes `32c + 4q..+4`,
///   whose low nibbles are sub-block `2c` and high nibbles `2c + 1`, as in
///   the row's own block.
///
/// The same is what candle does on first use, but with f32 scales (1.3× the
/// file) and keeping the original; this replaces it.
fn q4k_x8(data: &[u8], n: usize, k: usize) -> Vec<u8> {
    let nb = k / 256;
    regroup(n / 8 * nb, Q4K_X8_BYTES, |gb, o| {
        q4k_x8_block(data, nb, gb, o)
    })
}

/// Block `gb` (group `gb / nb`, block `gb % nb`) of [`q4k_x8`] into `o`.
fn q4k_x8_block(data: &[u8], nb: usize, gb: usize, o: &mut [u8]) {
    let (g, b) = (gb / nb, gb % nb);
    for r in 0..8 {
        let at = ((g * 8 + r) * nb + b) * 144;
        let blk = &data[at..at + 144];
        let f16 = |i: usize| half::f16::from_le_bytes([blk[i], blk[i + 1]]).to_f32();
        o[4 * r..4 * r + 4].copy_from_slice(&f16(0).to_le_bytes());
        o[32 + 4 * r..32 + 4 * r + 4].copy_from_slice(&f16(2).to_le_bytes());
        let sc = &blk[4..16];
        for s in 0..8 {
            // ggml's `get_scale_min_k4`.
            let (scale, min) = if s < 4 {
                (sc[s] & 63, sc[s + 4] & 63)
            } else {
                (
                    (sc[s + 4] & 0x0f) | ((sc[s - 4] >> 6) << 4),
                    (sc[s + 4] >> 4) | ((sc[s] >> 6) << 4),
                )
            };
            o[64 + 8 * s + r] = scale;
            o[128 + 8 * s + r] = min;
        }
        for c in 0..4 {
            for q in 0..8 {
                let to = 192 + ((c * 8 + q) * 8 + r) * 4;
                let from = 16 + 32 * c + 4 * q;
                o[to..to + 4].copy_from_slice(&blk[from..from + 4]);
            }
        }
    }
}

/// `blocks` blocks of `bytes` bytes each, block `i` filled by `fill(i, ..)`,
/// split over the machine's cores: loading the default model regroups 1 GB.
fn regroup(blocks: usize, bytes: usize, fill: impl Fn(usize, &mut [u8]) + Sync) -> Vec<u8> {
    let mut out = vec![0u8; blocks * bytes];
    let threads = if out.len() < 1 << 20 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    let per = blocks.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (i, part) in out.chunks_mut(per * bytes).enumerate() {
            let fill = &fill;
            scope.spawn(move || {
                for (j, o) in part.chunks_exact_mut(bytes).enumerate() {
                    fill(i * per + j, o);
                }
            });
        }
    });
    out
}

/// Bytes of one Q6_K block of eight rows in [`q6k_x8`]'s layout.
const Q6K_X8_BYTES: usize = 1696;

/// Regroup a Q6_K matrix (`n` a multiple of 8) by eight rows, as [`q4k_x8`]
/// does for Q4_K. Per group and block of 256 columns (1,696 bytes, 1% more
/// than the eight rows' own 1,680):
/// - `d[8]`: f32;
/// - `scales[16 groups of 16 columns][8 rows]`: i8;
/// - for each half `h` of 128 columns and quad `q` of 8: three 32-byte
///   vectors `[8 rows][4]` of the row's `ql[64h + 4q..]`, `ql[64h + 32 + 4q..]`
///   and `qh[32h + 4q..]`. Together they hold columns `128h + 32g + 4q..+4` of
///   the four groups `g` of 32: low 4 bits from the first vector's low nibbles
///   (g = 0), the second's low (1), the first's high (2), the second's high
///   (3); high 2 bits from the third at bit `2g` (ggml's `dequantize_row_q6_K`).
fn q6k_x8(data: &[u8], n: usize, k: usize) -> Vec<u8> {
    let nb = k / 256;
    regroup(n / 8 * nb, Q6K_X8_BYTES, |gb, o| {
        q6k_x8_block(data, nb, gb, o)
    })
}

/// Block `gb` of [`q6k_x8`] into `o`.
fn q6k_x8_block(data: &[u8], nb: usize, gb: usize, o: &mut [u8]) {
    let (g, b) = (gb / nb, gb % nb);
    for r in 0..8 {
        let at = ((g * 8 + r) * nb + b) * 210;
        let blk = &data[at..at + 210];
        let d = half::f16::from_le_bytes([blk[208], blk[209]]).to_f32();
        o[4 * r..4 * r + 4].copy_from_slice(&d.to_le_bytes());
        for t in 0..16 {
            o[32 + 8 * t + r] = blk[192 + t];
        }
        for h in 0..2 {
            for q in 0..8 {
                let to = 160 + (h * 8 + q) * 96 + 4 * r;
                for (v, from) in [64 * h + 4 * q, 64 * h + 32 + 4 * q, 128 + 32 * h + 4 * q]
                    .into_iter()
                    .enumerate()
                {
                    o[to + 32 * v..to + 32 * v + 4].copy_from_slice(&blk[from..from + 4]);
                }
            }
        }
    }
}

/// Bytes of one Q5_0 block of eight rows in [`q5_0_x8`]'s layout.
const Q5_0_X8_BYTES: usize = 176;

/// Regroup a Q5_0 matrix (`n` a multiple of 8) by eight rows, in the same
/// 176 bytes per 32 columns as the eight rows' own blocks:
/// - `d[8]`: f16;
/// - `hb[2 halves][4 quads]`: u32 whose bit `4r + t` is the fifth bit of row
///   `r`'s column `16·half + 4·quad + t`;
/// - `qs[4 quads q][8 rows][4]`: the row's nibble bytes `4q..4q + 4`, whose
///   low nibbles are columns `4q..` and high nibbles `16 + 4q..`.
fn q5_0_x8(data: &[u8], n: usize, k: usize) -> Vec<u8> {
    let nb = k / QK;
    regroup(n / 8 * nb, Q5_0_X8_BYTES, |gb, o| {
        q5_0_x8_block(data, nb, gb, o)
    })
}

/// Block `gb` of [`q5_0_x8`] into `o` (zeroed: the fifth bits are or-ed in).
fn q5_0_x8_block(data: &[u8], nb: usize, gb: usize, o: &mut [u8]) {
    let (g, b) = (gb / nb, gb % nb);
    for r in 0..8 {
        let at = ((g * 8 + r) * nb + b) * 22;
        let blk = &data[at..at + 22];
        o[2 * r..2 * r + 2].copy_from_slice(&blk[0..2]);
        let qh = u32::from_le_bytes([blk[2], blk[3], blk[4], blk[5]]);
        for half in 0..2 {
            for q in 0..4 {
                let nib = (qh >> (16 * half + 4 * q)) & 0xf;
                let at = 16 + 4 * (4 * half + q);
                let mut word = u32::from_le_bytes([o[at], o[at + 1], o[at + 2], o[at + 3]]);
                word |= nib << (4 * r);
                o[at..at + 4].copy_from_slice(&word.to_le_bytes());
            }
        }
        for q in 0..4 {
            let to = 48 + (q * 8 + r) * 4;
            o[to..to + 4].copy_from_slice(&blk[6 + 4 * q..10 + 4 * q]);
        }
    }
}

/// Bytes of one Q8_0 block of eight rows in [`q8_0_x8`]'s layout.
const Q8_0_X8_BYTES: usize = 272;

/// Regroup a Q8_0 matrix (`n` a multiple of 8) by eight rows, in the same
/// 272 bytes per 32 columns as the eight rows' own blocks: `d[8]` (f16),
/// then `qs[8 quads q][8 rows][4]`: the row's bytes `4q..4q + 4`.
fn q8_0_x8(data: &[u8], n: usize, k: usize) -> Vec<u8> {
    let nb = k / QK;
    regroup(n / 8 * nb, Q8_0_X8_BYTES, |gb, o| {
        q8_0_x8_block(data, nb, gb, o)
    })
}

/// Block `gb` of [`q8_0_x8`] into `o`.
fn q8_0_x8_block(data: &[u8], nb: usize, gb: usize, o: &mut [u8]) {
    let (g, b) = (gb / nb, gb % nb);
    for r in 0..8 {
        let at = ((g * 8 + r) * nb + b) * 34;
        let blk = &data[at..at + 34];
        o[2 * r..2 * r + 2].copy_from_slice(&blk[0..2]);
        for q in 0..8 {
            let to = 16 + (q * 8 + r) * 4;
            o[to..to + 4].copy_from_slice(&blk[2 + 4 * q..6 + 4 * q]);
        }
    }
}

/// One block of eight rows of a `*_x8` layout: `(file data, blocks per row,
/// group · blocks per row + block, out)`.
type X8Block = fn(&[u8], usize, usize, &mut [u8]);

/// Regroup a matrix (`n` a multiple of 16) by sixteen rows for the AVX-512
/// VNNI kernels ([`vnni::zmm`]): each block of a pair of eight-row groups in
/// `format`'s `*_x8` layout, the two interleaved field by field, so that
/// every 8-row element (a 32-byte vector of weights, eight scales, eight
/// f32 `d`, ...) is followed by the next group's. One 64-byte vector then
/// holds four columns of sixteen rows; the size is the same.
fn x16(format: Format, data: &[u8], n: usize, k: usize) -> Vec<u8> {
    // (bytes of an eight-row element, elements) per field, in block order.
    let (bytes, block, fields): (usize, X8Block, &[(usize, usize)]) = match format {
        Format::Q4K => (
            Q4K_X8_BYTES,
            q4k_x8_block,
            &[(32, 1), (32, 1), (8, 8), (8, 8), (32, 32)],
        ),
        Format::Q6K => (Q6K_X8_BYTES, q6k_x8_block, &[(32, 1), (8, 16), (32, 48)]),
        Format::Q5_0 => (Q5_0_X8_BYTES, q5_0_x8_block, &[(16, 1), (4, 8), (32, 4)]),
        Format::Q8_0 => (Q8_0_X8_BYTES, q8_0_x8_block, &[(16, 1), (32, 8)]),
        // `Linear::with_path` never regroups Q4_1.
        Format::Q4_1 => unreachable!("Q4_1 is read in place"),
    };
    debug_assert_eq!(fields.iter().map(|(b, c)| b * c).sum::<usize>(), bytes);
    let nb = k / format.block_len();
    regroup(n / 16 * nb, 2 * bytes, |i, o| {
        let (pair, b) = (i / nb, i % nb);
        let mut two = [0u8; 2 * Q6K_X8_BYTES];
        let (x, y) = two[..2 * bytes].split_at_mut(bytes);
        block(data, nb, 2 * pair * nb + b, x);
        block(data, nb, (2 * pair + 1) * nb + b, y);
        let mut at = 0;
        for &(unit, count) in fields {
            for _ in 0..count {
                o[2 * at..2 * at + unit].copy_from_slice(&x[at..at + unit]);
                o[2 * at + unit..2 * at + 2 * unit].copy_from_slice(&y[at..at + unit]);
                at += unit;
            }
        }
    })
}

impl FastLinear {
    /// Whether `t` is a CPU matrix in a format with a kernel here, and this CPU
    /// has the instructions of `path`'s kernels.
    fn fits(t: &QTensor, path: KernelPath) -> Result<bool> {
        let Some(format) = Format::of(t.dtype()) else {
            return Ok(false);
        };
        if !matches!(t.device(), Device::Cpu) || path == KernelPath::Candle || !path.available() {
            return Ok(false);
        }
        let Ok((n, k)) = t.shape().dims2() else {
            return Ok(false);
        };
        // K-quants are regrouped by eight rows.
        let k_quant = format.block_len() == 256;
        if k % format.block_len() != 0 || (k_quant && n % 8 != 0) {
            return Ok(false);
        }
        let bytes = t.data()?.len();
        if bytes != n * (k / format.block_len()) * format.block_bytes() {
            candle_core::bail!("{format:?} tensor of shape ({n}, {k}) has {bytes} bytes");
        }
        Ok(true)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (m, xs) = rows(x, self.k)?;
        let mut out = vec![0f32; m * self.n];
        match &self.w {
            Weights::Blocks(t) => {
                let data = t.data()?;
                match self.format {
                    Format::Q5_0 => self.matmul::<avx2::Q5_0>(&data, &xs, m, &mut out),
                    Format::Q4_1 => self.matmul::<avx2::Q4_1>(&data, &xs, m, &mut out),
                    Format::Q8_0 => self.matmul::<avx2::Q8_0>(&data, &xs, m, &mut out),
                    // `Linear::from_arc` always regroups them.
                    Format::Q4K | Format::Q6K => {
                        candle_core::bail!("{:?} matrix was not regrouped", self.format)
                    }
                }
            }
            Weights::X8(data) if self.path == KernelPath::Avx2 => {
                self.matmul_x8(data, &xs, m, &mut out)?
            }
            Weights::X8(data) | Weights::X16(data) => self.matmul_vnni(data, &xs, m, &mut out)?,
        }
        shaped(out, x, self.n)
    }

    /// `out (m, n) = x (m, k) · Wᵀ`, `W` being the blocks in `data`, of a
    /// 32-weight format `B`.
    fn matmul<B: avx2::Block>(&self, data: &[u8], x: &[f32], m: usize, out: &mut [f32]) {
        let acts = Acts::quantize(x, m, self.k);
        self.run(data, m, out, |w, nw, i0, r, res| {
            // SAFETY: `w` holds `nw` whole rows and `i0 + r <= m` (see `run`);
            // AVX2 and FMA were detected when this matrix was made.
            unsafe {
                match (nw, r) {
                    (2, 4) => avx2::tile::<B, 2, 4>(w, &acts, i0, res),
                    (2, 3) => avx2::tile::<B, 2, 3>(w, &acts, i0, res),
                    (2, 2) => avx2::tile::<B, 2, 2>(w, &acts, i0, res),
                    (2, _) => avx2::tile::<B, 2, 1>(w, &acts, i0, res),
                    (_, 4) => avx2::tile::<B, 1, 4>(w, &acts, i0, res),
                    (_, 3) => avx2::tile::<B, 1, 3>(w, &acts, i0, res),
                    (_, 2) => avx2::tile::<B, 1, 2>(w, &acts, i0, res),
                    (_, _) => avx2::tile::<B, 1, 1>(w, &acts, i0, res),
                }
            }
        })
    }

    /// [`FastLinear::matmul`] for rows regrouped by eight.
    fn matmul_x8(&self, data: &[u8], x: &[f32], m: usize, out: &mut [f32]) -> Result<()> {
        let k = self.k;
        macro_rules! x8 {
            ($acts:expr, $tile:ident, $bytes:expr) => {{
                let acts = $acts;
                let group_bytes = k / self.format.block_len() * $bytes;
                self.groups(data, group_bytes, m, out, |w, i0, r, res| {
                    // SAFETY: AVX2 and FMA were detected when this matrix was
                    // made; `w` is one whole group and `i0 + r <= m` (see
                    // `groups`).
                    unsafe {
                        match r {
                            4 => avx2::$tile::<4>(w, &acts, i0, res),
                            3 => avx2::$tile::<3>(w, &acts, i0, res),
                            2 => avx2::$tile::<2>(w, &acts, i0, res),
                            _ => avx2::$tile::<1>(w, &acts, i0, res),
                        }
                    }
                })
            }};
        }
        match self.format {
            Format::Q4K => x8!(ActsK::quantize(x, m, k), tile_q4k_x8, Q4K_X8_BYTES),
            Format::Q6K => x8!(ActsK::quantize(x, m, k), tile_q6k_x8, Q6K_X8_BYTES),
            Format::Q5_0 => x8!(Acts::quantize(x, m, k), tile_q5_0_x8, Q5_0_X8_BYTES),
            Format::Q8_0 => x8!(Acts::quantize(x, m, k), tile_q8_0_x8, Q8_0_X8_BYTES),
            Format::Q4_1 => candle_core::bail!("Q4_1 is not regrouped"),
        }
        Ok(())
    }

    /// Split the groups of eight rows (`group_bytes` each) into work items
    /// of [`CHUNK_ROWS`] rows over candle's worker pool, and in each call
    /// `tile(w, i0, r, res)` for every group `w` and every set of up to
    /// [`TILE`] activation rows `i0..i0 + r`; `tile` leaves
    /// `res[act row][weight row]`.
    fn groups<F>(&self, data: &[u8], group_bytes: usize, m: usize, out: &mut [f32], tile: F)
    where
        F: Fn(&[u8], usize, usize, &mut [[f32; 8]; TILE]) + Sync,
    {
        let n = self.n;
        let out_ptr = SyncPtr(out.as_mut_ptr());
        let work = |c: usize| {
            let groups = c * CHUNK_ROWS / 8..(n / 8).min((c + 1) * CHUNK_ROWS / 8);
            let mut i0 = 0;
            while i0 < m {
                let r = TILE.min(m - i0);
                for g in groups.clone() {
                    let mut res = [[0f32; 8]; TILE];
                    tile(
                        &data[g * group_bytes..(g + 1) * group_bytes],
                        i0,
                        r,
                        &mut res,
                    );
                    for (t, row) in res.iter().take(r).enumerate() {
                        for (l, v) in row.iter().enumerate() {
                            // SAFETY: as in `run`: (i0 + t, 8g + l) is inside
                            // `out`, in this work item's columns.
                            unsafe { *out_ptr.at((i0 + t) * n + 8 * g + l) = *v };
                        }
                    }
                }
                i0 += r;
            }
        };
        on_pool(n.div_ceil(CHUNK_ROWS), work);
    }

    /// Split the weight rows into chunks over candle's worker pool, and in each
    /// chunk call `tile(w, nw, i0, r, res)` for every pair (or last single) of
    /// weight rows `w` (`nw` of them) and every group of up to [`TILE`]
    /// activation rows `i0..i0 + r`; `tile` leaves `res[weight row][act row]`.
    fn run<F>(&self, data: &[u8], m: usize, out: &mut [f32], tile: F)
    where
        F: Fn(&[u8], usize, usize, usize, &mut [[f32; TILE]; 2]) + Sync,
    {
        let row_bytes = self.k / self.format.block_len() * self.format.block_bytes();
        let n = self.n;
        let out_ptr = SyncPtr(out.as_mut_ptr());
        let work = |c: usize| {
            let rows = c * CHUNK_ROWS..n.min((c + 1) * CHUNK_ROWS);
            let mut i0 = 0;
            while i0 < m {
                let r = TILE.min(m - i0);
                let mut j = rows.start;
                while j < rows.end {
                    let nw = if j + 1 < rows.end { 2 } else { 1 };
                    let mut res = [[0f32; TILE]; 2];
                    tile(
                        &data[j * row_bytes..(j + nw) * row_bytes],
                        nw,
                        i0,
                        r,
                        &mut res,
                    );
                    for (c, col) in res.iter().take(nw).enumerate() {
                        for (t, v) in col.iter().take(r).enumerate() {
                            // SAFETY: (i0 + t, j + c) is inside the `(m, n)` `out`,
                            // in this chunk's columns: work items never write the
                            // same element, and `out` outlives the pool call.
                            unsafe { *out_ptr.at((i0 + t) * n + j + c) = *v };
                        }
                    }
                    j += nw;
                }
                i0 += r;
            }
        };
        on_pool(n.div_ceil(CHUNK_ROWS), work);
    }
}

impl FastLinear {
    /// `out (m, n) = x (m, k) · Wᵀ` with the VNNI kernels: [`vnni::zmm`] for
    /// sixteen-row groups, [`vnni::evex`] or [`vnni::vex`] for eight-row
    /// groups, as `self.path` says.
    fn matmul_vnni(&self, data: &[u8], x: &[f32], m: usize, out: &mut [f32]) -> Result<()> {
        let k = self.k;
        // One kernel over the groups of `$g` rows, `$acts` quantized once,
        // with the kernel for each count of activation rows `$r`.
        macro_rules! run {
            ($g:expr, $acts:expr, $bytes:expr, $module:ident :: $kernel:ident, [$($r:literal),+]) => {{
                let acts = $acts;
                let group_bytes = k / self.format.block_len() * $bytes * ($g / 8);
                let tile = [$($r),+][0];
                self.groups_vnni::<{ $g }, _>(data, group_bytes, m, tile, out, |w, i0, r, res| {
                    // SAFETY: this path's features were detected when this
                    // matrix was made (`fits`); `w` is one whole group and
                    // `i0 + r <= m`, `r <= tile` (see `groups_vnni`).
                    unsafe {
                        match r {
                            $($r => vnni::$module::$kernel::<$r>(w, &acts, i0, res),)+
                            _ => unreachable!("{r} rows per call"),
                        }
                    }
                })
            }};
        }
        macro_rules! family {
            ($module:ident, $g:expr, [$($r:literal),+]) => {
                match self.format {
                    Format::Q4K => run!($g, ActsK::quantize(x, m, k), Q4K_X8_BYTES,
                        $module::q4k, [$($r),+]),
                    Format::Q6K => run!($g, ActsK::quantize(x, m, k), Q6K_X8_BYTES,
                        $module::q6k, [$($r),+]),
                    Format::Q5_0 => run!($g, Acts::quantize(x, m, k), Q5_0_X8_BYTES,
                        $module::q5_0, [$($r),+]),
                    Format::Q8_0 => run!($g, Acts::quantize(x, m, k), Q8_0_X8_BYTES,
                        $module::q8_0, [$($r),+]),
                    Format::Q4_1 => candle_core::bail!("Q4_1 is not regrouped"),
                }
            };
        }
        #[cfg(target_arch = "x86_64")]
        match (&self.w, self.path) {
            (Weights::X16(_), _) => family!(zmm, 16, [8, 7, 6, 5, 4, 3, 2, 1]),
            (_, KernelPath::AvxVnni) => family!(vex, 8, [4, 3, 2, 1]),
            _ => family!(evex, 8, [8, 7, 6, 5, 4, 3, 2, 1]),
        }
        #[cfg(not(target_arch = "x86_64"))]
        candle_core::bail!("no VNNI kernels on this architecture");
        Ok(())
    }

    /// [`FastLinear::groups`] for the VNNI kernels: groups of `G` rows
    /// (`group_bytes` each), work items of [`CHUNK_ROWS`] rows, and up to
    /// `tile` ([`TILE8`] at most) activation rows per call.
    fn groups_vnni<const G: usize, F>(
        &self,
        data: &[u8],
        group_bytes: usize,
        m: usize,
        tile: usize,
        out: &mut [f32],
        kernel: F,
    ) where
        F: Fn(&[u8], usize, usize, &mut [[f32; G]; TILE8]) + Sync,
    {
        let n = self.n;
        let out_ptr = SyncPtr(out.as_mut_ptr());
        let per_item = (CHUNK_ROWS / G).max(1);
        let work = |c: usize| {
            let groups = c * per_item..(n / G).min((c + 1) * per_item);
            let mut i0 = 0;
            while i0 < m {
                let r = tile.min(TILE8).min(m - i0);
                for g in groups.clone() {
                    let mut res = [[0f32; G]; TILE8];
                    kernel(
                        &data[g * group_bytes..(g + 1) * group_bytes],
                        i0,
                        r,
                        &mut res,
                    );
                    for (t, row) in res.iter().take(r).enumerate() {
                        // SAFETY: as in `run`: row i0 + t, columns G·g.. are
                        // inside `out`, in this work item's columns.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                row.as_ptr(),
                                out_ptr.at((i0 + t) * n + G * g),
                                G,
                            )
                        };
                    }
                }
                i0 += r;
            }
        };
        on_pool((n / G).div_ceil(per_item), work);
    }
}

/// The activations `x` (`(.., k)`) as `m` rows of f32.
fn rows(x: &Tensor, k: usize) -> Result<(usize, Vec<f32>)> {
    match x.dims().last() {
        None => candle_core::bail!("matmul of a scalar"),
        Some(&xk) if xk != k => {
            candle_core::bail!("matmul: input has {xk} features, the weights {k}")
        }
        Some(_) => {}
    }
    let m = x.elem_count() / k.max(1);
    Ok((m, x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?))
}

/// `out` (`m` rows of `n`) shaped as `x` with `n` features.
fn shaped(out: Vec<f32>, x: &Tensor, n: usize) -> Result<Tensor> {
    let mut shape = x.dims().to_vec();
    if let Some(last) = shape.last_mut() {
        *last = n;
    }
    Tensor::from_vec(out, shape, x.device())
}

/// A matrix in a format without a kernel here (or on a CPU without the
/// kernels' instructions), multiplied with candle's own dot product of its
/// format (ggml's `vec_dot`s, through [`k_quants::matmul`]): every output is
/// one whole dot product, by a function chosen by its column alone, on any
/// number of rows and threads (the invariance rule). Not through `QMatMul`:
/// its dispatch picks kernels by the number of rows (repacked tiles for
/// several rows and another path for one; f32 weights through gemm, whose
/// blocking follows the shapes), so a row's result would depend on what
/// shares its step. f16, bf16 and f32 matrices are held as f32 (as `QMatMul`
/// holds them).
pub(crate) struct DotLinear {
    dtype: GgmlDType,
    /// Output features (weight rows).
    n: usize,
    /// Input features.
    k: usize,
    w: DotWeights,
}

enum DotWeights {
    /// The tensor's own blocks.
    Blocks(Arc<QTensor>),
    /// A float matrix as f32, row after row.
    Dense(Vec<f32>),
}

impl DotLinear {
    fn new(t: Arc<QTensor>) -> Result<DotLinear> {
        let (n, k) = t.shape().dims2()?;
        let dtype = t.dtype();
        if !matches!(t.device(), Device::Cpu) {
            candle_core::bail!("{dtype:?} matrix is not on the CPU");
        }
        let w = match dtype {
            GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 => DotWeights::Dense(
                t.dequantize(&Device::Cpu)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            ),
            _ => {
                if k % dtype.block_size() != 0 {
                    candle_core::bail!(
                        "{dtype:?} matrix of shape ({n}, {k}): rows not whole blocks"
                    );
                }
                DotWeights::Blocks(t)
            }
        };
        Ok(DotLinear { dtype, n, k, w })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        use candle_core::quantized::k_quants::{self, *};
        let (m, xs) = rows(x, self.k)?;
        let mut out = vec![0f32; m * self.n];
        let mkn = (m, self.k, self.n);
        match &self.w {
            DotWeights::Dense(w) => k_quants::matmul::<f32>(mkn, &xs, w, &mut out)?,
            DotWeights::Blocks(t) => {
                let data = t.data()?;
                macro_rules! dots {
                    ($block:ty) => {{
                        // SAFETY: a CPU QTensor's storage is a `Vec` of its
                        // format's blocks, which `data` borrows (so aligned,
                        // whole blocks; checked below), and every bit pattern
                        // of a block (bytes and f16s) is a valid block.
                        let (pre, blocks, post) = unsafe { data.align_to::<$block>() };
                        if !pre.is_empty() || !post.is_empty() {
                            candle_core::bail!(
                                "{:?} data is not whole, aligned blocks",
                                self.dtype
                            );
                        }
                        k_quants::matmul::<$block>(mkn, &xs, blocks, &mut out)?
                    }};
                }
                match self.dtype {
                    GgmlDType::Q4_0 => dots!(BlockQ4_0),
                    GgmlDType::Q4_1 => dots!(BlockQ4_1),
                    GgmlDType::Q5_0 => dots!(BlockQ5_0),
                    GgmlDType::Q5_1 => dots!(BlockQ5_1),
                    GgmlDType::Q8_0 => dots!(BlockQ8_0),
                    GgmlDType::Q8_1 => dots!(BlockQ8_1),
                    GgmlDType::Q2K => dots!(BlockQ2K),
                    GgmlDType::Q3K => dots!(BlockQ3K),
                    GgmlDType::Q4K => dots!(BlockQ4K),
                    GgmlDType::Q5K => dots!(BlockQ5K),
                    GgmlDType::Q6K => dots!(BlockQ6K),
                    GgmlDType::Q8K => dots!(BlockQ8K),
                    GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 => {
                        candle_core::bail!("{:?} matrix was not made dense", self.dtype)
                    }
                }
            }
        }
        shaped(out, x, self.n)
    }
}

/// Run `work(0..chunks)` on candle's own worker pool (sized by
/// CANDLE_NUM_THREADS): one set of threads for every kernel.
fn on_pool(chunks: usize, work: impl Fn(usize) + Sync) {
    let pool = candle_core::utils::barrier_pool();
    if chunks > 1 && pool.n_workers() > 0 {
        pool.execute_chunked(chunks, |range| range.for_each(&work));
    } else {
        (0..chunks).for_each(work);
    }
}

#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: used only as described in `FastLinear::run` and `FastLinear::groups`:
// each work item writes its own columns of `out`, which outlives the pool call.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

impl SyncPtr {
    /// The element `i` (a method, so closures capture the whole `SyncPtr`).
    fn at(self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

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
    /// Q4_1's min). Kept in f32: with it SmolLM2's greedy output
    /// matches llama.cpp's token for token, with ggml's f16 `s` it did not.
    s: Vec<f32>,
    /// `(m, kb)` block sums `Σq`, for the VNNI kernels' integer offsets.
    isum: Vec<i32>,
}

impl Acts {
    fn quantize(x: &[f32], m: usize, k: usize) -> Acts {
        let kb = k / QK;
        let mut q = vec![0i8; m * k];
        let mut d = vec![0f32; m * kb];
        let mut s = vec![0f32; m * kb];
        let mut isum = vec![0i32; m * kb];
        for (b, (xs, qs)) in x.chunks_exact(QK).zip(q.chunks_exact_mut(QK)).enumerate() {
            let scale = quantize_block(xs, qs);
            let sum: i32 = qs.iter().map(|&v| v as i32).sum();
            d[b] = half::f16::from_f32(scale).to_f32();
            s[b] = d[b] * sum as f32;
            isum[b] = sum;
        }
        Acts {
            m,
            kb,
            q,
            d,
            s,
            isum,
        }
    }
}

/// Quantize `xs` symmetrically to 8 bits into `qs`; returns the scale.
fn quantize_block(xs: &[f32], qs: &mut [i8]) -> f32 {
    let amax = xs.iter().fold(0f32, |a, v| a.max(v.abs()));
    let scale = amax / 127.0;
    let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
    for (qv, xv) in qs.iter_mut().zip(xs) {
        *qv = (xv * inv).round() as i8;
    }
    scale
}

/// Activations quantized to 8 bits per 256-value block (ggml's Q8_K), for
/// the K-quant formats: one scale per block lets the kernels sum a whole
/// block's eight sub-blocks in integers, each with its weight scale, before
/// one float multiply.
struct ActsK {
    m: usize,
    /// Blocks per row.
    nb: usize,
    /// `(m, k)` quantized values.
    q: Vec<i8>,
    /// `(m, nb)` block scales.
    d: Vec<f32>,
    /// `(m, nb, 16)` sums of each 16 quantized values, for Q6_K's offset of 32.
    sums16: Vec<i16>,
    /// `(m, nb, 8)` sums of each 32 quantized values, for Q4_K's mins.
    sums32: Vec<i16>,
    /// `sums16` as floats (exactly: each is at most 16 · 128 in magnitude),
    /// converted once here rather than sixteen times per block in every
    /// group's Q6_K kernel.
    sums16f: Vec<f32>,
}

impl ActsK {
    fn quantize(x: &[f32], m: usize, k: usize) -> ActsK {
        const QK_K: usize = 256;
        let nb = k / QK_K;
        let mut q = vec![0i8; m * k];
        let mut d = vec![0f32; m * nb];
        let mut sums16 = vec![0i16; m * nb * 16];
        let mut sums32 = vec![0i16; m * nb * 8];
        for (b, (xs, qs)) in x
            .chunks_exact(QK_K)
            .zip(q.chunks_exact_mut(QK_K))
            .enumerate()
        {
            let scale = quantize_block(xs, qs);
            for (sum, part) in sums16[b * 16..b * 16 + 16]
                .iter_mut()
                .zip(qs.chunks_exact(16))
            {
                *sum = part.iter().map(|&v| v as i16).sum();
            }
            for i in 0..8 {
                sums32[b * 8 + i] = sums16[b * 16 + 2 * i] + sums16[b * 16 + 2 * i + 1];
            }
            d[b] = scale;
        }
        let sums16f = sums16.iter().map(|&v| f32::from(v)).collect();
        ActsK {
            m,
            nb,
            q,
            d,
            sums16,
            sums32,
            sums16f,
        }
    }
}

/// Which kernels multiply the weight matrices: chosen once per process from
/// the CPU's features ([`KernelPath::detect`]), or forced with
/// `SILKROUTE_KERNELS=avx2|vnni|vnni512|vnni256|candle` for A/B runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KernelPath {
    /// candle's own quantized matmuls (no AVX2, or forced).
    Candle,
    /// AVX2 + FMA + F16C: `maddubs` then `madd` per 32 weights.
    Avx2,
    /// AVX-VNNI (VEX encoding, 256-bit, 16 registers): desktop chips
    /// without AVX-512.
    AvxVnni,
    /// AVX-512 VNNI on 256-bit registers (EVEX encoding, 32 registers).
    Avx512VnniYmm,
    /// AVX-512 F/BW/VL/VNNI on 512-bit registers, over sixteen-row groups.
    Avx512Vnni,
}

impl KernelPath {
    /// Every path, the most preferred first.
    const ALL: [KernelPath; 5] = [
        KernelPath::Avx512Vnni,
        KernelPath::AvxVnni,
        KernelPath::Avx512VnniYmm,
        KernelPath::Avx2,
        KernelPath::Candle,
    ];

    /// The name `SILKROUTE_KERNELS` and `silkroute bench llm` use.
    pub(crate) fn name(self) -> &'static str {
        match self {
            KernelPath::Candle => "candle",
            KernelPath::Avx2 => "avx2",
            KernelPath::AvxVnni => "avx-vnni (ymm, VEX)",
            KernelPath::Avx512VnniYmm => "avx512-vnni (ymm, EVEX)",
            KernelPath::Avx512Vnni => "avx512-vnni (zmm)",
        }
    }

    /// Whether this CPU can run the path.
    pub(crate) fn available(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let avx2 = has!("avx2") && has!("fma") && has!("f16c");
            let avx512 = avx2
                && has!("avx512f")
                && has!("avx512bw")
                && has!("avx512vl")
                && has!("avx512vnni");
            match self {
                KernelPath::Candle => true,
                KernelPath::Avx2 => avx2,
                KernelPath::AvxVnni => avx2 && has!("avxvnni"),
                KernelPath::Avx512VnniYmm | KernelPath::Avx512Vnni => avx512,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == KernelPath::Candle
        }
    }

    /// The paths this CPU can run, the most preferred first.
    #[cfg(test)]
    pub(crate) fn available_paths() -> Vec<KernelPath> {
        KernelPath::ALL
            .into_iter()
            .filter(|p| p.available())
            .collect()
    }

    /// The best path this CPU runs, or the one `forced`
    /// (`SILKROUTE_KERNELS`'s value): `avx2`, `vnni` (the best VNNI path),
    /// `vnni512`, `vnni256` (AVX-VNNI, else AVX-512 VNNI on 256-bit
    /// registers) or `candle`. A forced path this CPU lacks, or an unknown
    /// name, falls back to the best path (with a warning).
    pub(crate) fn detect(forced: Option<&str>) -> KernelPath {
        let best = |from: &[KernelPath]| {
            from.iter()
                .copied()
                .find(|p| p.available())
                .unwrap_or(KernelPath::Candle)
        };
        let all = &KernelPath::ALL[..];
        let wanted: Option<&[KernelPath]> = match forced.map(|f| f.trim().to_ascii_lowercase()) {
            None => None,
            Some(f) if f.is_empty() => None,
            Some(f) => match f.as_str() {
                "candle" => Some(&[KernelPath::Candle]),
                "avx2" => Some(&[KernelPath::Avx2]),
                "vnni" => Some(&all[..3]),
                "vnni512" => Some(&[KernelPath::Avx512Vnni]),
                "vnni256" => Some(&[KernelPath::AvxVnni, KernelPath::Avx512VnniYmm]),
                _ => {
                    tracing::warn!("SILKROUTE_KERNELS={f}: unknown kernel path, using the best");
                    None
                }
            },
        };
        match wanted {
            None => best(all),
            Some(w) => match w.iter().copied().find(|p| p.available()) {
                Some(p) => p,
                None => {
                    let p = best(all);
                    tracing::warn!(
                        "SILKROUTE_KERNELS={}: this CPU lacks it, using {}",
                        forced.unwrap_or_default(),
                        p.name()
                    );
                    p
                }
            },
        }
    }
}

/// The kernel path of this process (see [`KernelPath::detect`]), read once.
pub(crate) fn kernel_path() -> KernelPath {
    static PATH: std::sync::OnceLock<KernelPath> = std::sync::OnceLock::new();
    *PATH.get_or_init(|| KernelPath::detect(std::env::var("SILKROUTE_KERNELS").ok().as_deref()))
}

/// The CPU's vector features that matter to the kernels, as `/proc/cpuinfo`
/// names them, for benchmark figures.
pub fn cpu_flags() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let flags = [
            ("avx2", has!("avx2")),
            ("fma", has!("fma")),
            ("f16c", has!("f16c")),
            ("avx_vnni", has!("avxvnni")),
            ("avx512f", has!("avx512f")),
            ("avx512bw", has!("avx512bw")),
            ("avx512vl", has!("avx512vl")),
            ("avx512_vnni", has!("avx512vnni")),
            ("avx512_bf16", has!("avx512bf16")),
        ];
        flags
            .iter()
            .filter(|f| f.1)
            .map(|f| f.0)
            .collect::<Vec<_>>()
            .join(" ")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        String::from("(not x86-64)")
    }
}

/// The name of the kernel path this process uses, for benchmark figures.
pub fn kernel_path_name() -> &'static str {
    kernel_path().name()
}

/// Whether the kernels here run (any path but candle's). When they do not,
/// the loader re-encodes Q5_0 as Q8_0, which candle multiplies with AVX2.
pub(crate) fn enabled() -> bool {
    kernel_path() != KernelPath::Candle
}

/// `SILKROUTE_KERNELS=candle`: matrices without a kernel here (all of them,
/// then) go through candle's `QMatMul` rather than [`DotLinear`], to compare
/// speed or output with candle's own code (outputs may vary with what shares
/// a step).
fn candle_only() -> bool {
    std::env::var("SILKROUTE_KERNELS").is_ok_and(|v| v.trim().eq_ignore_ascii_case("candle"))
}

#[cfg(test)]
fn has_avx2() -> bool {
    KernelPath::Avx2.available()
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Acts, ActsK, Q4K_X8_BYTES, Q5_0_X8_BYTES, Q6K_X8_BYTES, Q8_0_X8_BYTES, QK, TILE};
    use std::arch::x86_64::*;

    /// The f16 at `p` (unaligned).
    #[inline(always)]
    unsafe fn f16_at(p: *const u8) -> f32 {
        // SAFETY: the caller points inside a block.
        half::f16::from_le_bytes(unsafe { [*p, *p.add(1)] }).to_f32()
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
    pub(super) unsafe fn bits(p: *const u8) -> __m256i {
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

    /// One 32-weight block unpacked to bytes `u`, with `weight = dw * u + cw`
    /// (signed formats: `dw * sign`, `u` being the bytes' absolute values).
    pub(super) struct Sub {
        u: __m256i,
        /// Signed formats: the signed bytes themselves.
        sign: __m256i,
        dw: f32,
        cw: f32,
    }

    /// A GGUF format of 32-weight blocks with one scale each.
    pub(super) trait Block {
        /// Bytes of one block.
        const BYTES: usize;
        /// Signed weight bytes (multiplied with `maddubs` through their signs).
        const SIGNED: bool = false;
        /// Whether `cw` is ever non-zero.
        const MIN: bool;
        /// The block at `blk`.
        ///
        /// # Safety
        /// AVX2 and FMA present; `blk` points to `BYTES` readable bytes.
        unsafe fn sub(blk: *const u8) -> Sub;
    }

    pub(super) struct Q5_0;
    impl Block for Q5_0 {
        const BYTES: usize = 22;
        const MIN: bool = true;
        #[inline(always)]
        unsafe fn sub(blk: *const u8) -> Sub {
            // SAFETY: a Q5_0 block is d, 4 bytes of high bits, 16 of nibbles.
            unsafe {
                let hi = _mm256_and_si256(bits(blk.add(2)), _mm256_set1_epi8(16));
                let dw = f16_at(blk);
                Sub {
                    u: _mm256_or_si256(nibbles(blk.add(6)), hi),
                    sign: _mm256_setzero_si256(),
                    dw,
                    cw: -16.0 * dw,
                }
            }
        }
    }

    pub(super) struct Q4_1;
    impl Block for Q4_1 {
        const BYTES: usize = 20;
        const MIN: bool = true;
        #[inline(always)]
        unsafe fn sub(blk: *const u8) -> Sub {
            // SAFETY: a Q4_1 block is d, m, 16 bytes of nibbles.
            unsafe {
                Sub {
                    u: nibbles(blk.add(4)),
                    sign: _mm256_setzero_si256(),
                    dw: f16_at(blk),
                    cw: f16_at(blk.add(2)),
                }
            }
        }
    }

    pub(super) struct Q8_0;
    impl Block for Q8_0 {
        const BYTES: usize = 34;
        const SIGNED: bool = true;
        const MIN: bool = false;
        #[inline(always)]
        unsafe fn sub(blk: *const u8) -> Sub {
            // SAFETY: a Q8_0 block is d and 32 signed bytes.
            unsafe {
                let q = _mm256_loadu_si256(blk.add(2) as *const __m256i);
                Sub {
                    u: _mm256_abs_epi8(q),
                    sign: q,
                    dw: f16_at(blk),
                    cw: 0.0,
                }
            }
        }
    }

    /// `W` weight rows (`w`, row after row) times activation rows `i0..i0 + R`,
    /// into `out[weight row][activation row]`. Each weight block is unpacked
    /// to bytes once (see [`Sub`]) and costs one `maddubs` and one `madd` per
    /// activation row; its offset, one scalar multiply-add with the activation
    /// block's sum. All `W * R` sums stay in registers.
    ///
    /// # Safety
    /// AVX2 and FMA present; `w` holds `W` rows of `acts.kb` blocks;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile<B: Block, const W: usize, const R: usize>(
        w: &[u8],
        acts: &Acts,
        i0: usize,
        out: &mut [[f32; TILE]; 2],
    ) {
        let kb = acts.kb;
        let row_bytes = kb * B::BYTES;
        debug_assert!(w.len() >= W * row_bytes && i0 + R <= acts.m && W <= 2 && R <= TILE);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_ps(); R]; W];
        let mut offs = [[0f32; R]; W];
        for b in 0..kb {
            // SAFETY: block `b` of row `j` lies inside `w`.
            let sub: [Sub; W] = std::array::from_fn(|j| unsafe {
                B::sub(w.as_ptr().add(j * row_bytes + b * B::BYTES))
            });
            for r in 0..R {
                let at = (i0 + r) * kb + b;
                // SAFETY: `at * 32 + 32 <= acts.q.len()` for a row < m, block < kb.
                let a =
                    unsafe { _mm256_loadu_si256(acts.q.as_ptr().add(at * QK) as *const __m256i) };
                let (da, sa) = (acts.d[at], acts.s[at]);
                for j in 0..W {
                    let p = if B::SIGNED {
                        _mm256_maddubs_epi16(sub[j].u, _mm256_sign_epi8(a, sub[j].sign))
                    } else {
                        _mm256_maddubs_epi16(sub[j].u, a)
                    };
                    let p = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
                    acc[j][r] = _mm256_fmadd_ps(_mm256_set1_ps(sub[j].dw * da), p, acc[j][r]);
                    if B::MIN {
                        offs[j][r] += sub[j].cw * sa;
                    }
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

    /// [`tile`] for Q5_0, one group of eight rows in [`super::q5_0_x8`]'s
    /// layout, into `out[activation row][weight row]`: per quad, one vector
    /// gives four columns of the eight rows from the low nibbles and four
    /// from the high, with their fifth bits; `maddubs` with the broadcast
    /// activations, summed per block in i32 lanes, one per row. Then per
    /// block `d · da · dot − 16 · d · (activation block sum)`.
    ///
    /// # Safety
    /// AVX2, FMA and F16C present; `w` holds `acts.kb` blocks of the group;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn tile_q5_0_x8<const R: usize>(
        w: &[u8],
        acts: &Acts,
        i0: usize,
        out: &mut [[f32; 8]; TILE],
    ) {
        let kb = acts.kb;
        debug_assert!(w.len() >= kb * Q5_0_X8_BYTES && i0 + R <= acts.m && R <= TILE);
        let low = _mm256_set1_epi8(0x0f);
        let sixteen = _mm256_set1_epi8(16);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); R];
        // SAFETY (whole body): every offset below is inside the group's block
        // `b` (176 bytes) or the activations' block `b` of a row < m.
        unsafe {
            for b in 0..kb {
                let p = w.as_ptr().add(b * Q5_0_X8_BYTES);
                let a: [*const i8; R] =
                    std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * kb + b) * QK));
                let mut iacc = [_mm256_setzero_si256(); R];
                for q in 0..4 {
                    let v = _mm256_loadu_si256(p.add(48 + 32 * q) as *const __m256i);
                    let lo = _mm256_or_si256(
                        _mm256_and_si256(v, low),
                        _mm256_and_si256(bits(p.add(16 + 4 * q)), sixteen),
                    );
                    let hi = _mm256_or_si256(
                        _mm256_and_si256(_mm256_srli_epi16(v, 4), low),
                        _mm256_and_si256(bits(p.add(32 + 4 * q)), sixteen),
                    );
                    for r in 0..R {
                        let a_lo = _mm256_set1_epi32(std::ptr::read_unaligned(
                            a[r].add(4 * q) as *const i32
                        ));
                        let a_hi = _mm256_set1_epi32(std::ptr::read_unaligned(
                            a[r].add(16 + 4 * q) as *const i32,
                        ));
                        // Each pair sum is at most 2 · 31 · 127, so two add
                        // up within i16.
                        let x = _mm256_add_epi16(
                            _mm256_maddubs_epi16(lo, a_lo),
                            _mm256_maddubs_epi16(hi, a_hi),
                        );
                        iacc[r] = _mm256_add_epi32(iacc[r], _mm256_madd_epi16(x, ones));
                    }
                }
                let d = _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i));
                for r in 0..R {
                    let at = (i0 + r) * kb + b;
                    let dot = _mm256_cvtepi32_ps(iacc[r]);
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(acts.d[at])), dot, acc[r]);
                    acc[r] = _mm256_fmadd_ps(d, _mm256_set1_ps(-16.0 * acts.s[at]), acc[r]);
                }
            }
            for r in 0..R {
                _mm256_storeu_ps(out[r].as_mut_ptr(), acc[r]);
            }
        }
    }

    /// [`tile_q5_0_x8`] for Q8_0 in [`super::q8_0_x8`]'s layout: signed
    /// weights, multiplied through `maddubs` as their absolute values with the
    /// activations' signs flipped where the weight is negative.
    ///
    /// # Safety
    /// AVX2, FMA and F16C present; `w` holds `acts.kb` blocks of the group;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn tile_q8_0_x8<const R: usize>(
        w: &[u8],
        acts: &Acts,
        i0: usize,
        out: &mut [[f32; 8]; TILE],
    ) {
        let kb = acts.kb;
        debug_assert!(w.len() >= kb * Q8_0_X8_BYTES && i0 + R <= acts.m && R <= TILE);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); R];
        // SAFETY (whole body): every offset below is inside the group's block
        // `b` (272 bytes) or the activations' block `b` of a row < m.
        unsafe {
            for b in 0..kb {
                let p = w.as_ptr().add(b * Q8_0_X8_BYTES);
                let a: [*const i8; R] =
                    std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * kb + b) * QK));
                let mut iacc = [_mm256_setzero_si256(); R];
                for q in 0..8 {
                    let v = _mm256_loadu_si256(p.add(16 + 32 * q) as *const __m256i);
                    let u = _mm256_abs_epi8(v);
                    for r in 0..R {
                        let av = _mm256_set1_epi32(std::ptr::read_unaligned(
                            a[r].add(4 * q) as *const i32
                        ));
                        let x = _mm256_maddubs_epi16(u, _mm256_sign_epi8(av, v));
                        iacc[r] = _mm256_add_epi32(iacc[r], _mm256_madd_epi16(x, ones));
                    }
                }
                let d = _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i));
                for r in 0..R {
                    let at = (i0 + r) * kb + b;
                    let dot = _mm256_cvtepi32_ps(iacc[r]);
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(acts.d[at])), dot, acc[r]);
                }
            }
            for r in 0..R {
                _mm256_storeu_ps(out[r].as_mut_ptr(), acc[r]);
            }
        }
    }

    /// [`tile`] for Q4_K, one group of eight rows in [`super::q4k_x8`]'s layout,
    /// into `out[activation row][weight row]`. Each 32-byte vector of weights
    /// is four columns of the eight rows; the activations' four matching
    /// bytes are broadcast, and `maddubs` products summed in i16 over a
    /// sub-block, then one `madd` with the eight rows' sub-block scales,
    /// leave one i32 per row.
    ///
    /// # Safety
    /// AVX2 and FMA present; `w` holds `acts.nb` blocks of the group;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_q4k_x8<const R: usize>(
        w: &[u8],
        acts: &ActsK,
        i0: usize,
        out: &mut [[f32; 8]; TILE],
    ) {
        let nb = acts.nb;
        debug_assert!(w.len() >= nb * Q4K_X8_BYTES && i0 + R <= acts.m && R <= TILE);
        let low = _mm256_set1_epi8(0x0f);
        let mut acc = [_mm256_setzero_ps(); R];
        // SAFETY (whole body): every offset below is inside the group's block
        // `b` (1,216 bytes) or the activations' block `b` of a row < m.
        unsafe {
            // Eight u8 scales at `p` as i16 pairs, one pair per row.
            let expand = |p: *const u8| {
                let x = _mm_cvtepu8_epi16(_mm_loadl_epi64(p as *const __m128i));
                _mm256_set_m128i(_mm_unpackhi_epi16(x, x), _mm_unpacklo_epi16(x, x))
            };
            for b in 0..nb {
                let p = w.as_ptr().add(b * Q4K_X8_BYTES);
                let a: [*const i8; R] =
                    std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * nb + b) * 256));
                let mut iacc = [_mm256_setzero_si256(); R];
                for c in 0..4 {
                    // The pair of sub-blocks' products summed in i16 over
                    // their 32 columns, then scaled once: a lane sums 16
                    // products of a 4-bit weight and an activation of at
                    // most 127 in magnitude, 16 · 15 · 127 = 30,480 < 2^15,
                    // and integer sums are exact in any order.
                    let mut s_lo = [_mm256_setzero_si256(); R];
                    let mut s_hi = [_mm256_setzero_si256(); R];
                    for q in 0..8 {
                        let v = _mm256_loadu_si256(p.add(192 + (c * 8 + q) * 32) as *const __m256i);
                        let lo = _mm256_and_si256(v, low);
                        let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
                        for r in 0..R {
                            let a_lo = _mm256_set1_epi32(std::ptr::read_unaligned(
                                a[r].add(64 * c + 4 * q) as *const i32,
                            ));
                            let a_hi = _mm256_set1_epi32(std::ptr::read_unaligned(
                                a[r].add(64 * c + 32 + 4 * q) as *const i32,
                            ));
                            s_lo[r] = _mm256_add_epi16(s_lo[r], _mm256_maddubs_epi16(lo, a_lo));
                            s_hi[r] = _mm256_add_epi16(s_hi[r], _mm256_maddubs_epi16(hi, a_hi));
                        }
                    }
                    let scl_lo = expand(p.add(64 + 16 * c));
                    let scl_hi = expand(p.add(64 + 16 * c + 8));
                    for r in 0..R {
                        let x = _mm256_madd_epi16(s_lo[r], scl_lo);
                        let y = _mm256_madd_epi16(s_hi[r], scl_hi);
                        iacc[r] = _mm256_add_epi32(iacc[r], _mm256_add_epi32(x, y));
                    }
                }
                let d = _mm256_loadu_ps(p as *const f32);
                let dmin = _mm256_loadu_ps(p.add(32) as *const f32);
                let mins: [__m256; 8] = std::array::from_fn(|s| {
                    _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(
                        p.add(128 + 8 * s) as *const __m128i
                    )))
                });
                for r in 0..R {
                    let at = (i0 + r) * nb + b;
                    let da = _mm256_set1_ps(acts.d[at]);
                    let mut msum = _mm256_setzero_ps();
                    for (s, m) in mins.iter().enumerate() {
                        msum = _mm256_fmadd_ps(
                            *m,
                            _mm256_set1_ps(acts.sums32[at * 8 + s] as f32),
                            msum,
                        );
                    }
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_mul_ps(d, da), _mm256_cvtepi32_ps(iacc[r]), acc[r]);
                    acc[r] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, da), msum, acc[r]);
                }
            }
            for r in 0..R {
                _mm256_storeu_ps(out[r].as_mut_ptr(), acc[r]);
            }
        }
    }

    /// [`tile_q4k_x8`] for Q6_K in [`super::q6k_x8`]'s layout: per half and
    /// quad, three vectors unpack to four of 6-bit values, each four columns
    /// of the eight rows; `maddubs` with the broadcast activations, `madd` with
    /// the rows' scales. The offset of 32 is taken off per block, as
    /// `32 · Σ scale · (activation sum per 16)`.
    ///
    /// # Safety
    /// AVX2 and FMA present; `w` holds `acts.nb` blocks of the group;
    /// `i0 + R <= acts.m`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_q6k_x8<const R: usize>(
        w: &[u8],
        acts: &ActsK,
        i0: usize,
        out: &mut [[f32; 8]; TILE],
    ) {
        let nb = acts.nb;
        debug_assert!(w.len() >= nb * Q6K_X8_BYTES && i0 + R <= acts.m && R <= TILE);
        let low = _mm256_set1_epi8(0x0f);
        let three = _mm256_set1_epi8(3);
        let mut acc = [_mm256_setzero_ps(); R];
        // SAFETY (whole body): every offset below is inside the group's block
        // `b` (1,696 bytes) or the activations' block `b` of a row < m.
        unsafe {
            // Eight i8 scales at `p` as i16 pairs, one pair per row.
            let expand = |p: *const u8| {
                let x = _mm_cvtepi8_epi16(_mm_loadl_epi64(p as *const __m128i));
                _mm256_set_m128i(_mm_unpackhi_epi16(x, x), _mm_unpacklo_epi16(x, x))
            };
            for b in 0..nb {
                let p = w.as_ptr().add(b * Q6K_X8_BYTES);
                let a: [*const i8; R] =
                    std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * nb + b) * 256));
                let mut iacc = [_mm256_setzero_si256(); R];
                for h in 0..2 {
                    for half in 0..2 {
                        // Scales of the four groups' columns 16·half..+16.
                        let scl: [__m256i; 4] =
                            std::array::from_fn(|g| expand(p.add(32 + 8 * (8 * h + 2 * g + half))));
                        for q in 4 * half..4 * half + 4 {
                            let v = p.add(160 + (h * 8 + q) * 96);
                            let la = _mm256_loadu_si256(v as *const __m256i);
                            let lb = _mm256_loadu_si256(v.add(32) as *const __m256i);
                            let qh = _mm256_loadu_si256(v.add(64) as *const __m256i);
                            let hi = |shift: i32| match shift {
                                0 => _mm256_slli_epi16(_mm256_and_si256(qh, three), 4),
                                2 => _mm256_slli_epi16(
                                    _mm256_and_si256(_mm256_srli_epi16(qh, 2), three),
                                    4,
                                ),
                                4 => _mm256_and_si256(qh, _mm256_set1_epi8(0x30)),
                                _ => _mm256_and_si256(
                                    _mm256_srli_epi16(qh, 2),
                                    _mm256_set1_epi8(0x30),
                                ),
                            };
                            let u = [
                                _mm256_or_si256(_mm256_and_si256(la, low), hi(0)),
                                _mm256_or_si256(_mm256_and_si256(lb, low), hi(2)),
                                _mm256_or_si256(
                                    _mm256_and_si256(_mm256_srli_epi16(la, 4), low),
                                    hi(4),
                                ),
                                _mm256_or_si256(
                                    _mm256_and_si256(_mm256_srli_epi16(lb, 4), low),
                                    hi(6),
                                ),
                            ];
                            for r in 0..R {
                                for g in 0..4 {
                                    let av = _mm256_set1_epi32(std::ptr::read_unaligned(
                                        a[r].add(128 * h + 32 * g + 4 * q) as *const i32,
                                    ));
                                    let x =
                                        _mm256_madd_epi16(_mm256_maddubs_epi16(u[g], av), scl[g]);
                                    iacc[r] = _mm256_add_epi32(iacc[r], x);
                                }
                            }
                        }
                    }
                }
                let d = _mm256_loadu_ps(p as *const f32);
                let scf: [__m256; 16] = std::array::from_fn(|t| {
                    _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
                        p.add(32 + 8 * t) as *const __m128i
                    )))
                });
                for r in 0..R {
                    let at = (i0 + r) * nb + b;
                    let mut off = _mm256_setzero_ps();
                    for (t, sc) in scf.iter().enumerate() {
                        off = _mm256_fmadd_ps(
                            *sc,
                            _mm256_broadcast_ss(&acts.sums16f[at * 16 + t]),
                            off,
                        );
                    }
                    let dot =
                        _mm256_fnmadd_ps(_mm256_set1_ps(32.0), off, _mm256_cvtepi32_ps(iacc[r]));
                    acc[r] =
                        _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(acts.d[at])), dot, acc[r]);
                }
            }
            for r in 0..R {
                _mm256_storeu_ps(out[r].as_mut_ptr(), acc[r]);
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx2 {
    //! Never called: [`super::FastLinear`] is only built where AVX2 was detected.
    use super::{Acts, ActsK, TILE};
    pub(super) trait Block {}
    pub(super) struct Q5_0;
    pub(super) struct Q4_1;
    pub(super) struct Q8_0;
    impl Block for Q5_0 {}
    impl Block for Q4_1 {}
    impl Block for Q8_0 {}
    pub(super) unsafe fn tile<B: Block, const W: usize, const R: usize>(
        _: &[u8],
        _: &Acts,
        _: usize,
        _: &mut [[f32; TILE]; 2],
    ) {
        unreachable!()
    }
    pub(super) unsafe fn tile_q4k_x8<const R: usize>(
        _: &[u8],
        _: &ActsK,
        _: usize,
        _: &mut [[f32; 8]; TILE],
    ) {
        unreachable!()
    }
    pub(super) unsafe fn tile_q6k_x8<const R: usize>(
        _: &[u8],
        _: &ActsK,
        _: usize,
        _: &mut [[f32; 8]; TILE],
    ) {
        unreachable!()
    }
    pub(super) unsafe fn tile_q5_0_x8<const R: usize>(
        _: &[u8],
        _: &Acts,
        _: usize,
        _: &mut [[f32; 8]; TILE],
    ) {
        unreachable!()
    }
    pub(super) unsafe fn tile_q8_0_x8<const R: usize>(
        _: &[u8],
        _: &Acts,
        _: usize,
        _: &mut [[f32; 8]; TILE],
    ) {
        unreachable!()
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

    /// The invariance rule (module doc): every activation row's outputs have
    /// the same bits whether the row is multiplied alone or among 1 to 63
    /// others, for every format and every kernel path this CPU has (AVX2,
    /// the VNNI ones; regrouped by eight or sixteen, read in place) and
    /// candle's dot products (`KernelPath::Candle` here, as every format
    /// without a kernel).
    #[test]
    fn every_output_row_is_the_same_whatever_the_rows_around_it() {
        let mut paths = paths();
        paths.push(KernelPath::Candle);
        for path in paths {
            eprintln!("kernel path {}", path.name());
            every_output_row_is_the_same_on(path);
        }
    }

    fn every_output_row_is_the_same_on(path: KernelPath) {
        let cases = [
            (GgmlDType::Q4K, 512, 48),
            (GgmlDType::Q6K, 512, 48),
            (GgmlDType::Q5_0, 128, 48),
            (GgmlDType::Q8_0, 128, 48),
            (GgmlDType::Q4_1, 128, 48),
            (GgmlDType::Q4_1, 128, 37),
            (GgmlDType::Q4K, 512, 40),
            (GgmlDType::Q6K, 512, 40),
            (GgmlDType::Q5_0, 128, 40),
            (GgmlDType::Q8_0, 128, 40),
            (GgmlDType::Q4_1, 128, 40),
            (GgmlDType::Q5_0, 128, 37),
            (GgmlDType::Q8_0, 128, 37),
            (GgmlDType::Q4K, 512, 37),
            (GgmlDType::Q6K, 512, 37),
            (GgmlDType::Q4_0, 128, 40),
            (GgmlDType::Q5_1, 128, 40),
            (GgmlDType::Q2K, 512, 40),
            (GgmlDType::Q3K, 512, 40),
            (GgmlDType::Q5K, 512, 40),
            (GgmlDType::F32, 96, 37),
            (GgmlDType::F16, 96, 40),
            (GgmlDType::BF16, 96, 40),
        ];
        for (dtype, k, n) in cases {
            let q = QTensor::quantize(&random(n, k, 5), dtype).unwrap();
            let lin = Linear::with_path(Arc::new(q), path).unwrap();
            assert!(!matches!(lin, Linear::Candle(_)), "{dtype:?}: {lin:?}");
            let x = random(64, k, 9);
            let bits = |t: Tensor| -> Vec<Vec<u32>> {
                let v = t.to_vec2::<f32>().unwrap();
                v.iter()
                    .map(|r| r.iter().map(|f| f.to_bits()).collect())
                    .collect()
            };
            let alone: Vec<Vec<u32>> = (0..64)
                .map(|i| bits(lin.forward(&x.narrow(0, i, 1).unwrap()).unwrap()).remove(0))
                .collect();
            for (start, m) in [
                (0, 2),
                (5, 3),
                (1, 4),
                (3, 5),
                (0, 7),
                (8, 8),
                (7, 9),
                (0, 16),
                (30, 17),
                (31, 33),
                (0, 64),
            ] {
                let got = bits(lin.forward(&x.narrow(0, start, m).unwrap()).unwrap());
                for (i, row) in got.iter().enumerate() {
                    assert!(
                        *row == alone[start + i],
                        "{} {lin:?}: row {} of {m} differs from the row alone",
                        path.name(),
                        start + i
                    );
                }
            }
        }
    }

    /// Every kernel path this CPU has (the others say they skipped).
    fn paths() -> Vec<KernelPath> {
        for p in KernelPath::ALL {
            if !p.available() {
                eprintln!("skipped: kernel path {} (this CPU lacks it)", p.name());
            }
        }
        KernelPath::available_paths()
            .into_iter()
            .filter(|&p| p != KernelPath::Candle)
            .collect()
    }

    /// Each kernel computes exactly the product of the dequantized weights with
    /// its 8-bit activations, for every row count around the tile and chunk
    /// sizes (decode and prefill shapes). Against candle's own code: the same
    /// values for Q5_0 and Q8_0 (same activation blocks); for the others (where
    /// candle rounds Q4_1's activation sums through f16 and quantizes the
    /// K-quants' activations per 256 values, not per 32) an error against the
    /// full-precision product no larger overall.
    #[test]
    fn kernels_match_candle() {
        if !has_avx2() {
            eprintln!("no AVX2: kernels not used on this CPU");
            return;
        }
        for path in paths() {
            eprintln!("kernel path {}", path.name());
            kernels_match_candle_on(path);
        }
    }

    fn kernels_match_candle_on(path: KernelPath) {
        // 37 rows: read in place, pairs and a single; 40: five groups of
        // eight; 48: three groups of sixteen (AVX-512 VNNI).
        for (dtype, k, n) in [
            (GgmlDType::Q5_0, 128, 37),
            (GgmlDType::Q5_0, 128, 40),
            (GgmlDType::Q5_0, 128, 48),
            (GgmlDType::Q4_1, 128, 37),
            (GgmlDType::Q4_1, 128, 40),
            (GgmlDType::Q4_1, 128, 48),
            (GgmlDType::Q8_0, 128, 37),
            (GgmlDType::Q8_0, 128, 40),
            (GgmlDType::Q8_0, 128, 48),
            (GgmlDType::Q4K, 512, 40),
            (GgmlDType::Q4K, 512, 48),
            (GgmlDType::Q6K, 512, 40),
            (GgmlDType::Q6K, 512, 48),
        ] {
            let w = random(n, k, 7);
            let q = QTensor::quantize(&w, dtype).unwrap();
            let exact_w = q.dequantize(&Device::Cpu).unwrap();
            let fast =
                Linear::with_path(Arc::new(QTensor::quantize(&w, dtype).unwrap()), path).unwrap();
            let x16 = path == KernelPath::Avx512Vnni && n % 16 == 0 && dtype != GgmlDType::Q4_1;
            match &fast {
                Linear::Fast(f) => {
                    assert_eq!(
                        matches!(f.w, Weights::X8(_)),
                        dtype != GgmlDType::Q4_1 && n % 8 == 0 && !x16,
                        "{dtype:?} with {n} rows is regrouped by eight"
                    );
                    assert_eq!(
                        matches!(f.w, Weights::X16(_)),
                        x16,
                        "{dtype:?} with {n} rows is regrouped by sixteen"
                    );
                }
                other => panic!("{dtype:?} uses the kernel, not {other:?}"),
            }
            if matches!(dtype, GgmlDType::Q4K | GgmlDType::Q6K) {
                // Rows that do not group by eight take candle's dot products.
                let odd = QTensor::quantize(&random(37, k, 7), dtype).unwrap();
                assert!(matches!(
                    Linear::with_path(Arc::new(odd), path).unwrap(),
                    Linear::Dots(_)
                ));
            }
            let reference = Linear::candle(q).unwrap();
            let (mut sq_fast, mut sq_candle) = (0f64, 0f64);
            for m in [1, 2, 3, 4, 5, 8, 9, 17] {
                let x = random(m, k, 100 + m as u64);
                let a = fast.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                let b = reference.forward(&x).unwrap().to_vec2::<f32>().unwrap();
                let product = |x: &Tensor| {
                    x.matmul(&exact_w.t().unwrap())
                        .unwrap()
                        .to_vec2::<f32>()
                        .unwrap()
                };
                let exact = product(&x);
                // The activations as the kernel sees them.
                let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
                let xq: Vec<f32> = if matches!(dtype, GgmlDType::Q4K | GgmlDType::Q6K) {
                    let acts = ActsK::quantize(&xs, m, k);
                    let d = |i: usize| acts.d[i / 256];
                    acts.q
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| v as f32 * d(i))
                        .collect()
                } else {
                    let acts = Acts::quantize(&xs, m, k);
                    let d = |i: usize| acts.d[i / QK];
                    acts.q
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| v as f32 * d(i))
                        .collect()
                };
                let same_acts = product(&Tensor::from_vec(xq, (m, k), &Device::Cpu).unwrap());
                for (((ra, rb), re), rq) in a.iter().zip(&b).zip(&exact).zip(&same_acts) {
                    for (((va, vb), ve), vq) in ra.iter().zip(rb).zip(re).zip(rq) {
                        assert!(
                            (va - vq).abs() <= 1e-4 * (1.0 + vq.abs()),
                            "{dtype:?} m={m}: {va} against the dequantized product {vq}"
                        );
                        if matches!(dtype, GgmlDType::Q5_0 | GgmlDType::Q8_0) {
                            assert!(
                                (va - vb).abs() <= 1e-4 * (1.0 + vb.abs()),
                                "{dtype:?} m={m}: {va} vs {vb}"
                            );
                        }
                        sq_fast += ((va - ve) as f64).powi(2);
                        sq_candle += ((vb - ve) as f64).powi(2);
                    }
                }
            }
            assert!(
                sq_fast <= sq_candle * 1.1,
                "{dtype:?}: squared error {sq_fast} against candle's {sq_candle}"
            );
            // A batch of sequences keeps its leading dimensions.
            let x3 = random(6, k, 3).reshape((2, 3, k)).unwrap();
            assert_eq!(fast.forward(&x3).unwrap().dims(), &[2, 3, n]);
        }
    }
}
