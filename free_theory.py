"""Free theory: ensemble n-point functions vs. the GP and exact finite-width theory (paper Sec. 2).

For every width N: the empirical G_n over every sorted multiset (whole ensemble and its 10 sub-ensembles),
the GP G_n (Wick), the exact finite-width G_n (common/finite_width.py), the paper's signal
m_n = mean |G_n - G_n^GP| / |G_n^GP|, its background (spread of the 10 sub-ensembles), and
z = (G_exp - G_exact) / SE per element, with a flag where the Monte-Carlo error bar cannot be trusted.
Missing ensembles are generated first (--no-generate: an error naming the generate_models.py command).
The empirical G_1..G_6 of each ensemble are cached in data/npt_<ensemble file> (io.load_npoints): that is
the store of experimental 4-pt and 6-pt tensors six_pt_connected.py and six_pt_prediction.py read.
Writes data/free_theory_<flags>_npt<n>.pkl and plots/free_theory_<activation>_d<d_in>_<n>pt.{pdf,png};
the last line of output is the JSON summary (slope of log10 m_n vs log10 N over the widths where the
signal exceeds 3x background, the exact curve's slope over the same widths, max |z| over trusted elements).
Example: python free_theory.py --activation ReLU --d-in 1 --n-models 10**6 --n-pt 4"""
import json

from common import cli, io, plotting, sec2


def main(argv=None):
    parser = cli.build_parser(__doc__)
    parser.add_argument("--n-pt", type=int, choices=(2, 4, 6), default=4, help="order n of G_n (default 4)")
    args = parser.parse_args(argv)
    npoints = {width: io.load_npoints(args, width) for width in sec2.check_widths(args.widths).tolist()}
    result = sec2.free_theory(npoints, args.n_pt, args.n_models, **sec2.params(args))
    result["summary"] = sec2.summary(result, sec2.head(args, args.n_pt, f"m_{args.n_pt}"))
    path = io.save(args.data_dir / io.result_name("free_theory", args, npt=args.n_pt), result,
                   cli.meta(args, kind="free_theory", activation=args.activation, d_in=args.d_in))
    data = io.load(path, kind="free_theory")
    stem = sec2.plot_stem(f"free_theory_{args.activation}_d{args.d_in}_{args.n_pt}pt", args)
    figures = plotting.save(plotting.sec2_falloff(data), args.plot_dir / stem)
    print(f"{plotting.TITLE_NAME[args.activation]} {args.n_pt}-pt deviation, d_in = {args.d_in} "
          f"({args.xset_name}, {args.n_models:,} networks per width)")
    print("\n".join(sec2.report_lines(data, data["summary"], f"m_{args.n_pt}")))
    print(f"wrote {path}, {', '.join(map(str, figures))}")
    print(json.dumps(data["summary"]))


if __name__ == "__main__":
    cli.run(main)
