# hostile: rewrites the worker's PyTorch replies: the operator log becomes a string and the Jacobians lose a matrix
# within: 30
# expect: error: malformed reply: the reply\['ops'\] should be a list of at most 10,000 items, not str of length 13
# expect: error: malformed reply: 3 names for 3 autograd and 2 numerical Jacobians
import gc

import torch
import torch.nn as nn

CHANNEL = next(o for o in gc.get_objects() if type(o).__name__ == "_Channel")  # the worker's protocol pipe
HONEST_SEND = CHANNEL.send


def forged_send(reply):
    if "ops" in reply:
        reply["ops"] = "my_layer_norm"  # a suite reads it with `in`: a string would pass a substring test
    if "numerical" in reply:
        reply["numerical"] = reply["numerical"][:-1]
    HONEST_SEND(reply)


CHANNEL.send = forged_send


class CustomLayerNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x):
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dim=dims, keepdim=True)
        return centered * torch.rsqrt(var + self.eps) * self.weight + self.bias
