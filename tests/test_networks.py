"""Sampler: determinism under any chunking, the GaussNet normaliser, bad input."""
import numpy as np
import pytest
import torch

from common import inputs, networks
from common.errors import UserError

XS = inputs.XSETS["xset1"]


def test_same_seed_same_bytes_any_chunk_size():
    a = networks.sample_outputs("Erf", XS, 5, 5000, seed=3, chunk_size=1)
    b = networks.sample_outputs("Erf", XS, 5, 5000, seed=3, chunk_size=10**6)
    c = networks.sample_outputs("Erf", XS, 5, 5000, seed=3)
    assert a.numpy().tobytes() == b.numpy().tobytes() == c.numpy().tobytes()
    prefix = networks.sample_outputs("Erf", XS, 5, 1500, seed=3)      # model i does not depend on n_models
    assert torch.equal(prefix, a[:1500])
    assert not torch.equal(networks.sample_outputs("Erf", XS, 5, 5000, seed=4), a)
    assert not torch.equal(networks.sample_outputs("Erf", XS, 6, 5000, seed=3), a)


def test_float32_sampling_matches_float64():
    """The same draws in float64: float32 changes the outputs by ~1e-7 relative, far below any error bar."""
    f32 = networks.sample_outputs("GaussNet", inputs.XSETS["xset2"], 100, 4000, seed=1)
    f64 = networks.sample_outputs("GaussNet", inputs.XSETS["xset2"], 100, 4000, seed=1, dtype=torch.float64)
    assert torch.allclose(f32.double(), f64, rtol=1e-5, atol=1e-5)


def test_gaussnet_normaliser_keeps_bias_term_whole():
    """1/sqrt(E exp(2u)) with Var u = sb^2 + sw^2 |x|^2 / d_in: sb^2 is not divided by d_in."""
    xs = np.array([[0.3, -0.2, 0.5]])
    var = 0.7**2 + 1.1**2 * (xs**2).sum() / 3
    assert networks.gaussnet_normaliser(xs, 1.1, 0.7)[0] == pytest.approx(np.exp(-var))
    rng = np.random.default_rng(0)
    u = rng.normal(0, np.sqrt(var), size=2_000_000)
    assert np.mean(np.exp(2 * u)) * networks.gaussnet_normaliser(xs, 1.1, 0.7)[0] ** 2 == pytest.approx(1, rel=0.02)


@pytest.mark.parametrize("kwargs,match", [
    (dict(activation="Tanh"), "unknown activation"),
    (dict(width=0), "width"),
    (dict(n_models=0), "n_models"),
    (dict(sw=-1.0), "standard deviations"),
    (dict(device="cuda:7" if not torch.cuda.is_available() else "nonsense"), "device"),
])
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(activation="Erf", xs=XS, width=5, n_models=100) | kwargs
    with pytest.raises(UserError, match=match):
        networks.sample_outputs(**args)
