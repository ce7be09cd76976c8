"""Exact n-point functions of single-hidden-layer networks at every width N (no fitting, no sampling).

f(x) - b1 = sum_i Y_i(x), Y_i = W1_i sigma(u_i(x)), is a sum of N iid neurons, so the joint cumulants add:
  kappa_n(f; a1..an) = N kappa_n(Y; a1..an) + [n = 1] mb + [n = 2] sb^2.
The moments of one neuron factorise, E[Y_a1 .. Y_ak] = E[W1^k] M(a1..ak), with the neuron moments
  M(a1..ak) = E[sigma(u_a1) .. sigma(u_ak)],  u_a = W0.x_a + b0 jointly Gaussian:
  mean mu_a = mb + mw sum_j x_aj, covariance S_ab = sb^2 + sw^2 x_a.x_b / d_in.
Moments and joint cumulants are related by sums over set partitions pi of the n indices,
  E[f_a1 .. f_an] = sum_pi prod_{B in pi} kappa(B),  kappa(a1..an) = sum_pi (-1)^{|pi|-1} (|pi|-1)! prod_B E[f_B],
evaluated here for every sorted index multiset at once. With mw = mb = 0 this gives the closed forms
  G4c = (sw^4/N) [3 M(abcd) - (M(ab)M(cd) + M(ac)M(bd) + M(ad)M(bc))]
  G6c = (sw^6/N^2) [15 M(abcdef) - 3 sum_{15 (4-set, pair)} M M + 2 sum_{15 pairings} M M M]
(the paper's connected 4- and 6-point functions, its Eq. for the O(1/N) and O(1/N^2) corrections).

Neuron moments, to about 1e-10 relative:
  GaussNet  sigma_a = exp(u_a - S_aa): M = exp(sum mu - sum S_aa + (1/2) sum_ij S_ij), closed form;
  Erf       Gaussian interpolation (Price's theorem) from independent factors: a nested k/2-dimensional
            integral of analytic functions per multiset, whatever d_in (erf_moment);
  ReLU      (zero means) homogeneous: u_a = z.v_a, z ~ Normal(0, I_D), so M = E[|z|^k] x the sphere average
            of prod relu(theta.v_a), with the sphere split along the hyperplanes theta.v_a = 0 (sphere_rule)."""
import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy.special import erf, erfc, gammaln, ndtri

from common.correlators import multisets, product_tree, set_partitions, sub_ids
from common.errors import UserError
from common.kernels import check_activation, default_sb

NODES = {"Erf": 16, "ReLU": 12}   # Gauss-Legendre nodes per interpolation level (Erf) / per piece (ReLU)
CHUNK = 512                       # quadrature nodes per product pass (fits in cache: measured fastest)


# ---------------------------------------------------------------- Gaussian pre-activations
def preactivations(inputs, sw, sb, mw, mb):
    """u_a = mu_a + L_a.y with y ~ Normal(0, I_r): (mu (n_inputs,), L (n_inputs, r)), r = rank of S.

    The directions v_a = (sw x_a / sqrt(d_in), sb) are reduced to their rank r by an SVD (u = V z has the law
    of U s y), so quadratures run over r <= min(n_inputs, d_in + 1) dimensions and sb = 0 drops one."""
    x = np.asarray(inputs, dtype=np.float64)
    v = np.concatenate([sw * x / math.sqrt(x.shape[1]), np.full((len(x), 1), float(sb))], axis=1)
    u, s, _ = np.linalg.svd(v, full_matrices=False)
    r = int(np.sum(s > 1e-12 * max(s.max(initial=0.0), 1e-300)))
    return mb + mw * x.sum(1), u[:, :r] * s[:r]


def weight_moments(k_max, mean, sd, cut=math.inf):
    """E[W^k 1{|W - mean| <= cut sd}], k = 0..k_max, W ~ Normal(mean, sd^2) (cut = inf: the moments
    sum_j C(k, j) mean^(k-j) sd^j T_j), with T_j = E[z^j 1{|z| <= cut}] = (j-1) T_(j-2) - 2 cut^(j-1) phi(cut)
    for even j (0 for odd j), T_0 = 1 - 2 Phi(-cut)."""
    phi = 0.0 if math.isinf(cut) else math.exp(-cut**2 / 2) / math.sqrt(2 * math.pi)
    T = [math.erf(cut / math.sqrt(2)), 0.0]
    for j in range(2, k_max + 1):
        T.append((j - 1) * T[j - 2] - (2 * cut ** (j - 1) * phi if j % 2 == 0 and phi else 0.0))
    return np.array([sum(math.comb(k, j) * mean ** (k - j) * sd**j * T[j] for j in range(0, k + 1, 2))
                     for k in range(k_max + 1)], dtype=np.float64)


def chi_moments(k_max, dim):
    """E[|z|^k] = 2^(k/2) Gamma((dim + k)/2) / Gamma(dim/2), k = 0..k_max, for z ~ Normal(0, I_dim)."""
    k = np.arange(k_max + 1)
    return np.exp(k / 2 * np.log(2) + gammaln((dim + k) / 2) - gammaln(dim / 2))


# ---------------------------------------------------------------- quadrature rules
def _gauss_legendre(lo, hi, q):
    """Gauss-Legendre nodes and weights on the intervals [lo, hi] (any shape S) -> (S + (q,), S + (q,))."""
    x, w = leggauss(q)
    half = (np.asarray(hi) - np.asarray(lo))[..., None] / 2
    return np.asarray(lo)[..., None] + half * (x + 1), half * w


def _generic_rotation(normals):
    """A fixed rotation R after which every normal has a large last component (so cot chi is finite)."""
    rng = np.random.default_rng(0)
    unit = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    best, best_q = -1.0, None
    for _ in range(256):
        q, _ = np.linalg.qr(rng.standard_normal((normals.shape[1],) * 2))
        score = np.abs(unit @ q[:, -1]).min()
        if score > best:
            best, best_q = score, q.T
    return best_q                                   # rows: the rotated frame


def sphere_rule(normals, dim, q=NODES["ReLU"]):
    """Nodes (P, dim) and weights (P,) on the unit sphere S^(dim-1) (weights sum to its area) that integrate
    to high order any function that is smooth on each cell cut out by the great spheres theta.n = 0.

    dim 1: the two points +-1. dim 2: the circle split at every zero of theta.n (and into arcs of at most
    pi/2), Gauss-Legendre on each arc.
    dim >= 3: after a fixed generic rotation, theta = (sin(chi) omega, cos(chi)), d theta = sin^(dim-2) chi
    d chi d omega. For fixed omega, theta.n = 0 at cot chi = -(omega.n')/n_last (one chi in (0, pi) per
    normal), so the chi integral is split there; the result is smooth in omega except where two such chi
    cross, on the great spheres omega.w = 0, w = n_i'/n_i,last - n_j'/n_j,last: recurse with those normals."""
    normals = np.asarray(normals, dtype=np.float64).reshape(-1, dim)
    normals = normals[np.linalg.norm(normals, axis=1) > 1e-300]
    if dim == 1:
        return np.array([[1.0], [-1.0]]), np.ones(2)
    if dim == 2:
        cuts = np.sort(np.concatenate([np.arctan2(normals[:, 1], normals[:, 0]) + s * np.pi / 2
                                       for s in (1, -1)]) % (2 * np.pi)) if len(normals) else np.zeros(1)
        ends = np.append(cuts[1:], cuts[0] + 2 * np.pi)
        split = np.ceil((ends - cuts) / (np.pi / 2)).astype(int).clip(1)      # arcs of at most pi/2
        j = np.arange(split.sum()) - np.repeat(np.cumsum(split) - split, split)
        lo, step = np.repeat(cuts, split), np.repeat((ends - cuts) / split, split)
        t, w = _gauss_legendre(lo + j * step, lo + (j + 1) * step, q)
        t, w = t.ravel(), w.ravel()
        return np.stack([np.cos(t), np.sin(t)], axis=1), w
    rot = _generic_rotation(normals) if len(normals) else np.eye(dim)
    m = normals @ rot.T
    m = m / np.linalg.norm(m, axis=1, keepdims=True)
    ratio = m[:, :-1] / m[:, -1:]
    w_ij = np.array([ratio[i] - ratio[j] for i, j in itertools.combinations(range(len(m)), 2)]).reshape(-1, dim - 1)
    omega, w_omega = sphere_rule(w_ij[np.linalg.norm(w_ij, axis=1) > 1e-10], dim - 1, q)
    a, b = omega @ m[:, :-1].T, m[:, -1]                          # theta.n = sin(chi) a + cos(chi) b
    chi = np.sort(np.arctan2(np.abs(b), -a * np.sign(b)), axis=1)       # the root in (0, pi)
    edges = np.concatenate([np.zeros((len(omega), 1)), chi, np.full((len(omega), 1), np.pi)], axis=1)
    c, w_c = _gauss_legendre(edges[:, :-1], edges[:, 1:], q)      # (P_omega, pieces, q)
    c, w_c = c.reshape(len(omega), -1), w_c.reshape(len(omega), -1)
    theta = np.concatenate([np.sin(c)[..., None] * omega[:, None, :], np.cos(c)[..., None]], axis=2)
    weights = w_omega[:, None] * w_c * np.sin(c) ** (dim - 2)
    return theta.reshape(-1, dim) @ rot, weights.ravel()


def erf_moment(mu, C, q=NODES["Erf"]):
    """F(mu, C) = E[prod_m erf(u_m)] for u ~ Normal(mu, C) in R^k, batched with the batch axis last (fast):
    mu (k, B), C (k, k, B) -> (B,).

    Gaussian interpolation (Price's theorem): along C(t) = D + t O (D the diagonal, O the rest),
    dF/dt = sum_{m<n} O_mn E_t[erf'(u_m) erf'(u_n) prod_rest erf], and since erf' = (2/sqrt(pi)) exp(-u^2)
    the pair integrates out: E_t[..] = 4 Normal(0; mu_p, A) F(mu_r', C_r'), A = C_pp + I/2,
    mu_r' = mu_r - C_rp A^-1 mu_p, C_r' = C_rr - C_rp A^-1 C_pr (conditioning on u_p + noise = 0). So
    F = prod_m erf(mu_m / sqrt(1 + 2 C_mm)) + int_0^1 dt sum_pairs O_mn (2/pi) det(A)^(-1/2)
    exp(-mu_p.A^-1 mu_p / 2) F_(k-2)(t), a nested (k/2)-dimensional integral whose integrands are analytic on
    [0, 1] (det A >= det(C_pp + I/2) > 0), done by Gauss-Legendre with q nodes per level. At zero means odd k
    vanish and k = 2 is closed: (2/pi) arcsin(2 C_01 / sqrt((1 + 2 C_00)(1 + 2 C_11))) (the Erf kernel)."""
    k, B = mu.shape
    if k == 0:
        return np.ones(B)
    d = np.einsum("iib->ib", C)
    zero_mean = not np.any(mu)
    if zero_mean and k % 2:
        return np.zeros(B)
    if zero_mean and k == 2:
        return (2 / np.pi) * np.arcsin(2 * C[0, 1] / np.sqrt((1 + 2 * d[0]) * (1 + 2 * d[1])))
    out = np.prod(erf(mu / np.sqrt(1 + 2 * d)), axis=0)            # t = 0: independent factors
    if k == 1:
        return out
    t, w = _gauss_legendre(0.0, 1.0, q)
    t = t[:, None]                                                  # arrays below: (..., q, B)
    for m, n in itertools.combinations(range(k), 2):               # loop over pairs, vectorised over t, B
        r = [j for j in range(k) if j not in (m, n)]
        a, b, c = d[m] + 0.5, t * C[m, n], d[n] + 0.5                # A = [[a, b], [b, c]]
        det = a * c - b * b                                         # (q, B)
        i00, i01, i11 = c / det, -b / det, a / det                  # A^-1
        weight = (2 / np.pi) / np.sqrt(det)
        crm, crn = t * C[r, m][:, None], t * C[r, n][:, None]       # C_rp(t): (k-2, q, B)
        gm, gn = crm * i00 + crn * i01, crm * i01 + crn * i11       # C_rp A^-1
        off = np.where(np.eye(k - 2, dtype=bool)[:, :, None, None], 1.0, t)
        C_r = C[np.ix_(r, r)][:, :, None] * off - gm[:, None] * crm[None] - gn[:, None] * crn[None]
        if zero_mean:
            mu_r = np.zeros((k - 2, q, B))
        else:
            weight = weight * np.exp(-0.5 * (i00 * mu[m] ** 2 + 2 * i01 * mu[m] * mu[n] + i11 * mu[n] ** 2))
            mu_r = mu[r][:, None] - gm * mu[m] - gn * mu[n]
        inner = erf_moment(mu_r.reshape(k - 2, q * B), C_r.reshape(k - 2, k - 2, q * B), q).reshape(q, B)
        out = out + C[m, n] * (w @ (weight * inner))
    return out


# ---------------------------------------------------------------- neuron moments
def _weighted_products(values, weights, k_max):
    """sum_p w_p prod_j values[p, i_j] for every sorted multiset of orders 0..k_max (product tree, chunked)."""
    n_inputs = values.shape[1]
    tree = product_tree(n_inputs, k_max)
    out = [np.array([weights.sum()])] + [np.zeros(len(last)) for _, last in tree]
    for start in range(0, len(weights), CHUNK):
        v, w = np.ascontiguousarray(values[start:start + CHUNK].T), weights[start:start + CHUNK]
        prod = None
        for k, (parent, last) in enumerate(tree, start=1):   # rows are multisets: gathers copy whole rows
            prod = v[last] if k == 1 else prod[parent] * v[last]
            out[k] += prod @ w
    return out


@lru_cache(maxsize=64)
def _moments_upto(activation, inputs_key, k_max, sw, sb, mw, mb, nodes):
    """[M_0, .., M_k_max] for inputs given as a tuple of tuples (cached: scripts ask again for every width)."""
    x = np.array(inputs_key, dtype=np.float64)
    mu, L = preactivations(x, sw, sb, mw, mb)
    if activation == "GaussNet":
        S = L @ L.T
        diag = sb**2 + sw**2 * (x**2).sum(1) / x.shape[1]        # the normaliser's S_aa, independent of means
        out = [np.ones(1)]
        for k in range(1, k_max + 1):                              # c: multiplicity of each input
            c = (multisets(len(x), k)[:, :, None] == np.arange(len(x))).sum(1).astype(np.float64)
            out.append(np.exp(c @ (mu - diag) + 0.5 * np.einsum("ma,ab,mb->m", c, S, c)))
        return out
    if activation == "Erf":
        if k_max > 6:
            raise UserError(f"exact Erf moments are implemented up to order 6 (cost grows like nodes^(k/2)), "
                            f"asked for {k_max}")
        S, out = L @ L.T, [np.ones(1)]
        for k in range(1, k_max + 1):
            ms = multisets(len(x), k)
            out += [np.concatenate([erf_moment(mu[c.T], S[c.T[:, None], c.T[None]], nodes or NODES["Erf"])
                                    for c in np.array_split(ms, -(-len(ms) // 512))])]  # bounded memory
        return out
    if mw != 0 or mb != 0:
        raise UserError("exact ReLU moments need zero means (mw = mb = 0): with a mean the integrand is not "
                        "homogeneous; use the Monte-Carlo ensembles instead")
    if L.shape[1] == 0:                                            # every pre-activation is identically zero
        return [np.ones(1)] + [np.zeros(len(multisets(len(x), k))) for k in range(1, k_max + 1)]
    theta, w = sphere_rule(L, L.shape[1], nodes or NODES["ReLU"])
    avg = _weighted_products(np.maximum(theta @ L.T, 0.0), w / w.sum(), k_max)
    return [a * r for a, r in zip(avg, chi_moments(k_max, L.shape[1]))]


def _check(activation, inputs, sw, sb):
    check_activation(activation)
    x = np.asarray(inputs, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or len(x) == 0 or not np.all(np.isfinite(x)):
        raise UserError(f"inputs must be a finite, non-empty (n_inputs, d_in) array, got shape {x.shape}")
    sb = default_sb(activation) if sb is None else sb
    if sw < 0 or sb < 0:
        raise UserError(f"sw and sb are standard deviations and must be >= 0, got sw = {sw}, sb = {sb}")
    return x, float(sw), float(sb)


def neuron_moments_upto(activation, inputs, k_max, sw=1.0, sb=None, mw=0.0, mb=0.0, nodes=None):
    """[M_0, .., M_k_max]: M_k (n_multisets,) = E[sigma(u_a1) .. sigma(u_ak)] over multisets(n_inputs, k)."""
    x, sw, sb = _check(activation, inputs, sw, sb)
    key = tuple(map(tuple, x))
    return [m.copy() for m in _moments_upto(activation, key, int(k_max), sw, sb, float(mw), float(mb), nodes)]


def neuron_moments(activation, inputs, k, sw=1.0, sb=None, mw=0.0, mb=0.0, nodes=None):
    """M(a1..ak) = E[prod_j sigma(u_aj)] for every sorted multiset of order k: (n_multisets,) float64.

    nodes: Gauss-Legendre nodes per interpolation level (Erf) or per piece (ReLU); default NODES."""
    return neuron_moments_upto(activation, inputs, k, sw, sb, mw, mb, nodes)[k]


# ---------------------------------------------------------------- moments <-> cumulants
def _partition_sum(values, n_inputs, n, coefficient, blocks_ok=lambda sizes: True):
    """sum_pi coefficient(|pi|) prod_{B in pi} values[|B|][id of the sub-multiset at B], per multiset of order n."""
    ms = multisets(n_inputs, n)
    out = np.zeros(len(ms))
    for pi in set_partitions(n):
        if blocks_ok([len(b) for b in pi]):
            out += coefficient(len(pi)) * np.prod([values[len(b)][sub_ids(ms, n_inputs, b)] for b in pi], axis=0)
    return out


def joint_cumulants(moments, n_inputs, n):
    """kappa(a1..an) = sum_pi (-1)^(|pi|-1) (|pi|-1)! prod_B E[B], from moments[k] of orders k <= n."""
    return _partition_sum(moments, n_inputs, n, lambda b: (-1) ** (b - 1) * math.factorial(b - 1))


def joint_moments(cumulants, n_inputs, n, max_block=None):
    """E[a1..an] = sum_pi prod_B kappa(B), from cumulants[k] of orders k <= n; max_block = 2 keeps the
    Gaussian part only (Wick's theorem with a mean)."""
    ok = (lambda sizes: max(sizes) <= max_block) if max_block else (lambda sizes: True)
    return _partition_sum(cumulants, n_inputs, n, lambda b: 1.0, ok)


def output_cumulants(M, width, n_inputs, sw, sb, mw, mb):
    """kappa_k(f) for k = 0..len(M)-1: N kappa_k(Y) + [k = 1] mb + [k = 2] sb^2, E[Y_B] = E[W1^|B|] M(B).

    width = math.inf (or None) gives the N -> infinity limit (exists for mw = 0): mean mb, covariance
    sb^2 + sw^2 M(ab), no higher cumulants."""
    k_max = len(M) - 1
    if width is None or math.isinf(width):
        if mw != 0:
            raise UserError("with mw != 0 the output mean mb + N mw E[sigma] grows with N: there is no N -> "
                            "infinity limit; give a finite width")
        kappa = [np.zeros_like(m) for m in M]
        kappa[1] = np.full_like(M[1], mb) if k_max >= 1 else None
        if k_max >= 2:
            kappa[2] = sb**2 + sw**2 * M[2]
        return kappa
    if width < 1:
        raise UserError(f"width must be >= 1, got {width}")
    ew = weight_moments(k_max, mw, sw / math.sqrt(width))
    y_moments = [ew[k] * M[k] for k in range(k_max + 1)]
    kappa = [np.zeros(1)] + [width * joint_cumulants(y_moments, n_inputs, k) for k in range(1, k_max + 1)]
    if k_max >= 1:
        kappa[1] = kappa[1] + mb
    if k_max >= 2:
        kappa[2] = kappa[2] + sb**2
    return kappa


# ---------------------------------------------------------------- the exact n-point functions
@dataclass
class ExactNPoint:
    """Exact n-point function of one order at one width, per sorted multiset (order of multisets(n_inputs, n))."""
    multisets: np.ndarray   # (n_multisets, n)
    gp: np.ndarray          # Gaussian process with the same mean and covariance (the paper's GP at mw = 0)
    full: np.ndarray        # G_n = E[f(x_a1) .. f(x_an)]
    connected: np.ndarray   # G_n^c = joint cumulant of f(x_a1) .. f(x_an)


def exact_npt(activation, inputs, width, n, sw=1.0, sb=None, mw=0.0, mb=0.0, nodes=None):
    """Exact GP, full and connected n-point functions at width N (math.inf or None: N = infinity).

    Full: E[f_a1..f_an] = sum_pi prod_B kappa_f(B); connected: kappa_f(a1..an); GP: the same sum over
    partitions into blocks of size <= 2 (Wick), which at mw = mb = 0 is correlators.gp_npoint(K, n)."""
    x, sw, sb = _check(activation, inputs, sw, sb)
    if int(n) != n or n < 1:
        raise UserError(f"n must be a positive integer, got {n}")
    M = neuron_moments_upto(activation, x, n, sw, sb, mw, mb, nodes)
    kappa = output_cumulants(M, width, len(x), sw, sb, mw, mb)
    return ExactNPoint(multisets(len(x), n), joint_moments(kappa, len(x), n, max_block=2),
                       joint_moments(kappa, len(x), n), kappa[n].copy())


# ---------------------------------------------------------------- can a Monte-Carlo estimate be trusted?
def _moments_from_cumulants_1d(kappa):
    """m_n = sum_{j=1..n} C(n-1, j-1) kappa_j m_(n-j), m_0 = 1 (one variable)."""
    m = [1.0]
    for n in range(1, len(kappa)):
        m.append(sum(math.comb(n - 1, j - 1) * kappa[j] * m[n - j] for j in range(1, n + 1)))
    return np.array(m)


def _cumulants_from_moments_1d(m):
    """kappa_n = m_n - sum_{j=1..n-1} C(n-1, j-1) kappa_j m_(n-j) (one variable)."""
    kappa = [0.0]
    for n in range(1, len(m)):
        kappa.append(m[n] - sum(math.comb(n - 1, j - 1) * kappa[j] * m[n - j] for j in range(1, n)))
    return np.array(kappa)


def diagonal_moments(activation, inputs, k_max, sw=1.0, sb=None, mw=0.0, mb=0.0, cut=math.inf, panels=48, q=20):
    """E[sigma(u_a)^k 1{|z_a| <= cut}], k = 0..k_max, per input, with u_a = mu_a + sqrt(S_aa) z_a: (n_inputs,
    k_max + 1); cut = inf gives the moments. Any means; used for high orders (the trust helper).

    GaussNet in closed form, exp(k (mu_a - S_aa) + k^2 S_aa / 2) [Phi(cut - k s) - Phi(-cut - k s)];
    ReLU and Erf by composite Gauss-Legendre over z in [-min(cut, 12), min(cut, 12)] split at the kink."""
    x, sw, sb = _check(activation, inputs, sw, sb)
    mu, L = preactivations(x, sw, sb, mw, mb)
    s = np.sqrt((L**2).sum(1))[:, None]
    k = np.arange(k_max + 1)
    if activation == "GaussNet":
        norm = lambda t: 0.5 * erfc(-t / math.sqrt(2))
        with np.errstate(over="ignore", invalid="ignore"):
            mass = norm(cut - k * s) - norm(-cut - k * s) if not math.isinf(cut) else 1.0
            return np.exp(k * (mu - sb**2 - sw**2 * (x**2).sum(1) / x.shape[1])[:, None] + k**2 * s**2 / 2) * mass
    c = min(cut, 12.0)
    kink = np.clip(np.divide(-mu[:, None], s, out=np.zeros_like(s), where=s > 0), -c, c)
    lo, hi = np.full_like(kink, -c), np.full_like(kink, c)
    edges = np.concatenate([np.linspace(lo, kink, panels + 1, axis=1)[..., 0],
                            np.linspace(kink, hi, panels + 1, axis=1)[:, 1:, 0]], axis=1)
    z, w = _gauss_legendre(edges[:, :-1], edges[:, 1:], q)                 # (n_inputs, pieces, q)
    u = mu[:, None, None] + s[:, :, None] * z
    sigma = np.maximum(u, 0) if activation == "ReLU" else erf(u)
    w = w * np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    return np.einsum("apq,apqk->ak", w, sigma[..., None] ** k)


def output_moments_1d(activation, inputs, width, k_max, sw=1.0, sb=None, mw=0.0, mb=0.0, cut=math.inf):
    """E[f(x_a)^k], k = 0..k_max, per input: (n_inputs, k_max + 1), exact, from kappa_k(f) = N kappa_k(Y) (+ b1)
    with the one-variable recursions (no set partitions, so k_max = 24 is cheap). cut < inf: every neuron's
    W1 and z_a restricted to within cut standard deviations (the ensemble that never sees rarer events)."""
    x, sw, sb = _check(activation, inputs, sw, sb)
    if width is None or math.isinf(width) or width < 1:
        raise UserError(f"need a finite width >= 1, got {width}")
    ew = weight_moments(k_max, mw, sw / math.sqrt(width), cut)
    out = []
    with np.errstate(over="ignore", invalid="ignore"):
        for M in diagonal_moments(activation, x, k_max, sw, sb, mw, mb, cut):   # one input at a time
            kappa = width * _cumulants_from_moments_1d(ew * M)
            kappa[1] += mb
            if k_max >= 2:
                kappa[2] += sb**2
            out.append(_moments_from_cumulants_1d(kappa))
    return np.array(out)


@dataclass
class MCTrust:
    """Whether a Monte-Carlo estimate of G_n from n_models networks can be trusted, per input and element."""
    cut: float                 # neuron events beyond cut standard deviations are expected < once in the ensemble
    bias: np.ndarray           # (n_inputs,) |E[f^n] - E_cut[f^n]|: the part of G_n(a..a) carried by unseen events
    se_diag: np.ndarray        # (n_inputs,) typical standard error of the estimate of E[f(x_a)^n]
    var_rel_err: np.ndarray    # (n_inputs,) typical relative standard error of the sample variance of f(x_a)^n
    trusted: np.ndarray        # (n_multisets,) bool, every input of the element trusted


def mc_trust(activation, inputs, width, n, n_models, sw=1.0, sb=None, mw=0.0, mb=0.0, tol=0.5):
    """Flags n-point estimates that n_models networks cannot measure (e.g. lognormal GaussNet tails), from exact
    moments of a truncated ensemble (no sampling; a criterion, not a theorem).

    The full moments of P = f(x_a)^n are useless here: with heavy tails E[P^2] is carried by events no
    ensemble ever contains. Instead take the events the ensemble does contain: its N n_models neurons
    almost never have W1 or z_a beyond the cut with 2 Phi(-cut) = 1 / (N n_models); E_cut below keeps
    only neurons within it (output_moments_1d with cut). An input is trusted when
      bias = |E[P] - E_cut[P]| <= se_diag = sqrt(Var_cut(P) / n_models)
        (the unseen tail moves G_n by less than one typical error bar), and
      var_rel_err = sqrt((E_cut[(P - E P)^4] / Var_cut(P)^2 - 1) / n_models) <= tol
        (the sample error bar is itself right to about tol / 2; default 0.5),
    and an element when all its inputs are (the diagonal has the heaviest tails). Overflow: untrusted."""
    cut = float(-ndtri(0.5 / (width * n_models)))
    exact = output_moments_1d(activation, inputs, width, n, sw, sb, mw, mb)[:, n]
    m = output_moments_1d(activation, inputs, width, 4 * n, sw, sb, mw, mb, cut)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        mean, p2, p3, p4 = m[:, n], m[:, 2 * n], m[:, 3 * n], m[:, 4 * n]
        var = p2 - mean**2
        central4 = p4 - 4 * p3 * mean + 6 * p2 * mean**2 - 3 * mean**4
        var_rel = np.sqrt(np.maximum(central4 / var**2 - 1, 0) / n_models)
        se, bias = np.sqrt(np.maximum(var, 0) / n_models), np.abs(exact - mean)
        ok = np.isfinite(var_rel) & np.isfinite(bias) & (var_rel <= tol) & (bias <= se)
    ms = multisets(len(m), n)
    return MCTrust(cut, bias, se, np.where(np.isfinite(var_rel), var_rel, np.inf), ok[ms].all(1))
