"""Operator integrals T0, T2, TNL of the lambda fits for every index multiset of the train and test sets (Sec. 5).

T0 = 24 int Kt^4, T2 = 24 int |y|^2 Kt^4 and TNL = 8 sum_3 channels I2 I2 over the box [-Lambda, Lambda]^d_in
(common/feynman.py, one vectorised quadrature pass per set). Cached in data/ with the cutoff and the kernel
parameters in the file name and metadata. Default cutoff: Erf 100, ReLU 100, GaussNet inf (--cutoff).
Example: python lam_fit_integrals.py --activation ReLU --cutoff 100"""
import json

from common import cli, io, lamfit


def main(argv=None):
    args = lamfit.resolve(lamfit.parser(__doc__).parse_args(argv))
    path = lamfit.save_integrals(args)
    data = io.load(path, kind="lamfit_integrals")
    summary = {"activation": args.activation, "d_in": args.d_in, "cutoff": lamfit.json_cutoff(args.cutoff),
               "path": str(path)}
    for role in ("train", "test"):
        summary[role] = {k: [float(v.min()), float(v.max())] for k, v in data[role].items()}
        print(f"{role:5} {getattr(args, role + '_xset'):7}: " +
              ", ".join(f"{k} in [{lo:.4g}, {hi:.4g}]" for k, (lo, hi) in summary[role].items()))
    print(f"saved {path}")
    print(json.dumps(summary))


if __name__ == "__main__":
    cli.run(main)
