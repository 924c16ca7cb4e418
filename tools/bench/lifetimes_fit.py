#!/usr/bin/env python3
"""Time the Python `lifetimes` (0.11.3) fitters on an RFM summary.

Usage:
    lifetimes_fit.py SUMMARY_CSV [--runs 3] [--seed 0]

SUMMARY_CSV: columns frequency, recency, T (weeks) and optionally
monetary_value; a customer id column (customer or ID) is ignored. Both the
output of cdnow_summary.py and tests/data/cdnow/cdnow_customers_summary.csv
work.

For each model -- bgnbd (BetaGeoFitter), mbgnbd (ModifiedBetaGeoFitter),
pareto-nbd (ParetoNBDFitter), gamma-gamma (GammaGammaFitter, on customers with
frequency > 0 and monetary_value > 0; skipped when there is no monetary_value
column) -- the model is fitted with penalizer_coef=0 and lifetimes' default
tolerances, only the `.fit()` call is timed with time.perf_counter, and one
JSON object is printed per line:

    {"model", "params", "log_likelihood", "customers", "seconds_best", "seconds_mean"}

params: {r, alpha, a, b} | {r, alpha, s, beta} | {p, q, gamma} (gamma-gamma's
scale, called `v` in lifetimes). log_likelihood is the TOTAL over customers,
natural log, in the data's own time unit (weeks); see total_log_likelihood().

Note: `.fit()` in lifetimes also computes the Hessian (autograd) and standard
errors for bgnbd, mbgnbd and gamma-gamma, so that time is included.
ParetoNBDFitter starts Nelder-Mead from a random point
(np.random.normal(1, 0.05)); np.random is seeded with --seed before every run,
so every run does the same work and gives the same result.
"""
import argparse
import json
import math
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from lifetimes import (BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter,
                       ParetoNBDFitter)


def total_log_likelihood(fitter, data):
    """Total log-likelihood (natural log) at the fitted params, in weeks.

    What lifetimes 0.11.3 stores in `fitter._negative_log_likelihood_` (there
    is no `log_likelihood_` attribute in this version) is the minimised
    objective, which is NOT the total log-likelihood:
      * BetaGeo / ModifiedBetaGeo / GammaGamma divide the summed
        log-likelihood by weights.sum() (= number of customers): a MEAN;
      * ParetoNBD divides by weights.mean() (= 1 here): a total;
      * BetaGeo / ModifiedBetaGeo / ParetoNBD fit on time rescaled by
        c = 1 / max(T) (`fitter._scale`) so the stored value is the likelihood
        of the rescaled data: every customer's density of his x repeat-purchase
        times gains a factor 1/c, i.e. LL_weeks = LL_scaled + sum(x) * log(c).
    Rather than undo both, we re-evaluate the fitter's own static
    `_negative_log_likelihood` at the fitted params with unit weights and
    penalizer 0 and multiply by the divisor it used (N for the mean, 1 for
    ParetoNBD): for BG/NBD, MBG/NBD and Gamma-Gamma on the data in weeks; for
    Pareto/NBD on the rescaled data (alpha, beta, recency, T times c) plus
    sum(x) * log(c), because lifetimes' Pareto/NBD log-likelihood is NaN in
    weeks for CDNOW master customer 14048 (x = 170, recency == T: its
    hyp2f1-based A0 term overflows), while in the rescaled units it is finite.
    `stored_to_total()` does the algebraic conversion from
    `_negative_log_likelihood_`; main() asserts the two agree.
    """
    n = len(data)
    w = np.ones(n, dtype=int)
    p = fitter.params_
    if isinstance(fitter, GammaGammaFitter):
        x = data["frequency"].to_numpy(dtype=float)
        m = data["monetary_value"].to_numpy(dtype=float)
        logp = np.log([p["p"], p["q"], p["v"]])
        return -fitter._negative_log_likelihood(logp, x, m, w, 0.0) * w.sum()
    x = data["frequency"].to_numpy().astype(int)
    rec = data["recency"].to_numpy(dtype=float)
    T = data["T"].to_numpy(dtype=float)
    if isinstance(fitter, ParetoNBDFitter):
        c = fitter._scale
        params = [p["r"], p["alpha"] * c, p["s"], p["beta"] * c]
        ll_scaled = -fitter._negative_log_likelihood(params, x, rec * c, T * c, w, 0.0) * w.mean()
        return ll_scaled + x.sum() * math.log(c)
    # BetaGeoFitter and ModifiedBetaGeoFitter (log-params, mean over weights).
    logp = np.log([p["r"], p["alpha"], p["a"], p["b"]])
    return -fitter._negative_log_likelihood(logp, x, rec, T, w, 0.0) * w.sum()


def stored_to_total(fitter, data):
    """Same total, from the stored (scaled and/or averaged) objective."""
    n = len(data)
    nll = float(fitter._negative_log_likelihood_)
    if isinstance(fitter, GammaGammaFitter):
        return -nll * n
    sum_x = float(data["frequency"].astype(int).sum())
    if isinstance(fitter, ParetoNBDFitter):
        return -nll + sum_x * math.log(fitter._scale)
    return -nll * n + sum_x * math.log(fitter._scale)


def fit_once(model, data, seed):
    if model == "bgnbd":
        f = BetaGeoFitter(penalizer_coef=0.0)
        args = (data["frequency"], data["recency"], data["T"])
    elif model == "mbgnbd":
        f = ModifiedBetaGeoFitter(penalizer_coef=0.0)
        args = (data["frequency"], data["recency"], data["T"])
    elif model == "pareto-nbd":
        f = ParetoNBDFitter(penalizer_coef=0.0)
        args = (data["frequency"], data["recency"], data["T"])
    elif model == "gamma-gamma":
        f = GammaGammaFitter(penalizer_coef=0.0)
        args = (data["frequency"], data["monetary_value"])
    else:
        raise ValueError(model)
    np.random.seed(seed)
    t0 = time.perf_counter()
    f.fit(*args)
    return f, time.perf_counter() - t0


def params_of(model, f):
    p = f.params_
    if model in ("bgnbd", "mbgnbd"):
        keys = [("r", "r"), ("alpha", "alpha"), ("a", "a"), ("b", "b")]
    elif model == "pareto-nbd":
        keys = [("r", "r"), ("alpha", "alpha"), ("s", "s"), ("beta", "beta")]
    else:
        keys = [("p", "p"), ("q", "q"), ("gamma", "v")]
    return {out: float(p[src]) for out, src in keys}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("summary_csv")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per model (default 3)")
    ap.add_argument("--seed", type=int, default=0, help="np.random seed before each fit")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    df = pd.read_csv(args.summary_csv)
    for col in ("frequency", "recency", "T"):
        if col not in df.columns:
            sys.exit(f"{args.summary_csv}: missing column {col}")
    models = ["bgnbd", "mbgnbd", "pareto-nbd"]
    if "monetary_value" in df.columns:
        models.append("gamma-gamma")
    else:
        print("note: no monetary_value column, gamma-gamma skipped", file=sys.stderr)

    for model in models:
        data = df
        if model == "gamma-gamma":
            data = df[(df["frequency"] > 0) & (df["monetary_value"] > 0)]
        times = []
        fitter = None
        for _ in range(args.runs):
            fitter, secs = fit_once(model, data, args.seed)
            times.append(secs)
        ll = float(total_log_likelihood(fitter, data))
        ll2 = stored_to_total(fitter, data)
        if not math.isclose(ll, ll2, rel_tol=1e-9, abs_tol=1e-6):
            sys.exit(f"{model}: log-likelihood conversion mismatch: {ll!r} vs {ll2!r}")
        print(json.dumps({
            "model": model,
            "params": params_of(model, fitter),
            "log_likelihood": ll,
            "customers": int(len(data)),
            "seconds_best": min(times),
            "seconds_mean": statistics.fmean(times),
        }), flush=True)


if __name__ == "__main__":
    main()
