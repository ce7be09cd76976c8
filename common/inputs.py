"""The paper's input sets (one table) and the choice of inputs from the command line."""
import hashlib

import numpy as np

from common.errors import UserError

_B = np.array([0.2, 0.4, 0.6, 0.8, 1.0, 1.2])
_XSET1 = np.array([-1.0, -0.6, -0.2, 0.2, 0.6, 1.0])
_XSET3 = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
_XSET5 = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, -1.0], [-1.0, 1.0, 1.0], [1.0, -1.0, 1.0]])
_HALF = np.sqrt(2.0) / 2.0

XSETS = {  # name -> (n_inputs, d_in) float64 array
    "xset1": _XSET1[:, None],
    "xset2": 0.01 * _XSET1[:, None],
    "xset1A": _B[:, None],
    "xset3": _XSET3,
    "xset4": 0.01 * _XSET3,
    "xset3A": np.array([[0.5, 0.5], [0.5, 1.0], [1.0, 0.5], [1.0, 1.0]]),
    "xset5": _XSET5,
    "xset6": 0.01 * _XSET5,
    "xset5A": np.array([[0.2, 0.2, 0.2], [1.0, 1.0, 0.2], [0.2, 1.0, 1.0], [1.0, 0.2, 1.0]]),
    "xsetE": 0.01 * _B[:, None],
    "xsetEt": _HALF * 0.01 * _B[:, None],
    "xsetG": 0.01 * _B[:, None],
    "xsetGt": _HALF * 0.01 * _B[:, None],
    "xsetR": _B[:, None],
    "xsetRt": _HALF * _B[:, None],
}

DEFAULT_XSET = {  # (activation, d_in) -> name
    ("Erf", 1): "xset1", ("GaussNet", 1): "xset2", ("ReLU", 1): "xset1A",
    ("Erf", 2): "xset3", ("GaussNet", 2): "xset4", ("ReLU", 2): "xset3A",
    ("Erf", 3): "xset5", ("GaussNet", 3): "xset6", ("ReLU", 3): "xset5A",
}


def parse_points(text):
    """'0.1,0.2;0.3,0.4' -> [[0.1, 0.2], [0.3, 0.4]] (rows separated by ';', coordinates by ',')."""
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.strip().strip(";").split(";")]
    except ValueError:
        raise UserError(f"--inputs {text!r}: expected numbers like '0.1,0.2;0.3,0.4'") from None
    if len({len(r) for r in rows}) != 1:
        raise UserError(f"--inputs {text!r}: every point needs the same number of coordinates")
    points = np.array(rows, dtype=np.float64)
    if not np.all(np.isfinite(points)):
        raise UserError(f"--inputs {text!r}: coordinates must be finite")
    return points


def custom_name(points):
    """A short, stable name for a user's own input points (used in file names)."""
    return "custom-" + hashlib.sha1(np.ascontiguousarray(points, dtype=np.float64).tobytes()).hexdigest()[:10]


def resolve(activation, d_in, xset=None, points=None):
    """(name, points (n_inputs, d_in) float64) from --xset / --inputs, or the paper's default set."""
    if xset is not None and points is not None:
        raise UserError("give either --xset or --inputs, not both")
    if points is not None:
        points = parse_points(points) if isinstance(points, str) else np.asarray(points, dtype=np.float64)
        if points.shape[1] != d_in:
            raise UserError(f"--inputs has {points.shape[1]} coordinates per point but --d-in is {d_in}")
        return custom_name(points), points
    if xset is None:
        if (activation, d_in) not in DEFAULT_XSET:
            raise UserError(f"no default input set for {activation} at d_in = {d_in}: pass --xset or --inputs")
        xset = DEFAULT_XSET[activation, d_in]
    if xset not in XSETS:
        raise UserError(f"unknown input set {xset!r}; known: {', '.join(XSETS)}")
    points = XSETS[xset]
    if points.shape[1] != d_in:
        raise UserError(f"input set {xset!r} has d_in = {points.shape[1]}, but --d-in is {d_in}")
    return xset, points.copy()
