"""Benchmark: network sampling and n-point estimators (throughput and peak memory). Run directly:

    python tests/benchmarks/bench_sampling.py [--activations ReLU,Erf,GaussNet] [--skip-sec2]

Each measurement runs in a fresh child process so its peak resident memory is its own."""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WIDTHS = [2, 3, 4, 5, 10, 20, 50, 100, 500, 1000]


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task, activation, width, n_models):
    import torch

    from common import correlators, inputs, networks
    xs = inputs.XSETS[inputs.DEFAULT_XSET[activation, 1]]
    base = peak_mb()
    start = time.perf_counter()
    if task == "sample":
        networks.sample_outputs(activation, xs, width, n_models)
    elif task == "sec2":
        for w in WIDTHS:
            networks.sample_outputs(activation, xs, w, n_models)
    else:
        f = torch.randn(n_models, len(xs), generator=torch.Generator().manual_seed(0))
        base, start = peak_mb(), time.perf_counter()
        correlators.npoint_stats(f, max_n=6)
    seconds = time.perf_counter() - start
    print(json.dumps({"task": task, "activation": activation, "width": width, "n_models": n_models,
                      "seconds": round(seconds, 2), "models_per_s": round(n_models / seconds),
                      "peak_mb_above_start": round(peak_mb() - base)}))


def measure(*argv):
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, argv)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--activations", default="ReLU,Erf,GaussNet")
    p.add_argument("--skip-sec2", action="store_true", help="skip the 10 widths x 1e6 models runs")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        task, activation, width, n_models = args.child
        return child(task, activation, int(width), int(n_models))
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for activation in args.activations.split(","):
        for width, n in [(20, 10**6), (1000, 10**5)]:
            r = measure("sample", activation, width, n)
            print(f"sample  {activation:8s} N={width:<5d} {r['models_per_s']:>10,d} models/s   "
                  f"peak +{r['peak_mb_above_start']} MB")
        if not args.skip_sec2:
            r = measure("sec2", activation, 0, 10**6)
            print(f"Sec. 2  {activation:8s} 10 widths x 1e6 models: {r['seconds']:.1f} s   "
                  f"peak +{r['peak_mb_above_start']} MB")
    r = measure("npoint", "ReLU", 0, 10**6)
    print(f"estimators G_1..G_6 over 1e6 models x 6 inputs: {r['seconds']:.1f} s   "
          f"peak +{r['peak_mb_above_start']} MB (input array 24 MB)")


if __name__ == "__main__":
    main()
