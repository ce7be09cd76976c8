"""n-point functions over sorted index multisets: combinatorics, GP (Wick) values, streamed estimators.

An n-point function of n_inputs points is symmetric, so it is computed once per sorted multiset
i1 <= ... <= in (462 of them for 6 inputs at n = 6) and expanded to the full n_inputs^n tensor only
for display. Estimators stream over chunks of models with memory O(number of multisets) and keep the
ensemble split into k equal sub-ensembles (the paper's background) plus the standard error."""
import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from common.errors import UserError

N_SUB = 10  # sub-ensembles of the paper's background estimate


# ---------------------------------------------------------------- combinatorics
@lru_cache(maxsize=None)
def _multisets(n_inputs, n):
    combos = list(itertools.combinations_with_replacement(range(n_inputs), n))
    return np.array(combos, dtype=np.int64).reshape(len(combos), n)


def multisets(n_inputs, n):
    """All sorted multisets i1 <= ... <= in of range(n_inputs), in lexicographic order: (n_multisets, n) int64."""
    if n_inputs < 1 or n < 0:
        raise UserError(f"need n_inputs >= 1 and n >= 0, got {n_inputs} and {n}")
    return _multisets(n_inputs, n).copy()


def multiset_ids(tuples, n_inputs):
    """Row index in multisets(n_inputs, n) of each index tuple (..., n), in any order of its entries."""
    tuples = np.sort(np.asarray(tuples, dtype=np.int64), axis=-1)
    n = tuples.shape[-1]
    weights = n_inputs ** np.arange(n - 1, -1, -1, dtype=np.int64)
    codes = _multisets(n_inputs, n) @ weights            # increasing: lexicographic order
    return np.searchsorted(codes, tuples @ weights)


def expand(values, n_inputs, n):
    """Per-multiset values (..., n_multisets) -> full symmetric tensor (..., n_inputs, ..., n_inputs)."""
    values = np.asarray(values)
    full = np.array(list(itertools.product(range(n_inputs), repeat=n)), dtype=np.int64).reshape(-1, n)
    return values[..., multiset_ids(full, n_inputs)].reshape(values.shape[:-1] + (n_inputs,) * n)


def to_multisets(tensor, n):
    """Full symmetric tensor (..., n_inputs^n) -> its per-multiset values (..., n_multisets)."""
    tensor = np.asarray(tensor)
    ms = _multisets(tensor.shape[-1], n)
    return tensor[(Ellipsis,) + tuple(ms.T)]


@lru_cache(maxsize=None)
def pairings(n):
    """The (n-1)!! perfect pairings of range(n), each a tuple of pairs (Wick contractions)."""
    if n % 2:
        raise UserError(f"n-point functions of a free theory need even n, got {n}")
    if n == 0:
        return ((),)
    out = []
    for j in range(1, n):
        rest = [i for i in range(1, n) if i != j]
        out += [((0, j),) + tuple((rest[a], rest[b]) for a, b in p) for p in pairings(n - 2)]
    return tuple(out)


@lru_cache(maxsize=None)
def set_partitions(n):
    """All set partitions of range(n), each a tuple of blocks (tuples); Bell(n) of them."""
    if n == 0:
        return ((),)
    out = []
    for p in set_partitions(n - 1):
        out.append(p + ((n - 1,),))
        for i in range(len(p)):
            out.append(p[:i] + (p[i] + (n - 1,),) + p[i + 1:])
    return tuple(out)


def splits(n, k):
    """Ways to split range(n) into a k-set and the rest: tuples (k-set, rest). 15 for (6, 4)."""
    return tuple((c, tuple(i for i in range(n) if i not in c)) for c in itertools.combinations(range(n), k))


def sub_ids(ms, n_inputs, positions):
    """For multisets ms (M, n), the multiset id of the sub-tuple at `positions` in each row: (M,)."""
    return multiset_ids(ms[:, list(positions)], n_inputs)


def gp_npoint(K, n):
    """GP n-point function by Wick contraction for every sorted multiset: sum over pairings of prod K.

    K: (n_inputs, n_inputs) kernel. Returns (n_multisets,) float64."""
    K = np.asarray(K, dtype=np.float64)
    ms = _multisets(K.shape[0], n)
    out = np.zeros(len(ms))
    for p in pairings(n):
        out += np.prod([K[ms[:, a], ms[:, b]] for a, b in p], axis=0) if p else 1.0
    return out


def connected_six(g2, g4, g6, n_inputs):
    """G6c = G6 - sum_15 G4 G2 + 2 sum_15 G2 G2 G2 (zero-mean fields), per multiset, any leading axes.

    g2, g4, g6: (..., n_multisets at n = 2, 4, 6); returns (..., n_multisets at n = 6)."""
    ms = _multisets(n_inputs, 6)
    g2, g4, g6 = (np.asarray(g) for g in (g2, g4, g6))
    out = g6.astype(np.float64).copy()
    for four, pair in splits(6, 4):
        out -= g4[..., sub_ids(ms, n_inputs, four)] * g2[..., sub_ids(ms, n_inputs, pair)]
    for p in pairings(6):
        out += 2 * np.prod([g2[..., sub_ids(ms, n_inputs, pair)] for pair in p], axis=0)
    return out


# ---------------------------------------------------------------- estimators
@dataclass
class NPoint:
    """Empirical n-point function of one order: per multiset, over the whole ensemble and per sub-ensemble."""
    mean: np.ndarray        # (n_multisets,)
    se: np.ndarray          # (n_multisets,) standard error of the mean
    sub: np.ndarray         # (n_sub, n_multisets) each sub-ensemble's estimate


def product_tree(n_inputs, k_max):
    """For orders k = 1..k_max: (parent, last) per sorted multiset, so that the product over a multiset is the
    product over its parent (the multiset of order k-1 without the last index; id 0 at k = 1) times x[last]."""
    tree = []
    for k in range(1, k_max + 1):
        ms = _multisets(n_inputs, k)
        parent = multiset_ids(ms[:, :-1], n_inputs) if k > 1 else np.zeros(len(ms), dtype=np.int64)
        tree.append((parent, ms[:, -1].copy()))
    return tree


def _half_products(x, tree):
    """Products over every sorted multiset of order j = 0..len(tree) for a chunk x (models, n_inputs)."""
    prods = [torch.ones(len(x), 1, dtype=x.dtype)]
    for parent, last in tree:
        prods.append(prods[-1][:, parent] * x[:, last])
    return prods


def npoint_stats(f, max_n=6, n_sub=N_SUB, chunk_size=2**15):
    """Empirical G_k, k = 1..max_n, for every sorted multiset, streamed over chunks of models in float64.

    f: (n_models, n_inputs) outputs (numpy or torch). Sums over models are Gram matrices: the sum of the
    order-k products is P_a^T P_b with P_j the products over order-j multisets (a = k // 2, b = k - a), and
    the sum of their squares is (P_a^2)^T (P_b^2) -- a few BLAS calls per chunk instead of one pass per
    multiset. Models are split into n_sub equal consecutive sub-ensembles (the paper's background); the
    standard error is that of the whole mean. Memory: chunk_size x (multisets of order max_n / 2).
    Returns {k: NPoint}."""
    f = torch.as_tensor(f)
    n_models, n_inputs = f.shape
    if max_n < 1:
        raise UserError(f"max_n must be >= 1, got {max_n}")
    if n_models < 2 * n_sub:
        raise UserError(f"need at least {2 * n_sub} models for {n_sub} sub-ensembles, got {n_models}")
    tree = [(torch.from_numpy(parent), torch.from_numpy(last))
            for parent, last in product_tree(n_inputs, -(-max_n // 2))]
    size = [1] + [len(parent) for parent, _ in tree]          # multisets of order 0..half
    split = {k: (k // 2, k - k // 2) for k in range(1, max_n + 1)}
    sums = {k: torch.zeros(n_sub, size[a], size[b], dtype=torch.float64) for k, (a, b) in split.items()}
    sumsq = {k: torch.zeros_like(s) for k, s in sums.items()}
    bounds = [(g * n_models // n_sub, (g + 1) * n_models // n_sub) for g in range(n_sub)]
    for g, (lo, hi) in enumerate(bounds):
        for start in range(lo, hi, chunk_size):
            x = f[start:min(start + chunk_size, hi)].to(torch.float64)
            prods = _half_products(x, tree)
            squares = [p * p for p in prods]
            for k, (a, b) in split.items():
                sums[k][g] += prods[a].T @ prods[b]
                sumsq[k][g] += squares[a].T @ squares[b]
    counts = torch.tensor([hi - lo for lo, hi in bounds], dtype=torch.float64)
    out = {}
    for k, (a, b) in split.items():
        ms = _multisets(n_inputs, k)
        ia = torch.from_numpy(multiset_ids(ms[:, :a], n_inputs) if a else np.zeros(len(ms), dtype=np.int64))
        ib = torch.from_numpy(multiset_ids(ms[:, a:], n_inputs))
        s, sq = sums[k][:, ia, ib], sumsq[k][:, ia, ib]
        mean = s.sum(0) / n_models
        var = (sq.sum(0) / n_models - mean**2).clamp_min(0) * n_models / (n_models - 1)
        out[k] = NPoint(mean.numpy(), (var / n_models).sqrt().numpy(), (s / counts[:, None]).numpy())
    return out


def deviation(g_exp, g_ref):
    """The paper's signal m_n = mean over multisets of |G_exp - G_ref| / |G_ref|."""
    return float(np.mean(np.abs(np.asarray(g_exp) - g_ref) / np.abs(g_ref)))


def background(sub, g_ref):
    """The paper's background: mean over multisets of (std across sub-ensemble estimates) / |G_ref|."""
    return float(np.mean(np.std(sub, axis=0, ddof=1) / np.abs(g_ref)))
