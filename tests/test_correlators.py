"""Multiset combinatorics, Wick GP functions and the streamed estimators against exact theory."""
import itertools

import numpy as np
import pytest
import torch

from common import correlators, inputs, kernels, networks
from common.errors import UserError


def test_pairing_and_multiset_counts():
    assert [len(correlators.pairings(n)) for n in (2, 4, 6, 8)] == [1, 3, 15, 105]
    for n in (4, 6):  # each pairing covers range(n) exactly once, and they are all different
        assert all(sorted(i for pair in p for i in pair) == list(range(n)) for p in correlators.pairings(n))
        assert len({frozenset(p) for p in correlators.pairings(n)}) == len(correlators.pairings(n))
    assert [len(correlators.multisets(6, n)) for n in (2, 4, 6)] == [21, 126, 462]
    assert [len(correlators.set_partitions(n)) for n in range(1, 7)] == [1, 2, 5, 15, 52, 203]
    assert len(correlators.splits(6, 4)) == 15
    with pytest.raises(UserError, match="even n"):
        correlators.pairings(3)


def test_expand_and_back():
    rng = np.random.default_rng(0)
    vals = rng.normal(size=len(correlators.multisets(4, 3)))
    full = correlators.expand(vals, 4, 3)
    assert full.shape == (4, 4, 4)
    for perm in itertools.permutations(range(3)):
        assert np.array_equal(full, full.transpose(perm))
    assert np.array_equal(correlators.to_multisets(full, 3), vals)
    ms = correlators.multisets(5, 4)
    shuffled = rng.permuted(ms, axis=1)
    assert np.array_equal(correlators.multiset_ids(shuffled, 5), np.arange(len(ms)))


def test_gp_four_and_six_point_hand_case():
    K = np.array([[2.0, 0.5], [0.5, 1.0]])
    g4 = dict(zip(map(tuple, correlators.multisets(2, 4)), correlators.gp_npoint(K, 4)))
    assert g4[0, 0, 0, 0] == pytest.approx(3 * 4.0)             # 3 K00^2
    assert g4[0, 0, 1, 1] == pytest.approx(2 * 1 + 2 * 0.25)     # K00 K11 + 2 K01^2
    assert g4[0, 1, 1, 1] == pytest.approx(3 * 0.5 * 1.0)        # 3 K01 K11
    g6 = dict(zip(map(tuple, correlators.multisets(2, 6)), correlators.gp_npoint(K, 6)))
    assert g6[0, 0, 0, 0, 0, 0] == pytest.approx(15 * 8.0)
    assert g6[0, 0, 0, 0, 1, 1] == pytest.approx(3 * 4.0 * 1.0 + 12 * 2.0 * 0.25)   # 3 K00^2 K11 + 12 K00 K01^2


def test_estimator_matches_direct_products():
    rng = np.random.default_rng(1)
    f = rng.normal(size=(1000, 3))
    stats = correlators.npoint_stats(f, max_n=4, n_sub=10, chunk_size=97)
    for n in (1, 2, 3, 4):
        ms = correlators.multisets(3, n)
        prods = np.prod(f[:, ms], axis=-1)
        assert np.allclose(stats[n].mean, prods.mean(0))
        assert np.allclose(stats[n].se, prods.std(0, ddof=1) / np.sqrt(1000))
        assert np.allclose(stats[n].sub, prods.reshape(10, 100, -1).mean(1))


def test_connected_six_of_gaussian_samples_is_zero():
    """Exact Gaussian samples: G4c and G6c vanish within their spread."""
    K = kernels.kernel("Erf", inputs.XSETS["xset1"][:3], inputs.XSETS["xset1"][:3])
    f = torch.from_numpy(np.random.default_rng(2).multivariate_normal(np.zeros(3), K, size=400_000))
    st = correlators.npoint_stats(f, max_n=6)
    g6c = correlators.connected_six(st[2].mean, st[4].mean, st[6].mean, 3)
    g6c_sub = correlators.connected_six(st[2].sub, st[4].sub, st[6].sub, 3)
    spread = g6c_sub.std(0, ddof=1) / np.sqrt(10)
    assert np.all(np.abs(g6c) < 5 * spread)
    assert np.all(np.abs(st[4].mean - correlators.gp_npoint(K, 4)) < 5 * st[4].se)


@pytest.mark.parametrize("activation", kernels.ACTIVATIONS)
@pytest.mark.parametrize("d_in", [1, 2, 3])
def test_wide_ensemble_two_point_matches_kernel(activation, d_in):
    xs = inputs.XSETS[inputs.DEFAULT_XSET[activation, d_in]]
    f = networks.sample_outputs(activation, xs, width=1000, n_models=20_000, seed=d_in)
    st = correlators.npoint_stats(f, max_n=4)
    K = kernels.kernel(activation, xs, xs)
    assert np.all(np.abs(st[2].mean - correlators.to_multisets(K, 2)) < 5 * st[2].se)
    assert np.all(np.abs(st[4].mean - correlators.gp_npoint(K, 4)) < 5 * st[4].se)


def test_signal_and_background_definitions():
    ref = np.array([1.0, -2.0])
    assert correlators.deviation([1.1, -1.8], ref) == pytest.approx((0.1 + 0.1) / 2)
    sub = np.array([[1.0, -2.0], [1.2, -2.4]])
    assert correlators.background(sub, ref) == pytest.approx((np.std([1, 1.2], ddof=1) / 1
                                                              + np.std([-2, -2.4], ddof=1) / 2) / 2)
