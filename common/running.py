"""Wilsonian running of the quartic coupling and the first-order 6-pt prediction (paper Secs. 3-4).

Action S = S_GP + lambda int_[-Lambda, Lambda]^d_in f(y)^4 dy; at first order dG4 = -24 lambda I4(Lambda)
with I4 = int_box Kt Kt Kt Kt dy, Kt = K - sb^2 (common/feynman.py). For every cutoff and every unique
4-point element (sorted index multiset) lambda_ijkl(Lambda) = -dG4_ijkl / (24 I4_ijkl(Lambda)), with
dG4 = G4_exp - G4_GP measured on the ensemble, and again with the exact finite-width dG4 (noise free,
common/finite_width.py). rg.py fits log10|lambda| against log10 Lambda; six_pt_prediction.py puts lambda
back into G6_pred = G6_GP + sum_15 [-24 lambda I4(4-set)] K(pair)."""
import math

import numpy as np

from common import cli, correlators, feynman, finite_width, io, kernels
from common.errors import UserError

LARGE_FRACTION = 3      # slope_large_cutoff: fitted over the largest 1/LARGE_FRACTION of the cutoffs (>= 2)
ZERO = 1e-12            # an exact dG4 below this times the largest is zero (by symmetry): lambda = 0, left out
FIRST_ORDER_TOL = 0.1   # exact G6c / G6 above this: first order in lambda leaves too much of G6 out


def check_cutoffs(cutoffs):
    """Sorted distinct finite cutoffs; a fit needs at least two."""
    cut = np.unique(np.asarray(cutoffs, dtype=np.float64))
    if not np.all(np.isfinite(cut)) or cut.size < 2:
        raise UserError(f"--cutoffs needs at least two distinct finite values, got {list(cutoffs)}")
    return cut


def predicted_slope(activation, d_in):
    """Large-cutoff slope of log10|lambda| vs log10 Lambda from the asymptotics of Kt, and why."""
    return {"ReLU": (-(4 + d_in), "Kt ~ |y| at large |y| (exactly homogeneous for sb = 0): I4 ~ Lambda^(4 + d_in)"),
            "Erf": (-d_in, "Kt -> a direction-dependent constant at large |y|: I4 ~ Lambda^d_in"),
            "GaussNet": (0, "Kt decays like a Gaussian: I4 converges, lambda tends to a constant")}[activation]


def lambda_table(args, cutoffs):
    """lambda per unique 4-multiset at every cutoff, measured (whole ensemble, sub-ensembles) and exact.

    Returns arrays: I4, lam, lam_se, lam_exact (n_cutoffs, M); lam_sub (n_cutoffs, n_sub, M);
    dG4, dG4_se, dG4_exact (M,)."""
    xs, theory = args.points, dict(sw=args.sw, sb=args.sb, mw=args.mw, mb=args.mb)
    gp4 = correlators.gp_npoint(kernels.kernel(args.activation, xs, xs, **theory), 4)
    exact = finite_width.exact_npt(args.activation, xs, args.width, 4, **theory)
    g4 = io.load_npoints(args, args.width)[4]
    I4 = feynman.i4(args.activation, xs, cutoffs, args.sw, args.sb)
    dg4, dg4_exact = g4.mean - gp4, exact.full - exact.gp
    dg4_exact[np.abs(dg4_exact) <= ZERO * np.abs(dg4_exact).max()] = 0.0      # zero by symmetry, not rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"I4": I4, "dG4": dg4, "dG4_se": g4.se, "dG4_exact": dg4_exact,
                "lam": feynman.lam_from_dg4(dg4, I4), "lam_se": g4.se / (24 * np.abs(I4)),
                "lam_sub": feynman.lam_from_dg4((g4.sub - gp4)[None], I4[:, None]),
                "lam_exact": feynman.lam_from_dg4(dg4_exact, I4)}


def lambda_path(args, cutoff):
    """The per-cutoff lambda file rg.py writes and six_pt_prediction.py reads."""
    return args.data_dir / io.result_name("rg_lambda", args, N=args.width, cutoff=float(cutoff))


def save_per_cutoff(args, cutoffs, table):
    """One rg_lambda file per cutoff; returns the paths."""
    ms = correlators.multisets(len(args.points), 4)
    spec = cli.ensemble_spec(args, args.width)
    paths = []
    for i, cutoff in enumerate(cutoffs):
        arrays = {"cutoff": float(cutoff), "multisets": ms, "dG4": table["dG4"], "dG4_se": table["dG4_se"],
                  "dG4_exact": table["dG4_exact"]}
        arrays.update({k: table[k][i] for k in ("I4", "lam", "lam_se", "lam_sub", "lam_exact")})
        paths.append(io.save(lambda_path(args, cutoff), arrays,
                             cli.meta(args, kind="rg_lambda", cutoff=float(cutoff), ensemble=spec)))
    return paths


def loglog_fit(cutoffs, lam):
    """Least-squares line log10|lambda| = slope log10 Lambda + intercept through every element at every cutoff.

    Points with lambda = 0 or not finite (dG4 = 0 by symmetry, I4 = 0) are left out and counted. With every
    element at every cutoff the slope is the mean of the per-element slopes, whatever their intercepts."""
    x = np.broadcast_to(np.log10(cutoffs)[:, None], lam.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log10(np.abs(lam))
    ok = np.isfinite(y)
    out = {"slope": None, "intercept": None, "r2": None, "n_excluded": int((~ok).sum())}
    if np.unique(x[ok]).size < 2:
        return out
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    ss_res = np.sum((y[ok] - slope * x[ok] - intercept) ** 2)
    ss_tot = np.sum((y[ok] - y[ok].mean()) ** 2)
    out.update(slope=float(slope), intercept=float(intercept), r2=float(1 - ss_res / ss_tot) if ss_tot > 0 else None)
    return out


def _round(value, digits=6):
    """digits significant digits (None for a missing or non-finite value)."""
    return None if value is None or not math.isfinite(value) else float(f"{value:.{digits}g}")


def _fixed(value, decimals=6):
    """decimals after the point, so slopes of 1e-16 read 0.0 (None for a missing or non-finite value)."""
    return None if value is None or not math.isfinite(value) else round(value, decimals) + 0.0


def summarise_rg(args, cutoffs, table):
    """The JSON summary: fits of the measured and the exact lambdas, the predicted slope, diagnostics."""
    large = slice(len(cutoffs) - max(2, len(cutoffs) // LARGE_FRACTION), None)
    fit, fit_exact = loglog_fit(cutoffs, table["lam"]), loglog_fit(cutoffs, table["lam_exact"])
    slope_large = loglog_fit(cutoffs[large], table["lam"][large])["slope"]
    slope_large_exact = loglog_fit(cutoffs[large], table["lam_exact"][large])["slope"]
    predicted, reason = predicted_slope(args.activation, args.d_in)
    mean_sub = np.nanmean(table["lam_sub"][-1], axis=-1)                  # (n_sub,) at the largest cutoff
    mean_se = np.std(mean_sub, ddof=1) / math.sqrt(len(mean_sub))
    lam_mean, lam_mean_exact = np.nanmean(table["lam"][-1]), np.nanmean(table["lam_exact"][-1])
    sign_change = np.any(np.diff(np.sign(table["I4"]), axis=0) != 0, axis=0)
    return {"activation": args.activation, "d_in": args.d_in, "width": args.width, "xset": args.xset_name,
            "n_models": args.n_models, "sw": args.sw, "sb": args.sb,
            "slope": _fixed(fit["slope"]), "intercept": _fixed(fit["intercept"]), "r2": _fixed(fit["r2"]),
            "slope_exact": _fixed(fit_exact["slope"]), "intercept_exact": _fixed(fit_exact["intercept"]),
            "r2_exact": _fixed(fit_exact["r2"]),
            "slope_large_cutoff": _fixed(slope_large), "slope_large_cutoff_exact": _fixed(slope_large_exact),
            "large_cutoffs": [float(c) for c in cutoffs[large]],
            "slope_predicted": predicted, "slope_predicted_reason": reason,
            "n_cutoffs": len(cutoffs), "cutoff_range": [float(cutoffs[0]), float(cutoffs[-1])],
            "n_elements": table["lam"].shape[1], "n_points_excluded": fit["n_excluded"],
            "n_points_excluded_exact": fit_exact["n_excluded"],
            "n_elements_I4_sign_change": int(sign_change.sum()),
            "lambda_mean_largest_cutoff": _round(lam_mean), "lambda_mean_exact_largest_cutoff": _round(lam_mean_exact),
            "z_lambda_mean": _round((lam_mean - lam_mean_exact) / mean_se if mean_se > 0 else None, 3)}


def report_rg(summ, cutoffs, table):
    """Human-readable lines printed before the JSON line."""
    lines = [f"{'Lambda':>9} {'mean lambda':>13} {'(exact)':>13} {'mean I4':>13}"]
    for i, cutoff in enumerate(cutoffs):
        lines.append(f"{cutoff:9g} {np.nanmean(table['lam'][i]):13.5g} {np.nanmean(table['lam_exact'][i]):13.5g} "
                     f"{np.mean(table['I4'][i]):13.5g}")
    fmt = lambda v, spec=".4f": "n/a" if v is None else format(round(v, 6) + 0.0, spec)
    lines.append(f"fit of log10|lambda| vs log10 Lambda over {summ['n_elements']} elements x {summ['n_cutoffs']} "
                 f"cutoffs: slope {fmt(summ['slope'])}, R^2 {fmt(summ['r2'], '.6f')}; exact dG4: slope "
                 f"{fmt(summ['slope_exact'])}, R^2 {fmt(summ['r2_exact'], '.6f')}")
    lines.append(f"largest cutoffs {summ['large_cutoffs'][0]:g}..{summ['large_cutoffs'][-1]:g}: slope "
                 f"{fmt(summ['slope_large_cutoff'])} (exact {fmt(summ['slope_large_cutoff_exact'])}); predicted "
                 f"{summ['slope_predicted']} ({summ['slope_predicted_reason']})")
    if summ["n_elements_I4_sign_change"]:
        lines.append(f"I4 changes sign between cutoffs for {summ['n_elements_I4_sign_change']} elements (Kt of "
                     "either sign): their lambda has a pole there, which scatters the fit at small cutoffs")
    if summ["n_points_excluded"] or summ["n_points_excluded_exact"]:
        lines.append(f"left out of the fits: {summ['n_points_excluded']} measured and "
                     f"{summ['n_points_excluded_exact']} exact points with lambda = 0 or not finite "
                     "(dG4 = 0 by symmetry, or I4 = 0)")
    lines.append(f"mean lambda at Lambda = {cutoffs[-1]:g}: {summ['lambda_mean_largest_cutoff']} measured, "
                 f"{summ['lambda_mean_exact_largest_cutoff']} exact (z = {summ['z_lambda_mean']})")
    return lines


def load_couplings(args, cutoffs):
    """I4, lam, lam_sub, lam_exact stacked over the cutoffs from rg.py's per-cutoff files, made first (as
    rg.py makes them) if any is missing."""
    paths = [lambda_path(args, c) for c in cutoffs]
    if not all(p.exists() for p in paths):
        print("lambda files missing: computing them as rg.py does", flush=True)
        save_per_cutoff(args, cutoffs, lambda_table(args, cutoffs))
    spec = cli.ensemble_spec(args, args.width)
    ms = correlators.multisets(len(args.points), 4)
    out = {k: [] for k in ("I4", "lam", "lam_sub", "lam_exact")}
    for cutoff, path in zip(cutoffs, paths):
        data = io.load(path, kind="rg_lambda")
        io.check_spec(path, data["meta"].get("ensemble", {}), spec)
        if data.get("cutoff") != float(cutoff) or not np.array_equal(data.get("multisets"), ms):
            raise UserError(f"{path}: not the lambda file of cutoff {cutoff:g} for these inputs")
        for k in out:
            out[k].append(data[k])
    return {k: np.array(v) for k, v in out.items()}


def predictions(gp6, K, I4, lam):
    """G6_GP + six_pt_lambda_term for lam per element (..., M4) and for its mean over the elements."""
    n = len(K)
    per_element = gp6 + feynman.six_pt_lambda_term(I4, lam, K, n)
    mean_lam = np.nanmean(lam, axis=-1, keepdims=True)
    return per_element, gp6 + feynman.six_pt_lambda_term(I4, mean_lam, K, n)


def ratio_stats(ratio, sub_ratio, exact):
    """Summary of one ratio (M,) with its sub-ensemble versions (n_sub, M) and exact level (M,)."""
    mean = float(np.mean(ratio))
    sub_means = np.mean(sub_ratio, axis=-1)
    se = float(np.std(sub_means, ddof=1) / math.sqrt(len(sub_means)))
    exact_mean = float(np.mean(exact))
    return {"mean": mean, "se": se, "spread": float(np.std(ratio)), "mean_abs_dev": float(np.mean(np.abs(ratio - 1))),
            "max_abs_dev": float(np.max(np.abs(ratio - 1))), "exact": exact_mean,
            "z": (mean - exact_mean) / se if se > 0 else None}


def prediction_table(args, cutoffs, npoints, table):
    """Every array the figure and the summary need: ratios to the measured G6 per cutoff and element."""
    xs, theory = args.points, dict(sw=args.sw, sb=args.sb, mw=args.mw, mb=args.mb)
    K = kernels.kernel(args.activation, xs, xs, **theory)
    gp6 = correlators.gp_npoint(K, 6)
    exact = finite_width.exact_npt(args.activation, xs, args.width, 6, **theory)
    g6, g6_sub = npoints[6].mean, npoints[6].sub                             # (M,), (n_sub, M)
    pred, pred_mean = predictions(gp6, K, table["I4"], table["lam"])         # (C, M)
    pred_sub, pred_mean_sub = predictions(gp6, K, table["I4"][:, None], table["lam_sub"])   # (C, n_sub, M)
    exact_pred, exact_pred_mean = predictions(gp6, K, table["I4"], table["lam_exact"])
    return {"cutoffs": cutoffs, "multisets": correlators.multisets(len(xs), 6), "g6_exp": g6, "g6_se": npoints[6].se,
            "g6_gp": gp6, "g6_exact": exact.full, "g6c_exact": exact.connected,
            "ratio_gp": gp6 / g6, "ratio_gp_sub": gp6 / g6_sub,
            "ratio_lam": pred / g6, "ratio_lam_sub": pred_sub / g6_sub,
            "ratio_lam_mean": pred_mean / g6, "ratio_lam_mean_sub": pred_mean_sub / g6_sub,
            "ratio_exact_over_exp": exact.full / g6,
            "exact_gp": exact.gp / exact.full, "exact_first_order": 1 - exact.connected / exact.full,
            "exact_pred": exact_pred / exact.full, "exact_lam_mean": exact_pred_mean / exact.full,
            "lam_mean": np.nanmean(table["lam"], axis=-1), "lam_mean_exact": np.nanmean(table["lam_exact"], axis=-1)}


def g6_errorbar_trust(args):
    """finite_width.mc_trust for the measured G6: (every element trusted, largest relative error of the
    error bars)."""
    t = finite_width.mc_trust(args.activation, args.points, args.width, 6, args.n_models, args.sw, args.sb,
                              args.mw, args.mb)
    return bool(np.all(t.trusted)), float(np.max(t.var_rel_err))


def summarise_prediction(args, result, trust):
    """The JSON summary: GP only, per-element lambda (largest cutoff; the same at every cutoff), mean lambda."""
    gp = ratio_stats(result["ratio_gp"], result["ratio_gp_sub"], result["exact_gp"])
    lam = ratio_stats(result["ratio_lam"][-1], result["ratio_lam_sub"][-1], result["exact_first_order"])
    lam_mean = ratio_stats(result["ratio_lam_mean"][-1], result["ratio_lam_mean_sub"][-1],
                           result["exact_lam_mean"][-1])
    mean_over_cut = result["ratio_lam_mean"].mean(-1)
    out = {"activation": args.activation, "d_in": args.d_in, "width": args.width, "xset": args.xset_name,
           "n_models": args.n_models, "sw": args.sw, "sb": args.sb, "n_elements": int(len(result["g6_exp"])),
           "cutoff_range": [float(result["cutoffs"][0]), float(result["cutoffs"][-1])]}
    for name, s in (("gp", gp), ("lambda", lam), ("lambda_mean", lam_mean)):
        out.update({f"{name}_ratio_mean": _round(s["mean"]), f"{name}_ratio_se": _round(s["se"], 3),
                    f"{name}_ratio_spread": _round(s["spread"], 3), f"{name}_mean_abs_dev": _round(s["mean_abs_dev"]),
                    f"{name}_max_abs_dev": _round(s["max_abs_dev"]), f"{name}_exact": _round(s["exact"]),
                    f"{name}_z": _round(s["z"], 3)})
    out["lambda_ratio_cutoff_variation"] = _round(float(np.ptp(result["ratio_lam"].mean(-1))), 3)
    out["lambda_mean_ratio_range_over_cutoffs"] = [_round(float(v)) for v in (mean_over_cut.min(), mean_over_cut.max())]
    out["exact_over_measured_mean"] = _round(float(np.mean(result["ratio_exact_over_exp"])))
    out["exact_connected_fraction"] = _round(float(np.mean(result["g6c_exact"] / result["g6_exact"])))
    out["first_order_enough"] = bool(abs(out["lambda_exact"] - 1) <= FIRST_ORDER_TOL)
    out["g6_errorbars_trusted"], out["g6_errorbar_rel_err"] = trust[0], _round(trust[1], 3)
    return out


def report_prediction(summ):
    """Human-readable lines printed before the JSON line."""
    rows = [("GP only", "gp"), ("lambda per element", "lambda"), ("mean lambda (Lambda max)", "lambda_mean")]
    lines = [f"{'G6_pred / G6_exp':<26} {'mean':>9} {'+- SE':>9} {'exact':>9} {'z':>7} {'mean|r-1|':>10} "
             f"{'max|r-1|':>9}"]
    for label, key in rows:
        z = summ[f"{key}_z"]
        lines.append(f"{label:<26} {summ[f'{key}_ratio_mean']:9.4f} {summ[f'{key}_ratio_se']:9.2g} "
                     f"{summ[f'{key}_exact']:9.4f} {'n/a' if z is None else format(z, '.2f'):>7} "
                     f"{summ[f'{key}_mean_abs_dev']:10.4f} {summ[f'{key}_max_abs_dev']:9.4f}")
    lo, hi = summ["lambda_mean_ratio_range_over_cutoffs"]
    lines.append(f"per-element lambda: the same at every cutoff (variation {summ['lambda_ratio_cutoff_variation']}); "
                 f"mean lambda: {lo}..{hi} over the cutoffs")
    lines.append(f"exact G6 / measured G6: {summ['exact_over_measured_mean']} (mean over {summ['n_elements']} "
                 f"elements); exact G6c / G6 = {summ['exact_connected_fraction']}")
    rest = (f"exact lambdas give G6_pred / G6 = {summ['lambda_exact']:.4g}: the rest, "
            f"{100 * summ['exact_connected_fraction']:.2g}% of G6, is the O(1/N^2) connected 6-pt "
            "(a sextic coupling's job)")
    lines.append(("first order in lambda is not enough here: " if not summ["first_order_enough"] else "") + rest)
    if summ["g6_errorbars_trusted"] is False:
        lines.append(f"warning: the Monte-Carlo G6 error bars cannot be trusted here (finite_width.mc_trust: heavy "
                     f"tails; relative error of the error bars {summ['g6_errorbar_rel_err']:.3g}): z and SE mean little")
    return lines
