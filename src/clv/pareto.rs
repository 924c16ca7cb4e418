//! The Pareto/NBD log-likelihood with its exact gradient and Hessian, fast enough for
//! Newton fits: the reference evaluation (`purchase::pareto_total`) calls a general ₂F₁ per
//! distinct (x, τ) and can only be differentiated numerically, at eight more evaluations per
//! gradient.
//!
//! # The representation
//! Fader & Hardie ("A note on deriving the Pareto/NBD model and related expressions", 2005,
//! eqs. 19–22) write a customer's likelihood as
//! L = Γ(r+x) αʳ βˢ / Γ(r) · [E(T) + s (I(tₓ) − I(T))],  E(τ) = (α+τ)^−(r+x) (β+τ)^−s,
//! where, from the derivation (death at y ∈ (tₓ, T] integrated out),
//! I(τ) = I_x(τ) = ∫_τ^∞ (α+y)^−(r+x) (β+y)^−(s+1) dy.
//! The substitution t = (α+τ)/(α+y) gives, for every α and β,
//! I_x(τ) = (α+τ)^−a J(a, b, w),  a = r+s+x,  b = s+1,  w = (α−β)/(α+τ) ∈ (−∞, 1),
//! J(a, b, w) = ∫₀¹ t^(a−1) (1−wt)^−b dt = ₂F₁(a, b; a+1; w)/a
//! (for α ≥ β the note's ₂F₁; for α < β the note's other form is its Pfaff transform). With
//! (α+T)^a E(T) = (1−w_T)^−s and q = a ln((α+T)/(α+tₓ)) ≥ 0,
//! ln L = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β − a ln(α+tₓ) + ln D,
//! D = s J(a, b, w_tₓ) + e^−q [(1−w_T)^−s − s J(a, b, w_T)].
//! Nothing here overflows for large x (the (α+τ)^−a are never formed), and D has no
//! harmful cancellation: the bracket is (α+T)^a (E(T) − s I(T)) = (r+x)(α+T)^a ∫_T^∞
//! (α+y)^−(r+x+1) (β+y)^−s dy > 0, and all three parts are at most D, so D carries a few
//! rounding errors at most, relative to itself.
//!
//! # J and its derivatives
//! J depends on (a, b, w) only; its first and second derivatives in (a, b, w) are summed
//! alongside it, then carried to (r, α, s, β) by the chain rule.
//! * w ≥ 0: J = Σₙ (b)ₙ/n! · wⁿ/(a+n), positive terms; ∂/∂a, ∂/∂b (via (b)ₙ′ = (b)ₙ Σ_{k<n}
//!   1/(b+k)) and ∂/∂w term by term.
//! * w < 0: Pfaff, ₂F₁(a, b; a+1; w) = (1−w)^−b ₂F₁(1, b; a+1; v), v = w/(w−1) ∈ (0, 1), so
//!   J = (1−w)^−b Σₙ (b)ₙ vⁿ/(a)ₙ₊₁, positive terms again.
//! * Down a chain of x for one τ: integrating d/dt[t^a (1−wt)^(1−b)] over [0, 1] gives
//!   a J(a) = (1−w)^(1−b) + (a+1−b) w J(a+1),
//!   so one series at the largest x of each distinct τ and this recurrence down to the
//!   smallest give every J (differentiated, the same identity gives the derivatives).
//!   Run downwards it scales errors by (a+1−b)|w| J(a+1)/(a J(a)) ≤ (a+1−b)|w|/a per step
//!   (J decreases in a), below 1 whenever w ≥ 0 (a+1−b = r+x < a, w < 1), and then nothing
//!   cancels either; for w < 0 the recurrence is used only where that bound is ≤ 1 (the
//!   subtraction then loses at most a factor 3), and a fresh series is summed otherwise.
//!   Near w = 1 (or v = 1) a series needs ~40/(1−w) terms: summed with compensation, up to
//!   [`MAX_TERMS`] of them (1−w down to ~4·10⁻⁵, which only the node x = 0, τ = 0 of
//!   parameters with α/β or β/α beyond ~2·10⁴ comes near).
//! * Beyond that, J comes from the general ₂F₁ of `special` and its derivatives from
//!   central differences of it (first derivatives to ~10⁻⁸, second to ~10⁻⁶).

// Small dense matrix algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use super::derivatives::{Derivatives, LogProduct, PreparedTriples};
use super::special::{digamma, ln_gamma, ln_hyp2f1, trigamma};

/// Terms a ₂F₁ series may take before the general evaluation takes over.
const MAX_TERMS: usize = 1_000_000;

/// Where each J is needed: the distinct (x, τ) pairs ("nodes"), for each triple its two
/// nodes, and for each distinct τ its chain of nodes, stored contiguously in decreasing x
/// (the order the recurrence runs), so a chain's results fill one slice.
#[derive(Clone, Debug)]
pub struct ParetoLayout {
    /// x and the index of τ among the distinct times, per node, chain after chain.
    nodes: Vec<(f64, u32)>,
    /// Per item of the [`PreparedTriples`]: the nodes of (x, tₓ) and (x, T).
    item_nodes: Vec<(u32, u32)>,
    /// Per distinct time with nodes: the time and its chain's range in `nodes`.
    chains: Vec<(u32, std::ops::Range<usize>)>,
}

impl ParetoLayout {
    /// The nodes of `data`.
    pub fn new(data: &PreparedTriples) -> ParetoLayout {
        let times = data.times.len();
        let mut nodes: Vec<(f64, u32)> = Vec::new();
        let mut item_nodes = Vec::with_capacity(data.items.len());
        let mut per_time: Vec<Vec<u32>> = vec![Vec::new(); times];
        // Per time, the node made for it in the current group (stamped with the group).
        let mut stamp = vec![usize::MAX; times];
        let mut node_of = vec![0u32; times];
        for (g, group) in data.groups.iter().enumerate() {
            let mut node = |time: u32| -> u32 {
                let t = time as usize;
                if stamp[t] != g {
                    stamp[t] = g;
                    node_of[t] = nodes.len() as u32;
                    per_time[t].push(nodes.len() as u32);
                    nodes.push((group.x, time));
                }
                node_of[t]
            };
            for item in &data.items[group.start..group.end] {
                let tx = node(item.tx);
                let t = node(item.t);
                item_nodes.push((tx, t));
            }
        }
        // Renumber chain by chain, decreasing x within each (groups come in increasing x).
        let mut renumbered = vec![0u32; nodes.len()];
        let mut ordered = Vec::with_capacity(nodes.len());
        let mut chains = Vec::new();
        for (time, mut chain) in per_time.into_iter().enumerate() {
            if chain.is_empty() {
                continue;
            }
            chain.sort_by(|&a, &b| nodes[b as usize].0.total_cmp(&nodes[a as usize].0));
            let start = ordered.len();
            for node in chain {
                renumbered[node as usize] = ordered.len() as u32;
                ordered.push(nodes[node as usize]);
            }
            chains.push((time as u32, start..ordered.len()));
        }
        for pair in &mut item_nodes {
            *pair = (renumbered[pair.0 as usize], renumbered[pair.1 as usize]);
        }
        ParetoLayout {
            nodes: ordered,
            item_nodes,
            chains,
        }
    }
}

/// J and its derivatives in (a, b, w): [J, J_a, J_b, J_w, J_aa, J_ab, J_aw, J_bb, J_bw, J_ww].
type AbwDerivatives = [f64; 10];

/// The pairs (i, j), i ≤ j, of a packed symmetric 4 × 4 matrix.
const PAIRS: [(usize, usize); 10] = [
    (0, 0),
    (0, 1),
    (0, 2),
    (0, 3),
    (1, 1),
    (1, 2),
    (1, 3),
    (2, 2),
    (2, 3),
    (3, 3),
];

/// Packed index of (i, j).
const fn packed(i: usize, j: usize) -> usize {
    let (i, j) = if i <= j { (i, j) } else { (j, i) };
    match (i, j) {
        (0, 0) => 0,
        (0, 1) => 1,
        (0, 2) => 2,
        (0, 3) => 3,
        (1, 1) => 4,
        (1, 2) => 5,
        (1, 3) => 6,
        (2, 2) => 7,
        (2, 3) => 8,
        _ => 9,
    }
}

/// A value with its gradient and (packed) Hessian in (r, α, s, β): second-order forward
/// differentiation for the few operations a triple needs.
#[derive(Clone, Copy, Debug, Default)]
struct Jet {
    v: f64,
    g: [f64; 4],
    h: [f64; 10],
}

impl Jet {
    fn add(&self, o: &Jet) -> Jet {
        let mut out = *self;
        out.v += o.v;
        for i in 0..4 {
            out.g[i] += o.g[i];
        }
        for k in 0..10 {
            out.h[k] += o.h[k];
        }
        out
    }

    fn sub(&self, o: &Jet) -> Jet {
        let mut out = *self;
        out.v -= o.v;
        for i in 0..4 {
            out.g[i] -= o.g[i];
        }
        for k in 0..10 {
            out.h[k] -= o.h[k];
        }
        out
    }

    /// self += n × o.
    fn add_scaled(&mut self, n: f64, o: &Jet) {
        self.v += n * o.v;
        for i in 0..4 {
            self.g[i] += n * o.g[i];
        }
        for k in 0..10 {
            self.h[k] += n * o.h[k];
        }
    }

    fn mul(&self, o: &Jet) -> Jet {
        let mut out = Jet {
            v: self.v * o.v,
            ..Jet::default()
        };
        for i in 0..4 {
            out.g[i] = self.v * o.g[i] + o.v * self.g[i];
        }
        for (k, &(i, j)) in PAIRS.iter().enumerate() {
            out.h[k] = self.v * o.h[k] + o.v * self.h[k] + self.g[i] * o.g[j] + self.g[j] * o.g[i];
        }
        out
    }

    /// The derivatives of ln of this jet, with the value left at 0 (the caller sums the
    /// logarithms apart): (ln f)′ = f′/f, (ln f)″ = f″/f − f′f′ᵀ/f².
    fn ln_derivatives(&self) -> Jet {
        let inv = 1.0 / self.v;
        let mut out = Jet::default();
        for i in 0..4 {
            out.g[i] = self.g[i] * inv;
        }
        for (k, &(i, j)) in PAIRS.iter().enumerate() {
            out.h[k] = self.h[k] * inv - out.g[i] * out.g[j];
        }
        out
    }

    fn exp(&self) -> Jet {
        let e = self.v.exp();
        let mut out = Jet {
            v: e,
            ..Jet::default()
        };
        for i in 0..4 {
            out.g[i] = e * self.g[i];
        }
        for (k, &(i, j)) in PAIRS.iter().enumerate() {
            out.h[k] = e * (self.h[k] + self.g[i] * self.g[j]);
        }
        out
    }
}

/// Per distinct time τ: ln(α+τ), 1/(α+τ), w = (α−β)/(α+τ) and its derivatives in α and β.
#[derive(Clone, Copy, Debug)]
struct TimeTerms {
    ln_at: f64,
    inv_at: f64,
    w: f64,
    w_alpha: f64,
    w_beta: f64,
    w_alpha_alpha: f64,
    w_alpha_beta: f64,
}

/// Pareto/NBD log-likelihood with gradient and Hessian in `[r, α, s, β]`; NaN outside the
/// domain or if a J cannot be evaluated. `layout` must be made from `data`.
pub fn pareto(params: &[f64; 4], data: &PreparedTriples, layout: &ParetoLayout) -> Derivatives<4> {
    if params.iter().any(|p| !(p.is_finite() && *p > 0.0)) {
        return Derivatives::undefined();
    }
    let [r, alpha, s, beta] = *params;
    let times: Vec<TimeTerms> = data
        .times
        .iter()
        .map(|&tau| {
            let inv_at = 1.0 / (alpha + tau);
            TimeTerms {
                ln_at: (alpha + tau).ln(),
                inv_at,
                w: (alpha - beta) * inv_at,
                w_alpha: (beta + tau) * inv_at * inv_at,
                w_beta: -inv_at,
                w_alpha_alpha: -2.0 * (beta + tau) * inv_at * inv_at * inv_at,
                w_alpha_beta: inv_at * inv_at,
            }
        })
        .collect();
    // (1−w_T)^−s = ((α+T)/(β+T))^s per time, as a jet.
    let powers: Vec<Jet> = data
        .times
        .iter()
        .zip(&times)
        .map(|(&tau, tt)| {
            let inv_bt = 1.0 / (beta + tau);
            let ln_ratio = tt.ln_at - (beta + tau).ln();
            let mut ln_p = Jet {
                v: s * ln_ratio,
                g: [0.0, s * tt.inv_at, ln_ratio, -s * inv_bt],
                ..Jet::default()
            };
            ln_p.h[packed(1, 1)] = -s * tt.inv_at * tt.inv_at;
            ln_p.h[packed(1, 2)] = tt.inv_at;
            ln_p.h[packed(2, 3)] = -inv_bt;
            ln_p.h[packed(3, 3)] = s * inv_bt * inv_bt;
            ln_p.exp()
        })
        .collect();
    // s·J per node, chain by chain, then the sum over triples. (Split over two threads,
    // each part took as long as the whole: on the machines measured the second core gave no
    // speed-up even to independent arithmetic, and a thread costs ~35 µs to start.)
    let mut s_j = vec![Jet::default(); layout.nodes.len()];
    if !chain_jets(r, s, layout, &times, &mut s_j) {
        return Derivatives::undefined();
    }
    let (mut total, logs) = sum_over_triples(r, s, data, layout, &times, &s_j, &powers);
    total.v += logs.ln();
    // −ln Γ(r) + r ln α + s ln β, per customer.
    let n = data.customers;
    total.v += n * (-ln_gamma(r) + r * alpha.ln() + s * beta.ln());
    total.g[0] += n * (alpha.ln() - digamma(r));
    total.g[1] += n * r / alpha;
    total.g[2] += n * beta.ln();
    total.g[3] += n * s / beta;
    total.h[packed(0, 0)] -= n * trigamma(r);
    total.h[packed(0, 1)] += n / alpha;
    total.h[packed(1, 1)] -= n * r / (alpha * alpha);
    total.h[packed(2, 3)] += n / beta;
    total.h[packed(3, 3)] -= n * s / (beta * beta);
    let mut out = Derivatives::<4> {
        value: total.v,
        gradient: total.g,
        hessian: [[0.0; 4]; 4],
    };
    for (k, &(i, j)) in PAIRS.iter().enumerate() {
        out.hessian[i][j] = total.h[k];
        out.hessian[j][i] = total.h[k];
    }
    if !out.is_finite() {
        return Derivatives::undefined();
    }
    out
}

/// J and s·J (as a jet) at every node, into `out`: one series at the top of each chain and
/// the recurrence down it where that is stable (see the module notes). False if a J could
/// not be evaluated.
fn chain_jets(r: f64, s: f64, layout: &ParetoLayout, times: &[TimeTerms], out: &mut [Jet]) -> bool {
    let b = s + 1.0;
    for (time, range) in &layout.chains {
        let tt = &times[*time as usize];
        let w = tt.w;
        let inhomogeneous = recurrence_constants(b, w);
        let mut above: Option<(f64, AbwDerivatives)> = None;
        for node in range.clone() {
            let x = layout.nodes[node].0;
            let a = r + s + x;
            let value = match above {
                Some((x_above, j_above)) => {
                    let gap = x_above - x;
                    let a_above = r + s + x_above;
                    let stable = w >= 0.0 || (a_above - b) * -w <= a_above - 1.0;
                    if gap == 0.0 {
                        Some(j_above)
                    } else if gap > 0.0 && gap.fract() == 0.0 && gap <= 1e5 && stable {
                        let mut j = j_above;
                        for step in 1..=gap as usize {
                            j = recurrence_step(a_above - step as f64, b, w, &inhomogeneous, &j);
                        }
                        Some(j)
                    } else {
                        j_of(a, b, w)
                    }
                }
                None => j_of(a, b, w),
            };
            let Some(value) = value else {
                return false;
            };
            out[node] = s_times_j(s, &value, tt);
            above = Some((x, value));
        }
    }
    true
}

/// Σ count × (ln D − a ln(α+tₓ)) as a jet (ln D's value apart, in the product), and
/// Σ ln Γ(r+x), over all triples; `s_j` and `powers` per node and per time.
fn sum_over_triples(
    r: f64,
    s: f64,
    data: &PreparedTriples,
    layout: &ParetoLayout,
    times: &[TimeTerms],
    s_j: &[Jet],
    powers: &[Jet],
) -> (Jet, LogProduct) {
    let mut total = Jet::default();
    let mut logs = LogProduct::default();
    for group in &data.groups {
        let a = r + s + group.x;
        for (item, &(node_x, node_t)) in data.items[group.start..group.end]
            .iter()
            .zip(&layout.item_nodes[group.start..group.end])
        {
            let tx = &times[item.tx as usize];
            let t = &times[item.t as usize];
            // −q = −a (ln(α+T) − ln(α+tₓ)), and e^−q.
            let d_ln = t.ln_at - tx.ln_at;
            let d_inv = t.inv_at - tx.inv_at;
            let mut minus_q = Jet {
                v: -a * d_ln,
                g: [-d_ln, -a * d_inv, -d_ln, 0.0],
                ..Jet::default()
            };
            minus_q.h[packed(0, 1)] = -d_inv;
            minus_q.h[packed(1, 2)] = -d_inv;
            minus_q.h[packed(1, 1)] = a * (t.inv_at * t.inv_at - tx.inv_at * tx.inv_at);
            let bracket = powers[item.t as usize].sub(&s_j[node_t as usize]);
            let d = s_j[node_x as usize].add(&minus_q.exp().mul(&bracket));
            // ln D's value is gathered in `logs`, its derivatives here.
            logs.multiply(d.v, item.count);
            let mut term = d.ln_derivatives();
            // − a ln(α+tₓ)
            term.v -= a * tx.ln_at;
            term.g[0] -= tx.ln_at;
            term.g[1] -= a * tx.inv_at;
            term.g[2] -= tx.ln_at;
            term.h[packed(0, 1)] -= tx.inv_at;
            term.h[packed(1, 2)] -= tx.inv_at;
            term.h[packed(1, 1)] += a * tx.inv_at * tx.inv_at;
            total.add_scaled(item.count, &term);
        }
        // ln Γ(r+x), per customer of the group.
        let n = group.count;
        total.v += n * ln_gamma(r + group.x);
        total.g[0] += n * digamma(r + group.x);
        total.h[packed(0, 0)] += n * trigamma(r + group.x);
    }
    (total, logs)
}

/// s·J at a node as a jet in (r, α, s, β), from J's derivatives in (a, b, w) with
/// a = r+s+x, b = s+1, w = (α−β)/(α+τ): ∂a = (1, 0, 1, 0), ∂b = (0, 0, 1, 0),
/// ∂w = (0, w_α, 0, w_β), and second derivatives of w only in α, β.
fn s_times_j(s: f64, d: &AbwDerivatives, tt: &TimeTerms) -> Jet {
    let [j, ja, jb, jw, jaa, jab, jaw, jbb, jbw, jww] = *d;
    let (wa, wb) = (tt.w_alpha, tt.w_beta);
    let mut jet = Jet {
        v: j,
        g: [ja, jw * wa, ja + jb, jw * wb],
        ..Jet::default()
    };
    jet.h[packed(0, 0)] = jaa;
    jet.h[packed(0, 1)] = jaw * wa;
    jet.h[packed(0, 2)] = jaa + jab;
    jet.h[packed(0, 3)] = jaw * wb;
    jet.h[packed(1, 1)] = jww * wa * wa + jw * tt.w_alpha_alpha;
    jet.h[packed(1, 2)] = (jaw + jbw) * wa;
    jet.h[packed(1, 3)] = jww * wa * wb + jw * tt.w_alpha_beta;
    jet.h[packed(2, 2)] = jaa + 2.0 * jab + jbb;
    jet.h[packed(2, 3)] = (jaw + jbw) * wb;
    jet.h[packed(3, 3)] = jww * wb * wb;
    // × s: (sJ)′ = s J′ + J e_s, (sJ)″ = s J″ + e_s J′ᵀ + J′ e_sᵀ.
    let mut out = Jet {
        v: s * jet.v,
        ..Jet::default()
    };
    for i in 0..4 {
        out.g[i] = s * jet.g[i];
    }
    out.g[2] += jet.v;
    for k in 0..10 {
        out.h[k] = s * jet.h[k];
    }
    for i in 0..4 {
        out.h[packed(i, 2)] += jet.g[i];
    }
    out.h[packed(2, 2)] += jet.g[2];
    out
}

/// P = (1−w)^(1−b) and its derivatives [P, P_b, P_w, P_bb, P_bw, P_ww]: the inhomogeneous
/// term of the recurrence, the same for a whole chain.
fn recurrence_constants(b: f64, w: f64) -> [f64; 6] {
    let l1 = (-w).ln_1p();
    let p = ((1.0 - b) * l1).exp();
    let inv = 1.0 / (1.0 - w);
    [
        p,
        -l1 * p,
        (b - 1.0) * p * inv,
        l1 * l1 * p,
        p * inv * (1.0 - (b - 1.0) * l1),
        b * (b - 1.0) * p * inv * inv,
    ]
}

/// J(a) and its derivatives from J(a+1)'s: a J(a) = P + (a+1−b) w J(a+1) = R, so with
/// c = (a+1−b)w: J = R/a, J_a = (R_a − J)/a, J_aa = (R_aa − 2J_a)/a, J_ab = (R_ab − J_b)/a,
/// J_aw = (R_aw − J_w)/a, and the b, w derivatives are R's over a.
fn recurrence_step(a: f64, b: f64, w: f64, p: &[f64; 6], up: &AbwDerivatives) -> AbwDerivatives {
    let [pv, pb, pw, pbb, pbw, pww] = *p;
    let [j1, ja1, jb1, jw1, jaa1, jab1, jaw1, jbb1, jbw1, jww1] = *up;
    let c = (a + 1.0 - b) * w;
    let (ca, cb, cw) = (w, -w, a + 1.0 - b);
    let r = pv + c * j1;
    let ra = ca * j1 + c * ja1;
    let rb = pb + cb * j1 + c * jb1;
    let rw = pw + cw * j1 + c * jw1;
    let raa = 2.0 * ca * ja1 + c * jaa1;
    let rab = ca * jb1 + cb * ja1 + c * jab1;
    let raw = j1 + ca * jw1 + cw * ja1 + c * jaw1;
    let rbb = pbb + 2.0 * cb * jb1 + c * jbb1;
    let rbw = pbw - j1 + cb * jw1 + cw * jb1 + c * jbw1;
    let rww = pww + 2.0 * cw * jw1 + c * jww1;
    let inv = 1.0 / a;
    let j = r * inv;
    let ja = (ra - j) * inv;
    let jb = rb * inv;
    let jw = rw * inv;
    [
        j,
        ja,
        jb,
        jw,
        (raa - 2.0 * ja) * inv,
        (rab - jb) * inv,
        (raw - jw) * inv,
        rbb * inv,
        rbw * inv,
        rww * inv,
    ]
}

/// J(a, b, w) and its derivatives by a series (see the module notes), or from the general
/// ₂F₁ with central differences where the series would be too long; `None` if neither works.
fn j_of(a: f64, b: f64, w: f64) -> Option<AbwDerivatives> {
    let series = if w >= 0.0 {
        j_series(a, b, w, MAX_TERMS)
    } else {
        j_series_pfaff(a, b, w, MAX_TERMS)
    };
    series.or_else(|| j_by_differences(a, b, w))
}

/// sums += terms with Kahan's compensation: near w = 1 a series has up to a million terms,
/// whose rounding errors would otherwise add up to ~10⁻¹¹.
#[inline]
fn compensated_add(sums: &mut [f64; 10], compensation: &mut [f64; 10], terms: &[f64; 10]) {
    for k in 0..10 {
        let y = terms[k] - compensation[k];
        let t = sums[k] + y;
        compensation[k] = (t - sums[k]) - y;
        sums[k] = t;
    }
}

/// Whether a positive-term series may stop: the term is below 10⁻¹⁷ of the sum, allowing for
/// the geometric tail (terms shrink by `ratio` < 1 from here on).
fn negligible(term: f64, sum: f64, ratio: f64) -> bool {
    term.abs() <= 1e-17 * (1.0 - ratio) * sum.abs()
}

/// J = Σₙ uₙ/(a+n), uₙ = (b)ₙ wⁿ/n!, for 0 ≤ w < 1, with, term by term:
/// ∂_a: −uₙ/(a+n)², ∂_b: uₙ hₙ/(a+n) (hₙ = Σ_{k<n} 1/(b+k)), ∂_w: u_{n−1}(b+n−1)/(a+n), …
fn j_series(a: f64, b: f64, w: f64, max_terms: usize) -> Option<AbwDerivatives> {
    let mut sum = [0.0_f64; 10];
    let mut compensation = [0.0_f64; 10];
    // u_n, u_{n−1}, u_{n−2}
    let (mut u, mut u1, mut u2) = (1.0_f64, 0.0_f64, 0.0_f64);
    let (mut h, mut h2) = (0.0_f64, 0.0_f64);
    for n in 0..max_terms {
        let nf = n as f64;
        let inv = 1.0 / (a + nf);
        let c = u * inv;
        // ∂_w of uₙ is n wⁿ⁻¹ (b)ₙ/n! = u_{n−1}(b+n−1); ∂²_w is u_{n−2}(b+n−2)(b+n−1).
        let tw = if n >= 1 {
            u1 * (b + nf - 1.0) * inv
        } else {
            0.0
        };
        let tww = if n >= 2 {
            u2 * (b + nf - 2.0) * (b + nf - 1.0) * inv
        } else {
            0.0
        };
        let terms = [
            c,
            -c * inv,
            c * h,
            tw,
            2.0 * c * inv * inv,
            -c * h * inv,
            -tw * inv,
            c * (h * h - h2),
            tw * h,
            tww,
        ];
        compensated_add(&mut sum, &mut compensation, &terms);
        let ratio = (b + nf) * w / (nf + 1.0);
        if n >= 2
            && ratio < 1.0
            && [0, 2, 3, 7, 8, 9]
                .iter()
                .all(|&k| negligible(terms[k], sum[k], ratio))
        {
            return Some(sum);
        }
        u2 = u1;
        u1 = u;
        u *= ratio;
        let inv_b = 1.0 / (b + nf);
        h += inv_b;
        h2 += inv_b * inv_b;
    }
    None
}

/// For w < 0: J = (1−w)^−b K(a, b, v), K = Σₙ eₙ, eₙ = (b)ₙ vⁿ/(a)ₙ₊₁, v = w/(w−1) (Pfaff's
/// transformation), all terms positive; K's derivatives term by term, then the product
/// and chain rules (dv/dw = −(1−v)², d²v/dw² = −2(1−v)³).
fn j_series_pfaff(a: f64, b: f64, w: f64, max_terms: usize) -> Option<AbwDerivatives> {
    let v = w / (w - 1.0);
    // K, K_a, K_b, K_v, K_aa, K_ab, K_av, K_bb, K_bv, K_vv
    let mut k_sum = [0.0_f64; 10];
    let mut compensation = [0.0_f64; 10];
    let (mut e, mut e1, mut e2) = (1.0 / a, 0.0_f64, 0.0_f64);
    // g = Σ_{k≤n} 1/(a+k), h = Σ_{k<n} 1/(b+k), and their squares' sums.
    let (mut g, mut g2) = (1.0 / a, 1.0 / (a * a));
    let (mut h, mut h2) = (0.0_f64, 0.0_f64);
    let mut done = false;
    for n in 0..max_terms {
        let nf = n as f64;
        let tv = if n >= 1 {
            e1 * (b + nf - 1.0) * nf / (a + nf)
        } else {
            0.0
        };
        let tvv = if n >= 2 {
            e2 * (b + nf - 2.0) * (b + nf - 1.0) * nf * (nf - 1.0) / ((a + nf - 1.0) * (a + nf))
        } else {
            0.0
        };
        let terms = [
            e,
            -e * g,
            e * h,
            tv,
            e * (g * g + g2),
            -e * g * h,
            -tv * g,
            e * (h * h - h2),
            tv * h,
            tvv,
        ];
        compensated_add(&mut k_sum, &mut compensation, &terms);
        let ratio = (b + nf) * v / (a + nf + 1.0);
        if n >= 2
            && ratio < 1.0
            && [0, 2, 3, 7, 8, 9]
                .iter()
                .all(|&k| negligible(terms[k], k_sum[k], ratio))
        {
            done = true;
            break;
        }
        e2 = e1;
        e1 = e;
        e *= ratio;
        let inv_a = 1.0 / (a + nf + 1.0);
        g += inv_a;
        g2 += inv_a * inv_a;
        let inv_b = 1.0 / (b + nf);
        h += inv_b;
        h2 += inv_b * inv_b;
    }
    if !done {
        return None;
    }
    let [k, ka, kb, kv, kaa, kab, kav, kbb, kbv, kvv] = k_sum;
    // To w.
    let dv = -(1.0 - v) * (1.0 - v);
    let d2v = -2.0 * (1.0 - v) * (1.0 - v) * (1.0 - v);
    let (kw, kaw, kbw, kww) = (kv * dv, kav * dv, kbv * dv, kvv * dv * dv + kv * d2v);
    // J = M K with ln M = −b ln(1−w): m_b = −ln(1−w), m_w = b/(1−w), m_bw = 1/(1−w),
    // m_ww = b/(1−w)²; J_i = M(K_i + K m_i), J_ij = M(K_ij + K_i m_j + K_j m_i + K(m_ij + m_i m_j)).
    let l1 = (-w).ln_1p();
    let m = (-b * l1).exp();
    let inv = 1.0 / (1.0 - w);
    let (mb, mw, mbw, mww) = (-l1, b * inv, inv, b * inv * inv);
    Some([
        m * k,
        m * ka,
        m * (kb + k * mb),
        m * (kw + k * mw),
        m * kaa,
        m * (kab + ka * mb),
        m * (kaw + ka * mw),
        m * (kbb + 2.0 * kb * mb + k * mb * mb),
        m * (kbw + kb * mw + kw * mb + k * (mbw + mb * mw)),
        m * (kww + 2.0 * kw * mw + k * (mww + mw * mw)),
    ])
}

/// J = ₂F₁(a, b; a+1; w)/a from the general ₂F₁ (which transforms near w = 1), with its
/// derivatives by central differences of ln J (smooth on the scales a, 1/max(1, |ln(1−w)|)
/// and 1−w in a, b and w): a fallback for extreme parameters, accurate to roughly 10⁻⁸ in
/// the first derivatives and 10⁻⁶ in the second.
fn j_by_differences(a: f64, b: f64, w: f64) -> Option<AbwDerivatives> {
    let ln_j = |offsets: [f64; 3]| -> Option<f64> {
        let (a, b, w) = (a + offsets[0], b + offsets[1], w + offsets[2]);
        let f = ln_hyp2f1(a, b, a + 1.0, w).ok()?;
        let value = f.ln_abs - a.ln();
        (f.sign > 0.0 && value.is_finite()).then_some(value)
    };
    let scales = [a, b.min(1.0 / (-w).ln_1p().abs().max(1.0)), 1.0 - w];
    let centre = ln_j([0.0; 3])?;
    // First derivatives with steps 10⁻⁵ (truncation ~10⁻¹⁰, rounding ~10⁻⁹), second with
    // 3·10⁻⁴ (truncation and rounding both ~10⁻⁷).
    let mut first = [0.0; 3];
    let mut second = [[0.0; 3]; 3];
    let offset = |pairs: &[(usize, f64)]| -> [f64; 3] {
        let mut o = [0.0; 3];
        for &(i, v) in pairs {
            o[i] = v;
        }
        o
    };
    for i in 0..3 {
        let h = 1e-5 * scales[i];
        first[i] = (ln_j(offset(&[(i, h)]))? - ln_j(offset(&[(i, -h)]))?) / (2.0 * h);
        let h = 3e-4 * scales[i];
        second[i][i] =
            (ln_j(offset(&[(i, h)]))? - 2.0 * centre + ln_j(offset(&[(i, -h)]))?) / (h * h);
        for k in 0..i {
            let hk = 3e-4 * scales[k];
            second[i][k] = (ln_j(offset(&[(i, h), (k, hk)]))?
                - ln_j(offset(&[(i, h), (k, -hk)]))?
                - ln_j(offset(&[(i, -h), (k, hk)]))?
                + ln_j(offset(&[(i, -h), (k, -hk)]))?)
                / (4.0 * h * hk);
            second[k][i] = second[i][k];
        }
    }
    // J = e^L: J_i = J L_i, J_ij = J (L_ij + L_i L_j).
    let j = centre.exp();
    let d2 = |i: usize, k: usize| j * (second[i][k] + first[i] * first[k]);
    Some([
        j,
        j * first[0],
        j * first[1],
        j * first[2],
        d2(0, 0),
        d2(0, 1),
        d2(0, 2),
        d2(1, 1),
        d2(1, 2),
        d2(2, 2),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::purchase::PurchaseModel;
    use crate::clv::summary::Triple;

    fn triples() -> Vec<Triple> {
        let mut out: Vec<Triple> = [
            (0.0, 0.0, 38.86, 3.0),
            (0.0, 0.0, 12.5, 1.0),
            (1.0, 1.71, 38.86, 2.0),
            (1.0, 38.86, 38.86, 1.0),
            (2.0, 30.43, 38.86, 1.0),
            (2.0, 1.0, 38.86, 4.0),
            (3.0, 30.43, 38.86, 1.0),
            (5.0, 20.0, 30.0, 1.0),
            (7.0, 20.0, 38.86, 1.0),
            (12.0, 37.0, 38.0, 1.0),
            (12.0, 12.0, 38.86, 1.0),
            (40.0, 36.0, 38.86, 1.0),
            (41.5, 36.0, 38.86, 1.0),
            (150.0, 77.0, 78.0, 1.0),
            (200.0, 70.0, 78.0, 1.0),
            (200.0, 78.0, 78.0, 2.0),
        ]
        .into_iter()
        .map(|(x, tx, t, count)| Triple { x, tx, t, count })
        .collect();
        out.sort_by(|a, b| a.x.total_cmp(&b.x));
        out
    }

    /// Parameter points: near the CDNOW optima (α ≥ β and α < β), far from them, with the
    /// recurrence unstable for α < β (β > 2α + τ), and with w or v near 1 (the fallback).
    const POINTS: [[f64; 4]; 9] = [
        [0.553, 10.578, 0.606, 11.669],
        [0.611, 13.61, 0.3126, 6.15],
        [0.05, 0.3, 4.0, 0.2],
        [3.0, 50.0, 0.1, 80.0],
        [0.3, 2.0, 0.8, 60.0],
        [1.7, 0.5, 2.5, 300.0],
        [0.4, 200.0, 0.5, 0.4],
        [0.4, 2000.0, 0.5, 0.05],
        [0.2, 0.01, 1.3, 90.0],
    ];

    /// Against the reference evaluation: values to 1e-12, gradients against central
    /// differences of the reference (which carry ~1e-8 of noise).
    #[test]
    fn value_and_gradient_match_the_reference() {
        let data = triples();
        let prepared = PreparedTriples::new(&data);
        let layout = ParetoLayout::new(&prepared);
        for params in POINTS {
            let d = pareto(&params, &prepared, &layout);
            let reference = PurchaseModel::ParetoNbd.ln_likelihood(&params, &data, None);
            assert!(
                (d.value - reference).abs() <= 1e-12 * reference.abs(),
                "{params:?}: {} vs {reference}",
                d.value
            );
            for i in 0..4 {
                let h = 1e-5 * params[i];
                let mut plus = params;
                plus[i] += h;
                let mut minus = params;
                minus[i] -= h;
                let numeric = (PurchaseModel::ParetoNbd.ln_likelihood(&plus, &data, None)
                    - PurchaseModel::ParetoNbd.ln_likelihood(&minus, &data, None))
                    / (2.0 * h);
                assert!(
                    (d.gradient[i] - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                    "{params:?} gradient {i}: {} vs {numeric}",
                    d.gradient[i]
                );
            }
        }
    }

    /// Values and gradients against the reference, and Hessians against differences of the
    /// gradient, at 200 parameter points spread
    /// log-uniformly over r, s ∈ [0.02, 20] and α, β ∈ [0.05, 500] (both orders of α and β,
    /// near and far from any optimum).
    #[test]
    fn value_and_gradient_match_the_reference_over_a_wide_grid() {
        let data = triples();
        let prepared = PreparedTriples::new(&data);
        let layout = ParetoLayout::new(&prepared);
        // A fixed linear congruential sequence: the same points on every run.
        let mut state: u64 = 12345;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut log_uniform = |lo: f64, hi: f64| (lo.ln() + uniform() * (hi / lo).ln()).exp();
        let model = PurchaseModel::ParetoNbd;
        for _ in 0..200 {
            let params = [
                log_uniform(0.02, 20.0),
                log_uniform(0.05, 500.0),
                log_uniform(0.02, 20.0),
                log_uniform(0.05, 500.0),
            ];
            let d = pareto(&params, &prepared, &layout);
            let reference = model.ln_likelihood(&params, &data, None);
            assert!(
                (d.value - reference).abs() <= 1e-12 * reference.abs(),
                "{params:?}: {} vs {reference}",
                d.value
            );
            for i in 0..4 {
                let h = 1e-5 * params[i];
                let mut plus = params;
                plus[i] += h;
                let mut minus = params;
                minus[i] -= h;
                let numeric = (model.ln_likelihood(&plus, &data, None)
                    - model.ln_likelihood(&minus, &data, None))
                    / (2.0 * h);
                assert!(
                    (d.gradient[i] - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                    "{params:?} gradient {i}: {} vs {numeric}",
                    d.gradient[i]
                );
            }
            // The Hessian in log-parameters against differences of the analytic gradient.
            let d = d.in_log_parameters(&params);
            for i in 0..4 {
                let h: f64 = 1e-5;
                let mut plus = params;
                plus[i] *= h.exp();
                let mut minus = params;
                minus[i] *= (-h).exp();
                let gp = pareto(&plus, &prepared, &layout).in_log_parameters(&plus);
                let gm = pareto(&minus, &prepared, &layout).in_log_parameters(&minus);
                for j in 0..4 {
                    let numeric = (gp.gradient[j] - gm.gradient[j]) / (2.0 * h);
                    let scale = (d.hessian[i][i].abs() * d.hessian[j][j].abs()).sqrt();
                    assert!(
                        (d.hessian[i][j] - numeric).abs() <= 1e-4 * scale.max(1.0),
                        "{params:?} H[{i}][{j}] {} vs {numeric}",
                        d.hessian[i][j]
                    );
                }
            }
        }
    }

    /// The Hessian against central differences of the analytic gradient, in the fits'
    /// log-parameters; only roughly at the last two points, where the J of some nodes come
    /// from differences of ₂F₁ already (whose errors the cancellation in
    /// (1−w_T)^−s − s J(w_T) amplifies when w_T is within 10⁻⁴ of 1).
    #[test]
    fn hessian_matches_differences_of_the_gradient() {
        let data = triples();
        let prepared = PreparedTriples::new(&data);
        let layout = ParetoLayout::new(&prepared);
        for (point, params) in POINTS.iter().enumerate() {
            let tolerance = if point + 2 >= POINTS.len() {
                2e-2
            } else {
                1e-6
            };
            let d = pareto(params, &prepared, &layout).in_log_parameters(params);
            for i in 0..4 {
                let h: f64 = 1e-5;
                let mut plus = *params;
                plus[i] *= h.exp();
                let mut minus = *params;
                minus[i] *= (-h).exp();
                let (gp, gm) = (
                    pareto(&plus, &prepared, &layout)
                        .in_log_parameters(&plus)
                        .gradient,
                    pareto(&minus, &prepared, &layout)
                        .in_log_parameters(&minus)
                        .gradient,
                );
                for j in 0..4 {
                    let numeric = (gp[j] - gm[j]) / (2.0 * h);
                    let scale = (d.hessian[i][i].abs() * d.hessian[j][j].abs()).sqrt();
                    assert!(
                        (d.hessian[i][j] - numeric).abs() <= tolerance * scale.max(1.0),
                        "{params:?} H[{i}][{j}] {} vs {numeric}",
                        d.hessian[i][j]
                    );
                }
            }
        }
    }

    /// Every J from a recurrence equals the series summed at its own node, derivatives too.
    #[test]
    fn the_recurrence_agrees_with_the_series() {
        for (a, b, w) in [
            (0.9, 1.3, 0.4),
            (0.9, 1.3, 0.0),
            (1.2, 5.0, 0.85),
            (0.7, 1.1, -0.3),
            (0.7, 1.6, -0.9),
            (2.5, 1.01, 0.99),
        ] {
            let p = recurrence_constants(b, w);
            let top = 60.0;
            let direct: Vec<AbwDerivatives> = (0..=60)
                .map(|step| j_of(a + top - step as f64, b, w).unwrap())
                .collect();
            // Some derivatives change sign along the chain: compare with their largest size.
            let mut sizes = [0.0_f64; 10];
            for d in &direct {
                for k in 0..10 {
                    sizes[k] = sizes[k].max(d[k].abs());
                }
            }
            let mut j = direct[0];
            for step in 1..=60 {
                j = recurrence_step(a + top - step as f64, b, w, &p, &j);
                for k in 0..10 {
                    assert!(
                        (j[k] - direct[step][k]).abs() <= 1e-12 * sizes[k],
                        "a {} b {b} w {w} derivative {k}: {} vs {}",
                        a + top - step as f64,
                        j[k],
                        direct[step][k]
                    );
                }
            }
        }
    }

    /// The series against the general ₂F₁ and against differences of itself.
    #[test]
    fn the_series_match_hyp2f1_and_their_own_differences() {
        for (a, b, w) in [
            (0.9, 1.3, 0.4),
            (30.0, 1.3, 0.7),
            (0.7, 1.1, -0.3),
            (5.7, 2.1, -8.0),
            (1.2, 1.4, 0.95),
        ] {
            let d = j_of(a, b, w).unwrap();
            let f = ln_hyp2f1(a, b, a + 1.0, w).unwrap();
            let want = (f.ln_abs - a.ln()).exp();
            assert!((d[0] - want).abs() <= 1e-13 * want, "{a} {b} {w}");
            let numeric = j_by_differences(a, b, w).unwrap();
            for k in 1..10 {
                let tolerance = if k < 4 { 1e-7 } else { 1e-4 };
                assert!(
                    (d[k] - numeric[k]).abs() <= tolerance * numeric[k].abs().max(1e-6),
                    "{a} {b} {w} derivative {k}: {} vs {}",
                    d[k],
                    numeric[k]
                );
            }
        }
    }
}
