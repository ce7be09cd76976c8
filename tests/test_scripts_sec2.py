"""free_theory.py and six_pt_connected.py (paper Sec. 2) end to end on small seeded ensembles, checked against
exact finite-width theory; the shared analysis in common/sec2.py; missing, corrupt and mismatched data.

ReLU at d_in = 1 (sb = 0, xset1A) is used because its m_4 = 5/N is large: with 1e5 networks the signal clears
3x background at every width of 2, 5, 20, so the falloff slope can be fitted (at 2e4 it does not at N = 5)."""
import json

import numpy as np
import pytest

from common import cli, io, sec2
from conftest import run

WIDTHS = "2,5,20"
N_MODELS = "1e5"


def flags(dirs, *extra):
    data, plots = dirs
    return ["--activation", "ReLU", "--widths", WIDTHS, "--n-models", N_MODELS, "--data-dir", str(data),
            "--plot-dir", str(plots), *extra]


def last_json(res):
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def agrees_with_exact(data, factor=3):
    """Where the signal is well above background, |signal - exact| < 5 x its standard error.

    signal_se = mean_e SE_e / |G_e^GP| bounds it: |m - m_exact| <= mean_e |G_exp - G_exact|_e / |G_e^GP|."""
    well = data["signal"] > factor * data["background"]
    assert well.any()
    assert np.all(np.abs(data["signal"] - data["exact"])[well] < 5 * data["signal_se"][well])


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec2")
    return root / "data", root / "plots"


@pytest.fixture(scope="module")
def four_point(dirs):
    """free_theory.py --n-pt 4 on missing data: generates the ensembles and caches their n-point functions."""
    res = run("free_theory.py", *flags(dirs, "--n-pt", "4"))
    return res, last_json(res)


def test_free_theory_four_point_falls_like_exact_theory(dirs, four_point):
    res, summ = four_point
    assert res.stdout.count("generating missing ensemble") == 3
    assert summ["activation"] == "ReLU" and summ["n_pt"] == 4 and summ["widths"] == [2, 5, 20]
    assert summ["slope"] < 0 and summ["slope_fit_widths"] == [2, 5, 20]
    assert summ["slope_exact"] == pytest.approx(-1.0, abs=1e-6)        # G4 - G4_GP = G4c, exactly 1/N
    assert summ["exact"] == pytest.approx([2.5, 1.0, 0.25], rel=1e-6)     # ReLU, sb = 0: m_4 = 5/N
    path = dirs[0] / "free_theory_ReLU_d1_xset1A_n100000_sw1_sb0_mw0_mb0_seed0_npt4.pkl"
    data = io.load(path, kind="free_theory")
    assert data["summary"] == summ and data["g_sub"].shape == (3, 10, 126) and data["g_exact"].shape == (3, 126)
    assert data["z"].shape == data["trusted"].shape == (3, 126) and data["curve_exact"].size == sec2.CURVE_POINTS
    agrees_with_exact(data)
    assert np.abs(data["z"]).max() < 5
    for suffix in (".pdf", ".png"):
        assert (dirs[1] / f"free_theory_ReLU_d1_4pt{suffix}").stat().st_size > 1000


def test_free_theory_two_point_stays_at_background(dirs, four_point):
    res = run("free_theory.py", *flags(dirs, "--n-pt", "2", "--no-generate"))   # the cache of the 4-pt run
    summ = last_json(res)
    assert "generating" not in res.stdout
    assert np.all(np.array(summ["signal"]) < 2 * np.array(summ["background"]))
    assert summ["slope"] is None and "a slope needs 3" in summ["slope_unavailable"]
    assert max(summ["exact"]) < 1e-12 and summ["exact_note"] == "exact signal is zero at every N"
    assert summ["max_abs_z_exact"] < 5                    # the 2-pt error bars are trusted here


def test_six_pt_connected_against_exact_theory(dirs, four_point):
    res = run("six_pt_connected.py", *flags(dirs, "--no-generate"))
    summ = last_json(res)
    assert summ["n_pt"] == 6 and summ["slope_exact_all_widths"] == pytest.approx(-2.0, abs=1e-6)
    assert ("slope_unavailable" in summ) == (summ["slope"] is None)
    data = io.load(dirs[0] / "six_pt_connected_ReLU_d1_xset1A_n100000_sw1_sb0_mw0_mb0_seed0.pkl",
                   kind="six_pt_connected")
    assert data["g6c_sub"].shape == (3, 10, 462) and data["summary"] == summ
    agrees_with_exact(data)
    assert (dirs[1] / "six_pt_connected_ReLU_d1.png").is_file() and (dirs[1] / "six_pt_connected_ReLU_d1.pdf").is_file()


def test_no_generate_names_the_command(tmp_path):
    """(six_pt_connected.py reads its data through the same io.load_npoints.)"""
    res = run("free_theory.py", *flags((tmp_path / "data", tmp_path / "plots"), "--no-generate"))
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "missing ensemble" in res.stderr and "python generate_models.py --activation ReLU --d-in 1 --widths 2 " \
                                                 "--n-models 100000" in res.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "plots").exists()


def test_corrupt_and_mismatched_data_files(tmp_path):
    dirs = (tmp_path / "data", tmp_path / "plots")
    small = [*flags(dirs), "--n-models", "1000"]
    spec = cli.ensemble_spec(cli.build_parser("t").parse_args(small), 2)
    ens = dirs[0] / io.ensemble_name(spec)
    dirs[0].mkdir()
    # an ensemble of other parameters where the N = 2 one should be
    io.save(ens, {"inputs": np.array(spec["inputs"]), "outputs": np.zeros((1000, 6), np.float32)},
            {"kind": "ensemble", **spec, "width": 5})
    res = run("free_theory.py", *small)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "parameter width is 5 in the file but 2 was asked for" in res.stderr
    # a corrupt n-point cache
    (dirs[0] / ("npt_" + ens.name)).write_bytes(b"garbage")
    res = run("six_pt_connected.py", *small)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "not a readable data file" in res.stderr and "npt_" in res.stderr


def test_exact_laws_reproduce_known_numbers():
    """ReLU, d_in = 1, sb = 0, xset1A: m_4 = 5/N; m_6's exact slope over the paper's widths -1.13; the
    connected 6-pt is 44/N^2 of |G6_GP| (0.0591 of G6 at N = 20, issue 4)."""
    theory = dict(activation="ReLU", inputs=np.array([[0.2], [0.4], [0.6], [0.8], [1.0], [1.2]]),
                  sw=1.0, sb=0.0, mw=0.0, mb=0.0)
    widths = np.array(cli.DEFAULT_WIDTHS)
    gp4, gp6 = sec2.gp_npoint(4, **theory), sec2.gp_npoint(6, **theory)
    m4 = sec2.signal_elements(sec2.deviation_law(4, **theory)(widths), 0.0, gp4).mean(-1)
    assert m4 == pytest.approx(5 / widths, rel=1e-8)
    m6 = sec2.signal_elements(sec2.deviation_law(6, **theory)(widths), 0.0, gp6).mean(-1)
    assert sec2.loglog_slope(widths, m6) == pytest.approx(-1.13, abs=0.005)
    conn = sec2.connected_law(6, **theory)(np.array([20.0]))[0]
    assert np.abs(conn / gp6) == pytest.approx(44 / 400, rel=1e-8)             # 11 at N = 2
    assert sec2.exact_at([20], sec2.connected_law(6, **theory), 6, connected=True, **theory)[0] == \
        pytest.approx(conn, rel=1e-10)


def test_fit_falloff_needs_three_widths_above_background():
    slope, fit, reason = sec2.fit_falloff([2, 5, 20, 100], [1.0, 0.4, 0.1, 0.001], [0.01] * 4)
    assert slope == pytest.approx(sec2.loglog_slope([2, 5, 20], [1.0, 0.4, 0.1])) and fit == [2, 5, 20]
    assert reason is None
    slope, fit, reason = sec2.fit_falloff([2, 5, 20], [1.0, 0.02, 0.01], [0.01] * 3)
    assert slope is None and fit == [2] and "only 1 width(s) (N = 2)" in reason
