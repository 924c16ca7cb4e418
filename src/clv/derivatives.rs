//! Log-likelihoods with their exact gradients and Hessians, over data prepared once per fit,
//! for the Newton fits of `fit`.
//!
//! Why a second implementation beside `purchase::PurchaseModel::ln_likelihood`: a fit
//! evaluates the likelihood a few dozen times on the same data, so whatever depends on the
//! data alone is done once here ([`PreparedTriples`]: the distinct times, the triples grouped
//! by x), whatever depends on the parameters and a time alone once per distinct time
//! (ln(α+τ), 1/(α+τ): CDNOW's 11,104 triples have 546 distinct times), whatever depends on
//! the parameters and x alone once per distinct x (ln Γ, ψ, ψ′), and only the rest per
//! triple. The mathematics is the same, term for term; the tests check values, gradients
//! and Hessians against the reference evaluation and against finite differences.
//!
//! Second derivatives let the fits use Newton's method (5–10 evaluations rather than BFGS's
//! 25–40) and give the covariance of the estimates exactly, not by differencing gradients.
//!
//! Pareto/NBD, whose derivatives need more machinery, is in `pareto`.

// Small dense matrix algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::special::{digamma, ln_gamma, trigamma};
use super::spend::SpendHistory;
use super::summary::Triple;

/// A log-likelihood with its gradient and Hessian with respect to the model's parameters
/// (in the model's order, natural scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Derivatives<const N: usize> {
    /// ln L.
    pub value: f64,
    /// ∂ ln L / ∂pᵢ.
    pub gradient: [f64; N],
    /// ∂² ln L / ∂pᵢ∂pⱼ (symmetric).
    pub hessian: [[f64; N]; N],
}

impl<const N: usize> Derivatives<N> {
    /// Zero value, gradient and Hessian.
    pub fn zero() -> Self {
        Derivatives {
            value: 0.0,
            gradient: [0.0; N],
            hessian: [[0.0; N]; N],
        }
    }

    /// NaN everywhere: the parameters are outside the model's domain.
    pub fn undefined() -> Self {
        Derivatives {
            value: f64::NAN,
            gradient: [f64::NAN; N],
            hessian: [[f64::NAN; N]; N],
        }
    }

    /// Whether everything is finite.
    pub fn is_finite(&self) -> bool {
        self.value.is_finite()
            && self.gradient.iter().all(|g| g.is_finite())
            && self.hessian.iter().flatten().all(|h| h.is_finite())
    }

    /// Fills the lower triangle from the upper one.
    pub(crate) fn symmetrise(&mut self) {
        for i in 0..N {
            for j in 0..i {
                self.hessian[i][j] = self.hessian[j][i];
            }
        }
    }

    /// The same function of θ = ln p (the fits' coordinates): ∂/∂θᵢ = pᵢ ∂/∂pᵢ, and
    /// ∂²/∂θᵢ∂θⱼ = pᵢ pⱼ ∂²/∂pᵢ∂pⱼ + δᵢⱼ pᵢ ∂/∂pᵢ.
    pub fn in_log_parameters(&self, params: &[f64; N]) -> Self {
        let mut out = *self;
        for i in 0..N {
            out.gradient[i] = params[i] * self.gradient[i];
            for j in 0..N {
                out.hessian[i][j] = params[i] * params[j] * self.hessian[i][j];
            }
            out.hessian[i][i] += params[i] * self.gradient[i];
        }
        out
    }
}

/// One triple of a [`PreparedTriples`]: indices of its tₓ and T among the distinct times,
/// and how many customers share it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub tx: u32,
    pub t: u32,
    pub count: f64,
}

/// The items with one x, `items[start..end]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group {
    pub x: f64,
    pub start: usize,
    pub end: usize,
    /// Σ count over the group.
    pub count: f64,
}

/// Triples laid out for repeated evaluation: the distinct time values (tₓ and T together),
/// and the triples grouped by x, each pointing at its two times.
#[derive(Clone, Debug)]
pub struct PreparedTriples {
    pub(crate) times: Vec<f64>,
    pub(crate) groups: Vec<Group>,
    pub(crate) items: Vec<Item>,
    /// Σ count.
    pub(crate) customers: f64,
}

impl PreparedTriples {
    /// Groups `triples` (in any order) by x and indexes their times.
    pub fn new(triples: &[Triple]) -> PreparedTriples {
        let mut order: Vec<usize> = (0..triples.len()).collect();
        // Usually already sorted by x, which the sort detects in one pass.
        order.sort_by(|&a, &b| triples[a].x.total_cmp(&triples[b].x));
        let mut index = TimeIndex::with_capacity(1024);
        let mut times: Vec<f64> = Vec::new();
        let mut time_index = |tau: f64| -> u32 { index.get_or_insert(tau, &mut times) };
        let mut groups: Vec<Group> = Vec::new();
        let mut items: Vec<Item> = Vec::with_capacity(triples.len());
        let mut customers = 0.0;
        for &i in &order {
            let triple = &triples[i];
            let item = Item {
                tx: time_index(triple.tx),
                t: time_index(triple.t),
                count: triple.count,
            };
            customers += triple.count;
            match groups.last_mut() {
                Some(group) if group.x.to_bits() == triple.x.to_bits() => {
                    group.end += 1;
                    group.count += triple.count;
                }
                _ => groups.push(Group {
                    x: triple.x,
                    start: items.len(),
                    end: items.len() + 1,
                    count: triple.count,
                }),
            }
            items.push(item);
        }
        PreparedTriples {
            times,
            groups,
            items,
            customers,
        }
    }

    /// Customers (Σ count).
    pub fn customers(&self) -> f64 {
        self.customers
    }
}

/// The index of each distinct time value (by bits) in a list: open addressing with linear
/// probing and the SplitMix64 finaliser as hash, which spreads the near-identical bit
/// patterns of times like k/7 well (a general-purpose hash map spent 40 ns a triple here).
struct TimeIndex {
    /// (bits + 1, index); 0 marks an empty slot (bits + 1 never wraps for a finite f64).
    slots: Vec<(u64, u32)>,
    len: usize,
}

impl TimeIndex {
    fn with_capacity(capacity: usize) -> TimeIndex {
        TimeIndex {
            slots: vec![(0, 0); (2 * capacity).next_power_of_two()],
            len: 0,
        }
    }

    fn slot(&self, key: u64) -> usize {
        let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z as usize) & (self.slots.len() - 1)
    }

    /// The index of `tau` in `times`, appending it if new.
    fn get_or_insert(&mut self, tau: f64, times: &mut Vec<f64>) -> u32 {
        // Normalised so −0 and +0 are one time; NaN bits stay as they are (never equal).
        let key = (tau + 0.0).to_bits().wrapping_add(1);
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return v;
            }
            if k == 0 {
                break;
            }
            i = (i + 1) & mask;
        }
        let v = times.len() as u32;
        times.push(tau);
        self.slots[i] = (key, v);
        self.len += 1;
        if 2 * self.len > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, vec![(0, 0); 2 * (mask + 1)]);
            for (k, v) in old.into_iter().filter(|(k, _)| *k != 0) {
                let mut j = self.slot(k);
                while self.slots[j].0 != 0 {
                    j = (j + 1) & (self.slots.len() - 1);
                }
                self.slots[j] = (k, v);
            }
        }
        v
    }
}

/// BG/NBD (`modified` false) or MBG/NBD log-likelihood with gradient and Hessian in
/// `[r, α, a, b]`; NaN outside the domain. The formula is that of `purchase::bg_family`
/// (FHL 2005 eq. 6; Batislam et al. 2007): per customer
/// ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x+k) − ln Γ(b) − ln Γ(a+b+x+k)
///      + ln(eᵘ + δ eᵛ),  u = −(r+x) ln(α+T),  v = ln a − ln(b+x+k−1) − (r+x) ln(α+tₓ),
/// with k = 0, δ = [x > 0] for BG/NBD and k = 1, δ = 1 for MBG/NBD.
///
/// With weights w₁ = eᵘ/(eᵘ+eᵛ), w₂ = 1 − w₁, the last term d = ln(eᵘ+eᵛ) has
/// ∇d = w₁∇u + w₂∇v and ∇²d = w₁∇²u + w₂∇²v + w₁w₂ (∇u−∇v)(∇u−∇v)ᵀ.
pub fn bg_family(params: &[f64; 4], data: &PreparedTriples, modified: bool) -> Derivatives<4> {
    if params.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
        return Derivatives::undefined();
    }
    let [r, alpha, a, b] = *params;
    let k = if modified { 1.0 } else { 0.0 };
    // ln(α+τ) and 1/(α+τ) per distinct time.
    let table: Vec<(f64, f64)> = data
        .times
        .iter()
        .map(|&tau| ((alpha + tau).ln(), 1.0 / (alpha + tau)))
        .collect();
    let mut out = Derivatives::<4>::zero();
    let n_all = data.customers;
    // Terms that depend on the parameters only.
    let ln_alpha = alpha.ln();
    out.value = n_all * (-ln_gamma(r) + r * ln_alpha + ln_gamma(a + b) - ln_gamma(b));
    let (psi_r, psi_ab, psi_b) = (digamma(r), digamma(a + b), digamma(b));
    let (tri_r, tri_ab, tri_b) = (trigamma(r), trigamma(a + b), trigamma(b));
    out.gradient = [
        n_all * (ln_alpha - psi_r),
        n_all * r / alpha,
        n_all * psi_ab,
        n_all * (psi_ab - psi_b),
    ];
    let h = &mut out.hessian;
    h[0][0] = -n_all * tri_r;
    h[0][1] = n_all / alpha;
    h[1][1] = -n_all * r / (alpha * alpha);
    h[2][2] = n_all * tri_ab;
    h[2][3] = n_all * tri_ab;
    h[3][3] = n_all * (tri_ab - tri_b);
    let inv_a = 1.0 / a;
    let mut product = LogProduct::default();
    for group in &data.groups {
        let x = group.x;
        let n_x = group.count;
        let rx = r + x;
        let bxk = b + x + k;
        let abxk = a + b + x + k;
        // Terms that depend on x only.
        out.value += n_x * (ln_gamma(rx) + ln_gamma(bxk) - ln_gamma(abxk));
        let (psi_rx, psi_bx, psi_abx) = (digamma(rx), digamma(bxk), digamma(abxk));
        let (tri_rx, tri_bx, tri_abx) = (trigamma(rx), trigamma(bxk), trigamma(abxk));
        out.gradient[0] += n_x * psi_rx;
        out.gradient[2] -= n_x * psi_abx;
        out.gradient[3] += n_x * (psi_bx - psi_abx);
        h[0][0] += n_x * tri_rx;
        h[2][2] -= n_x * tri_abx;
        h[2][3] -= n_x * tri_abx;
        h[3][3] += n_x * (tri_bx - tri_abx);
        // Per triple. Sums, each weighted by the count: d; w₁ln(α+T) + w₂ln(α+tₓ);
        // w₁/(α+T) + w₂/(α+tₓ); w₁/(α+T)² + w₂/(α+tₓ)²; w₂; and with c = w₁w₂ and
        // D = ∇u − ∇v = (ln(α+tₓ) − ln(α+T), (r+x)(1/(α+tₓ) − 1/(α+T)), −1/a, 1/(b+x+k−1)):
        // c, c D₀, c D₁, c D₀², c D₀D₁, c D₁².
        let has_second = modified || x > 0.0;
        let mut s = [0.0_f64; 11];
        if has_second {
            let bxk1 = bxk - 1.0;
            let c_x = (a / bxk1).ln();
            for item in &data.items[group.start..group.end] {
                let n = item.count;
                let (lt, it) = table[item.t as usize];
                let (ltx, itx) = table[item.tx as usize];
                // u − v, and the log-sum-exp with its weights from e^(−|u−v|).
                let delta = rx * (ltx - lt) - c_x;
                let e = (-delta.abs()).exp();
                let one_plus = 1.0 + e;
                // d = max(u, v) + ln(1 + e); the logarithms are gathered in `product`.
                let (w1, w2, d) = if delta > 0.0 {
                    (1.0 / one_plus, e / one_plus, -rx * lt)
                } else {
                    (e / one_plus, 1.0 / one_plus, c_x - rx * ltx)
                };
                product.multiply(one_plus, n);
                let c = n * w1 * w2;
                let d0 = ltx - lt;
                let d1 = rx * (itx - it);
                s[0] += n * d;
                s[1] += n * (w1 * lt + w2 * ltx);
                s[2] += n * (w1 * it + w2 * itx);
                s[3] += n * (w1 * it * it + w2 * itx * itx);
                s[4] += n * w2;
                s[5] += c;
                s[6] += c * d0;
                s[7] += c * d1;
                s[8] += c * d0 * d0;
                s[9] += c * d0 * d1;
                s[10] += c * d1 * d1;
            }
        } else {
            for item in &data.items[group.start..group.end] {
                let n = item.count;
                let (lt, it) = table[item.t as usize];
                s[0] -= n * rx * lt;
                s[1] += n * lt;
                s[2] += n * it;
                s[3] += n * it * it;
            }
        }
        let d2 = -inv_a;
        let d3 = if has_second { 1.0 / (bxk - 1.0) } else { 0.0 };
        out.value += s[0];
        out.gradient[0] -= s[1];
        out.gradient[1] -= rx * s[2];
        out.gradient[2] += s[4] * inv_a;
        out.gradient[3] -= s[4] * d3;
        h[0][0] += s[8];
        h[0][1] += -s[2] + s[9];
        h[0][2] += s[6] * d2;
        h[0][3] += s[6] * d3;
        h[1][1] += rx * s[3] + s[10];
        h[1][2] += s[7] * d2;
        h[1][3] += s[7] * d3;
        h[2][2] += -s[4] * inv_a * inv_a + s[5] * d2 * d2;
        h[2][3] += s[5] * d2 * d3;
        h[3][3] += s[4] * d3 * d3 + s[5] * d3 * d3;
    }
    out.value += product.ln();
    out.symmetrise();
    out
}

/// Σ nᵢ ln yᵢ for positive factors yᵢ, as ln Π yᵢ^nᵢ: a multiplication per factor instead of
/// a logarithm (the hot loops' most expensive call), the product's binary exponent moved
/// into an integer before it can overflow or underflow. Its rounding error, ~10⁻¹⁶ relative
/// per factor, is an absolute error of the same size per term, like summing the logarithms.
/// Factors with a count other than 1, or outside [10⁻¹⁰⁰, 10¹⁰⁰], have their logarithm
/// summed directly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogProduct {
    product: f64,
    exponent: i64,
    logs: f64,
}

impl Default for LogProduct {
    fn default() -> Self {
        LogProduct {
            product: 1.0,
            exponent: 0,
            logs: 0.0,
        }
    }
}

impl LogProduct {
    /// Adds n ln y.
    #[inline]
    pub(crate) fn multiply(&mut self, y: f64, n: f64) {
        if n == 1.0 && (1e-100..=1e100).contains(&y) {
            self.product *= y;
            if !(1e-150..=1e150).contains(&self.product) {
                // Keep the mantissa in [1, 2), count the binary exponent.
                let bits = self.product.to_bits();
                self.exponent += ((bits >> 52) & 0x7ff) as i64 - 1023;
                self.product = f64::from_bits((bits & !(0x7ff << 52)) | (1023 << 52));
            }
        } else {
            self.logs += n * y.ln();
        }
    }

    /// The sum of the logarithms.
    pub(crate) fn ln(&self) -> f64 {
        self.product.ln() + self.exponent as f64 * std::f64::consts::LN_2 + self.logs
    }
}

/// Repeat customers' spend laid out for repeated evaluation: grouped by x, with Σ ln m̄
/// per group (it does not depend on the parameters) and each customer's m̄x.
#[derive(Clone, Debug)]
pub struct PreparedSpend {
    /// (x, customers, Σ ln m̄, range in `totals`).
    groups: Vec<(f64, f64, f64, std::ops::Range<usize>)>,
    /// m̄x per customer, grouped.
    totals: Vec<f64>,
}

impl PreparedSpend {
    /// Groups `data` (x > 0, m̄ > 0; any order) by x.
    pub fn new(data: &[SpendHistory]) -> PreparedSpend {
        let mut sorted = data.to_vec();
        sorted.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut groups: Vec<(f64, f64, f64, std::ops::Range<usize>)> = Vec::new();
        let mut totals = Vec::with_capacity(sorted.len());
        for (i, h) in sorted.iter().enumerate() {
            match groups.last_mut() {
                Some(group) if group.0.to_bits() == h.x.to_bits() => {
                    group.1 += 1.0;
                    group.2 += h.mean.ln();
                    group.3.end = i + 1;
                }
                _ => groups.push((h.x, 1.0, h.mean.ln(), i..i + 1)),
            }
            totals.push(h.mean * h.x);
        }
        PreparedSpend { groups, totals }
    }

    /// Customers.
    pub fn customers(&self) -> usize {
        self.totals.len()
    }
}

/// Gamma-Gamma log-likelihood with gradient and Hessian in `[p, q, γ]` (the formula of
/// `spend::ln_likelihood`, Fader & Hardie 2013); NaN outside the domain. Per customer
/// ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ+m̄x);
/// everything but the last term is summed per distinct x.
pub fn gamma_gamma(params: &[f64; 3], data: &PreparedSpend) -> Derivatives<3> {
    if params.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Derivatives::undefined();
    }
    let [p, q, gamma] = *params;
    let n_all = data.customers() as f64;
    let ln_gamma_param = gamma.ln();
    let mut out = Derivatives::<3>::zero();
    out.value = n_all * (-ln_gamma(q) + q * ln_gamma_param);
    out.gradient = [
        0.0,
        n_all * (ln_gamma_param - digamma(q)),
        n_all * q / gamma,
    ];
    let h = &mut out.hessian;
    h[1][1] = -n_all * trigamma(q);
    h[1][2] = n_all / gamma;
    h[2][2] = -n_all * q / (gamma * gamma);
    for (x, n, sum_ln_mean, range) in &data.groups {
        let (x, n) = (*x, *n);
        let px = p * x;
        let ln_x = x.ln();
        let (psi_pxq, psi_px) = (digamma(px + q), digamma(px));
        let (tri_pxq, tri_px) = (trigamma(px + q), trigamma(px));
        // Σ ln(γ+m̄x), Σ 1/(γ+m̄x), Σ 1/(γ+m̄x)² over the group.
        let (mut sum_ln, mut sum_inv, mut sum_inv2) = (0.0, 0.0, 0.0);
        for &total in &data.totals[range.clone()] {
            let denominator = gamma + total;
            let inv = 1.0 / denominator;
            sum_ln += denominator.ln();
            sum_inv += inv;
            sum_inv2 += inv * inv;
        }
        out.value += n * (ln_gamma(px + q) - ln_gamma(px) + px * ln_x) + (px - 1.0) * sum_ln_mean
            - (px + q) * sum_ln;
        out.gradient[0] += x * (n * (psi_pxq - psi_px + ln_x) + sum_ln_mean - sum_ln);
        out.gradient[1] += n * psi_pxq - sum_ln;
        out.gradient[2] -= (px + q) * sum_inv;
        h[0][0] += n * x * x * (tri_pxq - tri_px);
        h[0][1] += n * x * tri_pxq;
        h[0][2] -= x * sum_inv;
        h[1][1] += n * tri_pxq;
        h[1][2] -= sum_inv;
        h[2][2] += (px + q) * sum_inv2;
    }
    out.symmetrise();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::purchase::PurchaseModel;
    use crate::clv::spend;

    fn triples() -> Vec<Triple> {
        [
            (0.0, 0.0, 38.86, 3.0),
            (2.0, 30.43, 38.86, 1.0),
            (1.0, 1.71, 38.86, 2.0),
            (5.0, 20.0, 30.0, 1.0),
            (12.0, 37.0, 38.0, 1.0),
            (1.0, 38.86, 38.86, 1.0),
            (0.0, 0.0, 12.5, 1.0),
            (200.0, 70.0, 78.0, 1.0),
            (2.0, 1.0, 38.86, 4.0),
        ]
        .into_iter()
        .map(|(x, tx, t, count)| Triple { x, tx, t, count })
        .collect()
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs().max(1.0)
    }

    /// Value against the reference implementation, gradient and Hessian against central
    /// differences of it.
    #[test]
    fn bg_family_matches_the_reference_and_finite_differences() {
        let data = triples();
        let prepared = PreparedTriples::new(&data);
        for (model, modified) in [(PurchaseModel::BgNbd, false), (PurchaseModel::MbgNbd, true)] {
            for params in [
                [0.243, 4.414, 0.793, 2.426],
                [0.525, 6.183, 0.891, 1.614],
                [3.0, 0.2, 5.0, 0.05],
                [0.01, 80.0, 0.02, 30.0],
            ] {
                let d = bg_family(&params, &prepared, modified);
                let mut g_ref = [0.0; 4];
                let reference = model.ln_likelihood(&params, &data, Some(&mut g_ref));
                assert!(close(d.value, reference, 1e-13), "{model:?} {params:?}");
                for i in 0..4 {
                    assert!(close(d.gradient[i], g_ref[i], 1e-11), "{model:?} grad {i}");
                    let h = 1e-5 * params[i];
                    let mut plus = params;
                    plus[i] += h;
                    let mut minus = params;
                    minus[i] -= h;
                    let (gp, gm) = (
                        bg_family(&plus, &prepared, modified).gradient,
                        bg_family(&minus, &prepared, modified).gradient,
                    );
                    for j in 0..4 {
                        let numeric = (gp[j] - gm[j]) / (2.0 * h);
                        let scale = d.hessian[i][j]
                            .abs()
                            .max(d.hessian[j][j].abs().sqrt() * d.hessian[i][i].abs().sqrt());
                        assert!(
                            (d.hessian[i][j] - numeric).abs() <= 1e-6 * scale.max(1.0),
                            "{model:?} {params:?} H[{i}][{j}] {} vs {numeric}",
                            d.hessian[i][j]
                        );
                    }
                }
            }
        }
        assert!(
            bg_family(&[-1.0, 1.0, 1.0, 1.0], &prepared, false)
                .value
                .is_nan()
        );
    }

    /// The same at 100 parameter points per model spread log-uniformly over r, a, b ∈
    /// [0.02, 20] and α ∈ [0.05, 500]; Hessians in log-parameters.
    #[test]
    fn bg_family_matches_the_reference_over_a_wide_grid() {
        let data = triples();
        let prepared = PreparedTriples::new(&data);
        let mut state: u64 = 777;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut log_uniform = |lo: f64, hi: f64| (lo.ln() + uniform() * (hi / lo).ln()).exp();
        for (model, modified) in [(PurchaseModel::BgNbd, false), (PurchaseModel::MbgNbd, true)] {
            for _ in 0..100 {
                let params = [
                    log_uniform(0.02, 20.0),
                    log_uniform(0.05, 500.0),
                    log_uniform(0.02, 20.0),
                    log_uniform(0.02, 20.0),
                ];
                let d = bg_family(&params, &prepared, modified);
                let mut g_ref = [0.0; 4];
                let reference = model.ln_likelihood(&params, &data, Some(&mut g_ref));
                assert!(close(d.value, reference, 1e-13), "{model:?} {params:?}");
                for i in 0..4 {
                    assert!(close(d.gradient[i], g_ref[i], 1e-11), "{model:?} grad {i}");
                }
                let d = d.in_log_parameters(&params);
                for i in 0..4 {
                    let h: f64 = 1e-5;
                    let mut plus = params;
                    plus[i] *= h.exp();
                    let mut minus = params;
                    minus[i] *= (-h).exp();
                    let gp = bg_family(&plus, &prepared, modified).in_log_parameters(&plus);
                    let gm = bg_family(&minus, &prepared, modified).in_log_parameters(&minus);
                    for j in 0..4 {
                        let numeric = (gp.gradient[j] - gm.gradient[j]) / (2.0 * h);
                        let scale = (d.hessian[i][i].abs() * d.hessian[j][j].abs()).sqrt();
                        assert!(
                            (d.hessian[i][j] - numeric).abs() <= 1e-6 * scale.max(1.0),
                            "{model:?} {params:?} H[{i}][{j}] {} vs {numeric}",
                            d.hessian[i][j]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn gamma_gamma_matches_the_reference_and_finite_differences() {
        let data = [
            SpendHistory { x: 3.0, mean: 2.0 },
            SpendHistory { x: 1.0, mean: 5.0 },
            SpendHistory { x: 1.0, mean: 7.5 },
            SpendHistory {
                x: 3.0,
                mean: 22.35,
            },
            SpendHistory {
                x: 10.0,
                mean: 48.2,
            },
        ];
        let prepared = PreparedSpend::new(&data);
        for params in [[6.25, 3.74, 15.44], [0.3, 40.0, 0.02]] {
            let d = gamma_gamma(&params, &prepared);
            let mut g_ref = [0.0; 3];
            let reference = spend::ln_likelihood(&params, &data, Some(&mut g_ref));
            assert!(close(d.value, reference, 1e-13));
            for i in 0..3 {
                assert!(close(d.gradient[i], g_ref[i], 1e-11), "grad {i}");
                let h = 1e-5 * params[i];
                let mut plus = params;
                plus[i] += h;
                let mut minus = params;
                minus[i] -= h;
                let (gp, gm) = (
                    gamma_gamma(&plus, &prepared).gradient,
                    gamma_gamma(&minus, &prepared).gradient,
                );
                for j in 0..3 {
                    let numeric = (gp[j] - gm[j]) / (2.0 * h);
                    assert!(
                        close(d.hessian[i][j], numeric, 1e-6),
                        "H[{i}][{j}] {} vs {numeric}",
                        d.hessian[i][j]
                    );
                }
            }
        }
    }

    #[test]
    fn log_product_equals_the_sum_of_logarithms() {
        let mut product = LogProduct::default();
        let mut sum = 0.0;
        for i in 0..5000 {
            let y = 1.0 + ((i * 37) % 101) as f64 / 100.0;
            let y = if i % 3 == 0 { 1e-3 / y } else { y };
            let n = if i % 7 == 0 { 3.0 } else { 1.0 };
            product.multiply(y, n);
            sum += n * y.ln();
        }
        assert!(product.exponent != 0, "renormalised on the way");
        product.multiply(1e-200, 1.0);
        sum += (1e-200_f64).ln();
        assert!(close(product.ln(), sum, 1e-13), "{} vs {sum}", product.ln());
    }

    #[test]
    fn time_index_finds_every_time_once() {
        let mut index = TimeIndex::with_capacity(2);
        let mut times = Vec::new();
        let values: Vec<f64> = (0..3000).map(|k| k as f64 / 7.0).collect();
        for &v in values.iter().chain(&values) {
            index.get_or_insert(v, &mut times);
        }
        assert_eq!(times, values);
        assert_eq!(index.get_or_insert(-0.0, &mut times), 0);
        assert_eq!(index.get_or_insert(700.0 / 7.0, &mut times), 700);
    }

    #[test]
    fn log_parameters_chain_rule() {
        // f(p) = p₀² p₁ → in θ = ln p: f = e^(2θ₀+θ₁).
        let p = [1.5, 2.0];
        let d = Derivatives::<2> {
            value: p[0] * p[0] * p[1],
            gradient: [2.0 * p[0] * p[1], p[0] * p[0]],
            hessian: [[2.0 * p[1], 2.0 * p[0]], [2.0 * p[0], 0.0]],
        };
        let t = d.in_log_parameters(&p);
        let f = d.value;
        assert!(close(t.gradient[0], 2.0 * f, 1e-15) && close(t.gradient[1], f, 1e-15));
        assert!(close(t.hessian[0][0], 4.0 * f, 1e-15));
        assert!(close(t.hessian[0][1], 2.0 * f, 1e-15));
        assert!(close(t.hessian[1][1], f, 1e-15));
    }
}
