"""Fit the finite-width 4-pt deviation with effective couplings: constant, input-dependent, non-local (Sec. 5).

dG4 = -lambda0 T0 - lambda2 T2 - lambdaNL TNL, fitted by exact linear least squares on the TRAIN set for each
operator subset {l0}, {l0,l2}, {l0,lNL}, {l0,l2,lNL} and scored on the TEST set (MAPE, max APE, MSE), for the
measured dG4 (4pt_exp.py) and for the exact finite-width dG4 (noise free). Coupling errors: spread of the refits
of the 10 sub-ensembles. Missing dG4 or integral files are made first (--no-generate: error instead).
Example: python lam_fit.py --activation GaussNet --n-models 10**6"""
import json

from common import cli, io, lamfit, plotting


def main(argv=None):
    p = lamfit.parser(__doc__)
    p.add_argument("--weighted", action="store_true",
                   help="weight the fit by the per-element standard errors of the train dG4 (also reports the "
                        "weighted fit's covariance errors)")
    args = lamfit.resolve(p.parse_args(argv))
    exp, T = lamfit.load_experiment(args), lamfit.load_integrals(args)
    fits = lamfit.fit_subsets(exp["train"], exp["test"], T["train"], T["test"], weighted=args.weighted)
    meta = {"kind": "lam_fit", "width": args.width, "cutoff": args.cutoff, "weighted": args.weighted,
            "train_xset": args.train_xset, "test_xset": args.test_xset, **cli.meta(args)}
    path = io.save(lamfit.fit_path(args), {"fits": fits, "train": exp["train"], "test": exp["test"]}, meta)
    data = io.load(path, kind="lam_fit")
    print(lamfit.table(data["fits"]))
    if not all(exp[role].get("trusted", True) for role in ("train", "test")):
        print("warning: GaussNet's lognormal tails make the sample standard errors, and so the coupling errors, "
              "unreliable at this width and number of networks (see 4pt_exp.py)")
    stem = args.plot_dir / path.stem
    plotting.save(plotting.lam_fit(data), stem)
    print(f"saved {path} and {stem}.pdf/.png")
    print(json.dumps({"activation": args.activation, "d_in": args.d_in, "width": args.width,
                      "n_models": args.n_models, "cutoff": lamfit.json_cutoff(args.cutoff),
                      "train_xset": args.train_xset, "test_xset": args.test_xset, "weighted": args.weighted,
                      "fits": lamfit.summary(data["fits"])}))


if __name__ == "__main__":
    cli.run(main)
