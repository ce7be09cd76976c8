"""Feynman-diagram integrals of the quartic vertex (paper Secs. 3-5), for every index multiset at once.

Conventions (issues 3 and 6). The non-Gaussian action has a local quartic coupling on the input box
    S = S_GP + lambda * int_{[-L, L]^d} f(y)^4 dy,        L the input-space cutoff Lambda, d = d_in.
At first order in lambda the connected 4-pt function is
    dG4(x1..x4) = -24 lambda I4(x1..x4; L),   I4 = int_box Kt(x1,y) Kt(x2,y) Kt(x3,y) Kt(x4,y) dy,
with Kt = K - sb^2 (the output bias b1 is a free field that does not enter the vertex), so the coupling of
one tensor element is lambda_ijkl(L) = -dG4_ijkl / (24 I4_ijkl). For the coupling fit (issue 3):
    T0 = 24 I4,   T2 = 24 int_box |y|^2 Kt^4 dy,   TNL = 8 sum_{(ab)(cd)} I2(a,b) I2(c,d),
    I2(a,b) = int_box Kt(xa,y) Kt(xb,y) dy, channels (12)(34), (13)(24), (14)(23).
First-order 6-pt function: G6 = G6_GP + sum over the 15 splits into a 4-set and a pair of dG4(4-set) K(pair).

Quadrature. Cube-polar coordinates y = t p, t = |y|_inf, p on the surface of [-1, 1]^d: dy = t^(d-1) dt dA(p)
and the box [-L, L]^d is t <= L, so every cutoff is a breakpoint of one t-rule and the shells between
consecutive boxes are summed cumulatively (work is shared across cutoffs). Gauss-Legendre panels:
  t:  at 0, each cutoff, |x_i|_inf, and geometric grading (ratio 2 up to 16 sqrt(d)/sw, then 4):
      the integrands vary on the scale of the kernel near the inputs and on the scale of |y| far out;
  p:  on each face at its centre and edges and where the rays through +-x_i cross it.
Where the integrand is not smooth:
  ReLU, sb = 0: Kt = sw^4 |x||y| J(theta) / (2 pi d), J = sin theta + (pi - theta) cos theta, and
      J(theta) = pi - pi theta^2/2 + theta^3/3 + ..., J(pi - s) = s^3/3 + ...: |.|^3 kinks on the rays +-x_i
      (fixed points of the faces, refined geometrically). Kt is homogeneous of degree 1 in y, so the radial
      part is exact: int_box |y|^q prod_k Kt = L^(k+q+d) / (k+q+d) * int_faces |p|^q prod_k Kt(x, p) dA.
  ReLU, sb != 0: cos theta = +-1 needs (sb, y) parallel to (sb, x): only the point y = x_i (a |y - x_i|^3
      singularity), made a panel corner in t and on the face. The far field is smooth.
  Erf, GaussNet: analytic. Erf's Kt tends to a direction-dependent constant (I4 ~ L^d); GaussNet's Kt is a
      Gaussian, exp(-k a |y - m|^2) for a product of k >= 2 of them (a = sw^2/(2d)): beyond
      L_inf = max|x_i|_inf + 9 sqrt(d/2)/sw lies less than d erfc(9/sqrt 2) ~ 1e-18 of the integral, so
      cutoffs above L_inf, infinity included, are evaluated at L_inf.
      Closed form: gaussnet_vertex.
The default rule reaches 1e-6 relative accuracy for d = 1, 2 and 1e-5 for d = 3 (tests/test_feynman.py)."""
import math
from functools import lru_cache

import numpy as np
from scipy.special import erf

from common import correlators, kernels
from common.errors import UserError

NODES = 12          # default Gauss-Legendre nodes per panel and dimension
CHUNK_POINTS = 2**17  # quadrature points evaluated at once (memory ~ n_inputs x this x 8 bytes x a few)
GRADING = 3         # geometric refinement levels toward the kinks on a face (ReLU, sb = 0)


# ---------------------------------------------------------------- quadrature rules
@lru_cache(maxsize=None)
def _gauss(n):
    return np.polynomial.legendre.leggauss(n)


def _panel_rule(breaks, n):
    """Gauss-Legendre with n nodes on each interval between sorted breakpoints: nodes, weights, panel index."""
    breaks = np.unique(np.asarray(breaks, dtype=np.float64))
    x, w = _gauss(n)
    lo, hi = breaks[:-1, None], breaks[1:, None]
    nodes = (lo + hi) / 2 + (hi - lo) / 2 * x
    return nodes.ravel(), ((hi - lo) / 2 * w).ravel(), np.repeat(np.arange(len(lo)), n)


def _graded(points, levels):
    """Breakpoints in [-1, 1]: the ends, the centre, the points and geometric refinement toward each point."""
    out = [-1.0, 0.0, 1.0]
    for c in points:
        out += [c] + [c + s * 2.0**-j for j in range(1, levels + 1) for s in (-1, 1)]
    out = np.unique(np.clip(out, -1.0, 1.0))
    return out[np.concatenate(([True], np.diff(out) > 1e-12))]


def face_rule(directions, d, n, levels):
    """Nodes p (N, d) and weights (N,) for integrals over the surface of [-1, 1]^d (dA on each face).

    Each face {p_k = s} is a tensor product of panel rules in its d-1 free coordinates, broken where the
    rays along `directions` (m, d) cross that face (refined geometrically `levels` times)."""
    ps, ws = [], []
    for k in range(d):
        free = [j for j in range(d) if j != k]
        for s in (-1.0, 1.0):
            hits = [v[free] / abs(v[k]) for v in directions
                    if s * v[k] > 0 and abs(v[k]) >= (1 - 1e-12) * np.abs(v).max()]
            rules = [_panel_rule(_graded([h[j] for h in hits], levels), n)[:2] for j in range(d - 1)]
            grid = np.meshgrid(*[r[0] for r in rules], indexing="ij")
            weight = np.ones(grid[0].shape if rules else ())
            for j, r in enumerate(rules):
                weight = weight * r[1].reshape((-1,) + (1,) * (d - 2 - j))
            p = np.empty((weight.size, d))
            p[:, k] = s
            for j, g in zip(free, grid):
                p[:, j] = g.ravel()
            ps.append(p)
            ws.append(weight.ravel())
    return np.concatenate(ps), np.concatenate(ws)


def radial_rule(cutoffs, anchors, scale, n):
    """t-rule on [0, max(cutoffs)] broken at the cutoffs, the anchors and geometric grading: nodes, weights, shell.

    shell[j] is the index of the first cutoff >= node j: the shell between consecutive boxes it belongs to."""
    top = cutoffs[-1]
    far = 16 * 4.0 ** np.arange(math.ceil(math.log(top / scale, 4)))
    grading = scale * np.concatenate((2.0 ** np.arange(-3, 4), far))
    breaks = np.concatenate(([0.0], cutoffs, [a for a in anchors if 0 < a < top], grading[grading < top]))
    breaks = np.unique(breaks)
    t, w, panel = _panel_rule(breaks, n)
    return t, w, np.searchsorted(cutoffs, breaks[1:][panel])


# ---------------------------------------------------------------- vertex integrals
def _points(inputs):
    x = np.asarray(inputs, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or not 1 <= x.shape[1] <= 3 or not np.all(np.isfinite(x)):
        raise UserError(f"inputs must be finite points of shape (n_inputs, d_in) with d_in = 1, 2 or 3, got {x.shape}")
    return x


def gaussnet_radius(inputs, sw=1.0):
    """L_inf: boxes larger than this hold the GaussNet vertex integrals to relative 1e-18 (module docstring)."""
    x = _points(inputs)
    return float(np.abs(x).max() + 9 * math.sqrt(x.shape[1] / 2) / sw)


def _cutoffs(activation, x, cutoffs, sw):
    cut = np.atleast_1d(np.asarray(cutoffs, dtype=np.float64))
    if cut.ndim != 1 or cut.size == 0 or np.any(np.isnan(cut)) or np.any(cut <= 0):
        raise UserError(f"cutoffs must be positive numbers (math.inf allowed for GaussNet), got {cutoffs!r}")
    if activation == "GaussNet":
        return np.minimum(cut, gaussnet_radius(x, sw))
    if np.any(np.isinf(cut)):
        growth = "d_in" if activation == "Erf" else "4 + d_in"
        raise UserError(f"the {activation} vertex integrals diverge as the cutoff goes to infinity "
                        f"(I4 grows like Lambda^({growth})): give finite cutoffs")
    return cut


def _contract(kt, weight, terms, n_inputs):
    """For each (order, q): sum_j weight[q]_j prod_{i in multiset} Kt(x_i, y_j) per sorted multiset.

    kt: (n_inputs, N) at the nodes y_j. A multiset of order 4 is a pair of sorted pairs, so all of them are
    entries of one weighted Gram matrix of the pair products P (BLAS); order 2 uses Kt itself."""
    halves = {1: kt}
    if any(order == 4 for order, _ in terms):
        pairs = correlators.multisets(n_inputs, 2)
        halves[2] = kt[pairs[:, 0]] * kt[pairs[:, 1]]
    out = {}
    for order, q in terms:
        gram = (halves[order // 2] * weight[q]) @ halves[order // 2].T
        ms, h = correlators.multisets(n_inputs, order), order // 2
        out[order, q] = gram[correlators.sub_ids(ms, n_inputs, range(h)),
                             correlators.sub_ids(ms, n_inputs, range(h, order))]
    return out


def vertex_integrals(activation, inputs, cutoffs, terms=((4, 0),), sw=1.0, sb=None, nodes=NODES):
    """int_box |y|^q prod_{i in multiset} Kt(x_i, y) dy for each (order, q) in terms, order 2 or 4.

    Returns {(order, q): (n_cutoffs, n_multisets(n_inputs, order))}, multisets in correlators.multisets
    order. Kt(x_i, y) is evaluated once per quadrature node for all inputs and terms; the shells between
    consecutive cutoffs are integrated once and summed cumulatively."""
    kernels.check_activation(activation)
    sb = kernels.default_sb(activation) if sb is None else float(sb)
    if not sw > 0:
        raise UserError(f"sw must be positive, got {sw}")
    x = _points(inputs)
    n_inputs, d = x.shape
    cut = _cutoffs(activation, x, cutoffs, sw)
    homogeneous = activation == "ReLU" and sb == 0
    rays = np.concatenate([x, -x])
    p, wp = face_rule(rays[np.abs(rays).max(1) > 0], d, nodes, GRADING if homogeneous else 0)
    powers = {q for _, q in terms}

    def part(y, w):                                        # sum over nodes y (N, d) with weights w (N,)
        r = np.sqrt((y**2).sum(1))
        kt = kernels.kernel(activation, x, y, sw, sb) - sb**2
        return _contract(kt, {q: w * r**q for q in powers}, terms, n_inputs)

    if homogeneous:                                        # degree o + q in y: exact radial part
        faces = part(p, wp)
        return {(o, q): cut[:, None] ** (o + q + d) / (o + q + d) * v for (o, q), v in faces.items()}
    shells = np.unique(cut)
    t, wt, shell = radial_rule(shells, np.abs(x).max(1), math.sqrt(d) / sw, nodes)
    sums = {(o, q): np.zeros((len(shells), len(correlators.multisets(n_inputs, o)))) for o, q in terms}
    chunk = max(1, CHUNK_POINTS // len(p))
    for s in range(len(shells)):
        ts, ws = t[shell == s], wt[shell == s] * t[shell == s] ** (d - 1)
        for a in range(0, len(ts), chunk):
            y = ts[a:a + chunk, None, None] * p[None]
            for term, v in part(y.reshape(-1, d), np.outer(ws[a:a + chunk], wp).ravel()).items():
                sums[term][s] += v
    idx = np.searchsorted(shells, cut)
    return {term: np.cumsum(v, axis=0)[idx] for term, v in sums.items()}


def i4(activation, inputs, cutoffs, sw=1.0, sb=None, nodes=NODES):
    """I4(x_i1..x_i4; L) = int_[-L,L]^d Kt Kt Kt Kt dy per sorted 4-multiset: (n_cutoffs, n_multisets)."""
    return vertex_integrals(activation, inputs, cutoffs, ((4, 0),), sw, sb, nodes)[4, 0]


def i4_weighted(activation, inputs, cutoffs, sw=1.0, sb=None, nodes=NODES):
    """int_[-L,L]^d |y|^2 Kt Kt Kt Kt dy per sorted 4-multiset (T2 / 24 of issue 3): (n_cutoffs, n_multisets)."""
    return vertex_integrals(activation, inputs, cutoffs, ((4, 2),), sw, sb, nodes)[4, 2]


def i2(activation, inputs, cutoffs, sw=1.0, sb=None, nodes=NODES):
    """Two-point vertex integral I2(a, b; L) = int_[-L,L]^d Kt(xa,y) Kt(xb,y) dy per sorted pair."""
    return vertex_integrals(activation, inputs, cutoffs, ((2, 0),), sw, sb, nodes)[2, 0]


def tnl(I2, n_inputs):
    """TNL = 8 sum over channels (12)(34), (13)(24), (14)(23) of I2 I2: the non-local double integral
    int int Kt(xa,y) Kt(xb,y) Kt(xc,z) Kt(xd,z) dy dz factorised. I2: (..., n_pairs) -> (..., n_multisets)."""
    ms = correlators.multisets(n_inputs, 4)
    I2 = np.asarray(I2, dtype=np.float64)
    return 8 * sum(I2[..., correlators.sub_ids(ms, n_inputs, a)] * I2[..., correlators.sub_ids(ms, n_inputs, b)]
                   for a, b in correlators.pairings(4))


def operator_integrals(activation, inputs, cutoffs, sw=1.0, sb=None, nodes=NODES):
    """Issue 3's operator integrals T0 = 24 I4, T2 = 24 int |y|^2 Kt^4, TNL from one quadrature pass.

    Returns {"T0", "T2", "TNL"}: each (n_cutoffs, n_multisets of order 4)."""
    v = vertex_integrals(activation, inputs, cutoffs, ((4, 0), (4, 2), (2, 0)), sw, sb, nodes)
    return {"T0": 24 * v[4, 0], "T2": 24 * v[4, 2], "TNL": tnl(v[2, 0], len(_points(inputs)))}


def gaussnet_vertex(inputs, cutoffs, order=4, sw=1.0):
    """Closed form of int_box prod_{k=1..n} Kt(x_k, y) dy for GaussNet, Kt = sw^2 exp(-a |x - y|^2), a = sw^2/(2d):

    prod_k Kt = sw^(2n) exp(-a sum_k |x_k - m|^2) exp(-n a |y - m|^2), m the mean of the x_k, and per coordinate
    int_{-L}^{L} exp(-n a (y - m)^2) dy = sqrt(pi / (n a)) [erf(sqrt(n a)(L - m)) + erf(sqrt(n a)(L + m))] / 2
    (sqrt(pi / (n a)) on R). Returns (n_cutoffs, n_multisets of the given order)."""
    x = _points(inputs)
    d = x.shape[1]
    a = sw**2 / (2 * d)
    pts = x[correlators.multisets(len(x), order)]                         # (M, n, d)
    m = pts.mean(1)
    pre = sw ** (2 * order) * np.exp(-a * ((pts - m[:, None]) ** 2).sum((1, 2)))
    c = math.sqrt(order * a)
    L = np.atleast_1d(np.asarray(cutoffs, dtype=np.float64))[:, None, None]
    with np.errstate(invalid="ignore"):
        box = np.where(np.isinf(L), 2.0, erf(c * (L - m)) + erf(c * (L + m)))
    return pre * np.prod(math.sqrt(math.pi) / (2 * c) * box, axis=-1)


# ---------------------------------------------------------------- couplings and the 6-pt term
def first_order_dg4(lam, I4):
    """dG4 = -24 lambda I4 (lambda scalar or broadcasting against I4)."""
    return -24 * np.asarray(lam, dtype=np.float64) * I4


def lam_from_dg4(dg4, I4):
    """lambda_ijkl = -dG4_ijkl / (24 I4_ijkl), element by element."""
    return -np.asarray(dg4, dtype=np.float64) / (24 * np.asarray(I4, dtype=np.float64))


def six_pt_lambda_term(I4, lam, K, n_inputs):
    """sum over the 15 splits of six points into a 4-set and a pair of [-24 lambda I4(4-set)] K(pair).

    I4: (..., n_multisets of order 4); lam: scalar or broadcasting against I4 (e.g. per 4-multiset);
    K: (n_inputs, n_inputs) full kernel (bias included). Returns (..., n_multisets of order 6)."""
    dg4 = first_order_dg4(lam, I4)
    K = np.asarray(K, dtype=np.float64)
    ms = correlators.multisets(n_inputs, 6)
    return sum(dg4[..., correlators.sub_ids(ms, n_inputs, four)] * K[ms[:, pair[0]], ms[:, pair[1]]]
               for four, pair in correlators.splits(6, 4))
