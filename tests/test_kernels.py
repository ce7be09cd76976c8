"""Closed-form GP kernels against numerical quadrature of sb^2 + sw^2 E[sigma(u) sigma(u')]."""
import numpy as np
import pytest
from scipy import integrate, special

from common import inputs, kernels
from common.errors import UserError


def quadrature_kernel(activation, x, y, sw, sb):
    """sb^2 + sw^2 E[sigma(u) sigma(v)] by 2-D adaptive quadrature, u = a z1, v = b z1 + c z2."""
    s = kernels.preactivation_cov(np.array([x, y]), np.array([x, y]), sw, sb)
    a = np.sqrt(s[0, 0])
    b = s[0, 1] / a
    c = np.sqrt(max(s[1, 1] - b * b, 0.0))
    sigma = {"ReLU": lambda u: np.maximum(u, 0.0), "Erf": special.erf,
             "GaussNet": lambda u: np.exp(u)}[activation]
    phi = lambda z: np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    val, _ = integrate.dblquad(lambda z2, z1: sigma(a * z1) * sigma(b * z1 + c * z2) * phi(z1) * phi(z2),
                               -12, 12, -12, 12, epsabs=1e-11, epsrel=1e-10)
    if activation == "GaussNet":  # the input-dependent normaliser exp(-S_xx) of each factor
        val *= np.exp(-s[0, 0] - s[1, 1])
    return sb**2 + sw**2 * val


CASES = [(act, d, sw, sb) for act in kernels.ACTIVATIONS for d in (1, 2, 3)
         for sw, sb in [(1.0, kernels.default_sb(act)), (1.3, 0.7)]] + [("ReLU", 2, 0.8, 0.0)]


@pytest.mark.parametrize("activation,d_in,sw,sb", CASES)
def test_kernel_matches_quadrature(activation, d_in, sw, sb):
    xs = inputs.XSETS[inputs.DEFAULT_XSET[activation, d_in]]
    if activation == "GaussNet":
        xs = xs * 50   # 0.01-scaled sets make every kernel entry almost equal; test a spread too
    K = kernels.kernel(activation, xs, xs, sw=sw, sb=sb)
    for i, j in [(0, 0), (0, len(xs) - 1), (1, 2)]:
        assert K[i, j] == pytest.approx(quadrature_kernel(activation, xs[i], xs[j], sw, sb), rel=1e-7, abs=1e-10)
    assert np.allclose(K, K.T)
    assert np.all(np.linalg.eigvalsh(K) > -1e-12)


def test_relu_kernel_at_zero_input_is_finite():
    """sb = 0 and an input at the origin: S_xx = 0, the kernel is 0 there (the original code gave NaN)."""
    xs = np.array([[0.0, 0.0], [1.0, 0.5]])
    K = kernels.kernel("ReLU", xs, xs, sb=0.0)
    assert np.all(np.isfinite(K)) and K[0, 0] == 0 and K[0, 1] == 0


def test_kernel_rejects_bad_activation_and_means():
    with pytest.raises(UserError, match="unknown activation"):
        kernels.kernel("Tanh", [[0.1]], [[0.2]])
    with pytest.raises(UserError, match="zero means"):
        kernels.kernel("Erf", [[0.1]], [[0.2]], mw=0.1)
