"""Benchmark: exact finite-width theory (common/finite_width.py), time and convergence of the neuron moments
for the paper's default input sets at d_in = 1, 2, 3 (orders up to 6), and of exact_npt afterwards. Run directly:

    python tests/benchmarks/bench_finite_width.py

For each case: seconds for all neuron moments up to order 6 at the default nodes, and the largest relative
difference (normalised per order) from a run with more nodes."""
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common import finite_width as fw, inputs  # noqa: E402

CASES = [("ReLU", "xset1A", 0.0, {}), ("ReLU", "xset3A", 0.0, {}), ("ReLU", "xset5A", 0.0, {}),
         ("ReLU", "xset5A", 0.5, {}), ("Erf", "xset1", 1.0, {}), ("Erf", "xset3", 1.0, {}),
         ("Erf", "xset5", 1.0, {}), ("Erf", "xset1", 1.0, dict(mw=0.3, mb=-0.2)),
         ("GaussNet", "xset2", 1.0, {}), ("GaussNet", "xset6", 1.0, {})]


def main():
    print(f"{'case':42s} {'nodes':>5s} {'seconds':>8s} {'vs more nodes':>14s} {'exact_npt n=6 (s)':>18s}")
    for activation, xset, sb, kw in CASES:
        x = inputs.XSETS[xset]
        nodes = fw.NODES.get(activation)
        fw._moments_upto.cache_clear()
        start = time.perf_counter()
        M = fw.neuron_moments_upto(activation, x, 6, 1.0, sb, nodes=nodes, **kw)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        fw.exact_npt(activation, x, 5, 6, 1.0, sb, nodes=nodes, **kw)
        npt_seconds = time.perf_counter() - start
        err = "closed form"
        if nodes:
            ref = fw.neuron_moments_upto(activation, x, 6, 1.0, sb, nodes=nodes + 4, **kw)
            err = f"{max(np.abs(a - b).max() / (np.abs(b).max() or 1) for a, b in zip(M[1:], ref[1:])):.1e}"
        name = f"{activation} {xset} (d_in={x.shape[1]}, sb={sb}{', means' if kw else ''})"
        print(f"{name:42s} {nodes or '-':>5} {seconds:8.2f} {err:>14s} {npt_seconds:18.3f}")


if __name__ == "__main__":
    main()
