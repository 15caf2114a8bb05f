# mistake: db_gamma and db_beta average over the batch instead of summing
# caught-by: examples, hidden, gradcheck
# diagnosis: averaged over the \d+ rows instead of summed
import numpy as np


def conditional_layernorm_forward(x, c, W_gamma, b_gamma, W_beta, b_beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = (xc ** 2).mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    x_hat = xc * rstd
    gamma = c @ W_gamma + b_gamma
    beta = c @ W_beta + b_beta
    y = gamma * x_hat + beta
    cache = {"x_hat": x_hat, "rstd": rstd, "c": c, "gamma": gamma, "W_gamma": W_gamma, "W_beta": W_beta}
    return y, cache


def conditional_layernorm_backward(dy, cache):
    x_hat, rstd, c = cache["x_hat"], cache["rstd"], cache["c"]
    gamma, W_gamma, W_beta = cache["gamma"], cache["W_gamma"], cache["W_beta"]
    dgamma = dy * x_hat
    dbeta = dy
    dW_gamma = c.T @ dgamma
    db_gamma = dgamma.mean(axis=0)
    dW_beta = c.T @ dbeta
    db_beta = dbeta.mean(axis=0)
    dc = dgamma @ W_gamma.T + dbeta @ W_beta.T
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
    return dx, dc, dW_gamma, db_gamma, dW_beta, db_beta
