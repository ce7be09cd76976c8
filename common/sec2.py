"""Paper Sec. 2 analysis shared by free_theory.py and six_pt_connected.py: the deviation of the ensembles'
n-point functions from a reference, its background, exact finite-width theory at every N, and the falloff fit.

Both scripts measure a per-multiset quantity X_e (e = sorted index multiset) at each width N and show
  signal      = mean_e |X_e - R_e| / |G_e^GP|        (free theory: X = G_n, R = G_n^GP -> the paper's m_n;
                                                      connected:   X = G_6c, R = 0   -> |G_6c| / |G_6^GP|)
  background  = mean_e std_subensembles(X_e) / |G_e^GP|   (the paper's k = 10 sub-ensemble spread)
  exact       = the same signal with X_e from exact finite-width theory (common/finite_width.py).
With zero weight mean (mw = 0; otherwise the GP limit does not exist) every n-point function is a polynomial
in 1/N: G_n - G_n^GP = sum_{j=1..n/2-1} d_j / N^j and G_nc = c / N^(n/2-1). The coefficients come from exact
values at a few widths, so the exact curve m_n^exact(N) is drawn on a fine grid of N at no cost.
The slope of log10 signal vs log10 N is fitted over the widths where signal > 3 x background."""
import math

import numpy as np

from common import correlators, finite_width, kernels
from common.errors import UserError
from common.inputs import DEFAULT_XSET

FIT_FACTOR = 3          # a width enters the slope fit when signal > FIT_FACTOR x background
MIN_FIT_WIDTHS = 3      # fewer such widths: no slope, a reason instead
ZERO = 1e-12            # an exact signal below this is zero (m_2: G_2 = K at every N)
CURVE_POINTS = 200      # points of the exact curve between the smallest and largest width
Z_SCOPE = "trusted elements only (finite_width.mc_trust: Monte-Carlo error bar reliable)"


def params(args):
    """The theory parameters of the flags: activation, inputs and sw, sb, mw, mb."""
    return {"activation": args.activation, "inputs": args.points, "sw": args.sw, "sb": args.sb, "mw": args.mw,
            "mb": args.mb}


def head(args, n_pt, quantity):
    """The first keys of the JSON summary: what was measured, on which ensembles."""
    return {"activation": args.activation, "d_in": args.d_in, "xset": args.xset_name, "n_models": args.n_models,
            "n_pt": n_pt, "quantity": quantity}


def check_widths(widths):
    """Sorted distinct widths; the figure and the fit need at least one."""
    widths = np.unique(np.asarray(widths, dtype=np.int64))
    if widths.size == 0 or widths.min() < 1:
        raise UserError(f"need widths >= 1, got {widths.tolist()}")
    return widths


# ---------------------------------------------------------------- exact theory in powers of 1/N
class InverseWidthLaw:
    """Per-multiset exact values as a polynomial in t = 1/N: value(N) = sum_j coef[j] t^powers[j]."""

    def __init__(self, powers, coef):
        self.powers, self.coef = np.asarray(powers, dtype=np.float64), np.asarray(coef, dtype=np.float64)

    def __call__(self, widths):
        """(len(widths), n_multisets) values at the given (any real >= 1) widths."""
        t = 1.0 / np.asarray(widths, dtype=np.float64)
        return (t[:, None] ** self.powers[None, :]) @ self.coef if len(self.powers) else \
            np.zeros((len(t), self.coef.shape[-1]))


def _fit_law(values_at, powers):
    """Exact coefficients of sum_j c_j / N^p_j from the values at N = 1, 2, ..., len(powers)."""
    nodes = np.arange(1, len(powers) + 1, dtype=np.float64)
    if not len(powers):
        return InverseWidthLaw(powers, np.zeros((0, len(values_at(1.0)))))
    vander = (1.0 / nodes[:, None]) ** np.asarray(powers, dtype=np.float64)[None, :]
    return InverseWidthLaw(powers, np.linalg.solve(vander, np.stack([values_at(n) for n in nodes])))


def gp_npoint(n, activation, inputs, sw, sb, mw, mb):
    """G_n^GP per multiset (N = infinity; a clear error where that limit does not exist, mw != 0)."""
    return finite_width.exact_npt(activation, inputs, math.inf, n, sw, sb, mw, mb).gp


def deviation_law(n, activation, inputs, sw, sb, mw, mb):
    """G_n(N) - G_n^GP = sum_{j=1..n/2-1} d_j / N^j, exact (zero weight mean): an InverseWidthLaw."""
    gp = gp_npoint(n, activation, inputs, sw, sb, mw, mb)
    full = lambda width: finite_width.exact_npt(activation, inputs, width, n, sw, sb, mw, mb).full - gp
    return _fit_law(full, list(range(1, n // 2)))


def connected_law(n, activation, inputs, sw, sb, mw, mb):
    """G_nc(N) = c / N^(n/2-1), exact (zero weight mean): an InverseWidthLaw."""
    conn = lambda width: finite_width.exact_npt(activation, inputs, width, n, sw, sb, mw, mb).connected
    return _fit_law(conn, [n // 2 - 1])


def exact_at(widths, law, n, activation, inputs, sw, sb, mw, mb, connected=False):
    """Exact values at the measured widths straight from finite_width.exact_npt (the law is checked on them)."""
    out = []
    for width in widths:
        e = finite_width.exact_npt(activation, inputs, int(width), n, sw, sb, mw, mb)
        out.append(e.connected if connected else e.full)
    out = np.array(out)
    ref = 0.0 if connected else gp_npoint(n, activation, inputs, sw, sb, mw, mb)
    tol = 1e-8 * np.abs(out - ref).max() + 1e-12 * np.abs(out).max() + 1e-300
    if np.abs(out - ref - law(widths)).max() > tol:
        raise RuntimeError("exact n-point functions are not polynomial in 1/N as expected (mw != 0?)")
    return out


def trust(widths, n, n_models, activation, inputs, sw, sb, mw, mb):
    """(n_widths, n_multisets) bool: can the Monte-Carlo estimate of G_n (its error bar) be trusted there."""
    return np.array([finite_width.mc_trust(activation, inputs, int(w), n, n_models, sw, sb, mw, mb).trusted
                     for w in widths])


# ---------------------------------------------------------------- signal, background, fit
def signal_elements(x, ref, norm):
    """|X_e - R_e| / |G_e^GP| per element (any leading axes)."""
    return np.abs(np.asarray(x) - ref) / np.abs(norm)


def loglog_slope(widths, values):
    """Least-squares slope of log10(values) against log10(N)."""
    return float(np.polyfit(np.log10(np.asarray(widths, dtype=np.float64)), np.log10(values), 1)[0])


def fit_falloff(widths, signal, background, factor=FIT_FACTOR, min_widths=MIN_FIT_WIDTHS):
    """Slope of log10 signal vs log10 N over the widths where signal > factor x background.

    Returns (slope or None, fit widths, reason or None)."""
    widths, signal, background = (np.asarray(a, dtype=np.float64) for a in (widths, signal, background))
    keep = signal > factor * background
    fit = [int(w) for w in widths[keep]]
    if keep.sum() < min_widths:
        where = f" (N = {', '.join(map(str, fit))})" if fit else ""
        return None, fit, (f"only {len(fit)} width(s){where} with signal > {factor:g}x background; "
                           f"a slope needs {min_widths}")
    return loglog_slope(widths[keep], signal[keep]), fit, None


def falloff(widths, x, se, sub, ref, norm, exact_x, trusted, law, n_models):
    """Everything the figure and the summary need, as plain arrays.

    widths (W,); x, se, exact_x, trusted (W, M): measured value, its standard error, exact value, trust flag;
    sub (W, n_sub, M) per sub-ensemble; ref, norm (M,): reference subtracted and |G^GP| normalising;
    law: InverseWidthLaw of exact_x - ref (for the fine curve)."""
    widths = np.asarray(widths)
    elements = signal_elements(x, ref, norm)                                    # (W, M)
    exact_elements = signal_elements(exact_x, ref, norm)
    curve_widths = np.geomspace(widths.min(), widths.max(), CURVE_POINTS) if widths.size > 1 else widths * 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (x - exact_x) / se, np.where(x == exact_x, 0.0, np.inf))
    return {
        "widths": widths, "elements": elements,
        "signal": elements.mean(-1),
        "band": np.percentile(elements, [16, 84], axis=-1).T,                    # (W, 2) spread over elements
        "signal_se": (se / np.abs(norm)).mean(-1),                               # bounds the SE of the signal
        "background": np.array([correlators.background(s, norm) for s in sub]),
        "exact": exact_elements.mean(-1),
        "curve_widths": curve_widths,
        "curve_exact": signal_elements(law(curve_widths), 0.0, norm).mean(-1),
        "z": z, "trusted": np.asarray(trusted, dtype=bool),
        "n_models": int(n_models),
    }


def summary(result, head):
    """The headline numbers (the JSON line): slopes, fit widths, max |z| over trusted elements, per-width values."""
    widths, signal, exact = result["widths"], result["signal"], result["exact"]
    slope, fit, reason = fit_falloff(widths, signal, result["background"])
    exact_zero = bool(np.all(exact <= ZERO))
    fit_mask = np.isin(widths, fit)
    out = dict(head)
    out["slope"] = None if slope is None else round(slope, 4)
    out["slope_fit_widths"] = fit
    if reason:
        out["slope_unavailable"] = reason
    out["slope_exact"] = (None if slope is None or exact_zero else round(loglog_slope(widths[fit_mask],
                                                                                      exact[fit_mask]), 4))
    out["slope_exact_all_widths"] = None if exact_zero or widths.size < 2 else round(loglog_slope(widths, exact), 4)
    if exact_zero:
        out["exact_note"] = "exact signal is zero at every N"
    z, trusted = np.abs(result["z"]), result["trusted"]
    out["max_abs_z_exact"] = round(float(z[trusted].max()), 3) if trusted.any() else None
    out["max_abs_z_scope"] = Z_SCOPE + f": {int(trusted.sum())} of {trusted.size} element-widths"
    out["z_error"] = result["z_error"]
    if not trusted.all():
        out["max_abs_z_untrusted"] = round(float(z[~trusted].max()), 3)
    out["untrusted_widths"] = [int(w) for w in widths[~trusted.all(-1)]]
    sig = lambda a: [float(f"{v:.4g}") for v in a]
    out.update(widths=[int(w) for w in widths], signal=sig(signal), background=sig(result["background"]),
               exact=sig(exact))
    return out


def report_lines(result, summ, label):
    """Human-readable headline lines printed before the JSON line."""
    lines = [f"{'N':>6} {label:>12} {'background':>12} {'exact':>12} {'max|z|':>8}  trusted"]
    for i, width in enumerate(result["widths"]):
        z = np.abs(result["z"][i])
        lines.append(f"{int(width):>6} {result['signal'][i]:12.4g} {result['background'][i]:12.4g} "
                     f"{result['exact'][i]:12.4g} {z.max():8.2f}  {int(result['trusted'][i].sum())}/{z.size}")
    if summ["slope"] is None:
        lines.append(f"slope: unavailable -- {summ['slope_unavailable']}")
    else:
        lines.append(f"slope of log10 {label} vs log10 N: {summ['slope']:.3f} over N = {summ['slope_fit_widths']} "
                     f"(signal > {FIT_FACTOR}x background); exact curve over the same widths: {summ['slope_exact']}")
    lines.append(f"exact curve slope over all widths: {summ['slope_exact_all_widths']}")
    lines.append(f"max |G_exp - G_exact| / SE: {summ['max_abs_z_exact']} ({summ['max_abs_z_scope']})")
    if summ["untrusted_widths"]:
        lines.append(f"Monte-Carlo error bars untrusted (heavy tails) at N = {summ['untrusted_widths']}"
                     + (f"; max |z| there {summ['max_abs_z_untrusted']}" if "max_abs_z_untrusted" in summ else ""))
    return lines


# ---------------------------------------------------------------- the two analyses
def free_theory(npoints, n, n_models, activation, inputs, sw, sb, mw, mb):
    """free_theory.py: G_n of the ensembles vs the GP and exact finite-width theory (paper Sec. 2, m_n).

    npoints: {width: {k: correlators.NPoint}} (io.load_npoints). Returns the result file's arrays."""
    theory = dict(activation=activation, inputs=inputs, sw=sw, sb=sb, mw=mw, mb=mb)
    widths = check_widths(list(npoints))
    gp = gp_npoint(n, **theory)
    law = deviation_law(n, **theory)
    g_exp, g_se, g_sub = (np.array([getattr(npoints[int(w)][n], a) for w in widths]) for a in ("mean", "se", "sub"))
    g_exact = exact_at(widths, law, n, **theory)
    trusted = trust(widths, n, n_models, **theory)
    result = falloff(widths, g_exp, g_se, g_sub, gp, gp, g_exact, trusted, law, n_models)
    return {**result, "n_pt": n, "z_error": "sample standard error of the whole ensemble's mean",
            "multisets": correlators.multisets(len(inputs), n),
            "g_exp": g_exp, "g_se": g_se, "g_sub": g_sub, "g_gp": gp, "g_exact": g_exact}


def connected_six(npoints, n_models, activation, inputs, sw, sb, mw, mb):
    """six_pt_connected.py: G6c = G6 - sum_15 G4 G2 + 2 sum_15 G2 G2 G2 with G2, G4, G6 of the same
    (sub-)ensemble, normalised by |G6^GP|; its standard error is the sub-ensemble spread / sqrt(n_sub).
    Exact: G6c = c / N^2. npoints: {width: {k: NPoint}}. Returns the result file's arrays."""
    theory = dict(activation=activation, inputs=inputs, sw=sw, sb=sb, mw=mw, mb=mb)
    if mw != 0 or mb != 0:
        raise UserError("the connected 6-pt estimator assumes zero-mean outputs (mw = mb = 0)")
    widths = check_widths(list(npoints))
    n_inputs = len(inputs)
    gp = gp_npoint(6, **theory)
    law = connected_law(6, **theory)
    est = lambda attr: np.array([correlators.connected_six(getattr(npoints[int(w)][2], attr),
                                                           getattr(npoints[int(w)][4], attr),
                                                           getattr(npoints[int(w)][6], attr), n_inputs)
                                 for w in widths])
    c_exp, c_sub = est("mean"), est("sub")                                  # (W, M), (W, n_sub, M)
    c_se = c_sub.std(axis=1, ddof=1) / math.sqrt(c_sub.shape[1])
    c_exact = exact_at(widths, law, 6, connected=True, **theory)
    trusted = trust(widths, 6, n_models, **theory)
    result = falloff(widths, c_exp, c_se, c_sub, 0.0, gp, c_exact, trusted, law, n_models)
    return {**result, "n_pt": 6, "z_error": "spread of the 10 sub-ensemble estimates / sqrt(10) (t, 9 dof)",
            "multisets": correlators.multisets(n_inputs, 6),
            "g6c_exp": c_exp, "g6c_se": c_se, "g6c_sub": c_sub, "g6_gp": gp, "g6c_exact": c_exact}


def plot_stem(base, args):
    """Figure name: base, plus any input set or sw, sb, mw, mb that differ from the defaults (no dots)."""
    extra = [] if args.xset_name == DEFAULT_XSET.get((args.activation, args.d_in)) else [args.xset_name]
    defaults = {"sw": 1.0, "sb": kernels.default_sb(args.activation), "mw": 0.0, "mb": 0.0}
    extra += [f"{k}{getattr(args, k):g}" for k, v in defaults.items() if getattr(args, k) != v]
    return "_".join([base] + extra).replace(".", "p").replace("-", "m")
