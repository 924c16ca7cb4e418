//! Minimising a smooth function of a few parameters: BFGS with a strong-Wolfe line search
//! (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 6.1, 3.5 and 3.6), and
//! the Hessian at the optimum from finite differences of the analytic gradient; and, for
//! objectives that also supply their exact Hessian, a damped Newton method ([`newton`]).
//!
//! The models have three or four parameters and cheap analytic derivatives. With the exact
//! Hessian, Newton's method converges quadratically: a fit takes 5–10 evaluations instead of
//! BFGS's 25–40, and the Hessian at the optimum (for the covariance) comes free with the last
//! one. A general optimisation crate would add weight without adding robustness here.
//! Non-finite function values (a parameter walked where a likelihood is undefined) are
//! treated as +∞, so the line search backs off.

// Small dense matrix algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

/// A function value and its gradient at `x`; the gradient is written into the slice.
pub type Objective<'a> = dyn FnMut(&[f64], &mut [f64]) -> f64 + 'a;

/// How BFGS ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    /// Where it ended.
    pub x: Vec<f64>,
    /// The function there.
    pub value: f64,
    /// The gradient there.
    pub gradient: Vec<f64>,
    /// Iterations (BFGS or Newton steps taken).
    pub iterations: u32,
    /// Objective evaluations (with gradient, and Hessian for Newton).
    pub evaluations: u32,
    /// Whether a convergence test was met (not the iteration limit or a failed line search).
    pub converged: bool,
    /// The exact Hessian at `x` when the method had it ([`newton`]); `None` from BFGS.
    pub hessian: Option<Vec<Vec<f64>>>,
}

/// Stopping rules.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Stop when every |gradient component| ≤ `gradient_tolerance` × max(1, |f|).
    pub gradient_tolerance: f64,
    /// Stop when f changes by less than this × max(1, |f|) on two successive iterations.
    pub value_tolerance: f64,
    /// Give up after this many iterations.
    pub max_iterations: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            gradient_tolerance: 1e-9,
            value_tolerance: 1e-15,
            max_iterations: 500,
        }
    }
}

/// Minimises `f` from `x0` with BFGS.
pub fn minimize(f: &mut Objective<'_>, x0: &[f64], options: Options) -> Minimum {
    let n = x0.len();
    let mut evaluations = 0u32;
    let mut eval = |x: &[f64], g: &mut [f64]| -> f64 {
        evaluations += 1;
        let v = f(x, g);
        if v.is_finite() && g.iter().all(|gi| gi.is_finite()) {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut value = eval(&x, &mut g);
    // Inverse Hessian approximation, starting as the identity scaled after the first step.
    let mut h = identity(n);
    let mut small_changes = 0;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < options.max_iterations {
        let scale = value.abs().max(1.0);
        if g.iter()
            .all(|gi| gi.abs() <= options.gradient_tolerance * scale)
        {
            converged = true;
            break;
        }
        iterations += 1;
        let mut direction: Vec<f64> = mat_vec(&h, &g).into_iter().map(|v| -v).collect();
        if dot(&direction, &g) >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            h = identity(n);
            direction = g.iter().map(|v| -v).collect();
        }
        let Some(step) = line_search(&mut eval, &x, value, &g, &direction) else {
            // No acceptable step: converged as far as the arithmetic allows if the gradient
            // is already tiny, otherwise a failure.
            converged = g.iter().all(|gi| gi.abs() <= 1e-5 * scale);
            break;
        };
        let s: Vec<f64> = direction.iter().map(|d| d * step.alpha).collect();
        let y: Vec<f64> = step
            .gradient
            .iter()
            .zip(&g)
            .map(|(new, old)| new - old)
            .collect();
        let sy = dot(&s, &y);
        if iterations == 1 && sy > 0.0 {
            // Scale the first inverse Hessian (Nocedal & Wright eq. 6.20).
            let gamma = sy / dot(&y, &y);
            h = identity(n)
                .into_iter()
                .map(|row| row.into_iter().map(|v| v * gamma).collect())
                .collect();
        }
        if sy > 1e-12 * norm(&s) * norm(&y) {
            bfgs_update(&mut h, &s, &y, sy);
        }
        let change = (value - step.value).abs();
        x = step.x;
        g = step.gradient;
        value = step.value;
        if change <= options.value_tolerance * value.abs().max(1.0) {
            small_changes += 1;
            if small_changes >= 2 {
                converged = true;
                break;
            }
        } else {
            small_changes = 0;
        }
    }
    Minimum {
        x,
        value,
        gradient: g,
        iterations,
        evaluations,
        converged,
        hessian: None,
    }
}

/// A function value, gradient and Hessian at `x`: the gradient is written into the first
/// slice, the Hessian (row-major, n × n) into the second. A Hessian with a non-finite entry
/// means "not available at this point": [`newton`] then steps with a BFGS approximation.
pub type SecondOrderObjective<'a> = dyn FnMut(&[f64], &mut [f64], &mut [f64]) -> f64 + 'a;

/// Stopping rules for [`newton`].
#[derive(Clone, Copy, Debug)]
pub struct NewtonOptions {
    /// Converged when every |gradient component| ≤ this × max(1, |f|) and the Newton
    /// decrement is below `decrement_tolerance`.
    pub gradient_tolerance: f64,
    /// Converged when the Newton decrement gᵀH⁻¹g (twice the decrease the quadratic model
    /// still promises) is ≤ this × max(1, |f|): within rounding of the minimum.
    pub decrement_tolerance: f64,
    /// Also converged, whatever the gradient's size, when the decrement is ≤ this ×
    /// max(1, |f|) and has stopped shrinking (it is over a quarter of the last one, where
    /// Newton's own convergence would square it): what is left is the objective's rounding.
    /// A likelihood whose special functions are series summed to about 10⁻¹² (Pareto/NBD's)
    /// over tens of thousands of customers has a gradient that never falls below about
    /// 10⁻³, though nothing is left to gain; without this rule Newton chases that noise with
    /// line searches that find no decrease (a Pareto/NBD fit of CDNOW spent 38 of its 48
    /// evaluations so, at a point it had reached by its 8th).
    pub noise_tolerance: f64,
    /// The largest step, in max-norm; longer Newton steps are shortened to it (far from the
    /// optimum the quadratic model is not to be trusted much further).
    pub max_step: f64,
    /// Give up after this many iterations.
    pub max_iterations: u32,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            gradient_tolerance: 1e-9,
            decrement_tolerance: 1e-15,
            noise_tolerance: 1e-14,
            max_step: 2.0,
            max_iterations: 200,
        }
    }
}

/// Minimises `f` from `x0` by Newton's method with the exact Hessian, made robust by
/// (i) Levenberg–Marquardt damping, H + λI with the smallest λ ∈ {0, 10⁻⁸‖H‖, …} that is
/// positive definite, so every step is a descent direction; (ii) a step-length cap;
/// (iii) a backtracking Armijo line search (Nocedal & Wright Algorithm 3.1 with quadratic
/// interpolation), which also backs away from points where f is undefined. Where the
/// objective has no Hessian, a BFGS approximation updated along the way stands in.
pub fn newton(f: &mut SecondOrderObjective<'_>, x0: &[f64], options: NewtonOptions) -> Minimum {
    const C1: f64 = 1e-4;
    let n = x0.len();
    let mut evaluations = 0u32;
    let mut eval = |x: &[f64], g: &mut [f64], h: &mut [f64]| -> f64 {
        evaluations += 1;
        let v = f(x, g, h);
        if v.is_finite() && g.iter().all(|gi| gi.is_finite()) {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut h = vec![0.0; n * n];
    let mut value = eval(&x, &mut g, &mut h);
    // The BFGS stand-in (a Hessian approximation, not its inverse), used only where the
    // objective gives no Hessian.
    let mut approximation: Option<Vec<Vec<f64>>> = None;
    let mut iterations = 0;
    let mut converged = false;
    let mut small_changes = 0;
    // The Newton decrement of the last iteration, where the exact Hessian gave it.
    let mut last_decrement: Option<f64> = None;
    while value.is_finite() && iterations < options.max_iterations {
        let scale = value.abs().max(1.0);
        let exact = h.iter().all(|v| v.is_finite());
        let model: Vec<Vec<f64>> = if exact {
            (0..n).map(|i| h[i * n..(i + 1) * n].to_vec()).collect()
        } else {
            approximation.clone().unwrap_or_else(|| identity(n))
        };
        let Some((direction, damped)) = damped_newton_direction(&model, &g) else {
            break;
        };
        let decrement = -dot(&g, &direction);
        let small_gradient = g
            .iter()
            .all(|gi| gi.abs() <= options.gradient_tolerance * scale);
        let at_the_rounding = decrement <= options.noise_tolerance * scale
            && last_decrement.is_some_and(|last| decrement > 0.25 * last);
        if exact
            && !damped
            && ((small_gradient && decrement <= options.decrement_tolerance * scale)
                || at_the_rounding)
        {
            converged = true;
            break;
        }
        last_decrement = (exact && !damped).then_some(decrement);
        iterations += 1;
        let longest = direction.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
        let direction: Vec<f64> = if longest > options.max_step {
            direction
                .iter()
                .map(|d| d * options.max_step / longest)
                .collect()
        } else {
            direction
        };
        let slope = dot(&g, &direction);
        let mut step = 1.0;
        let mut accepted = None;
        let mut trial_g = vec![0.0; n];
        let mut trial_h = vec![0.0; n * n];
        for _ in 0..50 {
            let trial: Vec<f64> = x
                .iter()
                .zip(&direction)
                .map(|(xi, di)| xi + step * di)
                .collect();
            let trial_value = eval(&trial, &mut trial_g, &mut trial_h);
            if trial_value <= value + C1 * step * slope {
                accepted = Some((trial, trial_value));
                break;
            }
            // The minimiser of the quadratic through f(0), f′(0) and f(step), kept within
            // [0.1, 0.5] × step; a quarter step where f is undefined.
            step = if trial_value.is_finite() {
                let curvature = trial_value - value - step * slope;
                let t = -slope * step * step / (2.0 * curvature);
                t.clamp(0.1 * step, 0.5 * step)
            } else {
                0.25 * step
            };
        }
        let Some((trial, trial_value)) = accepted else {
            // No decrease possible along a descent direction: as far as the arithmetic
            // goes, if the gradient is already tiny.
            converged = g.iter().all(|gi| gi.abs() <= 1e-5 * scale);
            break;
        };
        let s: Vec<f64> = trial.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = trial_g.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm(&s) * norm(&y) {
            let mut b = approximation.take().unwrap_or_else(|| {
                // First update: scale the identity to the curvature seen (N & W eq. 6.20).
                let gamma = dot(&y, &y) / sy;
                identity(n)
                    .into_iter()
                    .map(|row| row.into_iter().map(|v| v * gamma).collect())
                    .collect()
            });
            bfgs_direct_update(&mut b, &s, &y, sy);
            approximation = Some(b);
        }
        let change = value - trial_value;
        x = trial;
        value = trial_value;
        g.copy_from_slice(&trial_g);
        h.copy_from_slice(&trial_h);
        // A guard for objectives whose last digits are noise: no progress twice running.
        if change <= 1e-15 * scale {
            small_changes += 1;
            if small_changes >= 2 {
                converged = g.iter().all(|gi| gi.abs() <= 1e-5 * scale);
                break;
            }
        } else {
            small_changes = 0;
        }
    }
    let hessian = h
        .iter()
        .all(|v| v.is_finite())
        .then(|| (0..n).map(|i| h[i * n..(i + 1) * n].to_vec()).collect());
    Minimum {
        x,
        value,
        gradient: g,
        iterations,
        evaluations,
        converged,
        hessian,
    }
}

/// −(H + λI)⁻¹ g for the smallest λ in {0, 10⁻⁸ s, 10⁻⁷ s, …} (s the largest |Hᵢⱼ|) that makes
/// H + λI positive definite, and whether λ > 0; `None` if none does (H not finite).
fn damped_newton_direction(h: &[Vec<f64>], g: &[f64]) -> Option<(Vec<f64>, bool)> {
    let n = g.len();
    let size = h
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(1e-300);
    let mut lambda = 0.0;
    for _ in 0..40 {
        let mut m = h.to_vec();
        for i in 0..n {
            m[i][i] += lambda;
        }
        if let Some(l) = cholesky(&m) {
            let mut y = vec![0.0; n];
            for i in 0..n {
                let mut sum = -g[i];
                for k in 0..i {
                    sum -= l[i][k] * y[k];
                }
                y[i] = sum / l[i][i];
            }
            let mut p = vec![0.0; n];
            for i in (0..n).rev() {
                let mut sum = y[i];
                for k in i + 1..n {
                    sum -= l[k][i] * p[k];
                }
                p[i] = sum / l[i][i];
            }
            return Some((p, lambda > 0.0));
        }
        lambda = if lambda == 0.0 {
            1e-8 * size
        } else {
            lambda * 10.0
        };
    }
    None
}

/// Direct BFGS update of a Hessian approximation B (Nocedal & Wright eq. 6.19):
/// B ← B − B s sᵀ B / (sᵀ B s) + y yᵀ / (yᵀ s).
fn bfgs_direct_update(b: &mut [Vec<f64>], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let bs = mat_vec(b, s);
    let sbs = dot(s, &bs);
    if sbs.is_nan() || sbs <= 0.0 {
        return;
    }
    for i in 0..n {
        for j in 0..n {
            b[i][j] += y[i] * y[j] / sy - bs[i] * bs[j] / sbs;
        }
    }
}

/// A trial point along the search direction.
struct Step {
    alpha: f64,
    x: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
    /// The derivative of f along the direction at this point.
    slope: f64,
}

/// A step length satisfying the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9).
fn line_search(
    eval: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
    f0: f64,
    g0: &[f64],
    d: &[f64],
) -> Option<Step> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    let slope0 = dot(g0, d);
    let mut at = |alpha: f64| -> Step {
        let point: Vec<f64> = x.iter().zip(d).map(|(xi, di)| xi + alpha * di).collect();
        let mut gradient = vec![0.0; x.len()];
        let value = eval(&point, &mut gradient);
        let slope = dot(&gradient, d);
        Step {
            alpha,
            x: point,
            value,
            gradient,
            slope,
        }
    };
    let mut previous = Step {
        alpha: 0.0,
        x: x.to_vec(),
        value: f0,
        gradient: g0.to_vec(),
        slope: slope0,
    };
    let mut alpha = 1.0;
    for i in 0..40 {
        let current = at(alpha);
        if !current.value.is_finite() {
            // Undefined there: back off towards the last good point.
            alpha = previous.alpha + 0.25 * (alpha - previous.alpha);
            continue;
        }
        if current.value > f0 + C1 * alpha * slope0 || (i > 0 && current.value >= previous.value) {
            return zoom(&mut at, f0, slope0, previous, current);
        }
        if current.slope.abs() <= -C2 * slope0 {
            return Some(current);
        }
        if current.slope >= 0.0 {
            return zoom(&mut at, f0, slope0, current, previous);
        }
        previous = current;
        alpha *= 2.0;
    }
    None
}

/// Algorithm 3.6: narrow the bracket [lo, hi] down to a strong-Wolfe step, trying the
/// minimiser of the quadratic through f(lo), f′(lo), f(hi) and bisecting when that falls
/// too close to an end.
fn zoom(
    at: &mut dyn FnMut(f64) -> Step,
    f0: f64,
    slope0: f64,
    mut lo: Step,
    mut hi: Step,
) -> Option<Step> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    for _ in 0..60 {
        let width = hi.alpha - lo.alpha;
        if width.abs() < 1e-14 * lo.alpha.abs().max(1.0) {
            break;
        }
        let denominator = 2.0 * (hi.value - lo.value - lo.slope * width);
        let mut alpha = if denominator.abs() > 0.0 && denominator.is_finite() {
            lo.alpha - lo.slope * width * width / denominator
        } else {
            lo.alpha + 0.5 * width
        };
        let (min, max) = if lo.alpha < hi.alpha {
            (lo.alpha, hi.alpha)
        } else {
            (hi.alpha, lo.alpha)
        };
        let margin = 0.1 * (max - min);
        if !(alpha > min + margin && alpha < max - margin) {
            alpha = lo.alpha + 0.5 * width;
        }
        let trial = at(alpha);
        if !trial.value.is_finite()
            || trial.value > f0 + C1 * alpha * slope0
            || trial.value >= lo.value
        {
            hi = trial;
            continue;
        }
        if trial.slope.abs() <= -C2 * slope0 {
            return Some(trial);
        }
        if trial.slope * (hi.alpha - lo.alpha) >= 0.0 {
            hi = lo;
        }
        lo = trial;
    }
    // Accept the best point found if it decreased f at all.
    (lo.alpha > 0.0 && lo.value < f0).then_some(lo)
}

/// Inverse-Hessian BFGS update H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, ρ = 1/(yᵀs).
fn bfgs_update(h: &mut [Vec<f64>], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i][j] += rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
        }
    }
}

/// The Hessian of `f` at `x` by central differences of its analytic gradient (step
/// `relative_step` × max(1, |xᵢ|)), symmetrised.
pub fn hessian(f: &mut Objective<'_>, x: &[f64], relative_step: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut hessian = vec![vec![0.0; n]; n];
    let mut plus = vec![0.0; n];
    let mut minus = vec![0.0; n];
    for j in 0..n {
        let h = relative_step * x[j].abs().max(1.0);
        let mut xp = x.to_vec();
        xp[j] += h;
        let mut xm = x.to_vec();
        xm[j] -= h;
        f(&xp, &mut plus);
        f(&xm, &mut minus);
        for i in 0..n {
            hessian[i][j] = (plus[i] - minus[i]) / (2.0 * h);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (hessian[i][j] + hessian[j][i]);
            hessian[i][j] = mean;
            hessian[j][i] = mean;
        }
    }
    hessian
}

/// The inverse of a small symmetric positive-definite matrix by Cholesky factorisation;
/// `None` when it is not positive definite.
pub fn inverse_spd(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let l = cholesky(m)?;
    // Solve L Lᵀ X = I column by column.
    let mut inverse = vec![vec![0.0; n]; n];
    for col in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let mut sum = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                sum -= l[i][k] * y[k];
            }
            y[i] = sum / l[i][i];
        }
        for i in (0..n).rev() {
            let mut sum = y[i];
            for k in i + 1..n {
                sum -= l[k][i] * inverse[k][col];
            }
            inverse[i][col] = sum / l[i][i];
        }
    }
    Some(inverse)
}

/// The lower-triangular Cholesky factor L with L Lᵀ = m; `None` unless positive definite.
pub fn cholesky(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = m[i][j];
            for k in 0..j {
                sum -= l[i][k] * l[j][k];
            }
            if i == j {
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    Some(l)
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_stops_at_the_rounding_of_a_large_sum_instead_of_chasing_it() {
        // Like −ln L of Pareto/NBD over tens of thousands of customers: about 10⁵, a stiff
        // Hessian, and last digits that are noise (±10⁻¹⁰ in the value, ±5·10⁻⁴ in each
        // gradient component, as its series give), a different draw at every point. Past
        // the first step nothing measurable is left to gain: the Newton decrement is about
        // 10⁻¹², though the gradient stays far above 10⁻⁹ of the value.
        let noise = |x: &[f64], k: f64| (1e9 * (x[0] + k * x[1] + 0.37 * k * x[2])).sin().signum();
        let centre = [0.3, -1.2, 2.0];
        let stiffness = [1e5, 1e4, 1e6];
        let mut f = |x: &[f64], g: &mut [f64], h: &mut [f64]| -> f64 {
            for i in 0..3 {
                g[i] = stiffness[i] * (x[i] - centre[i]) + 5e-4 * noise(x, 1.0 + i as f64);
                for j in 0..3 {
                    h[i * 3 + j] = if i == j { stiffness[i] } else { 0.0 };
                }
            }
            let quadratic: f64 = (0..3)
                .map(|i| 0.5 * stiffness[i] * (x[i] - centre[i]).powi(2))
                .sum();
            1.4e5 + quadratic + 1e-10 * noise(x, 5.0)
        };
        let m = newton(&mut f, &[0.0, 0.0, 0.0], NewtonOptions::default());
        assert!(m.converged, "{m:?}");
        assert!(m.evaluations <= 4, "chased the rounding: {m:?}");
        assert!(
            m.x.iter().zip(centre).all(|(x, c)| (x - c).abs() < 1e-6),
            "{m:?}"
        );
    }

    #[test]
    fn rosenbrock_is_minimised() {
        let mut f = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let m = minimize(&mut f, &[-1.2, 1.0], Options::default());
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
        assert!(m.iterations < 100);
    }

    #[test]
    fn a_quadratic_has_its_hessian_and_inverse() {
        // f = ½ xᵀ A x with A = [[4, 1], [1, 3]]
        let mut f = |x: &[f64], g: &mut [f64]| {
            g[0] = 4.0 * x[0] + x[1];
            g[1] = x[0] + 3.0 * x[1];
            0.5 * (4.0 * x[0] * x[0] + 2.0 * x[0] * x[1] + 3.0 * x[1] * x[1])
        };
        let m = minimize(&mut f, &[3.0, -2.0], Options::default());
        assert!(m.converged && m.x.iter().all(|v| v.abs() < 1e-8), "{m:?}");
        let h = hessian(&mut f, &[0.5, 0.5], 1e-5);
        assert!(
            (h[0][0] - 4.0).abs() < 1e-8
                && (h[0][1] - 1.0).abs() < 1e-8
                && (h[1][1] - 3.0).abs() < 1e-8
        );
        let inv = inverse_spd(&h).unwrap();
        // A⁻¹ = [[3, −1], [−1, 4]] / 11
        assert!((inv[0][0] - 3.0 / 11.0).abs() < 1e-8 && (inv[0][1] + 1.0 / 11.0).abs() < 1e-8);
        assert!(
            inverse_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none(),
            "not positive definite"
        );
    }

    #[test]
    fn newton_minimises_rosenbrock_with_its_hessian() {
        let mut f = |x: &[f64], g: &mut [f64], h: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            h[0] = 2.0 - 400.0 * (b - 3.0 * a * a);
            h[1] = -400.0 * a;
            h[2] = -400.0 * a;
            h[3] = 200.0;
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let m = newton(&mut f, &[-1.2, 1.0], NewtonOptions::default());
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-10 && (m.x[1] - 1.0).abs() < 1e-10,
            "{m:?}"
        );
        assert!(m.iterations < 40, "{m:?}");
        let h = m.hessian.unwrap();
        assert!((h[0][0] - 802.0).abs() < 1e-6 && (h[0][1] + 400.0).abs() < 1e-6);
    }

    #[test]
    fn newton_falls_back_to_bfgs_without_a_hessian_and_backs_off_undefined_points() {
        // ln-barrier, undefined for x ≤ 0; Hessian withheld for x > 3.
        let mut f = |x: &[f64], g: &mut [f64], h: &mut [f64]| {
            if x[0] <= 0.0 {
                return f64::NAN;
            }
            g[0] = 1.0 - 1.0 / x[0];
            h[0] = if x[0] > 3.0 {
                f64::NAN
            } else {
                1.0 / (x[0] * x[0])
            };
            x[0] - x[0].ln()
        };
        let m = newton(&mut f, &[8.0], NewtonOptions::default());
        assert!(m.converged && (m.x[0] - 1.0).abs() < 1e-8, "{m:?}");
        let m = newton(&mut f, &[0.01], NewtonOptions::default());
        assert!(m.converged && (m.x[0] - 1.0).abs() < 1e-8, "{m:?}");
    }

    #[test]
    fn undefined_regions_are_backed_away_from() {
        // ln-barrier: undefined for x ≤ 0, minimum at x = 1.
        let mut f = |x: &[f64], g: &mut [f64]| {
            if x[0] <= 0.0 {
                return f64::NAN;
            }
            g[0] = 1.0 - 1.0 / x[0];
            x[0] - x[0].ln()
        };
        let m = minimize(&mut f, &[8.0], Options::default());
        assert!(m.converged && (m.x[0] - 1.0).abs() < 1e-6, "{m:?}");
    }
}
