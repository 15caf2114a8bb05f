# mistake: divides by the standard deviation plus eps, not by sqrt(var + eps)
# caught-by: examples, hidden
# diagnosis: eps was added outside the square root
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    return gamma * (x - mean) / (std + eps) + beta
