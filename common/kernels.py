"""Closed-form GP kernels K(x, x') of single-hidden-layer networks (paper Sec. 2), float64, vectorised.

With S_ab = sb^2 + sw^2 x_a.x_b / d_in the covariance of the pre-activations u = W0.x + b0:
  Erf:      K = sb^2 + (2 sw^2 / pi) arcsin(2 S_xy / sqrt((1 + 2 S_xx)(1 + 2 S_yy)))
  ReLU:     K = sb^2 + (sw^2 / (2 pi)) sqrt(S_xx S_yy) (sin t + (pi - t) cos t),  cos t = S_xy / sqrt(S_xx S_yy)
  GaussNet: K = sb^2 + sw^2 exp(-sw^2 |x - y|^2 / (2 d_in))
K - sb^2 is the part carried by the hidden layer (Kt of the Feynman-diagram integrals)."""
import numpy as np

from common.errors import UserError

ACTIVATIONS = ("ReLU", "Erf", "GaussNet")


def default_sb(activation):
    """sb defaults to 1, except ReLU where the paper uses sb = 0."""
    return 0.0 if activation == "ReLU" else 1.0


def check_activation(activation):
    if activation not in ACTIVATIONS:
        raise UserError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _points(x):
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def preactivation_cov(x, y, sw=1.0, sb=0.0):
    """S_ab = sb^2 + sw^2 x_a.y_b / d_in for point sets x (n, d_in), y (m, d_in) -> (n, m)."""
    x, y = _points(x), _points(y)
    return sb**2 + sw**2 * (x @ y.T) / x.shape[1]


def kernel(activation, x, y, sw=1.0, sb=None, mw=0.0, mb=0.0):
    """GP kernel K(x_a, y_b) for point sets x (n, d_in), y (m, d_in) -> (n, m) float64."""
    check_activation(activation)
    if mw != 0 or mb != 0:
        raise UserError("the closed-form GP kernels assume zero means (mw = mb = 0)")
    sb = default_sb(activation) if sb is None else sb
    x, y = _points(x), _points(y)
    sxy = preactivation_cov(x, y, sw, sb)
    sxx = np.einsum("ij,ij->i", x, x) * sw**2 / x.shape[1] + sb**2
    syy = np.einsum("ij,ij->i", y, y) * sw**2 / y.shape[1] + sb**2
    if activation == "Erf":
        hidden = (2 / np.pi) * np.arcsin(2 * sxy / np.sqrt(np.outer(1 + 2 * sxx, 1 + 2 * syy)))
    elif activation == "ReLU":
        norm = np.sqrt(np.outer(sxx, syy))
        with np.errstate(invalid="ignore", divide="ignore"):
            cos_t = np.clip(np.where(norm > 0, sxy / norm, 1.0), -1.0, 1.0)
        t = np.arccos(cos_t)
        hidden = norm * (np.sin(t) + (np.pi - t) * cos_t) / (2 * np.pi)
    else:
        d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
        hidden = np.exp(-sw**2 * d2 / (2 * x.shape[1]))
    return sb**2 + sw**2 * hidden
