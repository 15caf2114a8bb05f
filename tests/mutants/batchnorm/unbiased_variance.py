# mistake: column variance with ddof=1 (divide by N-1), like pandas / torch.var's default
# caught-by: examples, hidden
# diagnosis: ddof=1
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    std = np.sqrt(x.var(axis=0, ddof=1) + eps)
    x_norm = (x - mean) / std
    out = gamma * x_norm + beta
    return out, {"x_norm": x_norm, "std": std, "gamma": gamma}


def batchnorm_backward(dout, cache):
    x_norm, std, gamma = cache["x_norm"], cache["std"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_norm).sum(axis=0)
    dx_norm = dout * gamma
    # the candidate's own derivative of var = sum(xc^2) / (N - 1)
    dx = (dx_norm - dx_norm.mean(axis=0) - x_norm * (dx_norm * x_norm).sum(axis=0) / (N - 1)) / std
    return dx, dgamma, dbeta
