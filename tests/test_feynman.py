"""Feynman-diagram integrals (common/feynman.py) against closed forms, scipy.integrate and their own convergence."""
import itertools
import math

import numpy as np
import pytest
from scipy.integrate import cubature

from common import cli, correlators, feynman, kernels
from common.errors import UserError
from common.inputs import DEFAULT_XSET, XSETS

PAPER_CUTOFFS = cli.PAPER_CUTOFFS
TOL = {1: 1e-6, 2: 1e-6, 3: 1e-5}          # the accuracy the module promises per d_in


def xset(activation, d):
    return XSETS[DEFAULT_XSET[activation, d]]


def element(x, idx):
    """Column of the multiset idx in the per-multiset arrays of inputs x."""
    return int(correlators.multiset_ids(np.array([idx]), len(x))[0])


def direct(activation, xs, L, sb, rtol, weight=lambda y: 1.0):
    """int_[-L,L]^d weight(y) prod_k Kt(xs_k, y) dy by scipy's adaptive cubature (independent of feynman)."""
    d = xs.shape[1]
    f = lambda y: weight(y) * np.prod(kernels.kernel(activation, xs, y, 1.0, sb) - sb**2, axis=0)  # noqa: E731
    res = cubature(f, -L * np.ones(d), L * np.ones(d), rtol=rtol, atol=0, max_subdivisions=10**5)
    assert res.status == "converged"
    return res.estimate


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize("d", [1, 2, 3])
def test_gaussnet_i4_and_i2_match_closed_form(d):
    x = xset("GaussNet", d)
    cutoffs = [0.3, 1.0, 2.0, 7.0, 100.0, math.inf]
    for sw in (1.0, 1.7):
        np.testing.assert_allclose(feynman.i4("GaussNet", x, cutoffs, sw=sw),
                                   feynman.gaussnet_vertex(x, cutoffs, 4, sw), rtol=1e-12)
        np.testing.assert_allclose(feynman.i2("GaussNet", x, cutoffs, sw=sw),
                                   feynman.gaussnet_vertex(x, cutoffs, 2, sw), rtol=1e-12)


def test_gaussnet_closed_form_limits():
    """On R^d: sw^8 exp(-a sum|x_k - m|^2) (pi / 4a)^(d/2); the box values increase to it."""
    x = XSETS["xset1"][:4] * [[1.0], [0.5], [-0.3], [2.0]]
    a = 1 / 2
    m = x.mean()
    exact = np.exp(-a * ((x - m) ** 2).sum()) * math.sqrt(math.pi / (4 * a))
    values = feynman.gaussnet_vertex(x, [1.0, 3.0, 10.0, math.inf])[:, element(x, (0, 1, 2, 3))]
    assert np.all(np.diff(values) >= 0)
    assert values[-1] == pytest.approx(exact, rel=1e-14)
    assert values[2] == pytest.approx(exact, rel=1e-14)


def test_gaussnet_converges_as_cutoff_goes_to_infinity():
    x = xset("GaussNet", 2)
    I = feynman.i4("GaussNet", x, [1.0, 2.0, 4.0, 8.0, 100.0, 1e5, math.inf])
    gap = np.abs(I / I[-1] - 1).max(axis=1)
    assert np.all(np.diff(gap) <= 0) and gap[0] > 1e-2 and gap[3] < 1e-15 and gap[-2] == 0


def test_gaussnet_weighted_matches_gaussian_second_moment():
    """int_{R^d} |y|^2 exp(-4a|y - m|^2) dy = (pi/4a)^(d/2) (|m|^2 + d/(8a)), a = sw^2 / (2d)."""
    x = xset("GaussNet", 3)
    d, a = 3, 1 / 6
    ms = correlators.multisets(len(x), 4)
    m = x[ms].mean(1)
    exact = feynman.gaussnet_vertex(x, [math.inf])[0] * ((m**2).sum(1) + d / (8 * a))
    np.testing.assert_allclose(feynman.i4_weighted("GaussNet", x, [math.inf])[0], exact, rtol=1e-12)


@pytest.mark.parametrize("sw", [1.0, 1.3])
def test_relu_d1_power_law(sw):
    """ReLU, d_in = 1, sb = 0: S_xy = sw^2 x y, and for x, y > 0 the angle is 0, so
    Kt = sw^2 (sw^2 x y) (sin 0 + pi cos 0) / (2 pi) = sw^4 x y / 2, while Kt = 0 for y < 0 (angle pi).
    Hence I4 = int_0^L (sw^4 / 2)^4 x1 x2 x3 x4 y^4 dy = (sw^16 / 80) x1 x2 x3 x4 L^5, and the |y|^2-weighted
    integral is (sw^16 / 112) x1 x2 x3 x4 L^7, and I2 = (sw^8 / 12) x1 x2 L^3."""
    x = XSETS["xset1A"]
    L = np.array(PAPER_CUTOFFS, dtype=float)[:, None]
    prod = np.prod(x[correlators.multisets(len(x), 4), 0], axis=1)
    np.testing.assert_allclose(feynman.i4("ReLU", x, PAPER_CUTOFFS, sw=sw), sw**16 / 80 * prod * L**5, rtol=1e-13)
    np.testing.assert_allclose(feynman.i4_weighted("ReLU", x, PAPER_CUTOFFS, sw=sw),
                               sw**16 / 112 * prod * L**7, rtol=1e-13)
    pair = np.prod(x[correlators.multisets(len(x), 2), 0], axis=1)
    np.testing.assert_allclose(feynman.i2("ReLU", x, PAPER_CUTOFFS, sw=sw), sw**8 / 12 * pair * L**3, rtol=1e-13)


# ---------------------------------------------------------------- convergence and independent checks
@pytest.mark.parametrize("activation, d, sb", [("ReLU", 2, 0.0), ("ReLU", 3, 0.0), ("ReLU", 2, 1.0),
                                               ("Erf", 1, 1.0), ("Erf", 2, 1.0), ("Erf", 3, 1.0)])
def test_doubling_nodes_changes_less_than_tolerance(activation, d, sb):
    x, cutoffs = xset(activation, d), [7.0, 100.0, 1e5]
    coarse = feynman.vertex_integrals(activation, x, cutoffs, ((4, 0), (4, 2), (2, 0)), sb=sb)
    fine = feynman.vertex_integrals(activation, x, cutoffs, ((4, 0), (4, 2), (2, 0)), sb=sb,
                                    nodes=2 * feynman.NODES)
    for term in coarse:
        np.testing.assert_allclose(coarse[term], fine[term], rtol=TOL[d])


@pytest.mark.parametrize("activation, d, sb, L, idx", [
    ("ReLU", 2, 0.0, 3.0, (0, 1, 2, 3)), ("ReLU", 3, 0.0, 1.0, (0, 1, 2, 3)), ("ReLU", 2, 1.0, 7.0, (0, 1, 1, 3)),
    ("ReLU", 1, 0.5, 2.0, (0, 2, 4, 5)), ("Erf", 2, 1.0, 7.0, (0, 0, 1, 3)), ("Erf", 3, 1.0, 7.0, (0, 1, 2, 3))])
def test_i4_agrees_with_scipy_cubature(activation, d, sb, L, idx):
    x = xset(activation, d)
    value = feynman.i4(activation, x, [L], sb=sb)[0, element(x, idx)]
    assert value == pytest.approx(direct(activation, x[list(idx)], L, sb, rtol=1e-9), rel=TOL[d])


def test_i4_weighted_agrees_with_scipy_cubature():
    x, idx = xset("Erf", 2), (0, 1, 2, 2)
    value = feynman.i4_weighted("Erf", x, [5.0])[0, element(x, idx)]
    assert value == pytest.approx(direct("Erf", x[list(idx)], 5.0, 1.0, 1e-10, lambda y: (y**2).sum(1)), rel=1e-6)


@pytest.mark.parametrize("activation, d", [("ReLU", 2), ("Erf", 3), ("GaussNet", 1)])
def test_i4_symmetric_under_permutation_of_inputs(activation, d):
    x = xset(activation, d)
    perm = np.random.default_rng(0).permutation(len(x))
    full = correlators.expand(feynman.i4(activation, x, [7.0, 1e3]), len(x), 4)
    full_perm = correlators.expand(feynman.i4(activation, x[perm], [7.0, 1e3]), len(x), 4)
    np.testing.assert_allclose(full_perm, full[(slice(None),) + np.ix_(perm, perm, perm, perm)], rtol=1e-12)


# ---------------------------------------------------------------- issue 3's operator integrals
def test_operator_integrals_are_the_vertex_integrals():
    x, cutoffs = xset("Erf", 1), [2.0, 100.0]
    T = feynman.operator_integrals("Erf", x, cutoffs)
    np.testing.assert_allclose(T["T0"], 24 * feynman.i4("Erf", x, cutoffs), rtol=1e-13)
    np.testing.assert_allclose(T["T2"], 24 * feynman.i4_weighted("Erf", x, cutoffs), rtol=1e-13)
    np.testing.assert_allclose(T["TNL"], feynman.tnl(feynman.i2("Erf", x, cutoffs), len(x)), rtol=1e-13)


def test_tnl_factorisation_matches_direct_double_integral():
    """TNL = 8 sum over channels of int int Kt(xa,y) Kt(xb,y) Kt(xc,z) Kt(xd,z) dy dz, integrated directly."""
    x, L, idx = xset("Erf", 1), 2.0, (0, 1, 1, 4)
    xs = x[list(idx)]

    def integrand(yz):                                    # yz: (n, 2) = (y, z)
        kt_y = kernels.kernel("Erf", xs, yz[:, :1]) - 1
        kt_z = kernels.kernel("Erf", xs, yz[:, 1:]) - 1
        return 8 * sum(kt_y[a] * kt_y[b] * kt_z[c] * kt_z[e] for (a, b), (c, e) in correlators.pairings(4))

    res = cubature(integrand, [-L, -L], [L, L], rtol=1e-11, atol=0)
    value = feynman.operator_integrals("Erf", x, [L])["TNL"][0, element(x, idx)]
    assert value == pytest.approx(res.estimate, rel=1e-9)


# ---------------------------------------------------------------- large-cutoff behaviour
def slopes(I, cutoffs):
    return np.diff(np.log(np.abs(I)), axis=0) / np.diff(np.log(cutoffs))[:, None]


@pytest.mark.parametrize("d", [1, 2, 3])
def test_relu_slope_is_4_plus_d(d):
    """Kt of ReLU with sb = 0 is homogeneous of degree 1 in y, so I4 ~ Lambda^(4 + d) exactly."""
    np.testing.assert_allclose(slopes(feynman.i4("ReLU", xset("ReLU", d), PAPER_CUTOFFS), PAPER_CUTOFFS),
                               4 + d, rtol=1e-12)


def test_relu_with_bias_slope_tends_to_5():
    cutoffs = [8e4, 1e5]
    assert np.abs(slopes(feynman.i4("ReLU", xset("ReLU", 1), cutoffs, sb=1.0), cutoffs) - 5).max() < 1e-3


@pytest.mark.parametrize("d", [1, 2, 3])
def test_erf_slope_tends_to_d(d):
    """Kt(x, y) -> (2/pi) arcsin(sqrt(2 sw^2 / d) x.y_hat / sqrt(1 + 2 S_xx)), constant along rays: I4 ~ Lambda^d.
    For xset3 (d = 2) the leading coefficient of the elements odd under y1 <-> y2 vanishes, and they grow
    like log Lambda instead (next order 1/|y|^2 integrated over the plane)."""
    x, cutoffs = xset("Erf", d), [1e3, 1e4, 1e5]
    I = feynman.i4("Erf", x, cutoffs)
    leading = np.abs(I[-1]) > 1e-3 * np.abs(I[-1]).max()
    gap = np.abs(slopes(I[:, leading], cutoffs) - d).max(axis=1)   # d = 1: 0.17, 0.018 (log(L)/L corrections)
    assert gap[1] < {1: 0.05, 2: 1e-5, 3: 1e-5}[d] and gap[1] < gap[0] / 5
    if d == 2:
        assert (~leading).sum() == 16
        per_decade = np.diff(I[:, ~leading], axis=0)                   # A log Lambda + B: equal steps
        np.testing.assert_allclose(per_decade[0], per_decade[1], rtol=1e-3)
    else:
        assert leading.all()


def test_inputs_outside_the_smallest_box():
    x = xset("Erf", 2) * 3
    value = feynman.i4("Erf", x, [0.5, 2.0])[:, element(x, (0, 1, 1, 2))]
    assert value[0] == pytest.approx(direct("Erf", x[[0, 1, 1, 2]], 0.5, 1.0, 1e-10), rel=1e-6)
    assert value[1] == pytest.approx(direct("Erf", x[[0, 1, 1, 2]], 2.0, 1.0, 1e-10), rel=1e-6)


# ---------------------------------------------------------------- couplings and the 6-pt term
def test_lambda_round_trip():
    I4 = feynman.i4("Erf", xset("Erf", 1), [10.0, 100.0])
    lam = np.random.default_rng(1).normal(size=I4.shape)
    np.testing.assert_allclose(feynman.lam_from_dg4(feynman.first_order_dg4(lam, I4), I4), lam, rtol=1e-14)
    assert np.allclose(feynman.lam_from_dg4(-24 * 0.3 * I4, I4), 0.3)


@pytest.mark.parametrize("per_element", [False, True])
def test_six_pt_lambda_term_against_explicit_sum(per_element):
    """Brute force over the full tensors: sum over the 15 choices of the pair (the 4-set is the rest)."""
    x = XSETS["xset1"][:3]
    n = len(x)
    I4 = feynman.i4("Erf", x, [10.0])[0]
    lam = np.random.default_rng(2).normal(size=I4.shape) if per_element else 0.7
    K = kernels.kernel("Erf", x, x)
    dg4 = correlators.expand(feynman.first_order_dg4(lam, I4), n, 4)
    full = np.zeros((n,) * 6)
    for idx in np.ndindex(*full.shape):
        for pair in itertools.combinations(range(6), 2):
            rest = [idx[k] for k in range(6) if k not in pair]
            full[idx] += dg4[tuple(rest)] * K[idx[pair[0]], idx[pair[1]]]
    term = feynman.six_pt_lambda_term(I4, lam, K, n)
    np.testing.assert_allclose(correlators.expand(term, n, 6), full, rtol=1e-13)
    assert feynman.six_pt_lambda_term(np.stack([I4, 2 * I4]), lam, K, n)[1] == pytest.approx(2 * term, rel=1e-14)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("activation, cutoffs, inputs", [
    ("Erf", [10.0, math.inf], XSETS["xset1"]), ("ReLU", [math.inf], XSETS["xset1A"]),
    ("Erf", [0.0, 1.0], XSETS["xset1"]), ("GaussNet", [-1.0], XSETS["xset2"]), ("Erf", [], XSETS["xset1"]),
    ("Erf", [1.0], np.ones((2, 4))), ("tanh", [1.0], XSETS["xset1"])])
def test_bad_input_is_a_user_error(activation, cutoffs, inputs):
    with pytest.raises(UserError):
        feynman.i4(activation, inputs, cutoffs)
