# attack: read-protected: prints its own environment, which a worker that inherits the grader's holds tokens and credentials in
# no-math
# args: --no-speed
# within: 15
"""LayerNorm, forward and backward. Work in progress."""

import os

for key, value in sorted(os.environ.items()):
    print(f"{key}={value}")


def layernorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError


def layernorm_backward(dy, cache):
    raise NotImplementedError
