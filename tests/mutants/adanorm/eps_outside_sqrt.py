# mistake: y = (x - mu) / (std + eps), with a backward pass that is right for it
# caught-by: examples, hidden
# diagnosis: eps was added outside the square root
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    xc = x - x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    s = std + eps
    y = xc / s
    return C * (1 - k * y) * y, (xc, std, s, C, k)


def adanorm_backward(dz, cache):
    xc, std, s, C, k = cache
    d = xc.shape[1]
    g = dz * C * (1 - k * xc / s)
    return (g - g.mean(axis=1, keepdims=True)) / s - xc * (g * xc).sum(axis=1, keepdims=True) / (s * s * d * std)
