"""Lambda fits (paper Sec. 5): coupling recovery from synthetic data, 4pt_exp.py / lam_fit_integrals.py /
lam_fit.py end to end on small ensembles, and the errors for missing or mismatched integral files."""
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from common import correlators, inputs, io, lamfit
from conftest import run

N_MODELS = "1e4"


def summary_line(res):
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def synthetic(T, couplings, rel_noise, rng, n_sub=correlators.N_SUB):
    """dG4 = -sum lambda_k T_k per multiset, and n_sub noisy sub-ensemble estimates of it (noise common
    to all elements plus independent noise, like a measurement on one set of networks)."""
    truth = lamfit.design(T, lamfit.OPERATORS) @ couplings
    scale = rel_noise * np.abs(truth)
    sub = truth + scale * (rng.standard_normal((n_sub, 1)) + rng.standard_normal((n_sub, len(truth))))
    return {"dg4": sub.mean(0), "sub": sub, "se": scale * math.sqrt(2 / n_sub), "exact": truth}


def test_synthetic_couplings_are_recovered_within_their_errors():
    rng = np.random.default_rng(1)
    T_train = lamfit.operator_integrals("GaussNet", inputs.XSETS["xset1"], math.inf, 1.0, 1.0)
    T_test = lamfit.operator_integrals("GaussNet", inputs.XSETS["xsetR"], math.inf, 1.0, 1.0)
    truth = np.array([0.3, -0.05, 0.02])                                    # lambda0, lambda2, lambdaNL
    train, test = synthetic(T_train, truth, 1e-3, rng), synthetic(T_test, truth, 1e-3, rng)
    for weighted in (False, True):
        fits = lamfit.fit_subsets(train, test, T_train, T_test, weighted=weighted)
        full = fits["experiment"]["l0+l2+lNL"]
        assert full["rank"] == 3 and np.all(full["errors"] < 0.1 * np.abs(truth))
        assert np.all(np.abs(full["couplings"] - truth) < 4.5 * full["errors"])
        if weighted:      # independent of the sub-ensemble spread: the covariance of the weighted fit
            assert np.all(np.abs(full["couplings"] - truth) < 4.5 * full["errors_cov"])
        exact = fits["exact"]["l0+l2+lNL"]                                 # noise free: exact recovery
        assert np.allclose(exact["couplings"], truth, rtol=1e-9) and exact["test"]["mape_pct"] < 1e-8
        # a subset without the operators that made the data misses: the test error exceeds the noise
        assert fits["exact"]["l0"]["test"]["mape_pct"] > 100 * 1e-2
    assert "l0+l2+lNL" in lamfit.table(fits) and json.dumps(lamfit.summary(fits))


def test_relu_operators_are_degenerate_and_flagged():
    """ReLU, sb = 0, positive d_in = 1 inputs: Kt(x, y) = x g(y), so T0, T2 and TNL are all proportional to
    x1 x2 x3 x4: one combination of the couplings is determined, and the fit says so by its rank."""
    T = lamfit.operator_integrals("ReLU", inputs.XSETS["xsetR"], 100.0, 1.0, 0.0)
    A = lamfit.design(T, lamfit.OPERATORS)
    res = lamfit.fit(A, A @ np.array([1e-11, 1e-15, 1e-13]))
    assert res["rank"] == 1 and np.allclose(A @ res["couplings"], A @ np.array([1e-11, 1e-15, 1e-13]), rtol=1e-10)


@pytest.fixture(scope="module")
def erf_dir(tmp_path_factory):
    """4pt_exp.py and lam_fit_integrals.py run once for Erf (paper defaults, small ensembles)."""
    root = tmp_path_factory.mktemp("lamfit")
    exp = summary_line(run("4pt_exp.py", "--activation", "Erf", "--n-models", N_MODELS, "--data-dir", str(root)))
    ints = summary_line(run("lam_fit_integrals.py", "--activation", "Erf", "--data-dir", str(root)))
    return root, exp, ints


def test_erf_scripts_end_to_end(erf_dir):
    root, exp, ints = erf_dir
    for role, xset in (("train", "xsetEt"), ("test", "xsetE")):
        assert exp[role]["xset"] == xset and exp[role]["z_vs_exact_max"] < 5     # experiment agrees with exact
    assert exp["seed"] == 0 and exp["test_seed"] == 1                           # independent test networks
    assert len(list(root.glob("ens_Erf_d1_xsetE_N5_n10000_*_seed1.pkl"))) == 1
    assert ints["cutoff"] == 100.0
    assert Path(ints["path"]).name == "lamfit_integrals_Erf_d1_xsetEt-xsetE_sw1_sb1_cut100.pkl"
    res = run("lam_fit.py", "--activation", "Erf", "--n-models", N_MODELS, "--data-dir", str(root), "--plot-dir",
              str(root / "plots"), "--no-generate", "--weighted")                 # uses the files made above
    out = summary_line(res)
    assert out["width"] == 5 and out["weighted"] and set(out["fits"]) == {"experiment", "exact"}
    assert list(out["fits"]["exact"]) == ["l0", "l0+l2", "l0+lNL", "l0+l2+lNL"]
    exact = out["fits"]["exact"]
    assert exact["l0+l2"]["test_mape_pct"] < exact["l0"]["test_mape_pct"] < 0.1    # input dependence helps
    assert exact["l0+l2"]["test_shape_mape_pct"] < exact["l0"]["test_shape_mape_pct"]
    saved = io.load(next(root.glob("lam_fit_Erf_*_N5_tseed1_cut100_wweighted.pkl")), kind="lam_fit")
    assert saved["fits"]["experiment"]["l0"]["errors_cov"] is not None
    plot = "lam_fit_Erf_d1_xsetEt-xsetE_n10000_sw1_sb1_mw0_mb0_seed0_N5_tseed1_cut100_wweighted.png"
    assert (root / "plots" / plot).exists()


@pytest.mark.parametrize("activation", ["ReLU", "GaussNet"])
def test_lam_fit_makes_what_it_needs(tmp_path, activation):
    out = summary_line(run("lam_fit.py", "--activation", activation, "--n-models", N_MODELS,
                           "--data-dir", str(tmp_path), "--plot-dir", str(tmp_path)))
    assert out["width"] == {"ReLU": 20, "GaussNet": 1000}[activation]
    assert out["cutoff"] == {"ReLU": 100.0, "GaussNet": "inf"}[activation]
    exact, exp = out["fits"]["exact"], out["fits"]["experiment"]
    if activation == "ReLU":   # f(x) = x f(1) for every network: one operator, exact for data and theory
        assert all(f["rank"] == 1 for f in exact.values()) and exact["l0"]["test_mape_pct"] < 1e-9
        assert exp["l0"]["train_mape_pct"] < 1e-3      # (the independent test ensemble differs in overall level)
    else:                      # three operators reproduce the exact GaussNet dG4 to ~1e-8
        assert exact["l0+l2+lNL"]["test_mape_pct"] < 1e-4 < exact["l0"]["test_mape_pct"]
    assert all(np.isfinite(f["errors"]["l0"]) for f in exp.values())
    assert len(list(tmp_path.glob("lam_fit_*.p*"))) == 3                             # data, PDF, PNG


def test_missing_and_mismatched_integrals_are_clear_errors(erf_dir):
    root, _, _ = erf_dir
    args = ["--activation", "Erf", "--n-models", N_MODELS, "--data-dir", str(root), "--no-generate"]
    missing = run("lam_fit.py", *args, "--cutoff", "50")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "missing lamfit_integrals file" in missing.stderr and "cut100.pkl" in missing.stderr
    assert "python lam_fit_integrals.py --activation Erf" in missing.stderr and "--cutoff 50" in missing.stderr
    wrong = root / "lamfit_integrals_Erf_d1_xsetEt-xsetE_sw1_sb1_cut50.pkl"     # a cutoff-100 file renamed
    shutil.copy(root / "lamfit_integrals_Erf_d1_xsetEt-xsetE_sw1_sb1_cut100.pkl", wrong)
    mismatch = run("lam_fit.py", *args, "--cutoff", "50")
    wrong.unlink()
    assert mismatch.returncode == 2
    assert "parameter cutoff is 100.0 in the file but 50.0 was asked for" in mismatch.stderr
    diverging = run("lam_fit_integrals.py", "--activation", "Erf", "--cutoff", "inf", "--data-dir", str(root))
    assert diverging.returncode == 2 and "give finite cutoffs" in diverging.stderr
