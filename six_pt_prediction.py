"""First-order prediction of the 6-pt function from the quartic coupling lambda (paper Sec. 4).

G6_pred(Lambda) = G6_GP + sum over the 15 splits of the six points into a 4-set and a pair of
[-24 lambda I4(4-set; Lambda)] K(pair) (full K, bias included; common/feynman.py), compared with the measured
G6 of the ensemble per unique element (sorted 6-multiset: the whole symmetric tensor, each element once).
lambda and I4 come from rg.py's per-cutoff files (data/rg_lambda_..._cutoff<Lambda>.pkl); missing ones are
made first, as rg.py makes them. Two versions:
  per-element lambda: -24 lambda_ijkl I4_ijkl = dG4_ijkl, so G6_pred = G6_GP + sum_15 dG4 K at every cutoff;
      the exact cumulant expansion G6 = G6c + sum_15 G4c K + sum_15 K K K makes this G6 - G6c: the ratio
      G6_pred / G6 is 1 - G6c / G6, the rest being the O(1/N^2) connected 6-pt (the sextic coupling's job);
  mean lambda (the paper's single coupling, the mean over unique 4-pt elements at each cutoff): adds its own
      error where lambda varies over the elements, and depends on the cutoff.
Exact references (common/finite_width.py): G6_GP / G6, 1 - G6c / G6, the mean-lambda prediction with the
exact lambdas, and exact G6 / measured G6. Statistical errors: the spread of the 10 sub-ensembles / sqrt(10).
Writes data/six_pt_prediction_<flags>_N<width>.pkl and plots/six_pt_prediction_<activation>_d<d_in>_N<width>
.{pdf,png}; the last line of output is the JSON summary (mean and max |ratio - 1| over elements for the GP
alone, per-element lambda and mean lambda, the exact levels and z = (measured - exact) / SE).
Example: python six_pt_prediction.py --activation ReLU --d-in 1 --n-models 10**6"""
import json

from common import cli, io, kernels, plotting, running, sec2


def main(argv=None):
    args = cli.build_parser(__doc__, widths="single", cutoffs=True).parse_args(argv)
    cutoffs = running.check_cutoffs(args.cutoffs)
    kernels.kernel(args.activation, args.points, args.points, args.sw, args.sb, args.mw, args.mb)  # checks flags
    npoints = io.load_npoints(args, args.width)
    table = running.load_couplings(args, cutoffs)
    result = running.prediction_table(args, cutoffs, npoints, table)
    result["summary"] = running.summarise_prediction(args, result, running.g6_errorbar_trust(args))
    path = io.save(args.data_dir / io.result_name("six_pt_prediction", args, N=args.width), result,
                   cli.meta(args, kind="six_pt_prediction", activation=args.activation, d_in=args.d_in))
    data = io.load(path, kind="six_pt_prediction")
    stem = sec2.plot_stem(f"six_pt_prediction_{args.activation}_d{args.d_in}_N{args.width}", args)
    figures = plotting.save(plotting.six_pt_prediction(data), args.plot_dir / stem)
    print(f"{plotting.TITLE_NAME[args.activation]} 6-pt prediction, N = {args.width}, d_in = {args.d_in} "
          f"({args.xset_name}, {args.n_models:,} networks)")
    print("\n".join(running.report_prediction(data["summary"])))
    print(f"wrote {path}, {', '.join(map(str, figures))}")
    print(json.dumps(data["summary"]))


if __name__ == "__main__":
    cli.run(main)
