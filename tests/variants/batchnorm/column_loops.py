# variant: slow but correct: a Python loop over the columns, each normalized as a 1-D vector
# speed: ^not vectorized: [\d.]+× the reference at 16×4096, .*\(a loop over columns\?\)
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    n, d = x.shape
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    rstd = np.empty(d, dtype=x.dtype)
    for j in range(d):
        col = x[:, j]
        c = col - col.mean()
        rstd[j] = 1.0 / np.sqrt(np.dot(c, c) / n + eps)
        x_hat[:, j] = c * rstd[j]
        out[:, j] = gamma[j] * x_hat[:, j] + beta[j]
    return out, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    n, d = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(d, dtype=dout.dtype)
    dbeta = np.empty(d, dtype=dout.dtype)
    for j in range(d):
        g = dout[:, j]
        h = x_hat[:, j]
        dbeta[j] = g.sum()
        dgamma[j] = np.dot(g, h)
        dx[:, j] = gamma[j] * rstd[j] / n * (n * g - dbeta[j] - h * dgamma[j])
    return dx, dgamma, dbeta
