"""The grader-side reading of a PyTorch-track file for what could blind the worker's record of its forward
pass (grader.kit.source_scan): every way the red team found is named, honest layers are left alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.core.preflight import source_text
from grader.kit.source_scan import hiding_constructs
from grader.kit.torch_kit import BUILT_IN_LAYERS

BLOCK = BUILT_IN_LAYERS
ROOT = Path(__file__).resolve().parents[1]


def _found(source: str, classes: tuple[str, ...] = BLOCK) -> list[str]:
    return [str(f) for f in hiding_constructs(textwrap.dedent(source), classes)]


HIDING = {
    "modes switched off": "with torch._C.DisableTorchFunction():\n    y = F.layer_norm(x, (4,))\n",
    "modes imported": "from torch._C import DisableTorchFunction\n",
    "private module imported": "import torch._C as C\n",
    "mode machinery imported": "from torch.overrides import TorchFunctionMode\n",
    "a mode of one's own": "class Quiet(torch.overrides.TorchFunctionMode):\n    pass\n",
    "modes popped": "from torch.utils._python_dispatch import _disable_current_modes\n",
    "the log through sys.modules": "import sys\nlog = sys.modules['grader.sandbox.torch_ops']\n",
    "the grader imported": "from grader.sandbox import torch_ops\n",
    "a computed lookup": "C = getattr(torch, '_' + 'C')\n",
    "getattr as a value": "import functools\nfunctools.reduce(getattr, ['_C', 'DisableTorchFunction'], torch)\n",
    "attrgetter": "import operator\noperator.attrgetter('_' + 'C')(torch)\n",
    "exec of a string": "exec('import torch as t')\n",
    "eval as a value": "run = eval\n",
    "frames walked": "import sys\nframe = sys._getframe(1)\n",
    "frames from a traceback": "try:\n    1 / 0\nexcept Exception as e:\n    f = e.__traceback__.tb_frame.f_back\n",
    "objects from the collector": "import gc\nlogs = gc.get_objects()\n",
    "a class's namespace": "forward = nn.TransformerEncoderLayer.__dict__['forward']\n",
    "a built-in method taken": "forward = nn.TransformerEncoderLayer.forward\n",
    "a built-in class kept aside": "Layer = nn.TransformerEncoderLayer\n",
    "a built-in subclassed": "class Block(nn.TransformerEncoderLayer):\n    pass\n",
    "a built-in by an imported name": "from torch.nn import TransformerEncoderLayer as T\nf = T._sa_block\n",
    "a built-in named in a string": "cls = getattr(nn, 'TransformerEncoderLayer')\n",
    "a __main__ guard made true": "__name__ = '__main__'\nif __name__ == '__main__':\n    f = nn.TransformerEncoderLayer.forward\n",
    "a star import": "from torch._C import *\n",
    "TorchScript": "@torch.jit.script\ndef f(x: torch.Tensor) -> torch.Tensor:\n    return torch.layer_norm(x, [4])\n",
    "TorchScript imported": "from torch.jit import script\n",
    "a compiled forward": "fast = torch.compile(F.layer_norm)\n",
    "a custom operator": "import torch.library\nlib = torch.library.Library('mine', 'DEF')\n",
    "a private module by alias": "import torch as t\nt._dynamo.reset()\n",
    "a private function": "y = torch._native_layer_norm_stub(x)\n",
    "torch under another name": "t = torch\nln = t.jit.script(f)\n",
    "torch as a default argument": "def f(x, t=torch):\n    return t.jit.script(x)\n",
    "torch as an argument": "def f(x, t):\n    return t.jit.script(x)\n\nf(g, torch)\n",
    "a function renamed by setattr": "setattr(F.layer_norm, '__name__', 'normalize')\n",
    "a function renamed through an alias": "normalize = F.layer_norm\nnormalize.__name__ = 'normalize'\n",
    "a tensor subclass's handler": "class Boxed(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n        return func(*args)\n",
    "a class from type() of a built model": "import torch.nn as nn\nLayer = type(nn.Transformer(8, 2, 1, 1, 16).encoder.layers[0])\n",
    "a bound method of a built layer": "from torch import nn\nfwd = nn.Transformer(8, 2, 1, 1, 16).encoder.layers[0].forward\n",
    "a class by its dotted name": "import pydoc\nLayer = pydoc.locate('torch.nn.Transformer' + 'EncoderLayer')\n",
    "a class resolved by pkgutil": "import pkgutil\nLayer = pkgutil.resolve_name('torch.nn:Transformer' + 'EncoderLayer')\n",
    "a method unwrapped": "f = layer.forward.__func__\n",
    "a built-in built and kept out of the module tree": "from torch import nn\nkeep = [nn.TransformerEncoderLayer(8, 2)]\n",
    "a built-in inside a built Transformer": "import torch.nn as nn\nmodel = nn.Transformer(8, 2, 1, 1, 16)\n",
    "a class by a name joined through a helper's self": "def look(self, *parts):\n    return getattr(self, ''.join(parts))\n\nLayer = look(nn, 'Trans', 'formerEncoderLayer')\n",
    "a computed lookup on an attribute of self": "class B:\n    def f(self):\n        return getattr(self.nn, 'Trans' + 'formerEncoderLayer')\n",
    "work on another thread": "from concurrent.futures import ThreadPoolExecutor\n",
    "work in a signal handler": "import signal\nsignal.signal(signal.SIGALRM, lambda s, f: F.layer_norm(x, (4,)))\n",
    "work in a callback torch runs": "out = []\ntorch.zeros(1).apply_(lambda v: out.append(F.layer_norm(x, (4,))) or v)\n",
}


@pytest.mark.parametrize("source", HIDING.values(), ids=HIDING.keys())
def test_what_could_blind_the_record_is_named_with_its_line(source: str) -> None:
    found = _found(source)
    assert found and all(f.startswith("line ") for f in found), found


HONEST = {
    "a hand-written LayerNorm": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F


        class CustomLayerNorm(nn.Module):
            \"\"\"Like nn.LayerNorm: statistics over the last dims; see torch.nn.LayerNorm's docs.\"\"\"

            def __init__(self, shape, eps=1e-5):
                super().__init__()
                self._eps = eps
                self.weight = nn.Parameter(torch.ones(shape))

            def forward(self, x):
                mu = x.mean(-1, keepdim=True)
                var = x.var(-1, unbiased=False, keepdim=True)
                return (x - mu) * torch.rsqrt(var + self._eps) * self.weight
    """,
    "layers looked up on self by a computed name": """
        class Stack(nn.Module):
            def __init__(self, n):
                super().__init__()
                for i in range(n):
                    setattr(self, f"layer{i}", nn.Linear(4, 4))

            def forward(self, x):
                for i in range(3):
                    x = getattr(self, f"layer{i}")(x)
                return x
    """,
    "modules() for initialization, sys for float limits": """
        import sys

        class Block(nn.Module):
            def reset(self):
                for m in self.modules():
                    if isinstance(m, nn.Linear):
                        nn.init.xavier_uniform_(m.weight)
                return sys.float_info.epsilon
    """,
    "a self-test against the built-in under __main__": """
        class TransformerEncoderBlock(nn.Module):
            \"\"\"A pre-/post-LN block, as nn.TransformerEncoderLayer computes it.\"\"\"


        if __name__ == "__main__":
            theirs = nn.TransformerEncoderLayer(8, 2, batch_first=True)
            mine = TransformerEncoderBlock(8, 2)
            mine.load_state_dict(theirs.state_dict())
            print(type(theirs).__name__, nn.TransformerEncoderLayer.__name__)
    """,
    "nn.Linear's own initialization": """
        import math
        import torch.nn as nn

        def init(w, b):
            nn.init.kaiming_uniform_(w, a=math.sqrt(5))
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
            nn.init.uniform_(b, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
    """,
    "mask helpers and clones from PyTorch's transformer source": """
        import copy
        import torch.nn.functional as F
        from torch.nn.modules.transformer import _get_clones

        class Stack(nn.Module):
            def __init__(self, layer, n):
                super().__init__()
                self.layers = _get_clones(layer, n)

            def forward(self, x, mask=None):
                mask = F._canonical_mask(mask=mask, mask_name="mask", other_type=None, other_name="", target_type=x.dtype)
                return x
    """,
    "a command-line self-test under __main__": """
        import argparse

        if __name__ == "__main__":
            args = argparse.ArgumentParser().parse_args()
            print(torch.__version__, vars(args), nn.TransformerEncoderLayer.forward)
    """,
    "the version checked at import": """
        import torch

        NEW = tuple(int(p) for p in torch.__version__.split(".")[:2]) >= (2, 1)
    """,
    "a local variable named vars, jit queries, torch._assert": """
        import torch

        def forward(x, src_mask=None):
            vars = x.var(-1, unbiased=False, keepdim=True)
            if not torch.jit.is_scripting():
                torch._assert(vars.min() >= 0, "variance is never negative")
            if src_mask is not None and type(src_mask) is not type(x):
                raise TypeError("the mask and the input are different kinds of object")
            return vars
    """,
    "a module-level layer and another loop's private method": """
        import torch.nn as nn

        layer = nn.Identity()

        def run(stages, x):
            for layer in stages:
                x = layer._sa(x)
            return x, nn.Identity().__class__.__name__
    """,
    "PyTorch's own LayerNorm idioms: extra_repr, _shape_t, jit.ignore, types": """
        import types
        import torch
        from torch.nn.modules.normalization import _shape_t

        class CustomLayerNorm(nn.Module):
            def __init__(self, normalized_shape: _shape_t, eps=1e-5):
                super().__init__()
                self.normalized_shape, self.eps = normalized_shape, eps
                self.options = types.SimpleNamespace(eps=eps)

            @torch.jit.ignore
            def describe(self):
                return self.eps

            @torch.jit.export
            def scale(self) -> float:
                return torch.jit.annotate(float, self.eps)

            def extra_repr(self):
                return "{normalized_shape}, eps={eps}".format(**self.__dict__) + "{eps}".format(**vars(self))
    """,
    "an autograd Function": """
        class LN(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x

            @staticmethod
            def backward(ctx, dy):
                (x,) = ctx.saved_tensors
                return dy
    """,
}


@pytest.mark.parametrize("source", HONEST.values(), ids=HONEST.keys())
def test_honest_layers_are_left_alone(source: str) -> None:
    assert _found(source) == []


def test_every_honest_file_of_the_pytorch_track_is_left_alone() -> None:
    """References, stubs and the variants corpus: the row this feeds must never fail an honest file."""
    files = [*ROOT.glob("solutions/torch_*.py"), *ROOT.glob("problems/torch_*/torch_*.py"), *ROOT.glob("tests/variants/torch_*/*.py")]
    assert len(files) >= 30
    flagged = {str(f.relative_to(ROOT)): _found(f.read_text(encoding="utf-8")) for f in files}
    assert not {f: found for f, found in flagged.items() if found}


def test_the_file_is_read_as_python_reads_it(tmp_path: Path) -> None:
    """Under a UTF-7 coding line, what reads as a comment in UTF-8 is code: the scan sees the code."""
    hidden = "import torch\n# +AAo-with torch._C.DisableTorchFunction(): pass\n"
    path = tmp_path / "candidate.py"
    path.write_bytes(b"# -*- coding: utf-7 -*-\n" + hidden.encode("ascii"))
    assert _found(path.read_text(encoding="utf-8")) == []  # as UTF-8: a comment
    assert any("DisableTorchFunction" in f for f in _found(source_text(path)))
