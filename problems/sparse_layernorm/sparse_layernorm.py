"""LayerNorm of sparse (CSR) rows in O(nnz + N + D). The spec is README.md in this folder; grade with
`grade sparse_layernorm`."""

import numpy as np


def sparse_layernorm_forward(data, indices, indptr, D, gamma, beta, eps=1e-5):
    """LayerNorm of each CSR row over all D columns, the implicit zeros included, without densifying.

    data, indices: (nnz,); indptr: (N + 1,); gamma, beta: (D,). eps goes inside the square root.
    Returns (out_data, mu, rstd, cache): out_data (nnz,) is the output at the stored positions, in CSR
    order; mu and rstd (N,) are each row's mean and 1/sqrt(var + eps), which give the output at every
    implicit zero: gamma_j * (-mu_i * rstd_i) + beta_j. All in data's dtype.
    """
    raise NotImplementedError


def sparse_layernorm_backward(d_out, cache):
    """Gradients with respect to data, gamma and beta, given d_out = dL/dout_data of shape (nnz,).

    The loss sees the stored positions only (its gradient is 0 at every implicit position).
    Returns (d_data, dgamma, dbeta): d_data is (nnz,); dgamma and dbeta are (D,).
    """
    raise NotImplementedError


def sparse_layernorm_to_dense(out_data, mu, rstd, indices, indptr, gamma, beta):
    """The dense (N, D) output: gamma_j * (-mu_i * rstd_i) + beta_j everywhere, out_data at the stored positions."""
    raise NotImplementedError
