"""rg.py and six_pt_prediction.py end to end on small ensembles, and the first-order 6-pt prediction against the
exact cumulant expansion of finite-width theory."""

import numpy as np
import pytest

from common import correlators, feynman, finite_width, inputs, io, kernels
from conftest import last_json, run

CUTOFFS = "10,100,1000,1e4,1e5"


@pytest.fixture(scope="module")
def relu_d1(tmp_path_factory):
    """six_pt_prediction.py on a fresh folder (it finds no lambda files and makes them), then rg.py there."""
    folder = tmp_path_factory.mktemp("relu_d1")
    flags = ["--activation", "ReLU", "--d-in", "1", "--n-models", "2e4", "--cutoffs", CUTOFFS,
             "--data-dir", str(folder / "data"), "--plot-dir", str(folder / "plots")]
    res = run("six_pt_prediction.py", *flags)
    assert res.returncode == 0, res.stderr
    rg = run("rg.py", *flags)
    assert rg.returncode == 0, rg.stderr
    return folder, res


def test_rg_relu_d1_slope_is_minus_five(relu_d1):
    folder, res = relu_d1
    assert "lambda files missing: computing them" in res.stdout
    rg = io.load(next((folder / "data").glob("rg_ReLU_d1_*_N20.pkl")), kind="rg")
    summ = rg["summary"]
    assert abs(summ["slope"] + 5) < 1e-3 and summ["r2"] > 0.999
    assert abs(summ["slope_exact"] + 5) < 1e-9 and summ["slope_predicted"] == -5
    lambda_files = sorted((folder / "data").glob("rg_lambda_ReLU_d1_*_N20_cutoff*.pkl"))
    assert len(lambda_files) == 5
    one = io.load(lambda_files[0], kind="rg_lambda")
    assert one["lam"].shape == (126,) and one["lam_sub"].shape == (correlators.N_SUB, 126)
    # lambda = -dG4 / (24 I4), and the exact lambda is noise free: the same for every element (ReLU, sb = 0, x > 0)
    assert np.allclose(one["lam"] * 24 * one["I4"], -one["dG4"], rtol=1e-12)
    assert np.ptp(one["lam_exact"]) < 1e-9 * abs(one["lam_exact"]).max()
    assert (folder / "plots" / "rg_ReLU_d1_N20.png").exists() and (folder / "plots" / "rg_ReLU_d1_N20.pdf").exists()


def test_rg_relu_d2_slope_is_minus_six(tmp_path):
    res = run("rg.py", "--activation", "ReLU", "--d-in", "2", "--n-models", "2e4", "--cutoffs", "10,1e3,1e5",
              "--data-dir", str(tmp_path / "data"), "--plot-dir", str(tmp_path / "plots"))
    assert res.returncode == 0, res.stderr
    summ = last_json(res.stdout)
    assert summ["activation"] == "ReLU" and summ["d_in"] == 2 and summ["width"] == 20
    assert abs(summ["slope"] + 6) < 1e-3 and summ["r2"] > 0.999 and abs(summ["slope_exact"] + 6) < 1e-6
    assert len(list((tmp_path / "data").glob("rg_lambda_*_cutoff*.pkl"))) == 3


def test_six_pt_prediction_end_to_end(relu_d1):
    folder, res = relu_d1
    summ = last_json(res.stdout)
    # exact levels of issue 6 (ReLU, N = 20, d_in = 1, sb = 0): GP only 0.538, first order in lambda 0.941
    assert abs(summ["gp_exact"] - 0.5376) < 1e-3 and abs(summ["lambda_exact"] - 0.9409) < 1e-3
    assert abs(summ["gp_z"]) < 4 and abs(summ["lambda_z"]) < 4
    assert summ["lambda_ratio_cutoff_variation"] < 1e-9            # per-element lambda: no cutoff dependence
    data = io.load(next((folder / "data").glob("six_pt_prediction_ReLU_d1_*.pkl")), kind="six_pt_prediction")
    # the per-element prediction is G6_GP + sum_15 dG4 K with the measured dG4, at every cutoff
    xs = inputs.XSETS["xset1A"]
    K = kernels.kernel("ReLU", xs, xs)
    npt = io.load(next((folder / "data").glob("npt_ens_ReLU_d1_*.pkl")), kind="npoints")
    dg4 = npt["mean4"] - correlators.gp_npoint(K, 4)
    direct = correlators.gp_npoint(K, 6) + feynman.six_pt_lambda_term(np.ones_like(dg4), -dg4 / 24, K, 6)
    assert np.allclose(data["ratio_lam"] * npt["mean6"], direct, rtol=1e-10)
    assert data["ratio_lam"].shape == (5, 462)
    assert (folder / "plots" / "six_pt_prediction_ReLU_d1_N20.png").exists()


@pytest.mark.parametrize("activation,xs,width,sb", [
    ("ReLU", inputs.XSETS["xset1A"], 20, 0.0), ("ReLU", inputs.XSETS["xset3A"], 5, 0.5),
    ("GaussNet", inputs.XSETS["xset2"], 100, 1.0), ("Erf", np.array([[-0.6, 0.2], [1.0, 0.4]]), 3, 1.0)])
def test_prediction_with_exact_lambda_is_g6_minus_connected(activation, xs, width, sb):
    """At first order G6_GP + sum_15 [-24 lambda I4] K with lambda from the exact dG4 is G6 - G6c exactly
    (cumulant expansion G6 = G6c + sum_15 G4c K + sum_15 K K K), at any cutoff."""
    K = kernels.kernel(activation, xs, xs, 1.0, sb)
    e4 = finite_width.exact_npt(activation, xs, width, 4, 1.0, sb)
    e6 = finite_width.exact_npt(activation, xs, width, 6, 1.0, sb)
    I4 = feynman.i4(activation, xs, [7.0, 100.0], 1.0, sb)
    lam = feynman.lam_from_dg4(e4.full - e4.gp, I4)
    pred = correlators.gp_npoint(K, 6) + feynman.six_pt_lambda_term(I4, lam, K, len(xs))
    scale = np.abs(e6.full).max()
    assert np.abs(pred - (e6.full - e6.connected)).max() < 1e-12 * scale
    assert np.abs(correlators.gp_npoint(K, 6) - e6.gp).max() < 1e-12 * scale


@pytest.mark.parametrize("script,flags,message", [
    ("six_pt_prediction.py", ["--cutoffs", "10"], "at least two distinct finite values"),
    ("rg.py", ["--mw", "0.5"], "zero means"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, script, flags, message):
    res = run(script, "--n-models", "100", "--data-dir", str(tmp_path / "data"), "--plot-dir", str(tmp_path / "p"),
              *flags)
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2 and message in lines[-1] and "Traceback" not in res.stderr
    assert len(lines) == 1 or lines[0].startswith("usage:")        # argparse puts its usage line first
    assert not (tmp_path / "data").exists() and not (tmp_path / "p").exists()
