# variant: CS231n's staged computational graph, one node per line forward and backward, with a dict cache
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    D = x.shape[1]
    mu = 1.0 / D * np.sum(x, axis=1, keepdims=True)          # node 1
    xmu = x - mu                                              # node 2
    sq = xmu ** 2                                             # node 3
    var = 1.0 / D * np.sum(sq, axis=1, keepdims=True)         # node 4
    sqrtvar = np.sqrt(var + eps)                              # node 5
    ivar = 1.0 / sqrtvar                                      # node 6
    xhat = xmu * ivar                                         # node 7
    out = gamma * xhat + beta                                 # node 8
    cache = {"xhat": xhat, "gamma": gamma, "xmu": xmu, "ivar": ivar, "sqrtvar": sqrtvar, "var": var, "eps": eps}
    return out, cache


def layernorm_backward(dout, cache):
    xhat, gamma, xmu, ivar = cache["xhat"], cache["gamma"], cache["xmu"], cache["ivar"]
    sqrtvar, var, eps = cache["sqrtvar"], cache["var"], cache["eps"]
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=0)                              # node 8
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=1, keepdims=True)        # node 7
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / sqrtvar ** 2 * divar                    # node 6
    dvar = 0.5 / np.sqrt(var + eps) * dsqrtvar                # node 5
    dsq = 1.0 / D * np.ones_like(dout) * dvar                 # node 4
    dxmu2 = 2 * xmu * dsq                                     # node 3
    dx1 = dxmu1 + dxmu2                                       # node 2
    dmu = -np.sum(dxmu1 + dxmu2, axis=1, keepdims=True)
    dx2 = 1.0 / D * np.ones_like(dout) * dmu                  # node 1
    return dx1 + dx2, dgamma, dbeta
