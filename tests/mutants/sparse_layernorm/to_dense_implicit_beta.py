# mistake: to_dense fills the implicit positions with beta (as if an implicit zero normalized to 0)
# caught-by: examples, hidden
# diagnosis: hold beta
import numpy as np


def sparse_layernorm_forward(data, indices, indptr, D, gamma, beta, eps=1e-5):
    N = len(indptr) - 1
    nnz_per_row = np.diff(indptr)
    row_of = np.repeat(np.arange(N), nnz_per_row)
    row_sum = np.bincount(row_of, weights=data, minlength=N)
    mu = row_sum / D
    diff = data - mu[row_of]
    sq = np.bincount(row_of, weights=diff ** 2, minlength=N)
    var = (sq + (D - nnz_per_row) * mu ** 2) / D
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = diff * rstd[row_of]
    out_data = gamma[indices] * x_hat + beta[indices]
    cache = {"x_hat": x_hat, "rstd": rstd, "row_of": row_of, "indices": indices, "gamma": gamma, "N": N, "D": D}
    return out_data.astype(data.dtype), mu.astype(data.dtype), rstd.astype(data.dtype), cache


def sparse_layernorm_backward(d_out, cache):
    x_hat, rstd, row_of = cache["x_hat"], cache["rstd"], cache["row_of"]
    indices, gamma, N, D = cache["indices"], cache["gamma"], cache["N"], cache["D"]
    dbeta = np.bincount(indices, weights=d_out, minlength=D)
    dgamma = np.bincount(indices, weights=d_out * x_hat, minlength=D)
    dxhat = d_out * gamma[indices]
    s1 = np.bincount(row_of, weights=dxhat, minlength=N)
    s2 = np.bincount(row_of, weights=dxhat * x_hat, minlength=N)
    d_data = rstd[row_of] / D * (D * dxhat - s1[row_of] - x_hat * s2[row_of])
    return d_data.astype(d_out.dtype), dgamma.astype(d_out.dtype), dbeta.astype(d_out.dtype)


def sparse_layernorm_to_dense(out_data, mu, rstd, indices, indptr, gamma, beta):
    N = len(indptr) - 1
    y = np.tile(beta, (N, 1))
    for i in range(N):
        cols = indices[indptr[i]:indptr[i + 1]]
        y[i, cols] = out_data[indptr[i]:indptr[i + 1]]
    return y
