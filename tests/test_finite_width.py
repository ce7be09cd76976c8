"""Exact finite-width n-point functions (common/finite_width.py) against independent numbers, brute-force
quadrature, the GP limit, their own convergence and Monte-Carlo ensembles of the core sampler."""
import itertools
import math
from functools import lru_cache

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erf

from common import correlators, kernels, networks
from common import finite_width as fw
from common.errors import UserError
from common.inputs import XSETS

SUB = [0, 2, 3, 5]          # four of the paper's six d_in = 1 inputs: every multiset up to n = 6 in a few seconds


def m_n(res):
    """The paper's m_n = mean over multisets of |G - G_GP| / |G_GP|."""
    return np.mean(np.abs(res.full - res.gp) / np.abs(res.gp))


# ---------------------------------------------------------------- independent check numbers (issue 4)
def test_relu_check_numbers():
    x = XSETS["xset1A"]
    for width in (2, 5, 20):
        assert m_n(fw.exact_npt("ReLU", x, width, 4)) * width == pytest.approx(5.0, rel=1e-10)
    g6 = fw.exact_npt("ReLU", x, 20, 6)
    assert np.allclose(g6.gp / g6.full, 0.538, atol=5e-4)            # the same for every element (homogeneity)
    assert np.allclose(g6.connected / g6.full, 0.0591, atol=5e-5)


def test_erf_check_numbers():
    x = XSETS["xset1"]
    assert m_n(fw.exact_npt("Erf", x, 2, 4)) * 2 == pytest.approx(0.0563, abs=5e-5)
    assert m_n(fw.exact_npt("Erf", x, 10, 4)) * 10 == pytest.approx(0.0563, abs=5e-5)
    g6 = fw.exact_npt("Erf", x, 2, 6)
    assert m_n(g6) == pytest.approx(0.0862, abs=5e-5)
    assert np.mean(np.abs(g6.connected) / np.abs(g6.gp)) == pytest.approx(1.73e-3, abs=5e-6)


def test_gaussnet_check_numbers():
    x = XSETS["xset2"]
    assert m_n(fw.exact_npt("GaussNet", x, 2, 4)) * 2 == pytest.approx(13.4, abs=0.05)
    assert m_n(fw.exact_npt("GaussNet", x, 2, 6)) == pytest.approx(5.1e3, rel=0.01)
    g6 = fw.exact_npt("GaussNet", x, 100, 6)
    assert m_n(g6) == pytest.approx(2.43, abs=0.005)
    assert np.mean(g6.connected / g6.full) == pytest.approx(0.59, abs=0.005)


# ---------------------------------------------------------------- structure: GP limit, 1/N laws, closed forms
CASES = [("ReLU", XSETS["xset1A"], {}), ("ReLU", XSETS["xset3A"], dict(sw=1.5, sb=0.6)),
         ("Erf", XSETS["xset1"], {}), ("Erf", XSETS["xset3"], dict(sw=0.8, sb=1.3)),
         ("GaussNet", XSETS["xset2"], {}), ("GaussNet", XSETS["xset4"], dict(sw=0.5, sb=0.2))]


@pytest.mark.parametrize("activation, x, kw", CASES)
def test_infinite_width_is_the_gp_and_g2_is_the_kernel(activation, x, kw):
    K = kernels.kernel(activation, x, x, **kw)
    for n in (2, 4, 6):
        gp = correlators.gp_npoint(K, n)
        inf = fw.exact_npt(activation, x, math.inf, n, **kw)
        np.testing.assert_allclose(inf.full, gp, rtol=1e-10)
        np.testing.assert_allclose(fw.exact_npt(activation, x, None, n, **kw).full, gp, rtol=1e-10)
        np.testing.assert_allclose(fw.exact_npt(activation, x, 3, n, **kw).gp, gp, rtol=1e-10)
        if n > 2:
            assert np.all(inf.connected == 0)
    np.testing.assert_allclose(fw.exact_npt(activation, x, 3, 2, **kw).full, correlators.to_multisets(K, 2), rtol=1e-10)


@pytest.mark.parametrize("activation, x, kw", CASES)
def test_connected_functions_scale_exactly_as_powers_of_one_over_n(activation, x, kw):
    c4 = np.array([fw.exact_npt(activation, x, w, 4, **kw).connected * w for w in (2, 7, 50, 10**4)])
    c6 = np.array([fw.exact_npt(activation, x, w, 6, **kw).connected * w**2 for w in (2, 7, 50, 10**4)])
    for c in (c4, c6):
        assert np.abs(c).max() > 0
        np.testing.assert_allclose(c, np.broadcast_to(c[0], c.shape), rtol=1e-9, atol=1e-12 * np.abs(c).max())


@pytest.mark.parametrize("activation, x, kw", CASES)
def test_closed_forms_of_the_connected_and_full_functions(activation, x, kw):
    """G4c = (sw^4/N)[3 M4 - sum_3 M2 M2], G6c = (sw^6/N^2)[15 M6 - 3 sum_15 M4 M2 + 2 sum_15 M2 M2 M2],
    G6 = G6c + sum_15 G4c K + sum_15 K K K (issue 4), from the neuron moments, at mw = mb = 0."""
    width, sw, n_in = 3, kw.get("sw", 1.0), len(x)
    M = {k: fw.neuron_moments(activation, x, k, **kw) for k in (2, 4, 6)}
    ms4, ms6 = correlators.multisets(n_in, 4), correlators.multisets(n_in, 6)
    at = lambda values, ms, pos: values[correlators.sub_ids(ms, n_in, pos)]
    pairs4, pairs6, splits = correlators.pairings(4), correlators.pairings(6), correlators.splits(6, 4)
    g4c = sw**4 / width * (3 * M[4] - sum(at(M[2], ms4, a) * at(M[2], ms4, b) for a, b in pairs4))
    g6c = sw**6 / width**2 * (15 * M[6] - 3 * sum(at(M[4], ms6, f) * at(M[2], ms6, p) for f, p in splits)
                              + 2 * sum(np.prod([at(M[2], ms6, q) for q in p], axis=0) for p in pairs6))
    K = correlators.to_multisets(kernels.kernel(activation, x, x, **kw), 2)
    g6 = g6c + sum(at(g4c, ms6, f) * at(K, ms6, p) for f, p in splits) \
        + sum(np.prod([at(K, ms6, q) for q in p], axis=0) for p in pairs6)
    np.testing.assert_allclose(fw.exact_npt(activation, x, width, 4, **kw).connected, g4c, rtol=1e-9)
    np.testing.assert_allclose(fw.exact_npt(activation, x, width, 6, **kw).connected, g6c, rtol=1e-9,
                               atol=1e-12 * np.abs(g6c).max())
    np.testing.assert_allclose(fw.exact_npt(activation, x, width, 6, **kw).full, g6, rtol=1e-10)


@pytest.mark.parametrize("activation", ["Erf", "GaussNet"])
def test_means_by_brute_force_expansion_over_neurons(activation):
    """With means the partition sums are checked against a direct expansion at N = 2: f = b1 + Y_1 + Y_2, and
    E[prod_j f_aj] = sum over the 3^n ways to give each factor to b1, neuron 1 or neuron 2 of
    E[b1^#b] E[W^#1] M(those of 1) E[W^#2] M(those of 2)."""
    x, kw = XSETS["xset1"][SUB], dict(sw=1.2, sb=0.7, mw=0.3, mb=-0.4)
    n_in, width = len(x), 2
    M = fw.neuron_moments_upto(activation, x, 6, **kw)
    ew = fw.weight_moments(6, kw["mw"], kw["sw"] / math.sqrt(width))
    eb = fw.weight_moments(6, kw["mb"], kw["sb"])
    for n in (3, 4, 5, 6):
        ms, want = correlators.multisets(n_in, n), 0.0
        for owner in itertools.product(range(3), repeat=n):
            term = eb[owner.count(0)] * np.ones(len(ms))
            for neuron in (1, 2):
                pos = [j for j in range(n) if owner[j] == neuron]
                term = term * ew[len(pos)] * (M[len(pos)][correlators.sub_ids(ms, n_in, pos)] if pos else 1.0)
            want = want + term
        np.testing.assert_allclose(fw.exact_npt(activation, x, width, n, **kw).full, want, rtol=1e-10)


# ---------------------------------------------------------------- neuron moments: brute force and convergence
_legendre = lru_cache(maxsize=None)(np.polynomial.legendre.leggauss)


def _gauss2(func, kinks=None, smooth=False):
    """E[func(w, b)] for w, b iid standard normal: scipy's adaptive quadrature nested (kinks(w): the points in b
    where func is not smooth), or for smooth func a dense tensor Gauss-Legendre rule on [-20, 20]^2 (1200^2
    nodes, spacing 0.03: converged far beyond 1e-10 for these integrands, which live within |w|, |b| < 12)."""
    g = lambda t: np.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    if smooth:
        t, w = _legendre(1200)
        t, w = 20 * t, 20 * w * g(20 * t)
        return w @ func(t[:, None], t[None, :]) @ w
    inner = lambda w: quad(lambda b: func(w, b) * g(b), -10, 10, points=kinks(w), epsabs=1e-13, epsrel=1e-12,
                           limit=200)[0]
    return quad(lambda w: inner(w) * g(w), -10, 10, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


@pytest.mark.parametrize("activation, kw, elements", [
    ("Erf", dict(sw=1.0, sb=1.0), [(0, 1, 3, 5), (0, 0, 0, 5, 5, 5), (1, 2, 2, 3, 4, 5)]),
    ("Erf", dict(sw=1.3, sb=0.6, mw=0.4, mb=-0.3), [(0, 1, 3), (0, 0, 2, 3), (0, 1, 2, 2, 3, 3)]),
    ("GaussNet", dict(sw=1.0, sb=1.0, mw=0.2, mb=0.1), [(0, 0, 2, 3), (0, 1, 2, 3, 3, 3)]),
    ("ReLU", dict(sw=1.0, sb=1.0), [(0, 5), (0, 2, 3, 5), (0, 0, 0, 5, 5, 5), (0, 1, 2, 3, 4, 5)])])
def test_neuron_moments_against_brute_force_quadrature(activation, kw, elements):
    """d_in = 1: u_a = (mw + sw w) x_a + mb + sb b with w, b standard normal, integrated independently."""
    xs = XSETS["xset1"][SUB] if "mw" in kw else XSETS["xset1"]      # with means: fewer inputs (cost ~ nodes^3)
    x = xs[:, 0]
    sw, sb, mw, mb = kw["sw"], kw["sb"], kw.get("mw", 0.0), kw.get("mb", 0.0)
    u = lambda w, b, a: (mw + sw * w) * x[a] + mb + sb * b
    sigma = {"Erf": lambda w, b, a: erf(u(w, b, a)), "ReLU": lambda w, b, a: max(u(w, b, a), 0.0),
             "GaussNet": lambda w, b, a: np.exp(u(w, b, a) - sb**2 - sw**2 * x[a] ** 2)}[activation]
    for e in elements:
        f = lambda w, b: math.prod(sigma(w, b, a) for a in e)
        if activation == "ReLU":
            want = _gauss2(f, kinks=lambda w: sorted({-(sw * w * x[a]) / sb for a in e}))
        else:
            want = _gauss2(f, smooth=True)
        got = fw.neuron_moments(activation, xs, len(e), **kw)[correlators.multiset_ids([e], len(xs))[0]]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-13)


def test_relu_moments_at_orders_one_and_two_are_the_arccos_kernel():
    for x, sw, sb in [(XSETS["xset3A"], 1.0, 0.0), (XSETS["xset5A"], 1.0, 0.0), (XSETS["xset5A"], 1.4, 0.5)]:
        S = kernels.preactivation_cov(x, x, sw, sb)
        np.testing.assert_allclose(fw.neuron_moments("ReLU", x, 1, sw, sb), np.sqrt(np.diag(S) / (2 * np.pi)),
                                   rtol=1e-12)
        K = (kernels.kernel("ReLU", x, x, sw, sb) - sb**2) / sw**2
        np.testing.assert_allclose(fw.neuron_moments("ReLU", x, 2, sw, sb), correlators.to_multisets(K, 2), rtol=1e-12)


@pytest.mark.parametrize("dim, n_vec", [(2, 3), (3, 3), (4, 2)])
def test_relu_sphere_quadrature_obeys_relu_t_minus_relu_minus_t_equals_t(dim, n_vec):
    """relu(t) - relu(-t) = t, so the sphere averages of products of relu(theta.(+-v_a)) combine into the exact
    averages of prod (theta.v_a) (Wick / E[r^k]): a check of every cell of the default rule, D = 2, 3, 4."""
    v = np.random.default_rng(dim).normal(size=(n_vec, dim))
    normals = np.concatenate([v, -v])
    theta, w = fw.sphere_rule(normals, dim)
    area = 2 * np.pi ** (dim / 2) / math.gamma(dim / 2)
    assert w.sum() == pytest.approx(area, rel=1e-13)
    relu = np.maximum(theta @ normals.T, 0)                        # (P, 2 n_vec): relu(theta.v_a), relu(-theta.v_a)
    for e in [(0, 1), (0, 1, 1, n_vec - 1), (0, 0, 1, 1, n_vec - 1, n_vec - 1)]:
        signed = sum(np.prod([(-1) ** s for s in signs]) * (np.prod([relu[:, a + n_vec * s] for a, s in zip(e, signs)],
                     axis=0) @ w) for signs in itertools.product((0, 1), repeat=len(e)))
        wick = sum(np.prod([v[e[i]] @ v[e[j]] for i, j in p]) for p in correlators.pairings(len(e)))
        sphere = wick * math.gamma(dim / 2) / (2 ** (len(e) / 2) * math.gamma((dim + len(e)) / 2))   # / E[r^k]
        assert signed / area == pytest.approx(sphere, rel=1e-10)


@pytest.mark.parametrize("x, sb, nodes, bound", [(XSETS["xset3A"], 0.7, (4, 8, 12, 16), 1e-12),     # D = 3
                                                (XSETS["xset5A"], 0.0, (4, 8, 12, 16), 1e-12),     # D = 3
                                                (XSETS["xset5A"], 0.5, (4, 6, 8, 10, 12), 1e-10)])  # D = 4
def test_relu_moments_converge_in_the_number_of_nodes(x, sb, nodes, bound):
    """Gauss-Legendre per cell converges geometrically (about 1e-3 at 4 nodes, 1e-8 at 8, rounding at 12;
    the default is 12), against the largest number of nodes as reference."""
    ref = fw.neuron_moments_upto("ReLU", x, 6, 1.0, sb, nodes=nodes[-1])
    err = [max(np.max(np.abs(a / b - 1)) for a, b in zip(fw.neuron_moments_upto("ReLU", x, 6, 1.0, sb, nodes=q)[1:],
                                                         ref[1:])) for q in nodes[:-1]]
    assert all(e1 > e2 for e1, e2 in zip(err, err[1:])) and err[0] < 0.1 and err[-1] < bound


@pytest.mark.parametrize("x, kw", [(XSETS["xset1"], dict(sw=1.0, sb=1.0)), (XSETS["xset5"], dict(sw=1.0, sb=1.0)),
                                   (XSETS["xset1"][SUB], dict(sw=1.0, sb=1.0, mw=0.3, mb=-0.2))])
def test_erf_moments_converge_in_the_number_of_nodes(x, kw):
    """Gauss-Legendre in the interpolation parameter converges geometrically: 2e-5 at 6 nodes, 1e-9 at 12,
    rounding at 16 (reference 20), the same at d_in = 1 and 3 (the cost does not depend on d_in)."""
    ref = fw.neuron_moments_upto("Erf", x, 6, nodes=20, **kw)
    err = [max(np.max(np.abs(a - b)) / (np.abs(b).max() or 1.0) for a, b in
               zip(fw.neuron_moments_upto("Erf", x, 6, nodes=q, **kw)[1:], ref[1:])) for q in (6, 12, 16)]
    assert err[0] > err[1] > err[2] and err[0] < 1e-3 and err[1] < 1e-8 and err[2] < 1e-12


def test_erf_moments_match_gauss_hermite_where_it_converges():
    """At small scales (sw = sb = 0.4) plain tensor Gauss-Hermite converges fast: an independent check at
    d_in = 2 (rank 3). At the paper's sw = sb = 1 it does not (erf^6 is nearly a step: ~1e-5 at 64 nodes)."""
    x, sw, sb = XSETS["xset3"], 0.4, 0.4
    y, w = np.polynomial.hermite_e.hermegauss(40)
    grid = np.stack(np.meshgrid(y, y, y, indexing="ij"), -1).reshape(-1, 3)
    weights = np.prod(np.stack(np.meshgrid(w, w, w, indexing="ij"), -1).reshape(-1, 3), 1) / (2 * np.pi) ** 1.5
    u = grid[:, :2] @ (sw * x / math.sqrt(2)).T + sb * grid[:, 2:]
    for k in (2, 4, 6):
        ms = correlators.multisets(len(x), k)
        brute = weights @ np.prod(erf(u)[:, ms], -1)
        np.testing.assert_allclose(fw.neuron_moments("Erf", x, k, sw, sb), brute, rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------- Monte-Carlo ensembles of the core sampler
ENSEMBLES = {   # name: (activation, inputs, width, parameters)
    **{f"ReLU-N{w}": ("ReLU", XSETS["xset1A"][SUB], w, {}) for w in (2, 3, 5)},
    **{f"Erf-N{w}": ("Erf", XSETS["xset1"][SUB], w, {}) for w in (2, 3, 5)},
    # GaussNet at sw = 0.5, sb = 0.2: see test_gaussnet_paper_parameters_are_flagged for why not sw = sb = 1
    **{f"GaussNet-N{w}": ("GaussNet", XSETS["xset2"][SUB], w, dict(sw=0.5, sb=0.2)) for w in (2, 3, 5)},
    "Erf-d2-N2": ("Erf", XSETS["xset3"], 2, {}),
    "ReLU-d3-N3": ("ReLU", XSETS["xset5A"], 3, {}),
    "ReLU-d2-sw1.5-sb0.6-N2": ("ReLU", XSETS["xset3A"], 2, dict(sw=1.5, sb=0.6)),
    "Erf-means-N3": ("Erf", XSETS["xset1"][SUB], 3, dict(sw=1.5, sb=0.5, mw=0.2, mb=0.3)),
    "GaussNet-means-N2": ("GaussNet", XSETS["xset2"][SUB], 2, dict(sw=0.5, sb=0.2, mw=0.3, mb=-0.2)),
}
N_MODELS = 10**6


@lru_cache(maxsize=None)
def ensemble(name, n_sub=10):
    activation, x, width, kw = ENSEMBLES[name]
    f = networks.sample_outputs(activation, x, width, N_MODELS, seed=sorted(ENSEMBLES).index(name), **kw)
    return correlators.npoint_stats(f, max_n=6, n_sub=n_sub)


@pytest.mark.parametrize("name", list(ENSEMBLES))
def test_monte_carlo_agrees_with_exact_full_functions(name):
    """10^6 networks: G2, G4, G6 within 5 standard errors at every multiset. mc_trust vouches for the 2- and
    4-pt error bars everywhere; at N <= 5 the ReLU 6-pt error bars are flagged (f^6 has heavy tails, so the
    sample standard error is typically too small): passing there is the stricter test."""
    activation, x, width, kw = ENSEMBLES[name]
    stats = ensemble(name)
    for n in (2, 4, 6):
        exact = fw.exact_npt(activation, x, width, n, **kw).full
        z = (stats[n].mean - exact) / stats[n].se
        assert np.abs(z).max() < 5, (n, np.abs(z).max())
        if n < 6 or activation != "ReLU":
            assert fw.mc_trust(activation, x, width, n, N_MODELS, **kw).trusted.all()


@pytest.mark.parametrize("name", ["GaussNet-N2", "ReLU-d2-sw1.5-sb0.6-N2"])
def test_connected_six_point_formula_against_monte_carlo_cumulants(name):
    """G6c from the exact formula vs correlators.connected_six on the ensemble's own G2, G4, G6 (a direct
    cumulant estimate), with the error from its spread over 10 sub-ensembles; G6c itself is resolved (> 5 SE:
    about 1 % of G6 for this GaussNet, half of G6 for this ReLU)."""
    activation, x, width, kw = ENSEMBLES[name]
    stats = ensemble(name)
    exact = fw.exact_npt(activation, x, width, 6, **kw)
    mc = correlators.connected_six(stats[2].mean, stats[4].mean, stats[6].mean, len(x))
    sub = correlators.connected_six(stats[2].sub, stats[4].sub, stats[6].sub, len(x))
    se = sub.std(axis=0, ddof=1) / math.sqrt(len(sub))
    assert np.all(np.abs(exact.connected) > 5 * se)                          # a real signal, not zero
    assert np.abs((mc - exact.connected) / se).max() < 5


def test_gaussnet_paper_parameters_are_flagged_and_rightly_so():
    """GaussNet at sw = sb = 1: neuron moments grow like exp(k(k-1)S/2) (E[phi^6] ~ e^12), products of outputs
    have lognormal tails, and at N = 2 the 6-pt mean is carried by events that a 10^5 or 10^6 ensemble almost
    never contains: a typical (sub-)ensemble estimate is a small fraction of the exact G6, and its sample error
    bar says nothing about that. mc_trust flags it; it trusts ReLU at N = 20 and the small-sw GaussNet above."""
    x = XSETS["xset2"][[0, 5]]
    assert not fw.mc_trust("GaussNet", x, 2, 6, N_MODELS).trusted.any()
    assert fw.mc_trust("ReLU", XSETS["xset1A"], 20, 6, N_MODELS).trusted.all()
    assert fw.mc_trust("GaussNet", XSETS["xset2"], 2, 6, N_MODELS, sw=0.5, sb=0.2).trusted.all()
    f = networks.sample_outputs("GaussNet", x, 2, N_MODELS, seed=7)
    sub = correlators.npoint_stats(f, max_n=6, n_sub=10)[6].sub / fw.exact_npt("GaussNet", x, 2, 6).full
    assert np.all(np.median(sub, axis=0) < 0.2)


def test_trust_helper_standard_error_matches_the_sample_where_trusted():
    """Where trusted, the helper's typical standard error of G_n(a..a) agrees with the ensemble's own."""
    for name in ("Erf-N3", "GaussNet-N5"):
        activation, x, width, kw = ENSEMBLES[name]
        t = fw.mc_trust(activation, x, width, 6, N_MODELS, **kw)
        diag = correlators.multiset_ids(np.repeat(np.arange(len(x))[:, None], 6, 1), len(x))
        np.testing.assert_allclose(t.se_diag, ensemble(name)[6].se[diag], rtol=0.1)


# ---------------------------------------------------------------- errors
def test_bad_requests_raise_user_errors():
    x = XSETS["xset1"]
    with pytest.raises(UserError, match="zero means"):
        fw.exact_npt("ReLU", x, 3, 4, mw=0.1)
    with pytest.raises(UserError, match="no N -> infinity limit"):
        fw.exact_npt("Erf", x, math.inf, 4, mw=0.1)
    with pytest.raises(UserError, match="up to order 6"):
        fw.neuron_moments("Erf", x, 8)
    with pytest.raises(UserError, match="unknown activation"):
        fw.exact_npt("Tanh", x, 3, 4)
    with pytest.raises(UserError, match="width"):
        fw.exact_npt("Erf", x, 0, 4)
