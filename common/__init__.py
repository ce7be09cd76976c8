"""Shared package of the nn-qft suite: kernels, ensembles, correlators, exact theory, integrals, I/O."""
