# variant: no nn modules at all: F.linear with the drawn weights, a hand-written LayerNorm (torch.var_mean, correction=0), statistics from var_mean over all values, and the histogram counted with torch.bucketize + torch.bincount on edges from torch.linspace
import torch
import torch.nn.functional as F


def _standardize_rows(z, eps):
    var, mean = torch.var_mean(z, dim=1, keepdim=True, correction=0)
    return (z - mean) / torch.sqrt(var + eps)


def _describe(index, z, bins):
    flat = z.reshape(-1)
    var, mean = torch.var_mean(flat, correction=0)
    low, high = flat.min().item(), flat.max().item()
    if low == high:  # a constant layer: np.histogram's [v - 0.5, v + 0.5]
        low, high = low - 0.5, high + 0.5
    edges = torch.linspace(low, high, bins + 1)
    # bucket i holds edges[i] <= v < edges[i+1]; the maximum falls in the last bucket (as np.histogram)
    which = torch.bucketize(flat, edges[1:-1], right=True)
    counts = torch.bincount(which, minlength=bins)
    return {"layer": index, "mean": mean.item(), "std": var.sqrt().item(),
            "hist": counts.tolist(), "edges": edges.tolist()}


def activation_histograms(depth=8, width=64, batch_size=256, weight_std=0.1, bins=20, seed=0, eps=1e-5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, width, generator=g)
    ws = [torch.randn(width, width, generator=g).mul(weight_std) for _ in range(depth)]
    plain, normed = [], []
    h_plain = h_normed = x
    with torch.no_grad():
        for index, w in enumerate(ws, start=1):  # both networks advance together, layer by layer
            z_plain = F.linear(h_plain, w)
            z_normed = _standardize_rows(F.linear(h_normed, w), eps)
            plain.append(_describe(index, z_plain, bins))
            normed.append(_describe(index, z_normed, bins))
            h_plain, h_normed = F.relu(z_plain), F.relu(z_normed)
    return {"with_layernorm": normed, "without_layernorm": plain}
