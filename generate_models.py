"""Generate ensembles of single-hidden-layer networks and save their outputs on the input set (paper Sec. 2).

One data file per width in --data-dir, named after every generating parameter. A width whose file already
exists with identical parameters is skipped, so an interrupted run resumes; --force regenerates it.
Example: python generate_models.py --activation ReLU --d-in 1 --n-models 10**6"""
import time

from common import cli, io
from common.errors import DataFileError


def main(argv=None):
    args = cli.build_parser(__doc__, generate=True, plots=False).parse_args(argv)
    for width in args.widths:
        spec = cli.ensemble_spec(args, width)
        path = args.data_dir / io.ensemble_name(spec)
        if path.exists() and not args.force:
            try:
                io.load_ensemble(path, spec)
            except DataFileError as err:
                raise DataFileError(f"{err}; nothing was overwritten (use --force to regenerate it)") from None
            print(f"N={width}: {path} exists with these parameters, skipped")
            continue
        start = time.perf_counter()
        io.generate_ensemble(args, spec, path)
        seconds = time.perf_counter() - start
        print(f"N={width}: {args.n_models} models in {seconds:.1f} s ({args.n_models / seconds:,.0f} models/s) "
              f"-> {path}")


if __name__ == "__main__":
    cli.run(main)
