"""Ensembles of single-hidden-layer networks f(x) = b1 + sum_i W1_i sigma(W0_i.x + b0_i) (paper Sec. 2).

W0_i ~ Normal(mw, sw^2/d_in) per component, b0_i ~ Normal(mb, sb^2), W1_i ~ Normal(mw, sw^2/N),
b1 ~ Normal(mb, sb^2). Models are drawn as batched tensors, a chunk at a time, so peak memory is set by
the chunk size and not by the number of models. Randomness comes in fixed blocks of BLOCK models, each
with its own generator seeded from (seed, width, block index): model i is the same whatever the chunk
size, the number of models or the process that draws it, so generation can be sharded and resumed."""
import math

import numpy as np
import torch
from tqdm import tqdm

from common.errors import UserError
from common.kernels import check_activation, default_sb

BLOCK = 1024            # models per independently seeded block
CHUNK_ELEMENTS = 2**21  # default chunk: about this many pre-activations (models x width x inputs) at once;
                        # small enough to stay in cache, which measured faster than larger chunks


def generator(seed, width, block, device="cpu"):
    """One random stream per fixed block of models: chunking and sharding never change a model."""
    state = np.random.SeedSequence([seed, width, block]).generate_state(2, dtype=np.uint32)
    return torch.Generator(device=device).manual_seed(int(state[0]) << 32 | int(state[1]))


def gaussnet_normaliser(xs, sw, sb):
    """1 / sqrt(E[exp(2u)]) = exp(-S_xx), S_xx = sb^2 + sw^2 |x|^2 / d_in (no division of sb^2 by d_in)."""
    xs = np.asarray(xs, dtype=np.float64)
    return np.exp(-(sb**2 + sw**2 * (xs**2).sum(1) / xs.shape[1]))


def check_device(device):
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {device}: CUDA is not available on this machine (use --device cpu)")
    try:
        return torch.device(device)
    except RuntimeError:
        raise UserError(f"--device {device!r}: not a torch device (cpu, cuda, cuda:1, ...)") from None


def default_chunk(width, n_inputs):
    """Models per chunk: about CHUNK_ELEMENTS pre-activations, in whole blocks."""
    return BLOCK * max(1, CHUNK_ELEMENTS // (BLOCK * width * max(n_inputs, 1)))


class _Chunk:
    """Work buffers for one chunk of models, allocated once and reused (fresh large tensors page-fault)."""

    def __init__(self, n_models, width, d_in, n_inputs, has_bias, device, dtype):
        new = lambda *shape: torch.empty(*shape, device=device, dtype=dtype)
        self.w0, self.w1, self.u, self.f = new(n_models, width, d_in), new(n_models, width), \
            new(n_models, width, n_inputs), new(n_models, 1, n_inputs)
        self.b0, self.b1 = (new(n_models, width), new(n_models)) if has_bias else (None, None)

    def draw(self, n_blocks, first_block, seed, device):
        """Standard-normal draws for n_blocks whole blocks, each block from its own stream, in a fixed order."""
        width = self.w1.shape[1]
        for j in range(n_blocks):          # a loop over blocks of models, one batched draw per tensor
            g, s = generator(seed, width, first_block + j, device), slice(j * BLOCK, (j + 1) * BLOCK)
            for t in (self.w0, self.b0, self.w1, self.b1):
                if t is not None and t.dtype == torch.float32:
                    t[s].normal_(generator=g)
                elif t is not None:   # a wider compute dtype: the same float32 draws, so the same models
                    t[s].copy_(torch.empty(t[s].shape, device=device).normal_(generator=g))

    def forward(self, activation, n, xs_t, norm_t, sw, sb, mw, mb):
        """f = b1 + W1.sigma(W0 x + b0) for the first n models of the chunk -> (n, n_inputs) view."""
        width, d_in = self.w0.shape[1:]
        w0, w1, u, f = self.w0[:n], self.w1[:n], self.u[:n], self.f[:n]
        w0.mul_(sw / math.sqrt(d_in)).add_(mw)
        w1.mul_(sw / math.sqrt(width)).add_(mw)
        if d_in == 1:
            torch.mul(w0, xs_t.T, out=u)
        else:
            torch.matmul(w0, xs_t.T, out=u)
        if self.b0 is not None:
            u += self.b0[:n, :, None].mul_(sb).add_(mb)
        elif mb:
            u += mb
        if activation == "ReLU":
            u.relu_()
        elif activation == "Erf":
            u.erf_()
        else:
            u.exp_()
        torch.bmm(w1[:, None, :], u, out=f)
        f = f[:, 0, :]
        if activation == "GaussNet":
            f *= norm_t
        return f.add_(self.b1[:n, None].mul_(sb).add_(mb) if self.b1 is not None else mb)


def sample_outputs(activation, xs, width, n_models, seed=0, sw=1.0, sb=None, mw=0.0, mb=0.0,
                   chunk_size=None, device="cpu", dtype=torch.float32, progress=False):
    """Outputs f(x_a) of n_models independent networks of the given width: (n_models, n_inputs) tensor.

    Standard normals are drawn in float32 and the network is evaluated in `dtype` (float32 by default;
    float64 gives the same models at higher precision) on `device`, a chunk at a time (chunk_size models,
    rounded up to whole blocks); the result is returned on the CPU."""
    check_activation(activation)
    sb = default_sb(activation) if sb is None else float(sb)
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 2 or len(xs) == 0:
        raise UserError(f"inputs must be a non-empty (n_inputs, d_in) array, got shape {xs.shape}")
    if int(width) < 1:
        raise UserError(f"width must be a positive integer, got {width}")
    if int(n_models) < 1:
        raise UserError(f"n_models must be a positive integer, got {n_models}")
    if sw < 0 or sb < 0:
        raise UserError(f"sw and sb are standard deviations and must be >= 0, got sw = {sw}, sb = {sb}")
    device = check_device(device)
    width, n_models = int(width), int(n_models)
    chunk = default_chunk(width, len(xs)) if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise UserError(f"chunk size must be positive, got {chunk_size}")
    blocks_per_chunk = -(-chunk // BLOCK)
    xs_t = torch.as_tensor(xs, dtype=dtype, device=device)
    norm_t = torch.as_tensor(gaussnet_normaliser(xs, sw, sb), dtype=dtype, device=device)
    out = torch.empty(n_models, len(xs), dtype=dtype)
    n_blocks = -(-n_models // BLOCK)
    work = _Chunk(min(blocks_per_chunk, n_blocks) * BLOCK, width, xs.shape[1], len(xs), sb != 0, device, dtype)
    bar = tqdm(total=n_models, unit="model", unit_scale=True, desc=f"N={width}", disable=not progress,
               leave=False)
    with torch.no_grad(), bar:
        for first in range(0, n_blocks, blocks_per_chunk):
            nb = min(blocks_per_chunk, n_blocks - first)
            work.draw(nb, first, seed, device)
            start, stop = first * BLOCK, min((first + nb) * BLOCK, n_models)
            out[start:stop] = work.forward(activation, nb * BLOCK, xs_t, norm_t, sw, sb, mw, mb)[:stop - start]
            bar.update(stop - start)
    return out
