//! Branch-free f32 versions of the transcendental functions the vocoder needs per bin and
//! sample (`exp`, `tanh`, `sin`/`cos`, `ln`).
//!
//! They are written so that the compiler vectorizes the loops that call them: no table
//! look-ups, no library calls (rounding uses the 1.5·2²³ trick instead of `round`/`floor`,
//! which are library calls on baseline x86-64), selections instead of branches. Accuracy is a
//! few units in the last place over the ranges the vocoder uses (checked in the tests against
//! the standard library), far below what 16-bit audio can show.

/// Adding this to an f32 of magnitude below 2²² rounds it to the nearest integer (ties to
/// even); the integer sits in the low mantissa bits.
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `x` rounded to the nearest integer, as an f32 and as an i32 (`|x| < 2²²`).
#[inline(always)]
fn round_int(x: f32) -> (f32, i32) {
    let y = x + ROUND_MAGIC;
    let n = y.to_bits() as i32 - ROUND_MAGIC.to_bits() as i32;
    (y - ROUND_MAGIC, n)
}

/// `floor(x)` for `0 <= x < 2²²`.
#[inline(always)]
pub fn floor_small(x: f32) -> f32 {
    let (r, _) = round_int(x);
    if r > x { r - 1.0 } else { r }
}

/// `eˣ`, with `x` clamped to [-87, 88] (results stay normal floats).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n·LN2_HI is exact for the n that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let (n, ni) = round_int(x * LOG2_E);
    let r = x - n * LN2_HI - n * LN2_LO;
    // Taylor series of eʳ on |r| <= ln2/2 (truncation < 2e-7 relative).
    let p = 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    p * f32::from_bits(((ni + 127) as u32) << 23)
}

/// `tanh(x)` (absolute error ~1e-7).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp(2.0 * x.clamp(-10.0, 10.0));
    (e - 1.0) / (e + 1.0)
}

/// `(sin x, cos x)` for `x` in [-π, π].
#[inline(always)]
pub fn sin_cos_pi(x: f32) -> (f32, f32) {
    use std::f32::consts::{FRAC_PI_2, PI};
    // Fold into [-π/2, π/2]: sin(π - x) = sin x, cos(π - x) = -cos x (and the mirror image).
    let y = if x > FRAC_PI_2 {
        PI - x
    } else if x < -FRAC_PI_2 {
        -PI - x
    } else {
        x
    };
    let cos_sign = if x.abs() > FRAC_PI_2 { -1.0 } else { 1.0 };
    let y2 = y * y;
    // Taylor series to degree 11 / 12 (truncation < 6e-8 on [-π/2, π/2]).
    let s = -1.0 / 39_916_800.0;
    let s = s * y2 + 1.0 / 362_880.0;
    let s = s * y2 - 1.0 / 5_040.0;
    let s = s * y2 + 1.0 / 120.0;
    let s = s * y2 - 1.0 / 6.0;
    let s = s * y2 + 1.0;
    let c = 1.0 / 479_001_600.0;
    let c = c * y2 - 1.0 / 3_628_800.0;
    let c = c * y2 + 1.0 / 40_320.0;
    let c = c * y2 - 1.0 / 720.0;
    let c = c * y2 + 1.0 / 24.0;
    let c = c * y2 - 0.5;
    let c = c * y2 + 1.0;
    (s * y, c * cos_sign)
}

/// `x` reduced into [-π, π] (for `|x|` up to a few thousand radians).
#[inline(always)]
pub fn wrap_pi(x: f32) -> f32 {
    // 2π split so that k·TAU_HI is exact for |k| < 2¹⁶.
    const TAU_HI: f32 = 6.281_25;
    const TAU_LO: f32 = 1.935_307_2e-3;
    let (k, _) = round_int(x * (1.0 / std::f32::consts::TAU));
    x - k * TAU_HI - k * TAU_LO
}

/// `(sin x, cos x)` for any moderate `x`.
#[inline(always)]
pub fn sin_cos(x: f32) -> (f32, f32) {
    sin_cos_pi(wrap_pi(x))
}

/// `sin x` for any moderate `x`.
#[inline(always)]
pub fn sin(x: f32) -> f32 {
    sin_cos(x).0
}

/// Natural logarithm for positive normal `x`.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    use std::f32::consts::{LN_2, SQRT_2};
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    // Mantissa in [1, 2), then into [√½, √2) so the series below converges fast.
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = if big { e + 1 } else { e } as f32;
    // ln m = 2·atanh(s), s = (m - 1)/(m + 1), |s| < 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = 1.0 / 9.0;
    let p = p * s2 + 1.0 / 7.0;
    let p = p * s2 + 1.0 / 5.0;
    let p = p * s2 + 1.0 / 3.0;
    let p = p * s2 + 1.0;
    e * LN_2 + 2.0 * s * p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(lo: f32, hi: f32, n: usize) -> impl Iterator<Item = f32> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f32 / n as f32)
    }

    #[test]
    fn exp_is_accurate() {
        for x in grid(-80.0, 7.0, 100_000) {
            let (a, b) = (exp(x), x.exp());
            assert!((a - b).abs() <= 4e-7 * b, "{x}: {a} vs {b}");
        }
        assert!(exp(-1000.0) > 0.0 && exp(-1000.0) < 1e-37);
    }

    #[test]
    fn tanh_is_accurate() {
        for x in grid(-20.0, 20.0, 100_000) {
            assert!((tanh(x) - x.tanh()).abs() < 3e-7, "{x}");
        }
    }

    #[test]
    fn sin_cos_are_accurate() {
        for x in grid(-2000.0, 2000.0, 1_000_000) {
            let (s, c) = sin_cos(x);
            let xd = f64::from(x);
            // The reduction's error grows with |x| (as f32 rounding of x itself does).
            let tol = 3e-7 + 2e-10 * x.abs();
            assert!((f64::from(s) - xd.sin()).abs() < f64::from(tol), "sin {x}");
            assert!((f64::from(c) - xd.cos()).abs() < f64::from(tol), "cos {x}");
        }
        for x in grid(-std::f32::consts::PI, std::f32::consts::PI, 100_000) {
            let (s, c) = sin_cos_pi(x);
            assert!(
                (s - x.sin()).abs() < 2.5e-7 && (c - x.cos()).abs() < 2.5e-7,
                "{x}"
            );
        }
        // Relative accuracy near zero (the pulse train divides by sin(t/2)).
        for x in grid(1e-6, 1e-2, 10_000) {
            assert!((sin(x) - x.sin()).abs() <= 2e-7 * x, "{x}");
        }
    }

    #[test]
    fn ln_and_floor_are_accurate() {
        for x in grid(1e-7, 1.0, 100_000).chain(grid(1.0, 1e6, 100_000)) {
            let (a, b) = (ln(x), f64::from(x).ln());
            assert!((f64::from(a) - b).abs() < 3e-7 * b.abs().max(1.0), "{x}");
        }
        for x in grid(0.0, 300.0, 100_000) {
            assert_eq!(floor_small(x), x.floor(), "{x}");
        }
    }
}
