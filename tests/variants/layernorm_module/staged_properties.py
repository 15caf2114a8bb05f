# variant: gamma and beta are properties over a params dict; staged CS231n-style backprop (dvar, dmu) over an axes tuple
import numpy as np


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        shape = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
        self.params = {"gamma": np.ones(shape), "beta": np.zeros(shape)}
        self.eps = eps
        self.axes_count = len(shape)
        self.cache = {}

    @property
    def gamma(self):
        return self.params["gamma"]

    @gamma.setter
    def gamma(self, value):
        self.params["gamma"] = np.asarray(value)

    @property
    def beta(self):
        return self.params["beta"]

    @beta.setter
    def beta(self, value):
        self.params["beta"] = np.asarray(value)

    def forward(self, x):
        axes = tuple(range(x.ndim - self.axes_count, x.ndim))
        n = int(np.prod([x.shape[a] for a in axes]))
        mu = np.sum(x, axis=axes, keepdims=True) / n
        xmu = x - mu
        sq = xmu ** 2
        var = np.sum(sq, axis=axes, keepdims=True) / n
        sqrtvar = np.sqrt(var + self.eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        self.cache = {"xhat": xhat, "xmu": xmu, "ivar": ivar, "sqrtvar": sqrtvar, "var": var,
                      "gamma": self.gamma, "axes": axes, "n": n}
        return self.gamma * xhat + self.beta

    def backward(self, dout):
        c = self.cache
        axes, n = c["axes"], c["n"]
        lead = tuple(range(dout.ndim - len(axes)))
        dbeta = np.sum(dout, axis=lead)
        dgamma = np.sum(dout * c["xhat"], axis=lead)
        dxhat = dout * c["gamma"]
        divar = np.sum(dxhat * c["xmu"], axis=axes, keepdims=True)
        dxmu1 = dxhat * c["ivar"]
        dsqrtvar = -1.0 / (c["sqrtvar"] ** 2) * divar
        dvar = 0.5 / np.sqrt(c["var"] + self.eps) * dsqrtvar
        dsq = np.ones_like(dout) / n * dvar
        dxmu2 = 2 * c["xmu"] * dsq
        dx1 = dxmu1 + dxmu2
        dmu = -np.sum(dx1, axis=axes, keepdims=True)
        dx2 = np.ones_like(dout) / n * dmu
        return dx1 + dx2, dgamma, dbeta
