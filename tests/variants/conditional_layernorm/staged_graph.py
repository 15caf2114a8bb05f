# variant: CS231n-style staged backprop through every node of the graph (xmu, sq, var, sqrtvar, ivar, xhat), cache as a tuple
import numpy as np


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    N, D = x.shape
    mu = 1.0 / D * np.sum(x, axis=1, keepdims=True)
    xmu = x - mu
    sq = xmu ** 2
    var = 1.0 / D * np.sum(sq, axis=1, keepdims=True)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    gamma = np.dot(c, W_gamma) + b_gamma
    beta = np.dot(c, W_beta) + b_beta
    gammax = gamma * xhat
    out = gammax + beta
    cache = (xhat, xmu, ivar, sqrtvar, var, eps, c, W_gamma, W_beta, gamma)
    return out, cache


def conditional_layernorm_backward(dy, cache):
    xhat, xmu, ivar, sqrtvar, var, eps, c, W_gamma, W_beta, gamma = cache
    N, D = dy.shape
    dbeta_rows = dy
    dgammax = dy
    dgamma_rows = dgammax * xhat
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=1, keepdims=True)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / D * np.ones((N, D), dtype=dy.dtype) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=1, keepdims=True)
    dx2 = 1.0 / D * np.ones((N, D), dtype=dy.dtype) * dmu
    dx = dx1 + dx2
    dW_gamma = np.einsum("nk,nd->kd", c, dgamma_rows)
    db_gamma = np.sum(dgamma_rows, axis=0)
    dW_beta = np.einsum("nk,nd->kd", c, dbeta_rows)
    db_beta = np.sum(dbeta_rows, axis=0)
    dc = np.einsum("nd,kd->nk", dgamma_rows, W_gamma) + np.einsum("nd,kd->nk", dbeta_rows, W_beta)
    return dx, dc, dW_gamma, db_gamma, dW_beta, db_beta
