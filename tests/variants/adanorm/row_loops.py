# variant: slow but correct: a Python loop over the rows, one 1-D row at a time, with math.sqrt and a list cache
# speed: ^not vectorized: [\d.]+× the reference at 4096×16, .*\(a loop over rows\?\)
import math

import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    z = np.empty_like(x)
    rows = []
    for i in range(x.shape[0]):
        row = x[i]
        centered = row - row.mean()
        r = row.dtype.type(1.0 / math.sqrt(float(np.dot(centered, centered)) / row.size + eps))
        y = centered * r
        phi = C * (1 - k * y)
        z[i] = phi * y
        rows.append((y, phi, r))
    return z, rows


def adanorm_backward(dz, cache):
    dx = np.empty_like(dz)
    for i, (y, phi, r) in enumerate(cache):
        g = dz[i] * phi
        dx[i] = (g - g.mean() - y * (np.dot(g, y) / y.size)) * r
    return dx
