# variant: slow but correct: Python loops over images, over real tokens and over time steps (1-D vectors), dict caches
# speed: ^not vectorized
import numpy as np


def _norm_vector(v, eps):
    mu = v.sum() / v.size
    c = v - mu
    var = (c * c).sum() / v.size
    rstd = 1.0 / np.sqrt(var + eps)
    return c * rstd, rstd


def _vector_backward(g, x_hat, rstd):
    n = g.size
    return rstd / n * (n * g - g.sum() - x_hat * (g * x_hat).sum())


def image_layernorm_forward(x, gamma, beta, eps=1e-5):
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    rstd = []
    for n in range(x.shape[0]):
        flat, r = _norm_vector(x[n].ravel(), eps)
        x_hat[n] = flat.reshape(x[n].shape)
        rstd.append(r)
        for c in range(x.shape[1]):
            out[n, c] = gamma[c] * x_hat[n, c] + beta[c]
    return out, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def image_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    dx = np.empty_like(dout)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    for n in range(dout.shape[0]):
        g = np.empty_like(dout[n])
        for c in range(dout.shape[1]):
            dbeta[c] += dout[n, c].sum()
            dgamma[c] += (dout[n, c] * x_hat[n, c]).sum()
            g[c] = dout[n, c] * gamma[c]
        dx[n] = _vector_backward(g.ravel(), x_hat[n].ravel(), rstd[n]).reshape(g.shape)
    return dx, dgamma, dbeta


def text_layernorm_forward(x, gamma, beta, mask, eps=1e-5):
    out = np.zeros_like(x)
    x_hat = np.zeros_like(x)
    rstd = {}
    for n in range(x.shape[0]):
        for t in range(x.shape[1]):
            if mask[n, t]:
                x_hat[n, t], rstd[n, t] = _norm_vector(x[n, t], eps)
                out[n, t] = gamma * x_hat[n, t] + beta
    return out, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def text_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    dx = np.zeros_like(dout)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    for (n, t), r in rstd.items():
        dbeta += dout[n, t]
        dgamma += dout[n, t] * x_hat[n, t]
        dx[n, t] = _vector_backward(dout[n, t] * gamma, x_hat[n, t], r)
    return dx, dgamma, dbeta


def timeseries_layernorm_forward(x, gamma, beta, eps=1e-5):
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    rstd = np.empty(x.shape[:2], dtype=x.dtype)
    for n in range(x.shape[0]):
        for t in range(x.shape[1]):
            x_hat[n, t], rstd[n, t] = _norm_vector(x[n, t], eps)
            out[n, t] = gamma * x_hat[n, t] + beta
    return out, {"x_hat": x_hat, "rstd": rstd, "gamma": gamma}


def timeseries_layernorm_backward(dout, cache):
    x_hat, rstd, gamma = cache["x_hat"], cache["rstd"], cache["gamma"]
    dx = np.empty_like(dout)
    dgamma = np.zeros_like(gamma)
    dbeta = np.zeros_like(gamma)
    for n in range(dout.shape[0]):
        for t in range(dout.shape[1]):
            dbeta += dout[n, t]
            dgamma += dout[n, t] * x_hat[n, t]
            dx[n, t] = _vector_backward(dout[n, t] * gamma, x_hat[n, t], rstd[n, t])
    return dx, dgamma, dbeta
