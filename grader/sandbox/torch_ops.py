"""PyTorch-track operations, run inside the worker on the candidate's modules.

The candidate's nn.Module and every tensor it touches stay in the worker; what crosses back is plain
NumPy data: outputs, gradients, Jacobians, state dicts, and the names of the aten operators a forward pass
dispatched (so a suite can tell a hand-written LayerNorm from a call to `F.layer_norm`). The grader makes
every judgement on its side. Candidate code can patch torch in this process, so nothing here is trusted
beyond "this is what came out": a patched autograd still has to produce the right numbers to pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from grader.sandbox.protocol import Ref, TensorArg

# torch.autograd.gradcheck's defaults: the grader compares the Jacobians with the same rule.
GRADCHECK_EPS = 1e-6


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    value = tensor.detach().cpu()
    if value.dtype in (torch.bfloat16, torch.float16):
        value = value.float()
    return value.numpy().copy()


def to_tensor(arg: TensorArg) -> torch.Tensor:
    array = np.array(arg.array, dtype=arg.dtype) if arg.dtype else np.array(arg.array)
    tensor = torch.from_numpy(array)
    return tensor.requires_grad_(True) if arg.requires_grad else tensor


class _OperatorLog(TorchFunctionMode):
    """Records the torch functions a forward pass calls (F.layer_norm, torch.layer_norm, Tensor.mean ...).

    A function mode sees every call made through torch's Python API, nn.Modules' included; only a direct
    `torch.ops.aten` call goes around it, which is a deliberate dodge rather than a mistake.
    """

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.downcast: str | None = None  # the first call that turned float64 values into a lower precision

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        name = operator_name(func)
        self.names.add(name)
        out = func(*args, **(kwargs or {}))
        if self.downcast is None and _lowers_precision(args, out):
            self.downcast = name
        return out


# torch's functions by identity, with the names they had when the worker booted, before any candidate code:
# a Python function's __name__ can be rewritten (F.layer_norm.__name__ = "normalize"), its identity cannot.
_BOOT_NAMES: dict[int, tuple[Any, str]] = {}


def remember_names() -> None:
    """Called at boot: every callable of torch, torch.nn.functional and torch.Tensor, kept alive with its name."""
    import torch.nn.functional as F

    for namespace in (torch, F, torch.Tensor):
        for attribute in dir(namespace):
            value = getattr(namespace, attribute, None)
            if callable(value):
                _BOOT_NAMES.setdefault(id(value), (value, getattr(value, "__name__", attribute)))


def operator_name(func: Any) -> str:
    """The name a forbidden-kernel check reads: the boot-time name where torch had the function then, and an
    operator overload's packet name (`torch.ops.aten.layer_norm.default` is layer_norm)."""
    known = _BOOT_NAMES.get(id(func))
    name = known[1] if known is not None and known[0] is func else str(getattr(func, "__name__", func))
    return name.split(".")[0]


def _lowers_precision(args: tuple, out: Any) -> bool:
    return (
        isinstance(out, torch.Tensor)
        and out.dtype in (torch.float32, torch.float16, torch.bfloat16)
        and any(isinstance(a, torch.Tensor) and a.dtype == torch.float64 for a in args)
    )


def warm_up() -> None:
    """Pay autograd's first-use cost (about 0.4 s here) while the process boots, not in the first check."""
    import torch.fx.experimental.symbolic_shapes  # noqa: F401 - the first attention mask imports it (sympy, ~0.5 s)

    x = torch.ones(2, requires_grad=True)
    torch.autograd.grad((x * x).sum(), [x])
    remember_names()


def _select(value: Any, select: Any) -> Any:
    return value if select is None else value[select]


def _grads(tensors: list[torch.Tensor | None]) -> list[np.ndarray | None]:
    return [None if g is None else to_numpy(g) for g in tensors]


def forward_backward(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    """Run module.method(*args), optionally backpropagate `grad_output`, report values and gradients."""
    module = worker.resolve(request["target"])
    args = list(worker.resolve(request.get("args", ())))
    kwargs = worker.resolve(request.get("kwargs", {}))
    method = getattr(module, request.get("method") or "__call__")
    log = _OperatorLog()
    start = clock()
    with log:
        output = method(*args, **kwargs)
    elapsed = clock() - start
    ref = worker.keep(output)
    reply: dict = {"ok": True, "value": worker.encode(output, ref), "ref": ref, "elapsed": elapsed, "ops": sorted(log.names)}
    if request.get("return_args"):
        reply["args_after"] = [to_numpy(a) if isinstance(a, torch.Tensor) else None for a in args]
    grad_output = request.get("grad_output")
    if grad_output is None:
        return reply
    result = _select(output, request.get("select"))
    if not isinstance(result, torch.Tensor):
        raise TypeError(f"forward returned {type(result).__name__}, not a tensor, so no gradient can flow back")
    if tuple(result.shape) != tuple(grad_output.shape):  # the grader words this; torch's backward would blame forward
        reply["wrong_shape"] = [list(result.shape), list(grad_output.shape)]
        return reply
    reply["input_grads"], reply["param_grads"] = gradients(module, args, kwargs, result, grad_output)
    return reply


def gradients(module: Any, args: list, kwargs: dict, result: torch.Tensor, grad_output: Any) -> tuple[list, dict]:
    """Backpropagate grad_output from result: gradients of every leaf argument and trainable parameter.

    Used on both sides of the boundary: here on the candidate's module, in the grader on PyTorch's own.
    """
    leaves = [a for a in [*args, *kwargs.values()] if isinstance(a, torch.Tensor) and a.requires_grad]
    named = [(name, p) for name, p in module.named_parameters() if p.requires_grad] if isinstance(module, torch.nn.Module) else []
    if not result.requires_grad:
        raise RuntimeError("the output does not require grad: the autograd graph was cut (.detach(), .data, numpy or no_grad?)")
    grads = torch.autograd.grad(
        result, leaves + [p for _, p in named], grad_outputs=torch.as_tensor(grad_output, dtype=result.dtype), allow_unused=True
    )
    return _grads(list(grads[: len(leaves)])), dict(zip([n for n, _ in named], _grads(list(grads[len(leaves) :]))))


def jacobians(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    """Analytical (autograd) and numerical (central differences) Jacobians of a module in float64.

    The same two matrices torch.autograd.gradcheck builds in its slow mode; gradcheck's own verdict comes
    along for the record, but the grader decides by comparing the matrices itself.
    """
    module = copy.deepcopy(worker.resolve(request["target"])).double()
    args = list(worker.resolve(request.get("args", ())))
    kwargs = worker.resolve(request.get("kwargs", {}))
    positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad]
    names = [f"input {i}" for i in positions]
    params = dict(module.named_parameters()) if request.get("params", True) else {}
    names += list(params)
    select = request.get("select")

    def f(*flat: torch.Tensor) -> torch.Tensor:
        call_args = list(args)
        for i, tensor in zip(positions, flat):
            call_args[i] = tensor
        overrides = dict(zip(params, flat[len(positions) :]))
        out = torch.func.functional_call(module, overrides, tuple(call_args), kwargs) if overrides else module(*call_args, **kwargs)
        return _select(out, select)

    inputs = tuple(args[i].detach().double().clone().requires_grad_(True) for i in positions)
    inputs += tuple(p.detach().clone().requires_grad_(True) for p in params.values())
    verdict, message = _torch_gradcheck(f, inputs)
    log = _OperatorLog()
    with log:
        output = f(*inputs)
    flat_out = output.reshape(-1)
    analytical = [np.zeros((flat_out.numel(), t.numel())) for t in inputs]
    for row in range(flat_out.numel()):
        grads = torch.autograd.grad(flat_out[row], inputs, retain_graph=True, allow_unused=True)
        for j, g in enumerate(grads):
            if g is not None:
                analytical[j][row] = to_numpy(g).reshape(-1)
    numerical = []
    with torch.no_grad():
        for j, tensor in enumerate(inputs):
            columns = np.zeros((flat_out.numel(), tensor.numel()))
            flat_in = tensor.data.reshape(-1)
            for k in range(tensor.numel()):
                old = float(flat_in[k])
                flat_in[k] = old + GRADCHECK_EPS
                plus = to_numpy(f(*inputs)).reshape(-1)
                flat_in[k] = old - GRADCHECK_EPS
                minus = to_numpy(f(*inputs)).reshape(-1)
                flat_in[k] = old
                columns[:, k] = (plus - minus) / (2 * GRADCHECK_EPS)
            numerical.append(columns)
    return {
        "ok": True, "names": names, "analytical": analytical, "numerical": numerical, "gradcheck": verdict,
        "gradcheck_message": message, "downcast": log.downcast,
    }  # fmt: skip


def _torch_gradcheck(f: Callable[..., torch.Tensor], inputs: tuple) -> tuple[bool, str]:
    try:
        return bool(torch.autograd.gradcheck(f, inputs, eps=GRADCHECK_EPS, raise_exception=True)), ""
    except Exception as exc:  # noqa: BLE001 - GradcheckError, or the candidate's own error under double precision
        return False, f"{type(exc).__name__}: {str(exc)[:1500]}"[:1500]


def state_dict(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    module = worker.resolve(request["target"])
    params = {name for name, _ in module.named_parameters()}
    values = {name: to_numpy(t) for name, t in module.state_dict().items()}
    return {"ok": True, "value": values, "parameters": sorted(params & set(values))}


def load_state_dict(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    module = worker.resolve(request["target"])
    tensors = {name: torch.from_numpy(np.array(v)) for name, v in request["state"].items()}
    result = module.load_state_dict(tensors, strict=request.get("strict", True))
    return {"ok": True, "missing": list(result.missing_keys), "unexpected": list(result.unexpected_keys)}


def parameters(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    module = worker.resolve(request["target"])
    if not isinstance(module, torch.nn.Module):
        return {"ok": True, "is_module": False, "parameters": [], "buffers": [], "training": False}
    return {
        "ok": True,
        "parameters": [(n, tuple(p.shape), str(p.dtype).removeprefix("torch."), p.requires_grad) for n, p in module.named_parameters()],
        "buffers": [(n, tuple(b.shape)) for n, b in module.named_buffers()],
        "training": bool(module.training),
        "is_module": isinstance(module, torch.nn.Module),
    }


def _namespace(worker: Any, request: dict) -> dict[str, Any]:
    namespace: dict[str, Any] = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "np": np}
    namespace.update({name: getattr(worker.candidate, name) for name in request.get("names", ()) if hasattr(worker.candidate, name)})
    namespace.update(worker.resolve(request.get("inputs", {})))
    return namespace


def example(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    """A spec example's code (ours, from the README) run here with the candidate's classes; each expression's value."""
    namespace = _namespace(worker, request)
    torch.manual_seed(0)
    exec(compile(request["code"], "<spec example>", "exec"), namespace)
    values = {}
    for expr in request["exprs"]:
        try:
            values[expr] = {"value": worker.encode(eval(expr, namespace), Ref(0))}  # noqa: S307 - the spec's text
        except Exception as exc:  # noqa: BLE001 - reported against that expectation's row
            values[expr] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"ok": True, "values": values}


def script(worker: Any, request: dict, clock: Callable[[], float]) -> dict:
    """A hidden suite's driver code (a training loop, a hook ...) run here on the candidate's classes.

    The suite's code is trusted, the classes it drives are not: only the named `outputs` come back, as
    plain data, and the suite judges them in the grader.
    """
    namespace = _namespace(worker, request)
    torch.manual_seed(request.get("seed", 0))
    start = clock()
    exec(compile(request["code"], "<hidden suite driver>", "exec"), namespace)
    elapsed = clock() - start
    values = {name: namespace.get(name) for name in request["outputs"]}
    ref = worker.keep(values)
    return {"ok": True, "value": worker.encode(values, ref), "ref": ref, "elapsed": elapsed}


ACTIONS = {
    "example": example,
    "script": script,
    "forward_backward": forward_backward,
    "jacobians": jacobians,
    "state_dict": state_dict,
    "load_state_dict": load_state_dict,
    "parameters": parameters,
}
