# constraint: loads torch's files as a package of another name and lets torch do the math (an import hook alone never sees the name torch)
# no-math
# within: 20
# needs: torch
# expect: error/load: Permission denied
"""The NumPy track forbids torch: the guard's audit hook refuses every import whose top-level name is 'torch',
and the preflight refuses `import torch` statements. This file has neither: it imports torch's files under
another package name (nktorch), renaming torch's own absolute imports on the fly, and lets torch do all the
math (F.layer_norm forward, autograd backward). No normalization math of its own; no constraint row."""
import builtins
import importlib
import importlib._bootstrap as _bs
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

import numpy as np

_T = "tor" + "ch"
ALIAS = "nk" + _T
SP = os.path.join(os.path.dirname(os.path.dirname(np.__file__)))
_real_import = builtins.__import__


def _alias(name):
    if name in sys.modules:
        return name
    return ALIAS + name[len(_T):] if name == _T or name.startswith(_T + ".") else name


def _sync():
    for k in list(sys.modules):
        if k == ALIAS or k.startswith(ALIAS + "."):
            sys.modules.setdefault(_T + k[len(ALIAS):], sys.modules[k])


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0:
        name = _alias(name)
    _sync()
    try:
        return _real_import(name, globals, locals, fromlist, level)
    finally:
        _sync()


_orig_hf = _bs._handle_fromlist


def _hf(module, fromlist, import_, *, recursive=False):
    return _orig_hf(module, fromlist, lambda n, *a, **k: _import(n), recursive=recursive)


class _Renaming(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        real = _T + module.__spec__.name[len(ALIAS):]
        sys.modules.setdefault(real, module)
        if isinstance(self.inner, importlib.machinery.ExtensionFileLoader):
            return self.inner.exec_module(module)
        code = self.inner.get_code(module.__spec__.name)
        module.__name__ = real
        exec(code, module.__dict__)
        if sys.modules.get(real) is not module:
            sys.modules[module.__spec__.name] = sys.modules[real]


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname == ALIAS:
            d = os.path.join(SP, _T)
            spec = importlib.util.spec_from_file_location(ALIAS, os.path.join(d, "__init__.py"), submodule_search_locations=[d])
        elif fullname.startswith(ALIAS + "."):
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        else:
            return None
        if spec is not None and spec.loader is not None:
            spec.loader = _Renaming(spec.loader)
        return spec


builtins.__import__ = _import
_bs._handle_fromlist = _hf
sys.meta_path.insert(0, _Finder())
T = _real_import(ALIAS)
T.set_num_threads(1)


class _Cache:
    def __init__(self, *parts):
        self.parts = parts


def layernorm_forward(x, gamma, beta, eps=1e-5):
    xt = T.tensor(np.asarray(x), requires_grad=True)
    gt = T.tensor(np.asarray(gamma).reshape(-1), requires_grad=True)
    bt = T.tensor(np.asarray(beta).reshape(-1), requires_grad=True)
    y = T.nn.functional.layer_norm(xt, (xt.shape[1],), gt, bt, eps)
    return y.detach().numpy().copy(), _Cache(xt, gt, bt, y, np.shape(gamma))


def layernorm_backward(dy, cache):
    xt, gt, bt, y, shape = cache.parts
    dx, dg, db = T.autograd.grad(y, (xt, gt, bt), T.tensor(np.asarray(dy)), retain_graph=True)
    return dx.numpy().copy(), dg.numpy().reshape(shape).copy(), db.numpy().reshape(shape).copy()
