//! Narrow binary floating-point formats, emulated in `f64`: rounding a
//! double to single precision, bfloat16 or IEEE half precision with
//! round-to-nearest, ties to even, as the hardware does.

use crate::experiments::last_true;

// ANCHOR: format
/// A binary floating-point format: `precision` significand bits (the
/// implicit leading one included) and largest exponent `emax`, with
/// subnormals below `2^(1 - emax)` and `±inf` beyond the largest value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    /// Significand bits, the leading one included (24 for `f32`).
    pub precision: i32,
    /// The exponent of the largest binade (127 for `f32`).
    pub emax: i32,
}

impl Format {
    /// IEEE single precision (`f32`).
    pub const F32: Format = Format {
        precision: 24,
        emax: 127,
    };
    /// bfloat16: the eight exponent bits of `f32`, eight significand bits.
    pub const BF16: Format = Format {
        precision: 8,
        emax: 127,
    };
    /// IEEE half precision (fp16): five exponent bits, eleven significand bits.
    pub const F16: Format = Format {
        precision: 11,
        emax: 15,
    };

    /// The largest finite value, `(2 - 2^(1 - precision)) 2^emax`.
    pub fn max(self) -> f64 {
        (2.0 - 2f64.powi(1 - self.precision)) * 2f64.powi(self.emax)
    }

    /// `x` rounded to the nearest value of the format (ties to the even
    /// significand); magnitudes at or beyond `max + ulp/2` become `±inf`.
    /// NaN, infinities and zeros are returned unchanged.
    pub fn round(self, x: f64) -> f64 {
        if !x.is_finite() || x == 0.0 {
            return x;
        }
        // The binade of |x| (exact: read from the bits of a normal double;
        // f64 subnormals lie far below every format here and land on zero).
        let binade = if x.abs() < f64::MIN_POSITIVE {
            -1023
        } else {
            ((x.to_bits() >> 52) & 0x7ff) as i32 - 1023
        };
        // The spacing of the format's values there; below the smallest
        // normal binade the spacing stays fixed (subnormals).
        let spacing = 2f64.powi(binade.max(1 - self.emax) - (self.precision - 1));
        // Division and multiplication by a power of two are exact.
        let rounded = (x / spacing).round_ties_even() * spacing;
        if rounded.abs() > self.max() {
            rounded.signum() * f64::INFINITY
        } else {
            rounded
        }
    }
}
// ANCHOR_END: format

// ANCHOR: exp_limits
impl Format {
    /// The largest double `x` whose exponential, computed in `f64` and
    /// rounded to this format, is finite: the measured overflow threshold
    /// (theory: `ln(max + ulp/2)`), found by bisection.
    pub fn exp_overflow_threshold(self) -> Option<f64> {
        last_true(|x| self.round(x.exp()).is_finite(), 0.0, 1000.0)
    }

    /// The largest input stored in this format whose exponential, rounded
    /// to the format, is finite.
    pub fn largest_input_with_finite_exp(self) -> Option<f64> {
        let finite = |x: f64| self.round(self.round(x).exp()).is_finite();
        last_true(finite, 0.0, 1000.0).map(|x| self.round(x))
    }
}
// ANCHOR_END: exp_limits

#[cfg(test)]
mod tests {
    use super::*;
    use book_support::rand::RngExt;

    #[test]
    fn single_precision_matches_the_hardware_cast() {
        // Rust's `as f32` rounds to nearest, ties to even: the emulation
        // must agree on every draw, normal, subnormal and overflowing.
        let mut rng = book_support::seeded(3);
        for _ in 0..200_000 {
            let exponent = rng.random_range(-160.0..130.0);
            let x = rng.random_range(-1.0..1.0) * 2f64.powf(exponent);
            assert_eq!(Format::F32.round(x), x as f32 as f64, "x = {x:e}");
        }
        // Ties: halfway between 1 and the next f32 goes to 1 (even), and
        // f32::MAX + half an ulp overflows.
        assert_eq!(Format::F32.round(1.0 + 2f64.powi(-24)), 1.0);
        let half_ulp = 2f64.powi(127 - 24);
        assert_eq!(Format::F32.round(f32::MAX as f64 + half_ulp), f64::INFINITY);
        assert_eq!(Format::F32.max(), f32::MAX as f64);
    }

    #[test]
    fn sixteen_bit_formats() {
        assert_eq!(Format::F16.max(), 65504.0);
        // Near 65504 fp16's values are 32 apart: 65519 rounds down, 65520
        // (the tie, odd significand below) rounds up to infinity.
        assert_eq!(Format::F16.round(65519.0), 65504.0);
        assert_eq!(Format::F16.round(65520.0), f64::INFINITY);
        assert_eq!(Format::F16.round(-65520.0), f64::NEG_INFINITY);
        // The smallest subnormal is 2^-24; half of it ties to zero.
        assert_eq!(Format::F16.round(2f64.powi(-24)), 2f64.powi(-24));
        assert_eq!(Format::F16.round(2f64.powi(-25)), 0.0);
        // bfloat16 near 88 has a spacing of one half.
        assert_eq!(Format::BF16.round(88.7), 88.5);
        assert_eq!(Format::BF16.round(88.75), 89.0);
        assert!(Format::BF16.round(f64::NAN).is_nan());
    }
}
