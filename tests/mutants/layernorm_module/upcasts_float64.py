# mistake: converts x to float64 first, so float32 input comes back float64
# caught-by: contract
# diagnosis: expected dtype float32
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
        x = x.astype(np.float64)
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        rstd = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mu) * rstd
        self.cache = (x_hat, rstd, axes, self.gamma)
        return x_hat * self.gamma + self.beta

    def backward(self, dout):
        x_hat, rstd, axes, gamma = self.cache
        lead = tuple(range(dout.ndim - len(axes)))
        dbeta = dout.sum(axis=lead)
        dgamma = (dout * x_hat).sum(axis=lead)
        dout = dout.astype(np.float64)
        dxhat = dout * gamma
        dx = rstd * (dxhat - dxhat.mean(axis=axes, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=axes, keepdims=True))
        return dx, dgamma, dbeta
