"""Wilsonian running of the quartic coupling lambda with the input-space cutoff Lambda (paper Sec. 4).

Action S = S_GP + lambda int_[-Lambda, Lambda]^d_in f(y)^4 dy; at first order dG4 = -24 lambda I4(Lambda)
with I4 = int_box Kt Kt Kt Kt dy, Kt = K - sb^2 (common/feynman.py). For every cutoff and every unique
4-point element (sorted index multiset) lambda_ijkl(Lambda) = -dG4_ijkl / (24 I4_ijkl(Lambda)), with
dG4 = G4_exp - G4_GP measured on the ensemble, and again with the exact finite-width dG4 (noise free,
common/finite_width.py). The original research code stores the opposite sign; the magnitudes agree.
A least-squares line through log10|lambda| against log10 Lambda over all elements and cutoffs gives the
slope, intercept and R^2 (also over the largest third of the cutoffs: slope_large_cutoff).
Predicted large-cutoff slopes, from Kt at large |y|: ReLU -(4 + d_in) (Kt grows like |y|; for sb = 0 Kt is
homogeneous of degree 1, so this holds exactly at every cutoff and for every element, whatever the noise),
Erf -d_in (Kt tends to a direction-dependent constant, so I4 ~ Lambda^d_in), GaussNet 0 (Kt decays like a
Gaussian, I4 converges once the box holds the inputs' neighbourhood, and lambda stops running).
Writes one file per cutoff, data/rg_lambda_<flags>_N<width>_cutoff<Lambda>.pkl (kind rg_lambda: cutoff,
multisets, I4, dG4, dG4_se, dG4_exact, lam, lam_se, lam_sub, lam_exact; six_pt_prediction.py reads them),
data/rg_<flags>_N<width>.pkl (all cutoffs and the fits) and plots/rg_<activation>_d<d_in>_N<width>.{pdf,png};
the last line of output is the JSON summary.
Example: python rg.py --activation ReLU --d-in 1 --n-models 10**6"""
import json

from common import cli, correlators, io, plotting, running, sec2


def main(argv=None):
    args = cli.build_parser(__doc__, widths="single", cutoffs=True).parse_args(argv)
    cutoffs = running.check_cutoffs(args.cutoffs)
    table = running.lambda_table(args, cutoffs)
    per_cutoff = running.save_per_cutoff(args, cutoffs, table)
    summ = running.summarise_rg(args, cutoffs, table)
    path = io.save(args.data_dir / io.result_name("rg", args, N=args.width),
                   {"cutoffs": cutoffs, "multisets": correlators.multisets(len(args.points), 4), **table,
                    "summary": summ}, cli.meta(args, kind="rg", activation=args.activation, d_in=args.d_in))
    data = io.load(path, kind="rg")
    stem = sec2.plot_stem(f"rg_{args.activation}_d{args.d_in}_N{args.width}", args)
    figures = plotting.save(plotting.rg_lambda(data), args.plot_dir / stem)
    print(f"{plotting.TITLE_NAME[args.activation]} lambda, N = {args.width}, d_in = {args.d_in} "
          f"({args.xset_name}, {args.n_models:,} networks)")
    print("\n".join(running.report_rg(summ, cutoffs, table)))
    print(f"wrote {len(per_cutoff)} per-cutoff lambda files ({per_cutoff[0].name}, ...), {path}, "
          f"{', '.join(map(str, figures))}")
    print(json.dumps(data["summary"]))


if __name__ == "__main__":
    cli.run(main)
