# mistake: variance as E[x^2] - E[x]^2, which cancels catastrophically when the mean is large
# caught-by: hidden
# diagnosis: cancels catastrophically
import numpy as np


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.gamma = np.ones(self.normalized_shape)
        self.beta = np.zeros(self.normalized_shape)
        self.cache = None

    def forward(self, x):
        axes = tuple(range(x.ndim - len(self.normalized_shape), x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = (x * x).mean(axis=axes, keepdims=True) - mu * mu
        rstd = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mu) * rstd
        self.cache = (x_hat, rstd, axes, self.gamma)
        return x_hat * self.gamma + self.beta

    def backward(self, dout):
        x_hat, rstd, axes, gamma = self.cache
        lead = tuple(range(dout.ndim - len(axes)))
        dbeta = dout.sum(axis=lead)
        dgamma = (dout * x_hat).sum(axis=lead)
        dxhat = dout * gamma
        dx = rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=axes, keepdims=True))
        return dx, dgamma, dbeta
