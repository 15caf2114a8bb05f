# mistake: a port of the authors' PyTorch code: torch.std (unbiased, divides by D - 1) and eps added to the std, graNorm detached
# caught-by: examples, hidden
# diagnosis: authors' PyTorch code
import numpy as np


def adanorm_forward(x, C=1.0, k=0.1, eps=1e-5):
    d = x.shape[1]
    xc = x - x.mean(axis=1, keepdims=True)
    std = np.sqrt((xc * xc).sum(axis=1, keepdims=True) / (d - 1))
    gra_norm = k * xc / (std + eps)  # .detach() in the original
    z = (xc - xc * gra_norm) / (std + eps) * C
    return z, (xc, std, gra_norm, C, eps)


def adanorm_backward(dz, cache):
    xc, std, gra_norm, C, eps = cache
    d = xc.shape[1]
    s = std + eps
    g = dz * C * (1 - gra_norm)
    return (g - g.mean(axis=1, keepdims=True)) / s - xc * (g * xc).sum(axis=1, keepdims=True) / (s * s * (d - 1) * std)
