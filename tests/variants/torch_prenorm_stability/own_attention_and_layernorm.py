# variant: hand-written multi-head attention and LayerNorm (same parameter names), one stack class with a norm_first flag, parts created in another order, gradient norms through torch.linalg.vector_norm and the loss written out
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + self.bias


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's parameters and math, batch first, no dropout."""

    def __init__(self, d, nhead):
        super().__init__()
        self.nhead = nhead
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        self.out_proj = nn.Linear(d, d)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x):
        n, length, d = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        split = lambda t: t.reshape(n, length, self.nhead, d // self.nhead).transpose(1, 2)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        weights = torch.softmax(q @ k.transpose(-2, -1) / (d // self.nhead) ** 0.5, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(n, length, d))


class Layer(nn.Module):
    def __init__(self, d, nhead, f, norm_first):
        super().__init__()
        self.norm1, self.norm2 = LayerNorm(d), LayerNorm(d)
        self.linear2 = nn.Linear(f, d)
        self.linear1 = nn.Linear(d, f)
        self.self_attn = SelfAttention(d, nhead)
        self.norm_first = norm_first

    def forward(self, x):
        sa = self.self_attn
        ff = lambda u: self.linear2(torch.relu(self.linear1(u)))  # noqa: E731
        if self.norm_first:
            h = x + sa(self.norm1(x))
            return h + ff(self.norm2(h))
        h = self.norm1(x + sa(x))
        return self.norm2(h + ff(h))


class _Stack(nn.Module):
    norm_first = False

    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__()
        self.layers = nn.ModuleList([Layer(d_model, nhead, dim_feedforward, self.norm_first) for _ in range(num_layers)])
        if self.norm_first:
            self.norm = LayerNorm(d_model)

    def forward(self, src):
        out = src
        for layer in self.layers:
            out = layer(out)
        return self.norm(out) if self.norm_first else out


class PreLayerNormTransformer(_Stack):
    norm_first = True

    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__(d_model, nhead, num_layers, dim_feedforward)


class PostLayerNormTransformer(_Stack):
    norm_first = False

    def __init__(self, d_model, nhead, num_layers, dim_feedforward=2048):
        super().__init__(d_model, nhead, num_layers, dim_feedforward)


def _train(stack, x, target, steps, lr):
    opt = torch.optim.Adam(stack.parameters(), lr=lr)
    norms, losses = None, []
    for step in range(steps):
        opt.zero_grad()
        loss = ((stack(x) - target) ** 2).mean()
        loss.backward()
        if norms is None:
            norms = [torch.linalg.vector_norm(torch.cat([p.grad.reshape(-1) for p in layer.parameters()])).item() for layer in stack.layers]
        losses.append(loss.item())
        opt.step()
    return {"grad_norms": norms, "losses": losses}


def compare_stability(num_layers=6, steps=30, lr=1e-3, seed=0, d_model=32, nhead=4, dim_feedforward=64):
    torch.manual_seed(seed)
    x = torch.randn(16, 8, d_model)
    target = torch.randn(16, 8, d_model)
    out = {}
    for key, cls in [("pre", PreLayerNormTransformer), ("post", PostLayerNormTransformer)]:
        torch.manual_seed(seed + 1)
        out[key] = _train(cls(d_model, nhead, num_layers, dim_feedforward), x, target, steps, lr)
    return out
