"""The one figure style of the suite: matplotlib with mathtext (no LaTeX installation), PDF + PNG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"text.usetex": False, "font.size": 11, "axes.grid": True, "grid.alpha": 0.3,
                     "legend.fontsize": 9, "figure.dpi": 100, "savefig.bbox": "tight"})

TITLE_NAME = {"ReLU": "ReLU-net", "Erf": "Erf-net", "GaussNet": "Gauss-net"}


def figure(ncols=1, nrows=1, size=(6.0, 4.2)):
    """A figure with a grid of axes of the suite's size."""
    return plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)


def save(fig, stem):
    """Write stem.pdf and stem.png (small, for the README); returns the two paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    for path in paths:
        fig.savefig(path, dpi=90)
    plt.close(fig)
    return paths


# ---------------------------------------------------------------- paper Sec. 2 (free_theory.py, six_pt_connected.py)
def _sec2_labels(meta, n):
    name, d_in = TITLE_NAME[meta["activation"]], meta["d_in"]
    if meta["kind"] == "six_pt_connected":
        return (f"{name} connected 6-pt, d_in = {d_in}",
                r"$\log_{10}\, \langle |G^{(6)}_c| \,/\, |G^{(6)}_{\mathrm{GP}}| \rangle$",
                r"signal $\langle |G^{(6)}_c| / |G^{(6)}_{\mathrm{GP}}| \rangle$", r"exact $\propto \sigma_w^6/N^2$")
    return (f"{name} {n}-pt deviation, d_in = {d_in}", rf"$\log_{{10}}\, m_{n}$",
            rf"signal $m_{n} = \langle |G^{{({n})}} - G^{{({n})}}_{{\mathrm{{GP}}}}| / |G^{{({n})}}_{{\mathrm{{GP}}}}|"
            r" \rangle$", rf"exact finite width $m_{n}^{{\mathrm{{exact}}}}(N)$")


def sec2_falloff(data):
    """log10 signal vs log10 N (paper Sec. 2 figures) from a free_theory / six_pt_connected result file:
    the signal (mean over elements, band: 16th-84th percentile of the elements), the background, the exact
    finite-width curve, the least-squares line over the fitted widths, untrusted widths as open red markers."""
    meta, summ = data["meta"], data["summary"]
    title, ylabel, signal_label, exact_label = _sec2_labels(meta, int(data["n_pt"]))
    fig, axes = figure()
    ax = axes[0, 0]
    lw = np.log10(data["widths"].astype(float))
    log = lambda v: np.log10(np.maximum(v, 1e-300))
    ax.fill_between(lw, log(data["band"][:, 0]), log(data["band"][:, 1]), color="C0", alpha=0.2, lw=0,
                    label="spread over elements (16-84%)")
    ax.plot(lw, log(data["signal"]), "o-", color="C0", label=signal_label)
    bad = ~data["trusted"].all(-1)
    if bad.any():
        ax.plot(lw[bad], log(data["signal"][bad]), "o", ms=11, mfc="none", mec="C3", mew=1.5,
                label="Monte-Carlo error bars untrusted (heavy tails)")
    ax.plot(lw, log(data["background"]), "x--", color="0.4", label="background (10 sub-ensembles)")
    if np.all(data["curve_exact"] <= 1e-12):
        ax.plot([], [], " ", label=exact_label + " = 0 at every N")
    else:
        ax.plot(np.log10(data["curve_widths"]), log(data["curve_exact"]), "-", color="k", lw=1.2, label=exact_label)
    if summ["slope"] is not None:
        fit = np.isin(data["widths"], summ["slope_fit_widths"])
        line = np.poly1d(np.polyfit(lw[fit], log(data["signal"][fit]), 1))
        ax.plot(lw[fit], line(lw[fit]), ":", color="C1", lw=2,
                label=f"fit: slope {summ['slope']:.2f} (exact {summ['slope_exact']:.2f})")
    else:
        ax.plot([], [], " ", label="no fit: signal > 3x background at < 3 widths")
    flags = meta["flags"]
    ax.set(xlabel=r"$\log_{10} N$", ylabel=ylabel, title=title)
    ax.annotate(f"{int(data['n_models']):,} networks per width, inputs {flags['xset_name']}, "
                rf"$\sigma_w$ = {flags['sw']:g}, $\sigma_b$ = {flags['sb']:g}", (0, 0), (0, -32),
                xycoords="axes fraction", textcoords="offset points", fontsize=8, va="top")
    ax.legend(loc="best", fontsize=7)
    return fig


# ---------------------------------------------------------------- paper Sec. 4 (rg.py, six_pt_prediction.py)
def rg_lambda(data):
    """log10|lambda| vs log10 Lambda (paper Sec. 4 figure) from an rg.py result file: every element at every
    cutoff (colour: element), the least-squares line through them (slope and R^2 in the legend) and the line
    through the exact finite-width lambdas."""
    meta, summ = data["meta"], data["summary"]
    fig, axes = figure()
    ax = axes[0, 0]
    lc = np.log10(data["cutoffs"])
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log10(np.abs(data["lam"]))                                      # (n_cutoffs, n_elements)
    x = np.broadcast_to(lc[:, None], y.shape)
    colours = np.tile(plt.cm.viridis(np.linspace(0, 1, y.shape[1])), (len(lc), 1))
    ok = np.isfinite(y).ravel()
    ax.scatter(x.ravel()[ok], y.ravel()[ok], c=colours[ok], s=10, lw=0, alpha=0.8, zorder=3,
               label=f"measured, {y.shape[1]} elements (colour)")
    r2 = lambda v: "n/a" if v is None else f"{v:.5f}"
    slope = lambda v: f"{round(v, 3) + 0.0:.3f}"                               # no "-0.000"
    if summ["slope"] is not None:
        ax.plot(lc, summ["slope"] * lc + summ["intercept"], "-", color="k", lw=1, zorder=2,
                label=f"fit: slope = {slope(summ['slope'])}, $R^2$ = {r2(summ['r2'])}")
    if summ["slope_exact"] is not None:
        ax.plot(lc, summ["slope_exact"] * lc + summ["intercept_exact"], "--", color="C3", lw=1, zorder=4,
                label=f"exact finite width: slope = {slope(summ['slope_exact'])}, $R^2$ = {r2(summ['r2_exact'])}")
    flags = meta["flags"]
    ax.set(xlabel=r"$\log_{10}\, \Lambda$", ylabel=r"$\log_{10}\, |\lambda|$",
           title=rf"{TITLE_NAME[flags['activation']]} $\lambda$, $N$ = {flags['width']}, "
                 rf"$d_{{\rm in}}$ = {flags['d_in']}")
    ax.annotate(f"{int(flags['n_models']):,} networks, inputs {flags['xset_name']}, "
                rf"$\sigma_w$ = {flags['sw']:g}, $\sigma_b$ = {flags['sb']:g}; predicted large-$\Lambda$ slope "
                f"{summ['slope_predicted']}", (0, 0), (0, -40), xycoords="axes fraction", textcoords="offset points",
                fontsize=8, va="top")
    ax.legend(loc="best", fontsize=7)
    return fig


def six_pt_prediction(data):
    """G6_GP / G6_exp and G6_pred / G6_exp against log10 Lambda from a six_pt_prediction.py result file: mean
    over elements (band: 16th-84th percentile of the elements) for the GP alone, the per-element and the mean
    lambda, exact G6 / G6_exp for reference, and the exact levels G6_GP / G6, 1 - G6c / G6 and the exact
    mean-lambda prediction."""
    meta, summ = data["meta"], data["summary"]
    fig, axes = figure(size=(6.4, 4.4))
    ax = axes[0, 0]
    lc = np.log10(data["cutoffs"])
    n_cut = len(lc)

    def curve(values, style, colour, label, sub=None):
        values = np.broadcast_to(values, (n_cut, values.shape[-1]))
        lo, hi = np.percentile(values, [16, 84], axis=-1)
        ax.fill_between(lc, lo, hi, color=colour, alpha=0.15, lw=0)
        err = None                                  # standard error of the mean: sub-ensemble spread / sqrt(n)
        if sub is not None:
            means = np.broadcast_to(sub, (n_cut,) + sub.shape[-2:]).mean(-1)
            err = means.std(-1, ddof=1) / np.sqrt(means.shape[-1])
        ax.errorbar(lc, values.mean(-1), yerr=err, fmt=style, color=colour, ms=4, capsize=2, label=label)

    curve(data["ratio_gp"], "o-", "C0", r"$G^{(6)}_{\rm GP} / G^{(6)}_{\rm exp}$", data["ratio_gp_sub"])
    curve(data["ratio_lam"], "s-", "C1", r"$G^{(6)}_{\rm pred} / G^{(6)}_{\rm exp}$, $\lambda$ per element",
          data["ratio_lam_sub"])
    curve(data["ratio_lam_mean"], "^-", "C2", r"$G^{(6)}_{\rm pred} / G^{(6)}_{\rm exp}$, mean $\lambda$",
          data["ratio_lam_mean_sub"])
    curve(data["ratio_exact_over_exp"], "-", "0.5", r"exact finite-width $G^{(6)} / G^{(6)}_{\rm exp}$")
    ax.axhline(np.mean(data["exact_gp"]), ls="--", color="C0", lw=1,
               label=rf"exact $G^{{(6)}}_{{\rm GP}} / G^{{(6)}}$ = {np.mean(data['exact_gp']):.4g}")
    ax.axhline(np.mean(data["exact_first_order"]), ls="--", color="C1", lw=1,
               label=rf"exact $1 - G^{{(6)}}_c / G^{{(6)}}$ = {np.mean(data['exact_first_order']):.4g}")
    ax.plot(lc, data["exact_lam_mean"].mean(-1), ":", color="C2", lw=1.5, label=r"exact, mean $\lambda$")
    flags = meta["flags"]
    ax.set(xlabel=r"$\log_{10}\, \Lambda$", ylabel=r"ratio to the measured $G^{(6)}$ (mean over elements)",
           title=rf"{TITLE_NAME[flags['activation']]} 6-pt prediction, $N$ = {flags['width']}, "
                 rf"$d_{{\rm in}}$ = {flags['d_in']}")
    note = f"{int(flags['n_models']):,} networks, inputs {flags['xset_name']}, {summ['n_elements']} elements; " \
           "bands: 16-84% of the elements, bars: SE"
    if not summ["first_order_enough"]:
        note += "; first order in $\\lambda$ is not enough here"
    if summ["g6_errorbars_trusted"] is False:
        note += "\nMonte-Carlo $G^{(6)}$ untrustworthy (heavy tails)"
    ax.annotate(note, (0, 0), (0, -40), xycoords="axes fraction", textcoords="offset points", fontsize=8, va="top")
    ax.legend(loc="best", fontsize=7)
    return fig


# ---------------------------------------------------------------- paper Sec. 5 (lam_fit.py)
_OPERATOR_TEX = {"l0": r"\lambda_0", "l2": r"\lambda_2", "lNL": r"\lambda_{NL}"}


def lam_fit(data):
    """Predicted vs measured dG4 per element (train and test), one panel per operator subset, from a lam_fit
    result file: top row the fit to the measured dG4 (x error bars: standard errors), bottom row the fit to
    the exact finite-width dG4. Panel titles give the test MAPE."""
    meta, fits = data["meta"], data["fits"]
    subsets = list(fits["experiment"])
    fig, axes = figure(ncols=len(subsets), nrows=2, size=(3.6, 3.4))
    for row, source in enumerate(("experiment", "exact")):
        key = "dg4" if source == "experiment" else "exact"
        for col, name in enumerate(subsets):
            ax, res = axes[row, col], fits[source][name]
            for role, marker, color in (("train", "o", "C0"), ("test", "^", "C1")):
                meas, se = data[role][key], data[role]["se"]
                # per-element error bars hide the pattern when the noise, common to all elements, exceeds it
                bars = source == "experiment" and np.median(se) < np.ptp(meas)
                if bars:
                    ax.errorbar(meas, res[role]["pred"], xerr=se, fmt="none", color=color, alpha=0.5, elinewidth=0.5)
                ax.plot(meas, res[role]["pred"], marker, ms=3, color=color, alpha=0.7,
                        label=f"{role} ({meta[role + '_xset']})")
                if source == "experiment" and not bars:
                    ax.text(0.97, 0.04 + 0.08 * (role == "test"), f"{role} SE ~ {np.median(se):.2g} > spread",
                            transform=ax.transAxes, ha="right", fontsize=7, color=color)
            values = np.concatenate([np.r_[data[r][key], fits[source][name][r]["pred"]] for r in ("train", "test")])
            lo, hi = values.min(), values.max()
            lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
            ax.plot([lo, hi], [lo, hi], "k-", lw=0.8, label="prediction = measured")
            ax.set(xlim=(lo, hi), ylim=(lo, hi))
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))
            ops = ", ".join(_OPERATOR_TEX[o] for o in res["operators"])
            rank = "" if res["rank"] == len(res["operators"]) else f", rank {res['rank']}"
            ax.set_title(rf"${ops}$: test MAPE {res['test']['mape_pct']:.2g}%{rank}", fontsize=9)
            ax.ticklabel_format(style="sci", scilimits=(-5, 5), useOffset=False)
            ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel(f"{source}: predicted " + r"$\Delta G^{(4)}$")
            if row == 1:
                ax.set_xlabel(("measured" if source == "experiment" else "exact") + r" $\Delta G^{(4)}$")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    flags = meta["flags"]
    cut = meta["cutoff"]
    fig.suptitle(f"{TITLE_NAME[flags['activation']]}, N = {meta['width']}, d_in = {flags['d_in']}: "
                 rf"$\Delta G^{{(4)}} = -\sum \lambda_k T_k$ fitted on {meta['train_xset']}, "
                 rf"$\Lambda$ = {cut:g}, {flags['n_models']:,} networks" + (", weighted" if meta["weighted"] else ""),
                 fontsize=10)
    return fig
