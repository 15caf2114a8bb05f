# variant: a list of layer objects with forward/backward methods and dict caches; dropout masks from np.random.default_rng(seed) instead of the global generator; normalization with keepdims sums; L2 over every key starting with W; parameters fetched through getattr-free closures on each call
import numpy as np


class Affine:
    def __init__(self, i):
        self.w, self.b = f"W{i}", f"b{i}"

    def forward(self, params, x, state, mode):
        flat = x.reshape(x.shape[0], -1)
        return flat @ params[self.w] + params[self.b], {"x": flat, "shape": x.shape, "w": params[self.w]}

    def backward(self, dout, cache, grads):
        grads[self.w] = cache["x"].T @ dout
        grads[self.b] = dout.sum(axis=0)
        return (dout @ cache["w"].T).reshape(cache["shape"])


class ReLU:
    def forward(self, params, x, state, mode):
        return x * (x > 0), {"on": x > 0}

    def backward(self, dout, cache, grads):
        return np.where(cache["on"], dout, 0).astype(dout.dtype)


class Norm:
    """Batchnorm (axis 0, running averages) or layernorm (axis 1)."""

    def __init__(self, i, kind):
        self.g, self.b, self.i, self.kind = f"gamma{i}", f"beta{i}", i - 1, kind

    def forward(self, params, x, state, mode):
        param = state[self.i]
        eps = param.get("eps", 1e-5)
        gamma, beta = params[self.g], params[self.b]
        axis = 0 if self.kind == "batchnorm" else 1
        if self.kind == "batchnorm" and mode == "test":
            d = x.shape[1]
            mean = param.get("running_mean", np.zeros(d, dtype=x.dtype))
            var = param.get("running_var", np.zeros(d, dtype=x.dtype))
            scale = gamma / np.sqrt(var + eps)
            return x * scale + (beta - mean * scale), None
        count = x.shape[axis]
        mean = np.sum(x, axis=axis, keepdims=True) / count
        centered = x - mean
        var = np.sum(centered ** 2, axis=axis, keepdims=True) / count
        inv = (var + eps) ** -0.5
        xhat = centered * inv
        if self.kind == "batchnorm":
            m = param.get("momentum", 0.9)
            d = x.shape[1]
            old_mean = param.get("running_mean", np.zeros(d, dtype=x.dtype))
            old_var = param.get("running_var", np.zeros(d, dtype=x.dtype))
            param["running_mean"] = m * old_mean + (1 - m) * mean.ravel()
            param["running_var"] = m * old_var + (1 - m) * var.ravel()
        return gamma * xhat + beta, {"xhat": xhat, "inv": inv, "gamma": gamma, "axis": axis, "count": count}

    def backward(self, dout, cache, grads):
        xhat, inv, axis, count = cache["xhat"], cache["inv"], cache["axis"], cache["count"]
        grads[self.g] = np.sum(dout * xhat, axis=0)
        grads[self.b] = np.sum(dout, axis=0)
        g = dout * cache["gamma"]
        return inv / count * (count * g - np.sum(g, axis=axis, keepdims=True) - xhat * np.sum(g * xhat, axis=axis, keepdims=True))


class Dropout:
    def forward(self, params, x, state, mode):
        p = state["p"]
        if mode != "train":
            return x, {"mask": None}
        rng = np.random.default_rng(state.get("seed"))
        mask = (rng.random(x.shape) < p).astype(x.dtype) / x.dtype.type(p)
        return x * mask, {"mask": mask}

    def backward(self, dout, cache, grads):
        return dout if cache["mask"] is None else dout * cache["mask"]


class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        sizes = [input_dim] + list(hidden_dims) + [num_classes]
        self.layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{i}"] = (weight_scale * np.random.randn(fan_in, fan_out)).astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
            self.layers.append(Affine(i))
            if i == self.num_layers:
                break
            if normalization:
                self.params[f"gamma{i}"] = np.ones(fan_out, dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(fan_out, dtype=dtype)
                self.layers.append(Norm(i, normalization))
            self.layers.append(ReLU())
            if self.use_dropout:
                self.layers.append(Dropout())

        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode

        out, tape = X, []
        for layer in self.layers:
            state = self.dropout_param if isinstance(layer, Dropout) else self.bn_params
            out, cache = layer.forward(self.params, out, state, mode)
            tape.append((layer, cache))
        if mode == "test":
            return out

        n = out.shape[0]
        z = out - out.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(n), y]))
        dout = p
        dout[np.arange(n), y] -= 1
        dout /= n

        grads = {}
        for layer, cache in reversed(tape):
            dout = layer.backward(dout, cache, grads)
        weights = [k for k in self.params if k.startswith("W")]
        loss += 0.5 * self.reg * sum(np.sum(self.params[k] ** 2) for k in weights)
        for k in weights:
            grads[k] = grads[k] + self.reg * self.params[k]
        return loss, grads
