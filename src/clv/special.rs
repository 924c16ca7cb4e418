//! Special functions the CLV models need: ln Γ, digamma ψ, ln B, and the Gauss
//! hypergeometric function ₂F₁ for real arguments with z < 1.
//!
//! No Rust crate offers a ₂F₁ that is both maintained and accurate near z → 1 and for large
//! parameters, so it is written here and tested against mpmath at 30 digits
//! (`tests/data/clv_reference.json`, made by `tools/reference/make_reference.py`).
//!
//! ₂F₁ strategy, for real a, b, c (c not a non-positive integer) and z < 1:
//! * z < 0: one of Pfaff's transformations, e.g. 2F1(a,b;c;z) = (1−z)^(−a) 2F1(a, c−b; c;
//!   z/(z−1)), moves the argument into [0, 1); the form whose series has only positive terms
//!   is preferred, and for z < −1 without such a form, the 1/z formula (A & S 15.3.7);
//! * 0 ≤ w < 1 − 4e-4: the defining series, summed (rescaled, compensated) until the terms
//!   stop mattering. It needs about 40/(1−w) terms past its peak, and unlike the
//!   transformations below it has no cancellation, which matters for parameters in the
//!   hundreds (where the 1−w formula's series alternate with terms of 1e20 and more);
//! * w closer to 1: the 1−w connection formula (Abramowitz & Stegun 15.3.6), whose two
//!   series converge fast, with its gamma coefficients in log space; when c−a−b is within
//!   1e-9 of an integer m, where that formula divides by zero, its logarithmic limits
//!   (A & S 15.3.10–15.3.12) instead.
//!
//! Values are carried as (ln |value|, sign) where they can exceed the f64 range, e.g. for
//! parameters in the hundreds.

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error ≈ 1e-15), with
/// Stirling's series for large x where it is more accurate.
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x < 0.5 {
        // Reflection keeps the Lanczos sum in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    if x > 15.0 {
        return stirling_ln_gamma(x);
    }
    const G: f64 = 7.0;
    // The published Lanczos coefficients, kept digit for digit as printed.
    #[allow(clippy::excessive_precision)]
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_93,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_13,
        -176.615_029_162_140_59,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_571_6e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Stirling's series for ln Γ(x), accurate to full precision for x > 15.
fn stirling_ln_gamma(x: f64) -> f64 {
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // Bernoulli terms: 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360
    let series = inv
        * (1.0 / 12.0
            + inv2
                * (-1.0 / 360.0
                    + inv2
                        * (1.0 / 1260.0
                            + inv2
                                * (-1.0 / 1680.0
                                    + inv2 * (1.0 / 1188.0 + inv2 * (-691.0 / 360_360.0))))));
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

/// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0 (recurrence to x ≥ 10, then the
/// asymptotic series, whose truncation error there is below 1e-16).
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut result = 0.0;
    let mut x = x;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    result + x.ln()
        - 0.5 * inv
        - inv2
            * (1.0 / 12.0
                - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))))
}

/// The trigamma function ψ′(x) = d²/dx² ln Γ(x), for x > 0: the recurrence
/// ψ′(x) = ψ′(x+1) + 1/x² up to x ≥ 10, then the asymptotic series (A & S 6.4.12)
/// 1/x + 1/(2x²) + Σ B₂ₖ/x^(2k+1), whose truncation error there is below 1e-17.
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut result = 0.0;
    let mut x = x;
    while x < 10.0 {
        result += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // B₂ = 1/6, B₄ = −1/30, B₆ = 1/42, B₈ = −1/30, B₁₀ = 5/66, B₁₂ = −691/2730, B₁₄ = 7/6
    let series = inv2
        * inv
        * (1.0 / 6.0
            + inv2
                * (-1.0 / 30.0
                    + inv2
                        * (1.0 / 42.0
                            + inv2
                                * (-1.0 / 30.0
                                    + inv2
                                        * (5.0 / 66.0
                                            + inv2 * (-691.0 / 2730.0 + inv2 * (7.0 / 6.0)))))));
    result + inv + 0.5 * inv2 + series
}

/// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// A real number as ln |value| and its sign (0 for zero), so products of huge and tiny
/// factors stay representable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogValue {
    /// ln |value| (−∞ for zero).
    pub ln_abs: f64,
    /// −1, 0 or 1.
    pub sign: f64,
}

impl LogValue {
    /// The value as an f64 (0 or ±∞ when out of range).
    pub fn value(self) -> f64 {
        if self.sign == 0.0 {
            0.0
        } else {
            self.sign * self.ln_abs.exp()
        }
    }

    fn from_f64(v: f64) -> LogValue {
        if v == 0.0 {
            LogValue {
                ln_abs: f64::NEG_INFINITY,
                sign: 0.0,
            }
        } else {
            LogValue {
                ln_abs: v.abs().ln(),
                sign: v.signum(),
            }
        }
    }

    fn add(self, other: LogValue) -> LogValue {
        if self.sign == 0.0 {
            return other;
        }
        if other.sign == 0.0 {
            return self;
        }
        let (big, small) = if self.ln_abs >= other.ln_abs {
            (self, other)
        } else {
            (other, self)
        };
        let ratio = (small.ln_abs - big.ln_abs).exp() * small.sign * big.sign;
        let scaled = 1.0 + ratio;
        if scaled == 0.0 {
            return LogValue {
                ln_abs: f64::NEG_INFINITY,
                sign: 0.0,
            };
        }
        LogValue {
            ln_abs: big.ln_abs + scaled.abs().ln(),
            sign: big.sign * scaled.signum(),
        }
    }
}

/// Why ₂F₁ has no value here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Hyp2f1Error {
    /// z ≥ 1 or not finite.
    #[error("2F1 needs z < 1")]
    OutOfDomain,
    /// c is zero or a negative integer.
    #[error("2F1 is undefined when c is a non-positive integer")]
    Pole,
    /// The series did not converge within the term limit.
    #[error("2F1 series did not converge")]
    NotConverged,
}

/// ₂F₁(a, b; c; z) for real a, b, c and z < 1.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    ln_hyp2f1(a, b, c, z).map(LogValue::value)
}

/// ln ₂F₁(a, b; c; z) for 0 ≤ z < 1 where ₂F₁ > 0, accurate also when the value is within
/// a hair of 1: for small z the series tail Σₙ≥₁ is summed on its own and ln(1 + tail) taken
/// with `ln_1p`, so no digits are lost (expected purchases over a tiny horizon need this).
pub fn ln_hyp2f1_near_one(a: f64, b: f64, c: f64, z: f64) -> Result<f64, Hyp2f1Error> {
    if (0.0..=0.5).contains(&z) && c > 0.0 {
        let mut term = 1.0_f64;
        let mut tail = 0.0_f64;
        for n in 0..100_000 {
            let nf = n as f64;
            term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
            tail += term;
            if term == 0.0 || (n > 2 && term.abs() <= 1e-17 * (1.0 + tail).abs()) {
                return Ok(tail.ln_1p());
            }
        }
        return Err(Hyp2f1Error::NotConverged);
    }
    let value = ln_hyp2f1(a, b, c, z)?;
    if value.sign > 0.0 {
        Ok(value.ln_abs)
    } else {
        Err(Hyp2f1Error::OutOfDomain)
    }
}

/// ₂F₁(a, b; c; z) as ln |value| and sign.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<LogValue, Hyp2f1Error> {
    if !(z.is_finite() && a.is_finite() && b.is_finite() && c.is_finite()) || z >= 1.0 {
        return Err(Hyp2f1Error::OutOfDomain);
    }
    if c <= 0.0 && c == c.round() {
        return Err(Hyp2f1Error::Pole);
    }
    if z == 0.0 || a == 0.0 || b == 0.0 {
        return Ok(LogValue {
            ln_abs: 0.0,
            sign: 1.0,
        });
    }
    if z < 0.0 {
        let w = z / (z - 1.0);
        let ln_one_minus_z = (1.0 - z).ln();
        // Pfaff's two forms, (1−z)^(−a) 2F1(a, c−b; c; w) and (1−z)^(−b) 2F1(c−a, b; c; w):
        // when one has only positive terms and its series converges, nothing cancels.
        if 1.0 - w >= 4e-4 && c > 0.0 {
            for (p, q, power) in [(a, c - b, a), (c - a, b, b)] {
                if p > 0.0 && q > 0.0 {
                    let inner = series(p, q, c, w, 2_000_000)?;
                    return Ok(LogValue {
                        ln_abs: inner.ln_abs - power * ln_one_minus_z,
                        sign: inner.sign,
                    });
                }
            }
        }
        if z < -1.0
            && (a - b - (a - b).round()).abs() > 1e-9
            && let Some(value) = one_over_z(a, b, c, z)?
        {
            return Ok(value);
        }
        let inner = hyp2f1_unit(a, c - b, c, w)?;
        return Ok(LogValue {
            ln_abs: inner.ln_abs - a * ln_one_minus_z,
            sign: inner.sign,
        });
    }
    hyp2f1_unit(a, b, c, z)
}

/// ₂F₁ for 0 ≤ z < 1. The defining series needs about 40/(1−z) terms, so above z = 0.9 the
/// 1−z transformation A & S 15.3.6 takes over (for m = c−a−b an integer, 15.3.10–12 only
/// below 1−z = 4·10⁻⁴) — unless 15.3.6 cancels (its two terms, or the terms inside its series, are
/// far larger than the result: large parameters, or m within a hair of an integer), in
/// which case the defining series is summed after all, down to 1−z = 4·10⁻⁴.
fn hyp2f1_unit(a: f64, b: f64, c: f64, z: f64) -> Result<LogValue, Hyp2f1Error> {
    if 1.0 - z >= 0.1 {
        return series(a, b, c, z, 2_000_000);
    }
    let m = c - a - b;
    if (m - m.round()).abs() < 1e-9 {
        // Rare (exact integer gaps); the logarithmic series lose digits for large
        // parameters, so they are kept for where the series is hopeless.
        if 1.0 - z >= 4e-4 {
            return series(a, b, c, z, 2_000_000);
        }
        return integer_gap(a, b, m.round(), z);
    }
    let (value, ln_digits_lost) = one_minus_z(a, b, c, z)?;
    // Allow two digits lost: the gamma-function coefficients carry relative errors of
    // ~10⁻¹³ for large arguments, which the cancellation multiplies.
    if ln_digits_lost > 4.6 && 1.0 - z >= 4e-4 {
        return series(a, b, c, z, 2_000_000);
    }
    Ok(value)
}

/// A & S 15.3.10–15.3.12: 2F1(a, b; a+b+m; z) near z = 1 for an integer m, where 15.3.6
/// has poles; the logarithmic series in (1−z) converge fast there.
fn integer_gap(a: f64, b: f64, m: f64, z: f64) -> Result<LogValue, Hyp2f1Error> {
    let w = 1.0 - z;
    let ln_w = w.ln();
    let k = m.abs() as usize;
    if m >= 0.0 {
        // 15.3.10/11 with c = a+b+m.
        let c = a + b + m;
        let mut total = LogValue {
            ln_abs: f64::NEG_INFINITY,
            sign: 0.0,
        };
        if k > 0 {
            // Γ(m)Γ(c)/(Γ(a+m)Γ(b+m)) Σ_{n<m} (a)_n(b)_n/(n!(1−m)_n) wⁿ
            if let Some(coefficient) = ln_gamma_ratio(&[m, c], &[a + m, b + m]) {
                let mut term = 1.0;
                let mut sum = 1.0;
                for n in 0..k - 1 {
                    let nf = n as f64;
                    term *= (a + nf) * (b + nf) / ((nf + 1.0) * (1.0 - m + nf)) * w;
                    sum += term;
                }
                let finite = LogValue::from_f64(sum);
                total = total.add(LogValue {
                    ln_abs: coefficient.ln_abs + finite.ln_abs,
                    sign: coefficient.sign * finite.sign,
                });
            }
        }
        // − (z−1)^m Γ(c)/(Γ(a)Γ(b)) Σ (a+m)_n(b+m)_n/(n!(n+m)!) wⁿ [ln w − ψ(n+1) − ψ(n+m+1) + ψ(a+n+m) + ψ(b+n+m)]
        let Some(coefficient) = ln_gamma_ratio(&[c], &[a, b]) else {
            return Ok(total);
        };
        let log_series = log_gap_series(a + m, b + m, k, w, ln_w)?;
        let sign = -(if k % 2 == 1 { -1.0 } else { 1.0 });
        return Ok(total.add(LogValue {
            ln_abs: coefficient.ln_abs + m * w.ln() + log_series.ln_abs - ln_gamma(m + 1.0),
            sign: sign * coefficient.sign * log_series.sign,
        }));
    }
    // 15.3.12 with c = a+b−m', m' = −m > 0.
    let mp = -m;
    let c = a + b - mp;
    let mut total = LogValue {
        ln_abs: f64::NEG_INFINITY,
        sign: 0.0,
    };
    if let Some(coefficient) = ln_gamma_ratio(&[mp, c], &[a, b]) {
        let mut term = 1.0;
        let mut sum = 1.0;
        for n in 0..k - 1 {
            let nf = n as f64;
            term *= (a - mp + nf) * (b - mp + nf) / ((nf + 1.0) * (1.0 - mp + nf)) * w;
            sum += term;
        }
        let finite = LogValue::from_f64(sum);
        total = total.add(LogValue {
            ln_abs: coefficient.ln_abs - mp * ln_w + finite.ln_abs,
            sign: coefficient.sign * finite.sign,
        });
    }
    let Some(coefficient) = ln_gamma_ratio(&[c], &[a - mp, b - mp]) else {
        return Ok(total);
    };
    let log_series = log_gap_series(a, b, k, w, ln_w)?;
    let sign = -(if k % 2 == 1 { -1.0 } else { 1.0 });
    Ok(total.add(LogValue {
        ln_abs: coefficient.ln_abs + log_series.ln_abs - ln_gamma(mp + 1.0),
        sign: sign * coefficient.sign * log_series.sign,
    }))
}

/// Σₙ (p)_n (q)_n m!/(n! (n+m)!) wⁿ [ln w − ψ(n+1) − ψ(n+m+1) + ψ(p+n) + ψ(q+n)], the
/// logarithmic series of A & S 15.3.10–12 (scaled by m! so the n = 0 term is O(1)).
fn log_gap_series(p: f64, q: f64, m: usize, w: f64, ln_w: f64) -> Result<LogValue, Hyp2f1Error> {
    let mf = m as f64;
    let euler = 0.577_215_664_901_532_9;
    let mut psi_n1 = -euler; // ψ(1)
    let mut psi_nm1 = -euler + (1..=m).map(|j| 1.0 / j as f64).sum::<f64>(); // ψ(m+1)
    let mut psi_p = digamma(p);
    let mut psi_q = digamma(q);
    let mut coefficient = 1.0; // (p)_n (q)_n m! / (n! (n+m)!) wⁿ
    let mut sum = 0.0;
    for n in 0..200_000 {
        let nf = n as f64;
        let term = coefficient * (ln_w - psi_n1 - psi_nm1 + psi_p + psi_q);
        sum += term;
        if n > 2 && term.abs() <= 1e-17 * sum.abs() {
            return Ok(LogValue::from_f64(sum));
        }
        coefficient *= (p + nf) * (q + nf) / ((nf + 1.0) * (nf + mf + 1.0)) * w;
        psi_n1 += 1.0 / (nf + 1.0);
        psi_nm1 += 1.0 / (nf + mf + 1.0);
        psi_p += 1.0 / (p + nf);
        psi_q += 1.0 / (q + nf);
    }
    Err(Hyp2f1Error::NotConverged)
}

/// The defining series Σ (a)_n (b)_n / ((c)_n n!) zⁿ, summed in scaled form (rescaled
/// whenever the partial sum or term grows large) until a term no longer changes the sum.
fn series(a: f64, b: f64, c: f64, z: f64, max_terms: usize) -> Result<LogValue, Hyp2f1Error> {
    conditioned_series(a, b, c, z, max_terms).map(|(value, _)| value)
}

/// [`series`] and ln(largest |term| / |sum|): how many digits cancellation cost (0 when
/// every term has the sign of the sum).
fn conditioned_series(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    max_terms: usize,
) -> Result<(LogValue, f64), Hyp2f1Error> {
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    let mut compensation = 0.0_f64;
    let mut ln_scale = 0.0_f64;
    let mut ln_largest = 0.0_f64;
    let mut largest = 1.0_f64; // in the current scale
    let finish = |sum: f64, ln_scale: f64, ln_largest: f64, largest: f64| {
        let value = LogValue::from_f64(sum);
        let ln_abs = value.ln_abs + ln_scale;
        let lost = (ln_largest.max(largest.ln() + ln_scale) - ln_abs).max(0.0);
        (
            LogValue {
                ln_abs,
                sign: value.sign,
            },
            lost,
        )
    };
    for n in 0..max_terms {
        let nf = n as f64;
        let ratio = (a + nf) * (b + nf) / ((c + nf) * (nf + 1.0)) * z;
        term *= ratio;
        if term == 0.0 {
            // A terminating series (a or b a non-positive integer): the sum is exact.
            return Ok(finish(sum, ln_scale, ln_largest, largest));
        }
        largest = largest.max(term.abs());
        // Kahan summation: the series often has thousands of terms of one sign.
        let y = term - compensation;
        let t = sum + y;
        compensation = (t - sum) - y;
        sum = t;
        if sum.abs() > 1e250 || term.abs() > 1e250 {
            ln_largest = ln_largest.max(largest.ln() + ln_scale);
            let scale = sum.abs();
            ln_scale += scale.ln();
            term /= scale;
            compensation /= scale;
            sum = sum.signum();
            largest = term.abs();
        }
        if term.abs() <= 1e-17 * sum.abs() && n > 2 && ratio.abs() < 1.0 {
            return Ok(finish(sum, ln_scale, ln_largest, largest));
        }
    }
    Err(Hyp2f1Error::NotConverged)
}

/// A & S 15.3.6: for 0.9 < z < 1 and c−a−b not an integer,
/// 2F1(a,b;c;z) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) 2F1(a, b; a+b−c+1; 1−z)
///             + (1−z)^(c−a−b) Γ(c)Γ(a+b−c)/(Γ(a)Γ(b)) 2F1(c−a, c−b; c−a−b+1; 1−z).
fn one_minus_z(a: f64, b: f64, c: f64, z: f64) -> Result<(LogValue, f64), Hyp2f1Error> {
    let w = 1.0 - z;
    let m = c - a - b;
    let first_coefficient = ln_gamma_ratio(&[c, m], &[c - a, c - b]);
    let second_coefficient = ln_gamma_ratio(&[c, -m], &[a, b]);
    let mut total = LogValue {
        ln_abs: f64::NEG_INFINITY,
        sign: 0.0,
    };
    // ln of the largest magnitude met on the way: a term, or a term inside a series.
    let mut ln_largest = f64::NEG_INFINITY;
    if let Some(coefficient) = first_coefficient {
        let (s, lost) = conditioned_series(a, b, 1.0 - m, w, 100_000)?;
        let part = LogValue {
            ln_abs: coefficient.ln_abs + s.ln_abs,
            sign: coefficient.sign * s.sign,
        };
        ln_largest = ln_largest.max(part.ln_abs + lost);
        total = total.add(part);
    }
    if let Some(coefficient) = second_coefficient {
        let (s, lost) = conditioned_series(c - a, c - b, 1.0 + m, w, 100_000)?;
        let part = LogValue {
            ln_abs: coefficient.ln_abs + m * w.ln() + s.ln_abs,
            sign: coefficient.sign * s.sign,
        };
        ln_largest = ln_largest.max(part.ln_abs + lost);
        total = total.add(part);
    }
    let lost = if total.sign == 0.0 {
        f64::INFINITY
    } else {
        (ln_largest - total.ln_abs).max(0.0)
    };
    Ok((total, lost))
}

/// A & S 15.3.7, for z < −1 and a−b not an integer:
/// 2F1(a,b;c;z) = Γ(c)Γ(b−a)/(Γ(b)Γ(c−a)) (−z)^(−a) 2F1(a, 1−c+a; 1−b+a; 1/z)
///             + Γ(c)Γ(a−b)/(Γ(a)Γ(c−b)) (−z)^(−b) 2F1(b, 1−c+b; 1−a+b; 1/z).
/// `None` when a series parameter is a pole (the caller then uses Pfaff's transformation).
fn one_over_z(a: f64, b: f64, c: f64, z: f64) -> Result<Option<LogValue>, Hyp2f1Error> {
    let inv = 1.0 / z;
    let ln_minus_z = (-z).ln();
    let pole = |x: f64| x <= 0.0 && x == x.round();
    if pole(1.0 - b + a) || pole(1.0 - a + b) {
        return Ok(None);
    }
    let mut total = LogValue {
        ln_abs: f64::NEG_INFINITY,
        sign: 0.0,
    };
    for (p, q, coefficient) in [
        (a, b, ln_gamma_ratio(&[c, b - a], &[b, c - a])),
        (b, a, ln_gamma_ratio(&[c, a - b], &[a, c - b])),
    ] {
        let Some(coefficient) = coefficient else {
            continue;
        };
        let s = series(p, 1.0 - c + p, 1.0 - q + p, inv, 100_000)?;
        total = total.add(LogValue {
            ln_abs: coefficient.ln_abs - p * ln_minus_z + s.ln_abs,
            sign: coefficient.sign * s.sign,
        });
    }
    Ok(Some(total))
}

/// ln |Π Γ(num) / Π Γ(den)| and its sign; `None` when a denominator gamma is infinite
/// (the term vanishes).
fn ln_gamma_ratio(num: &[f64], den: &[f64]) -> Option<LogValue> {
    let mut ln_abs = 0.0;
    let mut sign = 1.0;
    for &x in num {
        let (l, s) = signed_ln_gamma(x)?;
        ln_abs += l;
        sign *= s;
    }
    for &x in den {
        if x <= 0.0 && x == x.round() {
            return None; // 1/Γ(non-positive integer) = 0
        }
        let (l, s) = signed_ln_gamma(x)?;
        ln_abs -= l;
        sign *= s;
    }
    Some(LogValue { ln_abs, sign })
}

/// ln |Γ(x)| and the sign of Γ(x), for any real x that is not a pole.
fn signed_ln_gamma(x: f64) -> Option<(f64, f64)> {
    if x > 0.0 {
        return Some((ln_gamma(x), 1.0));
    }
    if x == x.round() {
        return None;
    }
    // Reflection: Γ(x) Γ(1−x) = π / sin(πx).
    let pi = std::f64::consts::PI;
    let s = (pi * x).sin();
    Some(((pi / s.abs()).ln() - ln_gamma(1.0 - x), s.signum()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_known_values() {
        // Near its zeros ln Γ is checked absolutely.
        assert!(ln_gamma(1.0).abs() < 1e-14);
        assert!(ln_gamma(2.0).abs() < 1e-14);
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        assert!(close(ln_gamma(10.0), 362_880.0_f64.ln(), 1e-14));
        assert!(close(ln_gamma(100.5), 361.435_540_467_777_6, 1e-14));
        assert!(ln_gamma(-1.0).is_nan());
    }

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-13));
        assert!(close(digamma(0.5), -euler - 2.0 * 2f64.ln(), 1e-13));
        assert!(close(digamma(10.0), 2.251_752_589_066_721, 1e-13));
    }

    #[test]
    fn digamma_is_the_derivative_of_ln_gamma() {
        for x in [0.3, 1.7, 4.2, 22.0, 150.0] {
            let h = 1e-5 * x;
            let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), numeric, 1e-7), "{x}");
        }
    }

    #[test]
    fn trigamma_known_values_and_derivative_of_digamma() {
        let pi2 = std::f64::consts::PI.powi(2);
        assert!(close(trigamma(1.0), pi2 / 6.0, 1e-14));
        assert!(close(trigamma(0.5), pi2 / 2.0, 1e-14));
        // ψ′(x+1) = ψ′(x) − 1/x²
        assert!(close(trigamma(3.0), pi2 / 6.0 - 1.0 - 0.25, 1e-14));
        for x in [0.05, 0.3, 1.7, 9.99, 10.0, 22.0, 150.0, 1e4] {
            let h = 1e-5 * x;
            let numeric = (digamma(x + h) - digamma(x - h)) / (2.0 * h);
            assert!(close(trigamma(x), numeric, 1e-7), "{x}");
        }
    }

    #[test]
    fn hyp2f1_closed_forms() {
        // 2F1(1,1;2;z) = −ln(1−z)/z
        for z in [0.3_f64, 0.95, 0.999_999, -0.5, -40.0] {
            let want = -(1.0 - z).ln() / z;
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), want, 1e-12), "{z}");
        }
        // 2F1(a,b;b;z) = (1−z)^(−a)
        assert!(close(
            hyp2f1(2.5, 1.3, 1.3, 0.97).unwrap(),
            0.03_f64.powf(-2.5),
            1e-11
        ));
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), Err(Hyp2f1Error::OutOfDomain));
        assert_eq!(hyp2f1(1.0, 1.0, -2.0, 0.5), Err(Hyp2f1Error::Pole));
    }
}
