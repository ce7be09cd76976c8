"""Connected 6-pt function of the ensembles vs. exact finite-width theory (paper Sec. 2).

G6c = G6 - sum_15 G4 G2 + 2 sum_15 G2 G2 G2 (zero-mean outputs), with G2, G4, G6 all from the same
(sub-)ensemble so the estimator is consistent, normalised by |G6^GP|: signal = mean over elements of
|G6c| / |G6^GP|, background = the spread of the estimator over the 10 sub-ensembles (its standard error:
that spread / sqrt(10)). Exact theory: G6c = c / N^2 (sigma_w^6 / N^2 times neuron moments). Reads the
empirical G_2, G_4, G_6 cached by io.load_npoints in data/npt_<ensemble file> (the same store
free_theory.py fills), generating missing ensembles first unless --no-generate.
Writes data/six_pt_connected_<flags>.pkl and plots/six_pt_connected_<activation>_d<d_in>.{pdf,png}; the last
line of output is the JSON summary (slope, slope_fit_widths, slope_exact, max_abs_z_exact over trusted elements).
Example: python six_pt_connected.py --activation GaussNet --d-in 1 --n-models 10**6"""
import json

from common import cli, io, plotting, sec2


def main(argv=None):
    args = cli.build_parser(__doc__).parse_args(argv)
    npoints = {width: io.load_npoints(args, width) for width in sec2.check_widths(args.widths).tolist()}
    result = sec2.connected_six(npoints, args.n_models, **sec2.params(args))
    result["summary"] = sec2.summary(result, sec2.head(args, 6, "|G6c|/|G6_GP|"))
    path = io.save(args.data_dir / io.result_name("six_pt_connected", args), result,
                   cli.meta(args, kind="six_pt_connected", activation=args.activation, d_in=args.d_in))
    data = io.load(path, kind="six_pt_connected")
    stem = sec2.plot_stem(f"six_pt_connected_{args.activation}_d{args.d_in}", args)
    figures = plotting.save(plotting.sec2_falloff(data), args.plot_dir / stem)
    print(f"{plotting.TITLE_NAME[args.activation]} connected 6-pt, d_in = {args.d_in} "
          f"({args.xset_name}, {args.n_models:,} networks per width)")
    print("\n".join(sec2.report_lines(data, data["summary"], "|G6c|/|G6GP|")))
    print(f"wrote {path}, {', '.join(map(str, figures))}")
    print(json.dumps(data["summary"]))


if __name__ == "__main__":
    cli.run(main)
