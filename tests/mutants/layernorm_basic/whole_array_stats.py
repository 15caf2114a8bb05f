# mistake: one mean and one variance for the whole array instead of one per row
# caught-by: examples, hidden
# diagnosis: over the whole array
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    return gamma * (x - np.mean(x)) / np.sqrt(np.var(x) + eps) + beta
