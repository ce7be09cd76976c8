"""The one argparse builder every script uses, the run wrapper that turns bad input into a one-line error,
and the ensemble specification derived from the flags."""
import argparse
import math
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from common import inputs, kernels
from common.errors import UserError

DEFAULT_WIDTHS = [2, 3, 4, 5, 10, 20, 50, 100, 500, 1000]
SINGLE_WIDTH = {"ReLU": 20, "Erf": 5, "GaussNet": 100}   # rg.py, six_pt_prediction.py
PAPER_CUTOFFS = [7, 10, 15, 20, 30, 40, 50, 70, 100, 200, 500, 1000, 2000, 5000, 7000, 10000, 20000, 40000,
                 60000, 80000, 100000]                     # input-space cutoffs Lambda of the paper's Sec. 4


def count(text):
    """'10**6', '1e6' or '1000000' -> 1000000 (a positive integer)."""
    power = re.fullmatch(r"\s*(\d+)\s*\*\*\s*(\d+)\s*", text)
    try:
        value = int(power[1]) ** int(power[2]) if power else float(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a count like 10**6, 1e6 or 1000000") from None
    if not (math.isfinite(value) and value >= 1 and value == int(value)):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer")
    return int(value)


def int_list(text):
    """'2,5,20' -> [2, 5, 20] (positive integers)."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: widths must be positive integers")
    return values


def float_list(text):
    """'7,10,1e5' -> [7.0, 10.0, 100000.0] (positive numbers)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not values or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: values must be positive")
    return values


def checked(cast, what, ok, requirement):
    """An argparse type: cast the text, then require ok(value), with one-line messages."""
    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be {requirement}")
        return value
    return parse


nonneg_float = checked(float, "a number", lambda v: 0 <= v < math.inf, "a finite number >= 0")
positive_int = checked(int, "an integer", lambda v: v >= 1, "a positive integer")
finite_float = checked(float, "a number", math.isfinite, "finite")


class _Parser(argparse.ArgumentParser):
    """Resolves the flag defaults that depend on each other (sb on activation, the input set on d_in)."""

    def parse_args(self, args=None, namespace=None):
        ns = super().parse_args(args, namespace)
        try:
            if hasattr(ns, "activation"):
                if ns.sb is None:
                    ns.sb = kernels.default_sb(ns.activation)
                ns.xset_name, ns.points = inputs.resolve(ns.activation, ns.d_in, ns.xset, ns.inputs)
            if getattr(ns, "width", "absent") is None:
                ns.width = self.width_defaults[ns.activation]
        except UserError as err:
            self.error(str(err))
        return ns


def build_parser(doc, *, ensemble=True, widths="list", generate=False, plots=True, cutoffs=False,
                 width_defaults=SINGLE_WIDTH):
    """The shared flags. widths: 'list' (--widths), 'single' (--width, default width_defaults[activation]) or
    None; generate: the flags of generate_models.py (--force) instead of the analysis scripts' --no-generate;
    cutoffs: --cutoffs."""
    p = _Parser(description=doc.strip().splitlines()[0], epilog="\n".join(doc.strip().splitlines()[1:]) or None,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=0, help="random seed of the ensembles (default 0)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="folder of data files (default data/)")
    if plots:
        p.add_argument("--plot-dir", type=Path, default=Path("plots"), help="folder of figures (default plots/)")
    if not ensemble:
        return p
    g = p.add_argument_group("ensemble")
    g.add_argument("--activation", choices=kernels.ACTIVATIONS, default="ReLU", help="sigma (default ReLU)")
    g.add_argument("--d-in", type=positive_int, default=1, help="input dimension (default 1)")
    if widths == "list":
        g.add_argument("--widths", type=int_list, default=DEFAULT_WIDTHS,
                       help="hidden-layer widths N, e.g. 2,5,20 (default " + ",".join(map(str, DEFAULT_WIDTHS)) + ")")
    elif widths == "single":
        p.width_defaults = width_defaults
        g.add_argument("--width", type=positive_int, default=None, help="hidden-layer width N (default: " +
                       ", ".join(f"{a} {w}" for a, w in width_defaults.items()) + ")")
    g.add_argument("--n-models", type=count, default=10**6, help="networks per width: 10**6, 1e6 or 1000000 "
                                                                 "(default 10**6)")
    g.add_argument("--sw", type=nonneg_float, default=1.0, help="weight standard deviation sigma_w (default 1)")
    g.add_argument("--sb", type=nonneg_float, default=None,
                   help="bias standard deviation sigma_b (default 1; 0 for ReLU)")
    g.add_argument("--mw", type=finite_float, default=0.0, help="weight mean mu_w (default 0)")
    g.add_argument("--mb", type=finite_float, default=0.0, help="bias mean mu_b (default 0)")
    g.add_argument("--xset", default=None, help=f"one of the paper's input sets ({', '.join(inputs.XSETS)}); "
                                                 "default follows from activation and d_in")
    g.add_argument("--inputs", default=None, help="your own input points, e.g. '0.1,0.2;0.3,0.4' (rows by ';')")
    g.add_argument("--device", default="cpu", help="torch device that draws the networks (default cpu; cuda)")
    g.add_argument("--chunk-size", type=positive_int, default=None,
                   help="models drawn at once (default: sized to the cache; never changes the models)")
    if cutoffs:
        g.add_argument("--cutoffs", type=float_list, default=PAPER_CUTOFFS,
                       help="input-space cutoffs Lambda, e.g. 10,100,1e3 (default the paper's 21 from 7 to 1e5)")
    if generate:
        g.add_argument("--force", action="store_true", help="regenerate files that already exist")
    else:
        g.add_argument("--no-generate", action="store_true",
                       help="fail, naming the generate_models.py command, instead of generating missing ensembles")
    return p


def versions():
    import matplotlib
    import scipy
    import torch
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "torch": str(torch.__version__), "matplotlib": matplotlib.__version__}


def meta(args, **extra):
    """Provenance of a result file: the command line, every flag, the time and the package versions."""
    flags = {k: (str(v) if isinstance(v, Path) else v.tolist() if isinstance(v, np.ndarray) else v)
             for k, v in vars(args).items()}
    return {"argv": sys.argv, "flags": flags, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": versions(), **extra}


def ensemble_spec(args, width, xset=None):
    """Every parameter that determines an ensemble file (its name and the check on loading)."""
    name, points = (args.xset_name, args.points) if xset is None else inputs.resolve(args.activation, args.d_in, xset)
    return {"activation": args.activation, "d_in": args.d_in, "xset": name, "inputs": points.tolist(),
            "width": int(width), "n_models": args.n_models, "sw": args.sw, "sb": args.sb, "mw": args.mw,
            "mb": args.mb, "seed": args.seed, "rng": "cuda" if str(args.device).startswith("cuda") else "cpu"}


def generate_command(args, spec):
    """The generate_models.py command that makes the ensemble `spec` (for error messages)."""
    cmd = (f"python generate_models.py --activation {spec['activation']} --d-in {spec['d_in']} "
           f"--widths {spec['width']} --n-models {spec['n_models']} --sw {spec['sw']:g} --sb {spec['sb']:g} "
           f"--seed {spec['seed']} --data-dir {args.data_dir}")
    cmd += f" --mw {spec['mw']:g}" if spec["mw"] else ""
    cmd += f" --mb {spec['mb']:g}" if spec["mb"] else ""
    if spec["xset"].startswith("custom-"):
        return cmd + " --inputs '" + ";".join(",".join(f"{v!r}" for v in row) for row in spec["inputs"]) + "'"
    return cmd + f" --xset {spec['xset']}"


def run(main):
    """Run a script's main(): bad input or a bad data file becomes one line on stderr and exit status 2."""
    try:
        main()
    except UserError as err:
        print(f"{Path(sys.argv[0]).name}: error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"{Path(sys.argv[0]).name}: interrupted", file=sys.stderr)
        sys.exit(130)
