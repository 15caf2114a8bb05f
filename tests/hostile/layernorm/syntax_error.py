# broken: a syntax error
# within: 10
# expect: error/load: syntax error on line 8, column \d+: expected .:.
# no-pass
import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5)
    return x
