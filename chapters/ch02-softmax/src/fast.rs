//! A fast exponential and a fast, stable log-sum-exp.
//!
//! [`fast_exp`] is a table-driven exponential (Tang's method): write
//! `x = (16 k + j) ln2 / 16 + r` with `|r| <= ln2 / 32`, so that
//! `e^x = 2^k · 2^(j/16) · e^r`; take `2^(j/16)` from a table of sixteen
//! values, `e^r` from a short Taylor polynomial, and `2^k` by writing the
//! exponent bits. [`fast_log_sum_exp`] sums `exp(z_i - c)` block by block
//! in a single pass over memory, with 32 independent accumulators so the
//! compiler (or the AVX-512 kernel) can work on many lanes at once.
//!
//! Every kernel (AVX-512, AVX2 with FMA, portable) performs the same
//! floating-point operations in the same order, so all give the same bits;
//! the tests check that on every kernel the running CPU has.

use crate::softmax::log_sum_exp;
use std::fmt;

// ANCHOR: exp_constants
/// `2^(j/16)` for `j = 0..16`, each correctly rounded to f64.
pub const EXP2_TABLE: [f64; 16] = [
    1.0,
    1.0442737824274138,
    1.0905077326652577,
    1.1387886347566916,
    1.189207115002721,
    1.241857812073484,
    1.2968395546510096,
    1.3542555469368927,
    std::f64::consts::SQRT_2,
    1.4768261459394993,
    1.5422108254079407,
    1.6104903319492543,
    1.681792830507429,
    1.7562521603732995,
    1.8340080864093424,
    1.9152065613971474,
];
/// `1.5 · 2^52`: adding it rounds a number below `2^51` in size to an
/// integer, which then sits in the low bits of the sum's mantissa.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// `16 / ln 2`.
const INV_STEP: f64 = 16.0 * std::f64::consts::LOG2_E;
/// `ln 2 / 16` split in two: a high part with 32 significant bits, so that
/// `k · STEP_HI` is exact for every `|k| < 2^21`, and the rest.
const STEP_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000) / 16.0;
const STEP_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76) / 16.0;
/// `1/(i+1)!` for `i = 0..7`: `e^r - 1 = r · Σ_i r^i/(i+1)!`, truncated
/// after `r^7/7!` (the next term is below `2e-18` for `|r| <= ln2/32`).
const TAYLOR: [f64; 7] = [
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
];
/// Below this `e^x` rounds to 0 and above the other it overflows; clamping
/// keeps the integer tricks in range and yields exactly 0 and `inf`.
const LOWEST: f64 = -746.0;
const HIGHEST: f64 = 710.0;
// ANCHOR_END: exp_constants

// ANCHOR: fast_exp
/// `e^x`, within one unit in the last place of `f64::exp` (the chapter
/// measures it).
///
/// Domain: every f64. `NaN` gives `NaN`; `x > ln(f64::MAX)` gives `inf`;
/// `x <= -745.1332191019412`, the largest double whose exponential rounds
/// to 0 (the next one up gives the smallest subnormal), gives 0, as
/// `f64::exp` does. A result in the subnormal range is rounded twice:
/// once when `2^(j/16) e^r` is formed, once more when it is scaled by
/// `2^k` into the subnormal range, where fewer bits are kept; the tests
/// bound the result there by one subnormal step of `f64::exp`.
#[inline(always)]
pub fn fast_exp(x: f64) -> f64 {
    // Clamp (NaN passes through both comparisons unchanged).
    let x = if LOWEST > x { LOWEST } else { x };
    let x = if HIGHEST < x { HIGHEST } else { x };
    // t = 16k + j rounded to an integer, carried in the low bits of t.
    let t = x.mul_add(INV_STEP, SHIFTER);
    let kj = t - SHIFTER;
    // r = x - (16k + j) ln2/16, in two exact-then-rounded steps.
    let r = (-kj).mul_add(STEP_HI, x);
    let r = (-kj).mul_add(STEP_LO, r);
    // e^r - 1 = r·u(r), u evaluated by Estrin's scheme (short dependency chains).
    let r2 = r * r;
    let p01 = TAYLOR[1].mul_add(r, TAYLOR[0]);
    let p23 = TAYLOR[3].mul_add(r, TAYLOR[2]);
    let p45 = TAYLOR[5].mul_add(r, TAYLOR[4]);
    let r4 = r2 * r2;
    let p03 = p23.mul_add(r2, p01);
    let p46 = TAYLOR[6].mul_add(r2, p45);
    let u = p46.mul_add(r4, p03);
    let q = r * u;
    // 2^(j/16) · e^r = T + T·q, then times 2^k.
    let bits = t.to_bits();
    let table = EXP2_TABLE[(bits & 15) as usize];
    let v = table.mul_add(q, table);
    let k = (bits as i64).wrapping_sub(SHIFTER.to_bits() as i64) >> 4;
    scale_by_power_of_two(v, k)
}

/// `v · 2^k` for `|k| <= 2044`, as two exact multiplications by powers of
/// two built from their exponent bits: only the last one can round (into
/// the subnormal range) or overflow (to `inf`).
#[inline(always)]
fn scale_by_power_of_two(v: f64, k: i64) -> f64 {
    let k1 = k >> 1;
    let k2 = k - k1;
    let pow2 = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    v * pow2(k1) * pow2(k2)
}
// ANCHOR_END: fast_exp

/// How many logits one block holds: 8 KiB, which stays in the L1 cache
/// when a block has to be summed twice.
pub const BLOCK: usize = 1024;
/// A block is summed against the running pivot `c` unless its largest
/// logit exceeds `c + JUMP`. Every accepted term is then at most `e^512`,
/// and a sum of `n` of them stays finite for any `n < e^197`.
pub const JUMP: f64 = 512.0;
/// Independent accumulators: four vectors of eight lanes.
const LANES: usize = 32;

// ANCHOR: blocked_lse
/// The one-pass blocked log-sum-exp, given a kernel `block(xs, c)` that
/// returns `(Σ exp(x - c), max x)` over a block.
///
/// The pivot `c` is the largest logit of the first block that has a finite
/// one; the sum `s` holds `Σ exp(z_i - c)` over the blocks seen. A block
/// whose maximum jumps more than [`JUMP`] above `c` (rare) moves the pivot
/// and is summed again. Inputs that are not all finite are passed to the
/// careful [`log_sum_exp`], which defines the policy.
#[inline(always)]
fn blocked_lse(z: &[f64], block: impl Fn(&[f64], f64) -> (f64, f64)) -> f64 {
    let mut c = f64::NEG_INFINITY;
    let mut s = 0.0;
    for xs in z.chunks(BLOCK) {
        let new_pivot = if c > f64::NEG_INFINITY {
            let (block_sum, block_max) = block(xs, c);
            if block_max <= c + JUMP {
                s += block_sum; // the usual case: one pass, no rescaling
                continue;
            }
            block_max
        } else {
            xs.iter()
                .fold(f64::NEG_INFINITY, |m, &x| if x > m { x } else { m })
        };
        if new_pivot == f64::NEG_INFINITY {
            continue; // a block of -inf and NaN only: NaN is caught below
        }
        if !new_pivot.is_finite() {
            return log_sum_exp(z); // a +inf logit
        }
        s = s * fast_exp(c - new_pivot) + block(xs, new_pivot).0;
        c = new_pivot;
    }
    let lse = c + s.ln();
    if lse.is_finite() { lse } else { log_sum_exp(z) } // NaN, empty or all -inf
}
// ANCHOR_END: blocked_lse

// ANCHOR: portable_block
/// The portable block kernel: 32 lanes of running sums and maxima.
#[inline(always)]
fn block_portable(xs: &[f64], c: f64) -> (f64, f64) {
    let mut sums = [0.0; LANES];
    let mut maxima = [f64::NEG_INFINITY; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for chunk in &mut chunks {
        for j in 0..LANES {
            let x = chunk[j];
            maxima[j] = if x > maxima[j] { x } else { maxima[j] };
            sums[j] += fast_exp(x - c);
        }
    }
    combine_lanes(&sums, &maxima, chunks.remainder(), c)
}
// ANCHOR_END: portable_block

/// Adds the 32 lane sums in a fixed tree order, takes the maximum of the
/// lane maxima, then handles the tail (fewer than 32 logits) one by one.
/// Every kernel ends with this same code, so all round identically.
#[inline(always)]
fn combine_lanes(sums: &[f64; LANES], maxima: &[f64; LANES], tail: &[f64], c: f64) -> (f64, f64) {
    let mut v = [0.0; 8];
    let mut max = f64::NEG_INFINITY;
    for j in 0..8 {
        v[j] = (sums[j] + sums[j + 8]) + (sums[j + 16] + sums[j + 24]);
        for g in 0..4 {
            let m = maxima[j + 8 * g];
            max = if m > max { m } else { max };
        }
    }
    let mut s = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
    for &x in tail {
        max = if x > max { x } else { max };
        s += fast_exp(x - c);
    }
    (s, max)
}

/// The implementations of [`fast_log_sum_exp`]: the same arithmetic, on
/// different instruction sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Explicit AVX-512 intrinsics, 8 lanes per instruction (`x86_64` with
    /// `avx512f`).
    Avx512,
    /// The portable code compiled for AVX2 with FMA (`x86_64`).
    Avx2Fma,
    /// The portable code for the compiled target. On a CPU without a fused
    /// multiply-add instruction it is exact but slow (`mul_add` is then a
    /// library call).
    Portable,
}

/// A kernel the running CPU cannot execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelUnavailable(pub Kernel);

impl fmt::Display for KernelUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} kernel needs instructions this CPU does not have",
            self.0.name()
        )
    }
}

impl std::error::Error for KernelUnavailable {}

impl Kernel {
    /// Every kernel, fastest first.
    pub const ALL: [Kernel; 3] = [Kernel::Avx512, Kernel::Avx2Fma, Kernel::Portable];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512 => "avx512",
            Kernel::Avx2Fma => "avx2+fma",
            Kernel::Portable => "portable",
        }
    }

    /// Whether the running CPU can execute this kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => avx512::Avx512::detect().is_some(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => avx2::Avx2Fma::detect().is_some(),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest kernel the running CPU can execute.
    pub fn best() -> Kernel {
        Kernel::ALL
            .into_iter()
            .find(|k| k.is_available())
            .unwrap_or(Kernel::Portable)
    }

    /// The kernels the running CPU can execute.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|k| k.is_available())
            .collect()
    }
}

/// `ln Σ exp(z_i)`, fast: one pass over memory, a vectorized exponential.
/// Same domain and policy as [`log_sum_exp`] (empty or all `-inf` gives
/// `-inf`, `NaN` wins, then `+inf`).
pub fn fast_log_sum_exp(z: &[f64]) -> f64 {
    // `best()` passed its CPU check; the portable fallback keeps this total.
    run_lse(Kernel::best(), z).unwrap_or_else(|_| blocked_lse(z, block_portable))
}

/// [`fast_log_sum_exp`] on a chosen kernel, or an error if the running CPU
/// cannot execute it.
pub fn fast_log_sum_exp_with(kernel: Kernel, z: &[f64]) -> Result<f64, KernelUnavailable> {
    run_lse(kernel, z)
}

/// [`fast_exp`] of every entry on a chosen kernel, or an error if the
/// running CPU cannot execute it.
pub fn fast_exp_all(kernel: Kernel, xs: &[f64]) -> Result<Vec<f64>, KernelUnavailable> {
    let mut out = vec![0.0; xs.len()];
    // The vector kernels can only be reached through a token that proves
    // the CPU check passed; no unsafe code out here.
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => avx512::Avx512::detect()
            .ok_or(KernelUnavailable(kernel))?
            .exp_all(xs, &mut out),
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma => avx2::Avx2Fma::detect()
            .ok_or(KernelUnavailable(kernel))?
            .exp_all(xs, &mut out),
        Kernel::Portable => exp_all_portable(xs, &mut out),
        #[cfg(not(target_arch = "x86_64"))]
        _ => return Err(KernelUnavailable(kernel)),
    }
    Ok(out)
}

// ANCHOR: logistic_descent
/// Chapter 7's gradient descent for logistic regression without bias, on
/// the AVX-512 kernel: `steps` times `w ← w + scale · Σ σ(-z_i·w) z_i`
/// with `σ(-m) = 1/(1 + e^m)`, over the points `z_i = (zx[i], zy[i])`.
/// It lives here because this file is the one allowed intrinsics.
///
/// Both slices must have the same length, a multiple of 16 (pad with
/// zero points: each adds exactly 0). The sum runs in sixteen lanes added
/// in a fixed tree order; the reciprocal is `vrcp14pd` and two Newton
/// steps (within about one ulp), and `e^m = inf` gives `σ = 0`, as the
/// division does. `None` if the running CPU lacks AVX-512F.
pub fn logistic_descent_2d(
    zx: &[f64],
    zy: &[f64],
    w0: [f64; 2],
    scale: f64,
    steps: usize,
) -> Option<[f64; 2]> {
    assert!(
        zx.len() == zy.len() && zx.len().is_multiple_of(16),
        "logistic_descent_2d needs two slices of one length, a multiple of 16"
    );
    #[cfg(target_arch = "x86_64")]
    {
        avx512::Avx512::detect().map(|cpu| cpu.logistic_descent(zx, zy, w0, scale, steps))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (zx, zy, w0, scale, steps);
        None
    }
}
// ANCHOR_END: logistic_descent

fn run_lse(kernel: Kernel, z: &[f64]) -> Result<f64, KernelUnavailable> {
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => avx512::Avx512::detect()
            .map(|cpu| cpu.lse(z))
            .ok_or(KernelUnavailable(kernel)),
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma => avx2::Avx2Fma::detect()
            .map(|cpu| cpu.lse(z))
            .ok_or(KernelUnavailable(kernel)),
        Kernel::Portable => Ok(blocked_lse(z, block_portable)),
        #[cfg(not(target_arch = "x86_64"))]
        _ => Err(KernelUnavailable(kernel)),
    }
}

#[inline(always)]
fn exp_all_portable(xs: &[f64], out: &mut [f64]) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = fast_exp(x);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The portable code compiled for AVX2 with FMA.
    #![allow(unsafe_code)] // calling `#[target_feature]` functions

    use super::*;

    /// Proof that the running CPU has AVX2 and FMA: only [`Avx2Fma::detect`]
    /// makes one, so the kernels below cannot run on a CPU without them.
    #[derive(Clone, Copy, Debug)]
    pub(super) struct Avx2Fma(());

    impl Avx2Fma {
        pub(super) fn detect() -> Option<Avx2Fma> {
            (std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma"))
            .then_some(Avx2Fma(()))
        }

        pub(super) fn lse(self, z: &[f64]) -> f64 {
            // SAFETY: `self` exists, so `detect` found AVX2 and FMA.
            unsafe { lse(z) }
        }

        pub(super) fn exp_all(self, xs: &[f64], out: &mut [f64]) {
            // SAFETY: `self` exists, so `detect` found AVX2 and FMA.
            unsafe { exp_all(xs, out) }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    fn lse(z: &[f64]) -> f64 {
        // A closure, not the function item: the closure inherits the target
        // features, so `mul_add` becomes an FMA instruction inside it (passing
        // `block_portable` itself runs about fifteen times slower).
        #[allow(clippy::redundant_closure)]
        blocked_lse(z, |xs, c| block_portable(xs, c))
    }

    #[target_feature(enable = "avx2,fma")]
    fn exp_all(xs: &[f64], out: &mut [f64]) {
        exp_all_portable(xs, out)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! The AVX-512 kernel: [`super::fast_exp`] on eight lanes per
    //! instruction. `_mm512_permutex2var_pd` looks the sixteen-entry table
    //! up in registers; `_mm512_scalef_pd` multiplies by `2^floor(k)` with
    //! one rounding, exactly as the two power-of-two products do.
    // Unsafe code is allowed here and in `avx2` only (the workspace denies
    // it): intrinsics that read and write through raw pointers, and calls
    // into `#[target_feature]` code, each behind a CPU check.
    #![allow(unsafe_code)]

    use super::*;
    use std::arch::x86_64::*;

    /// Proof that the running CPU has AVX-512F: only [`Avx512::detect`]
    /// makes one, so the kernel cannot run on a CPU without it.
    #[derive(Clone, Copy, Debug)]
    pub(super) struct Avx512(());

    impl Avx512 {
        pub(super) fn detect() -> Option<Avx512> {
            std::arch::is_x86_feature_detected!("avx512f").then_some(Avx512(()))
        }

        pub(super) fn lse(self, z: &[f64]) -> f64 {
            // SAFETY: `self` exists, so `detect` found AVX-512F.
            unsafe { lse(z) }
        }

        pub(super) fn exp_all(self, xs: &[f64], out: &mut [f64]) {
            // SAFETY: `self` exists, so `detect` found AVX-512F.
            unsafe { exp_all(xs, out) }
        }

        pub(super) fn logistic_descent(
            self,
            zx: &[f64],
            zy: &[f64],
            w0: [f64; 2],
            scale: f64,
            steps: usize,
        ) -> [f64; 2] {
            // SAFETY: `self` exists, so `detect` found AVX-512F.
            unsafe { logistic_descent(zx, zy, w0, scale, steps) }
        }
    }

    // ANCHOR: avx512_exp
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn exp8(x: __m512d, table_lo: __m512d, table_hi: __m512d) -> __m512d {
        let splat = _mm512_set1_pd;
        let x = _mm512_max_pd(splat(LOWEST), x); // NaN passes through
        let x = _mm512_min_pd(splat(HIGHEST), x);
        let t = _mm512_fmadd_pd(x, splat(INV_STEP), splat(SHIFTER));
        let kj = _mm512_sub_pd(t, splat(SHIFTER));
        let r = _mm512_fnmadd_pd(kj, splat(STEP_HI), x);
        let r = _mm512_fnmadd_pd(kj, splat(STEP_LO), r);
        let r2 = _mm512_mul_pd(r, r);
        let p01 = _mm512_fmadd_pd(splat(TAYLOR[1]), r, splat(TAYLOR[0]));
        let p23 = _mm512_fmadd_pd(splat(TAYLOR[3]), r, splat(TAYLOR[2]));
        let p45 = _mm512_fmadd_pd(splat(TAYLOR[5]), r, splat(TAYLOR[4]));
        let r4 = _mm512_mul_pd(r2, r2);
        let p03 = _mm512_fmadd_pd(p23, r2, p01);
        let p46 = _mm512_fmadd_pd(splat(TAYLOR[6]), r2, p45);
        let u = _mm512_fmadd_pd(p46, r4, p03);
        let q = _mm512_mul_pd(r, u);
        // The low four bits of t are j: pick 2^(j/16) from the two table halves.
        let table = _mm512_permutex2var_pd(table_lo, _mm512_castpd_si512(t), table_hi);
        let v = _mm512_fmadd_pd(table, q, table);
        _mm512_scalef_pd(v, _mm512_mul_pd(kj, splat(1.0 / 16.0))) // v · 2^floor(kj/16)
    }
    // ANCHOR_END: avx512_exp

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn tables() -> (__m512d, __m512d) {
        // SAFETY: EXP2_TABLE has 16 entries; each load reads 8 of them.
        unsafe {
            (
                _mm512_loadu_pd(EXP2_TABLE.as_ptr()),
                _mm512_loadu_pd(EXP2_TABLE.as_ptr().add(8)),
            )
        }
    }

    /// The block kernel: four vectors of eight lanes, like the portable one.
    #[target_feature(enable = "avx512f")]
    fn block(xs: &[f64], c: f64) -> (f64, f64) {
        let (lo, hi) = tables();
        let cv = _mm512_set1_pd(c);
        let mut s = [_mm512_setzero_pd(); 4];
        let mut m = [_mm512_set1_pd(f64::NEG_INFINITY); 4];
        let mut chunks = xs.chunks_exact(LANES);
        for chunk in &mut chunks {
            for g in 0..4 {
                // SAFETY: the chunk has 32 entries; this reads entries 8g..8g+8.
                let x = unsafe { _mm512_loadu_pd(chunk.as_ptr().add(8 * g)) };
                m[g] = _mm512_max_pd(x, m[g]); // x > m ? x : m, as the portable code
                s[g] = _mm512_add_pd(s[g], exp8(_mm512_sub_pd(x, cv), lo, hi));
            }
        }
        let mut sums = [0.0; LANES];
        let mut maxima = [0.0; LANES];
        for g in 0..4 {
            // SAFETY: each store writes 8 of the 32 entries.
            unsafe {
                _mm512_storeu_pd(sums.as_mut_ptr().add(8 * g), s[g]);
                _mm512_storeu_pd(maxima.as_mut_ptr().add(8 * g), m[g]);
            }
        }
        combine_lanes(&sums, &maxima, chunks.remainder(), c)
    }

    #[target_feature(enable = "avx512f")]
    fn lse(z: &[f64]) -> f64 {
        blocked_lse(z, |xs, c| block(xs, c))
    }

    #[target_feature(enable = "avx512f")]
    fn exp_all(xs: &[f64], out: &mut [f64]) {
        let (lo, hi) = tables();
        let mut inputs = xs.chunks_exact(8);
        let mut outputs = out.chunks_exact_mut(8);
        for (x, o) in (&mut inputs).zip(&mut outputs) {
            // SAFETY: both chunks have exactly 8 entries.
            unsafe { _mm512_storeu_pd(o.as_mut_ptr(), exp8(_mm512_loadu_pd(x.as_ptr()), lo, hi)) };
        }
        for (o, &x) in outputs.into_remainder().iter_mut().zip(inputs.remainder()) {
            *o = fast_exp(x);
        }
    }
    /// `1/d` for finite `d >= 1` (NaN stays NaN): the 14-bit estimate, then
    /// two Newton steps `y ← y + y(1 - d y)` (14, 28, then about 53 bits).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn reciprocal_finite(d: __m512d) -> __m512d {
        let one = _mm512_set1_pd(1.0);
        let y = _mm512_rcp14_pd(d);
        let y = _mm512_fmadd_pd(y, _mm512_fnmadd_pd(d, y, one), y);
        _mm512_fmadd_pd(y, _mm512_fnmadd_pd(d, y, one), y)
    }

    /// See [`super::logistic_descent_2d`]: two vectors of eight lanes per
    /// coordinate, one fused pass over the points per step.
    #[target_feature(enable = "avx512f")]
    fn logistic_descent(
        zx: &[f64],
        zy: &[f64],
        w0: [f64; 2],
        scale: f64,
        steps: usize,
    ) -> [f64; 2] {
        let (lo, hi) = tables();
        let one = _mm512_set1_pd(1.0);
        let cap = _mm512_set1_pd(709.0);
        let mut w = w0;
        for _ in 0..steps {
            let (wx, wy) = (_mm512_set1_pd(w[0]), _mm512_set1_pd(w[1]));
            let mut gx = [_mm512_setzero_pd(); 2];
            let mut gy = [_mm512_setzero_pd(); 2];
            for (cx, cy) in zx.chunks_exact(16).zip(zy.chunks_exact(16)) {
                for h in 0..2 {
                    // SAFETY: both chunks have 16 entries; this reads 8h..8h+8.
                    let (x, y) = unsafe {
                        (
                            _mm512_loadu_pd(cx.as_ptr().add(8 * h)),
                            _mm512_loadu_pd(cy.as_ptr().add(8 * h)),
                        )
                    };
                    let margin = _mm512_fmadd_pd(x, wx, _mm512_mul_pd(y, wy));
                    // e^709 is finite, so 1 + e^m never overflows and the
                    // reciprocal needs no infinity mask; σ(−709) ≈ 1e-308
                    // is below anything the sum can resolve. `min(709, m)`
                    // in this order returns m when m is NaN.
                    let m = _mm512_min_pd(cap, margin);
                    let s = reciprocal_finite(_mm512_add_pd(one, exp8(m, lo, hi)));
                    gx[h] = _mm512_fmadd_pd(s, x, gx[h]);
                    gy[h] = _mm512_fmadd_pd(s, y, gy[h]);
                }
            }
            // The same tree as the portable code: lane j + lane j+8, then
            // pairs four apart, two apart, one apart.
            let g = [gx, gy].map(|v| {
                let mut lanes = [0.0; 8];
                // SAFETY: the store writes the 8 entries of `lanes`.
                unsafe { _mm512_storeu_pd(lanes.as_mut_ptr(), _mm512_add_pd(v[0], v[1])) };
                let q = [
                    lanes[0] + lanes[4],
                    lanes[1] + lanes[5],
                    lanes[2] + lanes[6],
                    lanes[3] + lanes[7],
                ];
                (q[0] + q[2]) + (q[1] + q[3])
            });
            w[0] += scale * g[0];
            w[1] += scale * g[1];
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accuracy::{log_sum_exp_compensated, ulp_distance};
    use book_support::rand::RngExt;

    #[test]
    fn constants_are_what_they_claim() {
        for (j, &t) in EXP2_TABLE.iter().enumerate() {
            assert!(
                ulp_distance(t, (j as f64 / 16.0).exp2()) <= 1,
                "table entry {j}"
            );
            assert!((t.powi(16) / 2f64.powi(j as i32) - 1.0).abs() < 1e-14);
        }
        // STEP_HI has at least 21 trailing zero bits, so k·STEP_HI is exact for |k| < 2^21.
        assert!(STEP_HI.to_bits().trailing_zeros() >= 21);
        let ln2 = 16.0 * (STEP_HI + STEP_LO);
        assert_eq!(ln2, std::f64::consts::LN_2);
        assert_eq!(SHIFTER, 1.5 * 2f64.powi(52));
        for (i, &c) in TAYLOR.iter().enumerate() {
            let factorial: f64 = (1..=i + 1).map(|v| v as f64).product();
            assert!((c * factorial - 1.0).abs() < 1e-15);
        }
    }

    #[test]
    fn fast_exp_special_values() {
        assert!(fast_exp(f64::NAN).is_nan());
        assert_eq!(fast_exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(fast_exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(fast_exp(0.0), 1.0);
        assert_eq!(fast_exp(-0.0), 1.0);
        assert_eq!(fast_exp(f64::MAX.ln()), f64::MAX.ln().exp());
        assert_eq!(fast_exp(709.79), f64::INFINITY);
        assert_eq!(fast_exp(1e300), f64::INFINITY);
        assert_eq!(fast_exp(-745.2), 0.0);
        assert_eq!(fast_exp(-1e300), 0.0);
        assert_eq!(fast_exp(-745.0), f64::from_bits(1)); // the smallest subnormal
        // The two doubles either side of ln 2^-1075, where rounding to
        // nearest switches from 0 to the smallest subnormal.
        let last_zero = -745.1332191019412f64;
        assert_eq!(fast_exp(last_zero), 0.0);
        assert_eq!(fast_exp(last_zero.next_up()), f64::from_bits(1));
        assert_eq!(last_zero.exp(), 0.0);
        assert_eq!(last_zero.next_up().exp(), f64::from_bits(1));
    }

    #[test]
    fn fast_exp_in_the_subnormal_range_is_off_by_at_most_one_step() {
        for i in 0..20_000 {
            let x = -745.2 + 37.0 * i as f64 / 20_000.0;
            assert!(ulp_distance(fast_exp(x), x.exp()) <= 1, "x = {x}");
        }
    }

    #[test]
    fn fast_exp_is_within_one_ulp_on_random_points() {
        let mut rng = book_support::seeded(2);
        for _ in 0..100_000 {
            let x = rng.random_range(-745.0..709.78);
            assert!(ulp_distance(fast_exp(x), x.exp()) <= 1, "x = {x}");
        }
    }

    #[test]
    fn every_kernel_gives_the_same_bits() {
        let mut rng = book_support::seeded(3);
        let mut xs: Vec<f64> = (0..20_011)
            .map(|_| rng.random_range(-800.0..800.0))
            .collect();
        xs.extend([
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            709.78,
            -745.0,
        ]);
        let reference: Vec<u64> = xs.iter().map(|&x| fast_exp(x).to_bits()).collect();
        let canonical = |v: f64| {
            if v.is_nan() {
                f64::NAN.to_bits()
            } else {
                v.to_bits()
            }
        };
        for kernel in Kernel::available() {
            let out: Vec<u64> = fast_exp_all(kernel, &xs)
                .unwrap()
                .into_iter()
                .map(canonical)
                .collect();
            let expected: Vec<u64> = reference
                .iter()
                .map(|&b| canonical(f64::from_bits(b)))
                .collect();
            assert_eq!(out, expected, "{kernel:?}");
            for scale in [1.0, 30.0, 1000.0] {
                for len in [0, 1, 31, 32, 33, 1023, 1024, 1025, 5000] {
                    let z: Vec<f64> = xs[..len].iter().map(|v| v / 800.0 * scale).collect();
                    let a = fast_log_sum_exp_with(kernel, &z).unwrap();
                    let b = fast_log_sum_exp_with(Kernel::Portable, &z).unwrap();
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{kernel:?} len {len} scale {scale}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_lse_follows_the_policy() {
        for kernel in Kernel::available() {
            let f = |z: &[f64]| fast_log_sum_exp_with(kernel, z).unwrap();
            assert_eq!(f(&[]), f64::NEG_INFINITY);
            assert_eq!(f(&vec![f64::NEG_INFINITY; 3000]), f64::NEG_INFINITY);
            let mut z = vec![1.0; 3000];
            z[2500] = f64::INFINITY;
            assert_eq!(f(&z), f64::INFINITY);
            z[100] = f64::NAN;
            assert!(f(&z).is_nan());
            z[2500] = 0.0;
            assert!(f(&z).is_nan());
            // Masks: leading blocks of -inf, then finite values.
            let mut z = vec![f64::NEG_INFINITY; 2500];
            z.extend([0.0, 0.0]);
            assert_eq!(f(&z), std::f64::consts::LN_2);
        }
    }

    #[test]
    fn fast_lse_survives_jumps_between_blocks() {
        // Blocks whose maxima rise by more than JUMP force the pivot to move.
        let mut z = Vec::new();
        for b in 0..6 {
            z.extend((0..BLOCK).map(|i| 600.0 * b as f64 - 1e-3 * i as f64));
        }
        z.push(-1e308);
        for kernel in Kernel::available() {
            let fast = fast_log_sum_exp_with(kernel, &z).unwrap();
            let careful = log_sum_exp_compensated(&z);
            assert!(
                (fast - careful).abs() <= 4.0 * f64::EPSILON * careful.abs(),
                "{fast} vs {careful}"
            );
            let portable = fast_log_sum_exp_with(Kernel::Portable, &z).unwrap();
            assert_eq!(fast.to_bits(), portable.to_bits(), "{kernel:?}");
        }
    }

    #[test]
    fn fast_lse_matches_the_careful_reference_on_small_inputs() {
        let mut rng = book_support::seeded(4);
        for _ in 0..2000 {
            let n = rng.random_range(1..80);
            let scale = 10f64.powf(rng.random_range(-3.0..3.0));
            let z: Vec<f64> = (0..n)
                .map(|_| scale * rng.random_range(-1.0..1.0))
                .collect();
            let fast = fast_log_sum_exp(&z);
            let careful = log_sum_exp_compensated(&z);
            assert!(
                (fast - careful).abs() <= 8.0 * f64::EPSILON * careful.abs().max(1.0),
                "{z:?}"
            );
        }
    }

    #[test]
    fn unavailable_kernels_are_reported() {
        for kernel in Kernel::ALL {
            if !kernel.is_available() {
                let e = fast_log_sum_exp_with(kernel, &[1.0]).unwrap_err();
                assert!(e.to_string().contains(kernel.name()));
                assert!(fast_exp_all(kernel, &[1.0]).is_err());
            }
        }
        assert!(Kernel::Portable.is_available());
        assert!(Kernel::best().is_available());
    }
}
