"""Which effective couplings does the finite-width 4-pt function need? (paper Sec. 5: lambda fits)

The measured connected deviation dG4 = G4_exp - G4_GP of every sorted index multiset is fitted, on a TRAIN
input set, by the first-order contributions of a few quartic operators, and the fit is scored on a TEST set:
    dG4 = -lambda0 T0 - lambda2 T2 - lambdaNL TNL,
    T0  = 24 int Kt Kt Kt Kt dy                (local constant coupling lambda0)
    T2  = 24 int |y|^2 Kt Kt Kt Kt dy          (local coupling lambda(y) = lambda0 + lambda2 |y|^2)
    TNL = 8 sum_3 channels int int Kt Kt(y) Kt Kt(z) dy dz   (non-local lambdaNL int int f(y)^2 f(z)^2)
over the box [-Lambda, Lambda]^d_in, Kt = K - sb^2 (common/feynman.py). Operator subsets: {l0}, {l0, l2},
{l0, lNL}, {l0, l2, lNL}. The fit is linear least squares solved exactly (numpy.linalg.lstsq on the design
matrix with unit-norm columns), optionally weighted by the per-element standard errors. Coupling errors: the
standard error from refitting each of the 10 sub-ensembles (the full fit is their mean), and for weighted
fits also the covariance (A^T W A)^-1, which ignores the strong correlations between elements measured on
the same networks. Directions of the design matrix with singular value below RCOND of the largest (after
column scaling) are dropped and the fit's rank is reported: for ReLU with sb = 0 at positive d_in = 1 inputs
Kt(x, y) = x g(y), so T0, T2 and TNL are all proportional to x1 x2 x3 x4 and only one combination of the
couplings is determined (the minimum-norm solution is returned).

The same fits run on the exact finite-width dG4 (common/finite_width.py, the connected 4-pt function, since
G4 - G4_GP = G4c exactly at mw = mb = 0), which answers the operator question without statistical noise.
Scores per subset: MAPE and max APE (percent, |pred - dG4| / |dG4| over the elements) and the MSE."""
import argparse
import math

import numpy as np

from common import cli, correlators, feynman, finite_width, inputs, io, kernels
from common.errors import DataFileError, UserError

WIDTH = {"Erf": 5, "GaussNet": 1000, "ReLU": 20}                        # the paper's widths for the fits
TRAIN_XSET = {"Erf": "xsetEt", "GaussNet": "xsetGt", "ReLU": "xsetRt"}
TEST_XSET = {"Erf": "xsetE", "GaussNet": "xsetG", "ReLU": "xsetR"}
CUTOFF = {"Erf": 100.0, "GaussNet": math.inf, "ReLU": 100.0}
OPERATORS = ("l0", "l2", "lNL")
INTEGRAL = {"l0": "T0", "l2": "T2", "lNL": "TNL"}
SUBSETS = (("l0",), ("l0", "l2"), ("l0", "lNL"), ("l0", "l2", "lNL"))
RCOND = 1e-10       # relative singular value below which a direction of the (column-scaled) design is dropped
SOURCES = ("experiment", "exact")


# ---------------------------------------------------------------- flags
cutoff = cli.checked(float, "a number (or 'inf')", lambda v: v > 0, "> 0 (a cutoff; 'inf' allowed)")


def parser(doc, *, integrals=True):
    """The shared flags plus the lambda-fit ones (--width, --train-xset, --test-xset, [--cutoff])."""
    p = cli.build_parser(doc, widths="single", width_defaults=WIDTH)
    g = p.add_argument_group("lambda fit")
    g.add_argument("--train-xset", default=None, help="input set the couplings are fitted on "
                                                      "(default xsetEt, xsetGt, xsetRt by activation)")
    g.add_argument("--test-xset", default=None, help="input set the fit is scored on "
                                                     "(default xsetE, xsetG, xsetR by activation)")
    g.add_argument("--test-seed", type=int, default=None,
                   help="seed of the test ensemble (default --seed + 1: networks independent of the training ones, "
                        "so fitted noise does not pass for generalisation)")
    if integrals:
        g.add_argument("--cutoff", type=cutoff, default=None,
                       help="input-space cutoff Lambda of the integrals, 'inf' allowed where they converge "
                            "(default: Erf 100, ReLU 100, GaussNet inf)")
    return p


def resolve(args):
    """Fill the activation-dependent defaults and the two input sets; refuse what the fits cannot do."""
    if args.xset is not None or args.inputs is not None:
        raise UserError("the lambda fits take two input sets: use --train-xset and --test-xset, not --xset/--inputs")
    if args.mw or args.mb:
        raise UserError("the lambda fits assume zero means (mw = mb = 0): the GP kernels and integrals need them")
    args.train_xset = args.train_xset or TRAIN_XSET[args.activation]
    args.test_xset = args.test_xset or TEST_XSET[args.activation]
    if args.train_xset == args.test_xset:
        raise UserError(f"--train-xset and --test-xset are both {args.train_xset!r}: the fit needs a separate test set")
    args.sets = {}
    for role in ("train", "test"):
        name = getattr(args, f"{role}_xset")
        args.sets[role] = inputs.resolve(args.activation, args.d_in, name)[1]
    args.test_seed = args.seed + 1 if args.test_seed is None else args.test_seed
    if hasattr(args, "cutoff") and args.cutoff is None:
        args.cutoff = CUTOFF[args.activation]
    args.xset_name, args.points = f"{args.train_xset}-{args.test_xset}", None   # for io.result_name
    return args


def experiment_path(args):
    return args.data_dir / io.result_name("4pt_exp", args, N=args.width, tseed=args.test_seed)


def integrals_path(args):
    """Integrals depend on the kernel and the cutoff only (not on widths, models or seeds)."""
    return args.data_dir / (f"lamfit_integrals_{args.activation}_d{args.d_in}_{args.xset_name}_sw{io.fmt(args.sw)}"
                            f"_sb{io.fmt(args.sb)}_cut{io.fmt(args.cutoff)}.pkl")


def fit_path(args):
    return args.data_dir / io.result_name("lam_fit", args, N=args.width, tseed=args.test_seed, cut=args.cutoff,
                                          w="weighted" if args.weighted else "plain")


def command(script, args, cutoff=False):
    """The command line of `script` that makes a missing file of these parameters (for error messages)."""
    cmd = (f"python {script} --activation {args.activation} --d-in {args.d_in} --sw {args.sw:g} --sb {args.sb:g} "
           f"--train-xset {args.train_xset} --test-xset {args.test_xset} --data-dir {args.data_dir}")
    if cutoff:
        return cmd + f" --cutoff {args.cutoff:g}"
    return cmd + f" --width {args.width} --n-models {args.n_models} --seed {args.seed} --test-seed {args.test_seed}"


def experiment_spec(args):
    spec = cli.ensemble_spec(args, args.width, args.train_xset)
    spec = {k: v for k, v in spec.items() if k not in ("xset", "inputs")}
    return spec | _set_spec(args) | {"test_seed": args.test_seed}


def integrals_spec(args):
    return {"activation": args.activation, "d_in": args.d_in, "sw": args.sw, "sb": args.sb,
            "cutoff": args.cutoff} | _set_spec(args)


def _set_spec(args):
    return {"train_xset": args.train_xset, "test_xset": args.test_xset,
            "train_inputs": args.sets["train"].tolist(), "test_inputs": args.sets["test"].tolist()}


# ---------------------------------------------------------------- the measured and exact dG4
def deviation_4pt(stats4, K):
    """dG4 = G4_exp - G4_GP per multiset from an NPoint of order 4 and the GP kernel K (exact at every N).

    Returns {"dg4" (M,), "se" (M,), "sub" (n_sub, M), "gp" (M,)}: the GP part is exact, so the standard
    errors and the sub-ensemble spread are those of G4_exp."""
    gp = correlators.gp_npoint(K, 4)
    return {"dg4": stats4.mean - gp, "se": stats4.se, "sub": stats4.sub - gp, "gp": gp}


def measure(args):
    """Experimental and exact dG4 of the train and test sets (ensembles generated on demand): {role: dict}.
    The test ensemble is drawn with --test-seed."""
    out = {}
    for role in ("train", "test"):
        xs = args.sets[role]
        ens_args = args if role == "train" else argparse.Namespace(**{**vars(args), "seed": args.test_seed})
        stats = io.load_npoints(ens_args, args.width, xset=getattr(args, f"{role}_xset"), max_n=4)
        part = deviation_4pt(stats[4], kernels.kernel(args.activation, xs, xs, args.sw, args.sb))
        part["exact"] = finite_width.exact_npt(args.activation, xs, args.width, 4, args.sw, args.sb).connected
        part["inputs"] = xs
        if args.activation == "GaussNet":      # lognormal tails: are the sample error bars trustworthy?
            trust = finite_width.mc_trust("GaussNet", xs, args.width, 4, args.n_models, args.sw, args.sb)
            part["trusted"], part["se_typical_diag"] = bool(trust.trusted.all()), trust.se_diag
        out[role] = part
    return out


def experiment_summary(part):
    """One set of a 4pt_exp file in numbers: the paper's m4 and background, the mean relative standard error
    of dG4, and the distance of the measured from the exact dG4 in standard errors (mean and max)."""
    g4, gp = part["dg4"] + part["gp"], part["gp"]
    z = np.abs(part["dg4"] - part["exact"]) / part["se"]
    return {"m4": correlators.deviation(g4, gp), "m4_exact": correlators.deviation(part["exact"] + gp, gp),
            "background": correlators.background(part["sub"] + gp, gp),
            "rel_se": float(np.mean(part["se"] / np.abs(part["exact"]))),
            "z_vs_exact_mean": float(z.mean()), "z_vs_exact_max": float(z.max())}


def diagonal(n_inputs):
    """Ids of the diagonal multisets (i, i, i, i) among multisets(n_inputs, 4)."""
    return correlators.multiset_ids(np.repeat(np.arange(n_inputs)[:, None], 4, axis=1), n_inputs)


def operator_integrals(activation, xs, cut, sw, sb):
    """{"T0", "T2", "TNL"}: (n_multisets of order 4,) each, at one cutoff."""
    return {k: v[0] for k, v in feynman.operator_integrals(activation, xs, [cut], sw, sb).items()}


def save_experiment(args):
    """Measure (generating missing ensembles) and save the train/test dG4 file; returns its path."""
    meta = {"kind": "lamfit_4pt", **experiment_spec(args), "created_by": cli.meta(args)}
    return io.save(experiment_path(args), measure(args), meta)


def save_integrals(args):
    """Compute and save T0, T2, TNL of the train and test sets at the cutoff; returns the file's path."""
    arrays = {role: operator_integrals(args.activation, xs, args.cutoff, args.sw, args.sb)
              for role, xs in args.sets.items()}
    meta = {"kind": "lamfit_integrals", **integrals_spec(args), "created_by": cli.meta(args)}
    return io.save(integrals_path(args), arrays, meta)


def _load(args, kind, path, spec, save, script, cutoff=False):
    """A derived data file, checked against spec; a missing one is made first unless --no-generate."""
    if not path.exists():
        if args.no_generate:
            others = []
            if cutoff:      # the same integrals at other cutoffs: the likely mix-up
                others = sorted(p.name for p in path.parent.glob(path.name.split("_cut")[0] + "_cut*.pkl"))
            hint = f" (files of other cutoffs: {', '.join(others)})" if others else ""
            raise UserError(f"missing {kind} file {path}{hint}; make it with: {command(script, args, cutoff)}")
        print(f"making missing {kind} file {path.name}", flush=True)
        save(args)
    data = io.load(path, kind=kind)
    io.check_spec(path, data["meta"], spec)
    for role in ("train", "test"):
        if not isinstance(data.get(role), dict):
            raise DataFileError(f"{path}: no {role!r} data")
    return data


def load_experiment(args):
    return _load(args, "lamfit_4pt", experiment_path(args), experiment_spec(args), save_experiment, "4pt_exp.py")


def load_integrals(args):
    return _load(args, "lamfit_integrals", integrals_path(args), integrals_spec(args), save_integrals,
                 "lam_fit_integrals.py", cutoff=True)


# ---------------------------------------------------------------- the fits (pure functions)
def design(T, ops):
    """Design matrix A (n_elements, n_ops) of dG4 = A lambda: columns -T_k of the operators in ops."""
    return -np.stack([np.asarray(T[INTEGRAL[o]], dtype=np.float64) for o in ops], axis=1)


def solve(A, y, sigma=None, rcond=RCOND):
    """Least squares A lambda = y (y: (n,) or (n, k) right-hand sides), weighted by 1/sigma if given.

    Columns are scaled to unit norm first (the integrals differ by orders of magnitude). Returns
    (lambda (n_ops,) or (n_ops, k), rank, singular values of the scaled weighted design)."""
    w = np.ones(len(A)) if sigma is None else 1.0 / np.asarray(sigma, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise UserError("weighted fit: every element needs a finite, non-zero standard error")
    Aw = A * w[:, None]
    scale = np.linalg.norm(Aw, axis=0)
    y = np.asarray(y, dtype=np.float64)
    coef, _, rank, sv = np.linalg.lstsq(Aw / scale, y * (w if y.ndim == 1 else w[:, None]), rcond=rcond)
    return (coef / scale if y.ndim == 1 else coef / scale[:, None]), int(rank), sv


def scores(pred, meas):
    """MAPE and max APE (percent) and MSE of a prediction against measured values over the elements."""
    ape = 100 * np.abs(pred - meas) / np.abs(meas)
    return {"mape_pct": float(np.mean(ape)), "max_ape_pct": float(np.max(ape)),
            "mse": float(np.mean((pred - meas) ** 2))}


def shape_scores(pred, meas):
    """scores() after one overall factor c = argmin sum (c pred - meas)^2 refitted on these elements: the error
    of the prediction's pattern over the elements, blind to the overall level. Measured on one ensemble the
    noise is nearly common to all elements (close inputs, the same networks), so this isolates what the
    operators are meant to get right."""
    return scores(pred * (pred @ meas) / (pred @ pred), meas)


def fit(A, y, sub=None, sigma=None):
    """One operator subset: couplings, their errors, rank and conditioning.

    sub (n_sub, n): the sub-ensemble dG4, each refitted; errors = std over them / sqrt(n_sub) (the full fit
    is their mean, the fit being linear). sigma: weights 1/sigma and the covariance errors."""
    coef, rank, sv = solve(A, y, sigma)
    out = {"couplings": coef, "rank": rank, "cond": float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf,
           "errors": np.full(len(coef), np.nan), "errors_cov": None, "sub_couplings": None}
    if sub is not None:
        sub_coef = solve(A, np.asarray(sub).T, sigma)[0].T                     # (n_sub, n_ops)
        out["sub_couplings"] = sub_coef
        out["errors"] = np.std(sub_coef, axis=0, ddof=1) / math.sqrt(len(sub_coef))
    if sigma is not None:
        Aw = A / np.asarray(sigma)[:, None]
        scale = np.linalg.norm(Aw, axis=0)
        cov = np.linalg.pinv((Aw / scale).T @ (Aw / scale), rcond=RCOND, hermitian=True) / np.outer(scale, scale)
        out["errors_cov"] = np.sqrt(np.clip(np.diag(cov), 0, None))
    return out


def fit_subsets(train, test, T_train, T_test, weighted=False):
    """Every operator subset fitted on the train set, for the experiment and the exact theory.

    train/test: {"dg4", "se", "sub", "exact"} per multiset; T_*: {"T0", "T2", "TNL"}. weighted: both sources
    are weighted by the measured train standard errors (the exact fit is the noise-free limit of the same
    weighted fit). Returns {source: {subset name: fit dict + predictions and scores on train and test, and
    the scores of the test prediction against the exact dG4 ("test_vs_exact") and of its pattern over the
    elements ("test_shape", see shape_scores)}}."""
    sigma = train["se"] if weighted else None
    out = {}
    for source in SOURCES:
        out[source] = {}
        key = "dg4" if source == "experiment" else "exact"
        for ops in SUBSETS:
            A, B = design(T_train, ops), design(T_test, ops)
            res = fit(A, train[key], train["sub"] if source == "experiment" else None, sigma)
            res["operators"] = list(ops)
            for role, M, data in (("train", A, train), ("test", B, test)):
                pred = M @ res["couplings"]
                res[role] = {"pred": pred, **scores(pred, data[key])}
            res["test_vs_exact"] = scores(res["test"]["pred"], test["exact"])
            res["test_shape"] = shape_scores(res["test"]["pred"], test[key])
            out[source]["+".join(ops)] = res
    return out


# ---------------------------------------------------------------- report
def _pm(value, err):
    if value is None:
        return f"{'-':>21}"
    return f"{value:>10.4g} +- {err:<7.2g}" if np.isfinite(err) else f"{value:>10.4g}{'':11}"


def table(fits):
    """The fits as a text table: couplings with errors, train/test MAPE, test max APE and MSE, the test MAPE
    of the pattern (shape_scores) and against the exact dG4, the rank and condition number of the
    (column-scaled) design."""
    head = (f"{'source':<10} {'operators':<10} " + " ".join(f"{o:^21}" for o in OPERATORS)
            + f" {'train MAPE%':>11} {'test MAPE%':>10} {'test maxAPE%':>12} {'test MSE':>9}"
            f" {'shape%':>8} {'vs exact%':>9} {'rank':>4} {'cond':>7}")
    lines = [head, "-" * len(head)]
    for source, subsets in fits.items():
        for name, res in subsets.items():
            vals = dict(zip(res["operators"], zip(res["couplings"], res["errors"])))
            cells = " ".join(_pm(*vals[o]) if o in vals else _pm(None, None) for o in OPERATORS)
            lines.append(f"{source:<10} {name:<10} {cells} {res['train']['mape_pct']:>11.3g} "
                         f"{res['test']['mape_pct']:>10.3g} {res['test']['max_ape_pct']:>12.3g} "
                         f"{res['test']['mse']:>9.2g} {res['test_shape']['mape_pct']:>8.3g} "
                         f"{res['test_vs_exact']['mape_pct']:>9.3g} "
                         f"{res['rank']:>2}/{len(res['operators'])} {res['cond']:>7.1e}")
    return "\n".join(lines)


def summary(fits):
    """JSON-ready {source: {subset: {couplings, errors, rank, cond, train/test MAPE, test max APE, test MSE,
    test MAPE of the pattern and against the exact dG4}}}."""
    clean = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
    return {source: {name: {"couplings": {o: clean(c) for o, c in zip(res["operators"], res["couplings"])},
                            "errors": {o: clean(e) for o, e in zip(res["operators"], res["errors"])},
                            "rank": res["rank"], "cond": clean(res["cond"]), "train_mape_pct": res["train"]["mape_pct"],
                            "test_mape_pct": res["test"]["mape_pct"], "test_max_ape_pct": res["test"]["max_ape_pct"],
                            "test_mse": res["test"]["mse"], "test_shape_mape_pct": res["test_shape"]["mape_pct"],
                            "test_mape_vs_exact_pct": res["test_vs_exact"]["mape_pct"]}
                     for name, res in subsets.items()} for source, subsets in fits.items()}


def json_cutoff(value):
    return "inf" if math.isinf(value) else value
