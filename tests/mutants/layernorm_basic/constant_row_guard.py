# mistake: guards zero-variance rows by dividing by 1 there, instead of relying on eps everywhere
# caught-by: hidden
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    std = np.where(std == 0, 1.0, std)
    return gamma * (x - mean) / std + beta
