# variant: slow but correct: a Python loop over the rows, one 1-D row at a time, with math.sqrt and a list cache
# speed: ^not vectorized: [\d.]+× the reference at 4096×16, .*\(a loop over rows\?\)
import math

import numpy as np


def rmsnorm_forward(x, gamma, eps=1e-5):
    y = np.empty_like(x)
    rows = []
    for i in range(x.shape[0]):
        row = x[i]
        r = 1.0 / math.sqrt(float(np.dot(row, row)) / row.size + eps)
        x_hat = row * x.dtype.type(r)
        y[i] = x_hat * gamma
        rows.append((x_hat, r))
    return y, [rows, gamma]


def rmsnorm_backward(dy, cache):
    rows, gamma = cache
    dx = np.empty_like(dy)
    dgamma = np.zeros_like(gamma)
    for i, (x_hat, r) in enumerate(rows):
        g = dy[i] * gamma
        dgamma += dy[i] * x_hat
        dx[i] = (g - x_hat * (np.dot(g, x_hat) / x_hat.size)) * x_hat.dtype.type(r)
    return dx, dgamma
