//! The VNNI kernels: `vpdpbusd` multiplies 8-bit weights by 8-bit activations
//! and sums each four products into an i32 lane in one instruction, where the
//! AVX2 kernels need `maddubs` then `madd`.
//!
//! One source ([`vnni_kernels`]) is compiled three times, over small
//! wrappers of the instructions each module defines:
//! - [`zmm`]: AVX-512 VNNI on 512-bit registers, over matrices regrouped by
//!   sixteen rows ([`super::x16`]: two eight-row groups interleaved), so one
//!   64-byte vector is four columns of sixteen rows;
//! - [`evex`]: AVX-512 VNNI on 256-bit registers (EVEX encoding, 32
//!   registers), over the AVX2 kernels' eight-row layout;
//! - [`vex`]: AVX-VNNI (VEX encoding, 16 registers: desktop chips without
//!   AVX-512) over the eight-row layout.
//!
//! Each weight vector is multiplied with the four matching activation bytes
//! of each activation row, broadcast to every lane. A kernel takes up to
//! [`TILE8`] activation rows per call ([`vex`]: four, for its registers), so a
//! decode batch of eight sequences unpacks each weight block once.
//!
//! Batch invariance (the rule at the top of [`super`]): an output row's
//! arithmetic does not depend on how many activation rows share the call,
//! nor on the row's place among them. Per block, a row's products are summed in
//! i32 (exact, so the order of the adds does not matter), the format's
//! offsets (Q4_K's mins, Q6_K's 32, Q5_0's 16, Q8_0's 128) come off in i32
//! from the activations' integer block sums, and the result goes into the
//! row's f32 accumulator with the same float operations, block after block.

/// Most activation rows per kernel call.
pub(super) const TILE8: usize = 8;

/// The kernels, over the enclosing module's `V` (integer vector), `F` (float
/// vector), `G` (weight rows per group, lanes per vector), `T` (most
/// activation rows per call) and wrappers (`load`, `dpbusd`, ...). Offsets
/// are the eight-row layout's times `S = G / 8`: [`super::x16`] doubles every
/// field.
#[cfg(target_arch = "x86_64")]
macro_rules! vnni_kernels {
    ($features:literal) => {
        use super::super::{
            Acts, ActsK, Q4K_X8_BYTES, Q5_0_X8_BYTES, Q6K_X8_BYTES, Q8_0_X8_BYTES, QK,
        };
        use super::TILE8;

        /// Output of one call: `[activation row][weight row of the group]`.
        pub(in super::super) type Out = [[f32; G]; TILE8];

        const S: usize = G / 8;

        /// `acc[r] += d · da(r) · dot[r]` for the rows of one block.
        #[inline(always)]
        unsafe fn scale_add<const R: usize>(
            acc: &mut [F; R],
            d: F,
            da: impl Fn(usize) -> f32,
            dot: &[V; R],
        ) {
            for r in 0..R {
                // SAFETY: the caller's features include the wrappers'.
                acc[r] = unsafe { fmadd(fmul(d, fsplat(da(r))), cvt(dot[r]), acc[r]) };
            }
        }

        /// Store the accumulators of `R` activation rows.
        #[inline(always)]
        unsafe fn store<const R: usize>(acc: &[F; R], out: &mut Out) {
            for r in 0..R {
                // SAFETY: `out[r]` holds G floats.
                unsafe { fstore(out[r].as_mut_ptr(), acc[r]) };
            }
        }

        /// The two chains of a row's sums added (see `split` in the kernels:
        /// with one or two rows per call, two chains keep the adds' latency
        /// from serializing the block).
        #[inline(always)]
        unsafe fn join(sub: [V; 2], split: bool) -> V {
            if split {
                // SAFETY: as for `scale_add`.
                unsafe { add32(sub[0], sub[1]) }
            } else {
                sub[0]
            }
        }

        /// Q4_K, one group in the [`super::super::q4k_x8`] layout (per block:
        /// `d[G]`, `dmin[G]` f32; `scales[8][G]`, `mins[8][G]` u8;
        /// `qs[4 c][8 q][G rows][4]`), times activation rows `i0..i0 + R`.
        /// Per sub-block and row, eight `vpdpbusd` then one multiply by the
        /// rows' sub-block scales; the mins come off per block as
        /// `Σ min · (activation sum per 32)` (`vpdpwssd`).
        ///
        /// # Safety
        /// The module's features present; `w` holds `acts.nb` blocks of the
        /// group; `i0 + R <= acts.m`, `R <= T`.
        #[target_feature(enable = $features)]
        pub(in super::super) unsafe fn q4k<const R: usize>(
            w: &[u8],
            acts: &ActsK,
            i0: usize,
            out: &mut Out,
        ) {
            const BYTES: usize = S * Q4K_X8_BYTES;
            let nb = acts.nb;
            debug_assert!(w.len() >= nb * BYTES && i0 + R <= acts.m && R <= T);
            let split = R <= 2;
            // SAFETY (whole body): every offset below is inside the group's
            // block `b` or the activations' block `b` of a row < m.
            unsafe {
                let mut acc = [fzero(); R];
                let low = splat8(0x0f);
                for b in 0..nb {
                    let p = w.as_ptr().add(b * BYTES);
                    let a: [*const i8; R] =
                        std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * nb + b) * 256));
                    let mut iacc = [zero(); R];
                    for s in 0..8 {
                        let c = s / 2;
                        let mut sub = [[zero(); 2]; R];
                        for q in 0..8 {
                            let v = load(p.add(S * (192 + (c * 8 + q) * 32)));
                            let u = and(if s % 2 == 1 { srli16::<4>(v) } else { v }, low);
                            let chain = if split { q & 1 } else { 0 };
                            for r in 0..R {
                                sub[r][chain] =
                                    dpbusd(sub[r][chain], u, bcast(a[r].add(32 * s + 4 * q)));
                            }
                        }
                        let sc = rows_u8(p.add(S * (64 + 8 * s)));
                        for r in 0..R {
                            iacc[r] = add32(iacc[r], mullo32(join(sub[r], split), sc));
                        }
                    }
                    let mins: [V; 4] = std::array::from_fn(|i| {
                        pairs(
                            p.add(S * (128 + 8 * 2 * i)),
                            p.add(S * (128 + 8 * (2 * i + 1))),
                            false,
                        )
                    });
                    let d = floadu(p as *const f32);
                    let dmin = floadu(p.add(S * 32) as *const f32);
                    for r in 0..R {
                        let at = (i0 + r) * nb + b;
                        let sums = acts.sums32.as_ptr().add(at * 8);
                        let mut msum = zero();
                        for (i, m) in mins.iter().enumerate() {
                            msum = dpwssd(msum, *m, bcast(sums.add(2 * i) as *const i8));
                        }
                        let da = fsplat(acts.d[at]);
                        acc[r] = fmadd(fmul(d, da), cvt(iacc[r]), acc[r]);
                        acc[r] = fnmadd(fmul(dmin, da), cvt(msum), acc[r]);
                    }
                }
                store(&acc, out);
            }
        }

        /// Q6_K, one group in the [`super::super::q6k_x8`] layout (per block:
        /// `d[G]` f32, `scales[16][G]` i8, then per half and quad three vectors
        /// `ql`, `ql`, `qh` of `[G rows][4]`). Per 16 columns and row, four
        /// `vpdpbusd` then one multiply by the rows' scales; the offset of 32
        /// comes off in i32 as `32 · Σ scale · (activation sum per 16)`.
        ///
        /// # Safety
        /// As [`q4k`].
        #[target_feature(enable = $features)]
        pub(in super::super) unsafe fn q6k<const R: usize>(
            w: &[u8],
            acts: &ActsK,
            i0: usize,
            out: &mut Out,
        ) {
            const BYTES: usize = S * Q6K_X8_BYTES;
            let nb = acts.nb;
            debug_assert!(w.len() >= nb * BYTES && i0 + R <= acts.m && R <= T);
            // SAFETY (whole body): every offset below is inside the group's
            // block `b` or the activations' block `b` of a row < m.
            unsafe {
                let mut acc = [fzero(); R];
                let low = splat8(0x0f);
                let high = splat8(0x30);
                for b in 0..nb {
                    let p = w.as_ptr().add(b * BYTES);
                    let a: [*const i8; R] =
                        std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * nb + b) * 256));
                    let mut iacc = [zero(); R];
                    for h in 0..2 {
                        for half in 0..2 {
                            // Quad q's three vectors unpacked to the four
                            // groups' 6-bit values: low 4 bits from vector
                            // g % 2, nibble g / 2; high 2 bits from the third
                            // vector at bit 2g.
                            let unpack = |q: usize, g: usize| {
                                let v = p.add(S * (160 + (h * 8 + q) * 96));
                                let l = load(v.add(S * 32 * (g % 2)));
                                let l = if g < 2 { l } else { srli16::<4>(l) };
                                let qh = load(v.add(S * 64));
                                let hi = match g {
                                    0 => slli16::<4>(qh),
                                    1 => slli16::<2>(qh),
                                    2 => qh,
                                    _ => srli16::<2>(qh),
                                };
                                or(and(l, low), and(hi, high))
                            };
                            let sc: [V; 4] = std::array::from_fn(|g| {
                                rows_i8(p.add(S * (32 + 8 * (8 * h + 2 * g + half))))
                            });
                            let at = |r: usize, g: usize, q: usize| {
                                bcast(a[r].add(128 * h + 32 * g + 4 * q))
                            };
                            if R <= WIDE {
                                // Few rows: each quad unpacked once, four
                                // chains (one per group) per row.
                                let mut sub = [[zero(); 4]; R];
                                for q in 4 * half..4 * half + 4 {
                                    let u: [V; 4] = std::array::from_fn(|g| unpack(q, g));
                                    for r in 0..R {
                                        for g in 0..4 {
                                            sub[r][g] = dpbusd(sub[r][g], u[g], at(r, g, q));
                                        }
                                    }
                                }
                                for r in 0..R {
                                    for g in 0..4 {
                                        iacc[r] = add32(iacc[r], mullo32(sub[r][g], sc[g]));
                                    }
                                }
                            } else if HOLD {
                                // Many rows, 32 registers: the half's sixteen
                                // vectors unpacked once and held, one chain
                                // at a time per row.
                                let u: [[V; 4]; 4] = std::array::from_fn(|qq| {
                                    std::array::from_fn(|g| unpack(4 * half + qq, g))
                                });
                                for r in 0..R {
                                    for g in 0..4 {
                                        let mut sub = zero();
                                        for (qq, uq) in u.iter().enumerate() {
                                            sub = dpbusd(sub, uq[g], at(r, g, 4 * half + qq));
                                        }
                                        iacc[r] = add32(iacc[r], mullo32(sub, sc[g]));
                                    }
                                }
                            } else {
                                // Many rows, 16 registers: one group at a
                                // time, one chain per row.
                                for g in 0..4 {
                                    let mut sub = [zero(); R];
                                    for q in 4 * half..4 * half + 4 {
                                        let u = unpack(q, g);
                                        for r in 0..R {
                                            sub[r] = dpbusd(sub[r], u, at(r, g, q));
                                        }
                                    }
                                    for r in 0..R {
                                        iacc[r] = add32(iacc[r], mullo32(sub[r], sc[g]));
                                    }
                                }
                            }
                        }
                    }
                    let scales: [V; 8] = std::array::from_fn(|i| {
                        pairs(
                            p.add(S * (32 + 8 * 2 * i)),
                            p.add(S * (32 + 8 * (2 * i + 1))),
                            true,
                        )
                    });
                    for r in 0..R {
                        let at = (i0 + r) * nb + b;
                        let sums = acts.sums16.as_ptr().add(at * 16);
                        let mut off = zero();
                        for (i, sc) in scales.iter().enumerate() {
                            off = dpwssd(off, *sc, bcast(sums.add(2 * i) as *const i8));
                        }
                        iacc[r] = sub32(iacc[r], slli32::<5>(off));
                    }
                    let d = floadu(p as *const f32);
                    scale_add(&mut acc, d, |r| acts.d[(i0 + r) * nb + b], &iacc);
                }
                store(&acc, out);
            }
        }

        /// What [`blocks32`] needs to know of a 32-weight format: its
        /// group's bytes per block, the offset subtracted from its weights,
        /// and where its f16 mins are (if it has them).
        #[derive(Clone, Copy)]
        struct Fmt32 {
            bytes: usize,
            offset: i32,
        }

        /// The 32-weight formats (one scale per block and group row):
        /// `vpdpbusd` of the block's eight weight vectors (`unpack(p, q)`,
        /// `q` 0..8 in the activations' order, four columns each) with each
        /// row, less `offset` times the activation block's sum, then
        /// `d · da ·` that.
        #[inline(always)]
        unsafe fn blocks32<const R: usize>(
            fmt: Fmt32,
            w: &[u8],
            acts: &Acts,
            i0: usize,
            out: &mut Out,
            unpack: impl Fn(*const u8, usize) -> V,
        ) {
            let Fmt32 { bytes, offset } = fmt;
            let kb = acts.kb;
            debug_assert!(w.len() >= kb * bytes && i0 + R <= acts.m && R <= T);
            let split = R <= 2;
            // SAFETY (whole body): every offset below is inside the group's
            // block `b` or the activations' block `b` of a row < m.
            unsafe {
                let mut acc = [fzero(); R];
                for b in 0..kb {
                    let p = w.as_ptr().add(b * bytes);
                    let a: [*const i8; R] =
                        std::array::from_fn(|r| acts.q.as_ptr().add(((i0 + r) * kb + b) * QK));
                    let mut sub = [[zero(); 2]; R];
                    for q in 0..8 {
                        let u = unpack(p, q);
                        let chain = if split { q & 1 } else { 0 };
                        for r in 0..R {
                            sub[r][chain] = dpbusd(sub[r][chain], u, bcast(a[r].add(4 * q)));
                        }
                    }
                    let dot: [V; R] = std::array::from_fn(|r| {
                        let at = (i0 + r) * kb + b;
                        sub32(join(sub[r], split), splat32(offset * acts.isum[at]))
                    });
                    scale_add(&mut acc, f16s(p), |r| acts.d[(i0 + r) * kb + b], &dot);
                }
                store(&acc, out);
            }
        }

        /// Q5_0, one group in the [`super::super::q5_0_x8`] layout (per block:
        /// `d[G]` f16, `hb[2][4]` of G·4 bits whose bit `4r + t` is row `r`'s
        /// fifth bit, `qs[4][G][4]`).
        ///
        /// # Safety
        /// The module's features present; `w` holds `acts.kb` blocks of the
        /// group; `i0 + R <= acts.m`, `R <= T`.
        #[target_feature(enable = $features)]
        pub(in super::super) unsafe fn q5_0<const R: usize>(
            w: &[u8],
            acts: &Acts,
            i0: usize,
            out: &mut Out,
        ) {
            // SAFETY: `blocks32` keeps `p` at a block of the group.
            unsafe {
                let low = splat8(0x0f);
                let fmt = Fmt32 {
                    bytes: S * Q5_0_X8_BYTES,
                    offset: 16,
                };
                blocks32::<R>(fmt, w, acts, i0, out, |p, q| {
                    // Columns 4q.. (low nibbles of quad q), then 16 + 4(q - 4)..
                    // (high nibbles of quad q - 4).
                    let v = load(p.add(S * (48 + 32 * (q % 4))));
                    let nib = and(if q >= 4 { srli16::<4>(v) } else { v }, low);
                    fifth(p.add(S * (16 + 4 * q)), nib)
                })
            }
        }

        /// Q8_0, one group in the [`super::super::q8_0_x8`] layout (per block:
        /// `d[G]` f16, `qs[8][G][4]` i8). The signed weights go through
        /// `vpdpbusd` as `w + 128` (the top bit flipped), the 128 coming off
        /// with the activation block's sum.
        ///
        /// # Safety
        /// As [`q5_0`].
        #[target_feature(enable = $features)]
        pub(in super::super) unsafe fn q8_0<const R: usize>(
            w: &[u8],
            acts: &Acts,
            i0: usize,
            out: &mut Out,
        ) {
            // SAFETY: `blocks32` keeps `p` at a block of the group.
            unsafe {
                let top = splat8(-128);
                let fmt = Fmt32 {
                    bytes: S * Q8_0_X8_BYTES,
                    offset: 128,
                };
                blocks32::<R>(fmt, w, acts, i0, out, |p, q| {
                    xor(load(p.add(S * (16 + 32 * q))), top)
                })
            }
        }
    };
}

/// Wrappers shared by the two 256-bit modules (all AVX2).
#[cfg(target_arch = "x86_64")]
mod ymm {
    pub(super) use std::arch::x86_64::*;
    pub(super) type V = __m256i;
    pub(super) type F = __m256;
    pub(super) const G: usize = 8;

    // SAFETY (every wrapper): called only from kernels compiled with AVX2,
    // FMA and F16C; pointers are inside a block, as the kernels check.
    #[inline(always)]
    pub(super) unsafe fn load(p: *const u8) -> V {
        unsafe { _mm256_loadu_si256(p as *const V) }
    }
    #[inline(always)]
    pub(super) unsafe fn zero() -> V {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    pub(super) unsafe fn splat8(x: i8) -> V {
        unsafe { _mm256_set1_epi8(x) }
    }
    #[inline(always)]
    pub(super) unsafe fn splat32(x: i32) -> V {
        unsafe { _mm256_set1_epi32(x) }
    }
    /// Four bytes at `p`, broadcast to every i32 lane.
    #[inline(always)]
    pub(super) unsafe fn bcast(p: *const i8) -> V {
        unsafe { _mm256_set1_epi32(std::ptr::read_unaligned(p as *const i32)) }
    }
    #[inline(always)]
    pub(super) unsafe fn and(a: V, b: V) -> V {
        unsafe { _mm256_and_si256(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn or(a: V, b: V) -> V {
        unsafe { _mm256_or_si256(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn xor(a: V, b: V) -> V {
        unsafe { _mm256_xor_si256(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn add32(a: V, b: V) -> V {
        unsafe { _mm256_add_epi32(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn sub32(a: V, b: V) -> V {
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn mullo32(a: V, b: V) -> V {
        unsafe { _mm256_mullo_epi32(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn srli16<const N: i32>(a: V) -> V {
        unsafe { _mm256_srli_epi16::<N>(a) }
    }
    #[inline(always)]
    pub(super) unsafe fn slli16<const N: i32>(a: V) -> V {
        unsafe { _mm256_slli_epi16::<N>(a) }
    }
    #[inline(always)]
    pub(super) unsafe fn slli32<const N: i32>(a: V) -> V {
        unsafe { _mm256_slli_epi32::<N>(a) }
    }
    /// Eight bytes at `p` (one per row) as i32 lanes, unsigned.
    #[inline(always)]
    pub(super) unsafe fn rows_u8(p: *const u8) -> V {
        unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(p as *const __m128i)) }
    }
    /// Eight bytes at `p` (one per row) as i32 lanes, signed.
    #[inline(always)]
    pub(super) unsafe fn rows_i8(p: *const u8) -> V {
        unsafe { _mm256_cvtepi8_epi32(_mm_loadl_epi64(p as *const __m128i)) }
    }
    /// The rows' bytes at `a` and at `b` as i16 pairs `(a[r], b[r])`, one
    /// pair per i32 lane, for `vpdpwssd` with two activation sums.
    #[inline(always)]
    pub(super) unsafe fn pairs(a: *const u8, b: *const u8, signed: bool) -> V {
        unsafe {
            let x = _mm_unpacklo_epi8(
                _mm_loadl_epi64(a as *const __m128i),
                _mm_loadl_epi64(b as *const __m128i),
            );
            if signed {
                _mm256_cvtepi8_epi16(x)
            } else {
                _mm256_cvtepu8_epi16(x)
            }
        }
    }
    /// `nib` plus 16 in each byte whose bit is set in the 32 bits at `p`.
    #[inline(always)]
    pub(super) unsafe fn fifth(p: *const u8, nib: V) -> V {
        unsafe {
            _mm256_or_si256(
                nib,
                _mm256_and_si256(super::super::avx2::bits(p), _mm256_set1_epi8(16)),
            )
        }
    }
    #[inline(always)]
    pub(super) unsafe fn fzero() -> F {
        unsafe { _mm256_setzero_ps() }
    }
    #[inline(always)]
    pub(super) unsafe fn floadu(p: *const f32) -> F {
        unsafe { _mm256_loadu_ps(p) }
    }
    /// Eight f16 at `p`.
    #[inline(always)]
    pub(super) unsafe fn f16s(p: *const u8) -> F {
        unsafe { _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i)) }
    }
    #[inline(always)]
    pub(super) unsafe fn fsplat(x: f32) -> F {
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    pub(super) unsafe fn fmadd(a: F, b: F, c: F) -> F {
        unsafe { _mm256_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    pub(super) unsafe fn fnmadd(a: F, b: F, c: F) -> F {
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    pub(super) unsafe fn fmul(a: F, b: F) -> F {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    pub(super) unsafe fn cvt(a: V) -> F {
        unsafe { _mm256_cvtepi32_ps(a) }
    }
    #[inline(always)]
    pub(super) unsafe fn fstore(p: *mut f32, a: F) {
        unsafe { _mm256_storeu_ps(p, a) }
    }
}

/// AVX-512 VNNI on 512-bit registers, over sixteen-row groups ([`super::x16`]).
#[cfg(target_arch = "x86_64")]
pub(super) mod zmm {
    use std::arch::x86_64::*;
    type V = __m512i;
    type F = __m512;
    pub(in super::super) const G: usize = 16;
    const T: usize = super::TILE8;
    /// Most rows for Q6_K's four chains per row; beyond, whether its
    /// unpacked vectors are held in registers across the rows.
    const WIDE: usize = 4;
    const HOLD: bool = true;

    // SAFETY (every wrapper): called only from kernels compiled with
    // AVX-512 F/BW/VL/VNNI; pointers are inside a block, as the kernels check.
    #[inline(always)]
    unsafe fn load(p: *const u8) -> V {
        unsafe { _mm512_loadu_si512(p as *const _) }
    }
    #[inline(always)]
    unsafe fn zero() -> V {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    unsafe fn splat8(x: i8) -> V {
        unsafe { _mm512_set1_epi8(x) }
    }
    #[inline(always)]
    unsafe fn splat32(x: i32) -> V {
        unsafe { _mm512_set1_epi32(x) }
    }
    #[inline(always)]
    unsafe fn bcast(p: *const i8) -> V {
        unsafe { _mm512_set1_epi32(std::ptr::read_unaligned(p as *const i32)) }
    }
    #[inline(always)]
    unsafe fn and(a: V, b: V) -> V {
        unsafe { _mm512_and_si512(a, b) }
    }
    #[inline(always)]
    unsafe fn or(a: V, b: V) -> V {
        unsafe { _mm512_or_si512(a, b) }
    }
    #[inline(always)]
    unsafe fn xor(a: V, b: V) -> V {
        unsafe { _mm512_xor_si512(a, b) }
    }
    #[inline(always)]
    unsafe fn add32(a: V, b: V) -> V {
        unsafe { _mm512_add_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn sub32(a: V, b: V) -> V {
        unsafe { _mm512_sub_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn mullo32(a: V, b: V) -> V {
        unsafe { _mm512_mullo_epi32(a, b) }
    }
    #[inline(always)]
    unsafe fn srli16<const N: u32>(a: V) -> V {
        unsafe { _mm512_srli_epi16::<N>(a) }
    }
    #[inline(always)]
    unsafe fn slli16<const N: u32>(a: V) -> V {
        unsafe { _mm512_slli_epi16::<N>(a) }
    }
    #[inline(always)]
    unsafe fn slli32<const N: u32>(a: V) -> V {
        unsafe { _mm512_slli_epi32::<N>(a) }
    }
    #[inline(always)]
    unsafe fn dpbusd(acc: V, a: V, b: V) -> V {
        unsafe { _mm512_dpbusd_epi32(acc, a, b) }
    }
    #[inline(always)]
    unsafe fn dpwssd(acc: V, a: V, b: V) -> V {
        unsafe { _mm512_dpwssd_epi32(acc, a, b) }
    }
    /// Sixteen bytes at `p` (one per row) as i32 lanes, unsigned.
    #[inline(always)]
    unsafe fn rows_u8(p: *const u8) -> V {
        unsafe { _mm512_cvtepu8_epi32(_mm_loadu_si128(p as *const __m128i)) }
    }
    /// Sixteen bytes at `p` (one per row) as i32 lanes, signed.
    #[inline(always)]
    unsafe fn rows_i8(p: *const u8) -> V {
        unsafe { _mm512_cvtepi8_epi32(_mm_loadu_si128(p as *const __m128i)) }
    }
    /// The rows' bytes at `a` and at `b` as i16 pairs `(a[r], b[r])`.
    #[inline(always)]
    unsafe fn pairs(a: *const u8, b: *const u8, signed: bool) -> V {
        unsafe {
            let (x, y) = (
                _mm_loadu_si128(a as *const __m128i),
                _mm_loadu_si128(b as *const __m128i),
            );
            let v = _mm256_set_m128i(_mm_unpackhi_epi8(x, y), _mm_unpacklo_epi8(x, y));
            if signed {
                _mm512_cvtepi8_epi16(v)
            } else {
                _mm512_cvtepu8_epi16(v)
            }
        }
    }
    /// `nib` plus 16 in each byte whose bit is set in the 64 bits at `p`.
    #[inline(always)]
    unsafe fn fifth(p: *const u8, nib: V) -> V {
        unsafe {
            let bits = std::ptr::read_unaligned(p as *const u64);
            _mm512_mask_add_epi8(nib, bits, nib, _mm512_set1_epi8(16))
        }
    }
    #[inline(always)]
    unsafe fn fzero() -> F {
        unsafe { _mm512_setzero_ps() }
    }
    #[inline(always)]
    unsafe fn floadu(p: *const f32) -> F {
        unsafe { _mm512_loadu_ps(p) }
    }
    /// Sixteen f16 at `p`.
    #[inline(always)]
    unsafe fn f16s(p: *const u8) -> F {
        unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(p as *const __m256i)) }
    }
    #[inline(always)]
    unsafe fn fsplat(x: f32) -> F {
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn fmadd(a: F, b: F, c: F) -> F {
        unsafe { _mm512_fmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn fnmadd(a: F, b: F, c: F) -> F {
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    unsafe fn fmul(a: F, b: F) -> F {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    unsafe fn cvt(a: V) -> F {
        unsafe { _mm512_cvtepi32_ps(a) }
    }
    #[inline(always)]
    unsafe fn fstore(p: *mut f32, a: F) {
        unsafe { _mm512_storeu_ps(p, a) }
    }

    vnni_kernels!("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c");
}

/// AVX-512 VNNI on 256-bit registers (EVEX: 32 registers), over eight-row
/// groups.
#[cfg(target_arch = "x86_64")]
pub(super) mod evex {
    use super::ymm::*;
    const T: usize = super::TILE8;
    const WIDE: usize = 4;
    const HOLD: bool = true;

    // SAFETY: as `ymm`'s wrappers, in kernels with AVX-512 VL and VNNI.
    #[inline(always)]
    unsafe fn dpbusd(acc: V, a: V, b: V) -> V {
        unsafe { _mm256_dpbusd_epi32(acc, a, b) }
    }
    #[inline(always)]
    unsafe fn dpwssd(acc: V, a: V, b: V) -> V {
        unsafe { _mm256_dpwssd_epi32(acc, a, b) }
    }

    vnni_kernels!("avx512f,avx512vl,avx512vnni,avx2,fma,f16c");
}

/// AVX-VNNI (VEX: 16 registers, so four activation rows per call), over
/// eight-row groups.
#[cfg(target_arch = "x86_64")]
pub(super) mod vex {
    use super::ymm::*;
    pub(in super::super) const T: usize = 4;
    const WIDE: usize = 1;
    const HOLD: bool = false;

    // SAFETY: as `ymm`'s wrappers, in kernels with AVX-VNNI.
    #[inline(always)]
    unsafe fn dpbusd(acc: V, a: V, b: V) -> V {
        unsafe { _mm256_dpbusd_avx_epi32(acc, a, b) }
    }
    #[inline(always)]
    unsafe fn dpwssd(acc: V, a: V, b: V) -> V {
        unsafe { _mm256_dpwssd_avx_epi32(acc, a, b) }
    }

    vnni_kernels!("avxvnni,avx2,fma,f16c");
}
