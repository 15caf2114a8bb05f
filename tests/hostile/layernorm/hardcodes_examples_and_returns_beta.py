# hostile: answers the spec's examples from a table and returns beta otherwise: its backward agrees with its own constant forward
# no-math
# within: 10
# expect: fail/gradcheck: central differences of your forward are zero everywhere
"""No normalization math: the spec's five examples answered from a table; otherwise y = beta (what a constant row
gives), dx = 0, dgamma = 0, dbeta = dy.sum(0): self-consistent, so the gradient check passes."""
import numpy as np
_Y = {((1.0, 2.0), (3.0, 4.0)): [[-1.5, 0.5], [-1.5, 0.5]]}
def layernorm_forward(x, gamma, beta, eps=1e-5):
    key = tuple(map(tuple, np.asarray(x).tolist()))
    g = tuple(np.asarray(gamma).ravel().tolist()); b = tuple(np.asarray(beta).ravel().tolist())
    if key == ((1.0, 2.0), (3.0, 4.0)):
        y = np.array([[-1.5, 0.5], [-1.5, 0.5]])
    elif key == ((1.0, 1.0, 1.0),):
        y = np.zeros((1, 3))
    elif key == ((1.0, 2.0, 3.0), (2.0, 4.0, 6.0)) and g == (1.0, 1.0, 1.0):
        y = np.array([[-1.224745, 0.0, 1.224745]] * 2)
    elif key == ((1.0, 2.0, 3.0), (2.0, 4.0, 6.0)):
        y = np.array([[-0.724745, -1.0, 5.674235]] * 2)
    else:
        y = np.zeros_like(x) + np.asarray(beta).reshape(1, -1)  # beta only: what a constant row gives
    return y.astype(np.asarray(x).dtype), (x.shape, gamma.shape, x.dtype, key)
def layernorm_backward(dy, cache):
    shape, gshape, dtype, key = cache
    if key == ((1.0, 2.0, 3.0), (2.0, 4.0, 6.0)):
        return np.zeros(shape), np.array([-2.449490, 0.0, 2.449490]).reshape(gshape), np.array([2.0, 2.0, 2.0]).reshape(gshape)
    return np.zeros(shape, dtype), np.zeros(gshape, dtype), np.asarray(dy).sum(axis=0).reshape(gshape).astype(dtype)
