# mistake: assumes normalized_shape is an int D and always works on x.reshape(-1, D), so a tuple shape breaks
# caught-by: contract, examples, hidden, gradcheck
import numpy as np


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        self.D = normalized_shape
        self.eps = eps
        self.gamma = np.ones(normalized_shape)
        self.beta = np.zeros(normalized_shape)

    def forward(self, x):
        self.x_shape = x.shape
        x2 = x.reshape(-1, self.D)
        mu = x2.mean(axis=1, keepdims=True)
        var = x2.var(axis=1, keepdims=True)
        self.rstd = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x2 - mu) * self.rstd
        self.used_gamma = self.gamma
        return (self.x_hat * self.gamma + self.beta).reshape(x.shape)

    def backward(self, dout):
        d2 = dout.reshape(-1, self.D)
        dbeta = d2.sum(axis=0)
        dgamma = (d2 * self.x_hat).sum(axis=0)
        dxhat = d2 * self.used_gamma
        dx = self.rstd * (dxhat - dxhat.mean(axis=1, keepdims=True)
                          - self.x_hat * (dxhat * self.x_hat).mean(axis=1, keepdims=True))
        return dx.reshape(self.x_shape), dgamma, dbeta
