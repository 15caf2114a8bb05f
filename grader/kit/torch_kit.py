"""Checks for the PyTorch track: the candidate's nn.Modules, driven in the worker, judged here.

A suite builds a module with `candidate.ClassName(...)` (a RemoteObject living in the worker), then asks
the worker for plain results — `run_module` (output, input and parameter gradients, the aten operators the
forward dispatched), `state_dict`, `jacobians` — and compares them with PyTorch's own modules, which run
here in the grader on the same inputs (`reference_run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.core.preflight import LoadFailure, source_text
from grader.kit.compare import assert_close, fmt_index
from grader.kit.layers import assert_unchanged
from grader.kit.ln_module import SpecEps, as_shape
from grader.kit.source_scan import hiding_constructs
from grader.outcomes import CandidateRaised, CheckFailed
from grader.sandbox.protocol import TensorArg


class ModuleCase(SpecEps):
    """What a PyTorch-track case over a `normalized_shape` derives from its fields `label`, `shape` and `eps`
    (None: not passed, the module's default applies). Mixed into each problem's own case dataclass."""

    label: str
    shape: int | tuple

    def __str__(self) -> str:
        return self.label

    @property
    def normalized(self) -> tuple:
        return as_shape(self.shape)


# What assert_unchanged (grader.kit.layers) advises when a module wrote into its caller's tensors.
OUT_OF_PLACE = "use out-of-place operations (x = x - mean, not x -= mean; masked_fill, not masked_fill_)"
RESIDUAL_OUT_OF_PLACE = "write x = x + sublayer(...), not x += ..., which writes into the caller's tensor while x is src"

# torch.autograd.gradcheck's defaults, applied by the grader to the Jacobians the worker measured.
GRADCHECK_ATOL, GRADCHECK_RTOL = 1e-5, 1e-3


def tensor(array: Any, grad: bool = False, dtype: str | None = None) -> TensorArg:
    """An argument the worker turns into a torch tensor (a leaf with a gradient when `grad`)."""
    return TensorArg(np.asarray(array), grad, dtype)


class WrongOutputShape(CheckFailed):
    """The forward's output does not have grad_output's shape, so no backward pass ran; a suite may diagnose it."""

    def __init__(self, message: str, got: tuple[int, ...] = (), want: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.got, self.want = got, want


@dataclass
class ModuleRun:
    output: Any
    input_grads: list = field(default_factory=list)
    param_grads: dict = field(default_factory=dict)
    ops: tuple[str, ...] = ()
    args_after: list = field(default_factory=list)  # the tensor arguments' values after the call (return_args)


def build(candidate: Any, class_name: str, *args: Any, **kwargs: Any) -> Any:
    """The candidate's module, constructed in the worker; anything but an object is a clear failure."""
    module = getattr(candidate, class_name)(*args, **kwargs)
    if not hasattr(module, "ref"):
        raise CheckFailed(f"{class_name}(...) should construct a module; it gave back {type(module).__name__}")
    return module


def run_module(
    worker: Any,
    module: Any,
    *args: Any,
    grad_output: Any = None,
    select: Any = None,
    method: str | None = None,
    return_args: bool = False,
    **kwargs: Any,
) -> ModuleRun:
    """module(*args, **kwargs) in the worker; with grad_output, also the gradients of every leaf and parameter."""
    label = f"{module.type_name}.{method or 'forward'}"
    request = {"target": module.ref, "args": args, "kwargs": kwargs, "method": method, "select": select, "return_args": return_args}
    if grad_output is not None:
        request["grad_output"] = np.asarray(grad_output)
    reply = worker.torch("forward_backward", label, request)
    if reply.get("wrong_shape"):
        got, want = (tuple(shape) for shape in reply["wrong_shape"])
        raise WrongOutputShape(f"{label} returned shape {got}; expected {want}, so no gradient could be sent back through it", got, want)
    return ModuleRun(
        reply.get("value"),
        reply.get("input_grads") or [],
        reply.get("param_grads") or {},
        tuple(reply.get("ops") or ()),
        reply.get("args_after") or [],
    )


def reference_run(module: Any, *args: Any, grad_output: Any = None, select: Any = None, **kwargs: Any) -> ModuleRun:
    """The same run on a trusted module (PyTorch's own, or a reference), here in the grader."""
    from grader.sandbox.torch_ops import gradients, to_numpy, to_tensor

    call_args = [to_tensor(a) if isinstance(a, TensorArg) else a for a in args]
    call_kwargs = {k: to_tensor(v) if isinstance(v, TensorArg) else v for k, v in kwargs.items()}
    output = module(*call_args, **call_kwargs)
    run = ModuleRun(_plain(output, to_numpy))
    if grad_output is not None:
        result = output if select is None else output[select]
        run.input_grads, run.param_grads = gradients(module, call_args, call_kwargs, result, np.asarray(grad_output))
    return run


def _plain(value: Any, to_numpy: Any) -> Any:
    """Tensors as arrays, inside tuples and lists too: what the worker would have sent back."""
    if hasattr(value, "detach"):
        return to_numpy(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v, to_numpy) for v in value)
    return value


def run_script(
    worker: Any, code: str, *, outputs: list[str], names: tuple[str, ...] = (), torch_seed: int = 0, label: str = "", **inputs: Any
) -> dict[str, Any]:
    """Run a suite's driver code in the worker and return the variables named in `outputs` as plain data.

    `names` are the candidate's classes/functions the code may use; `inputs` become variables (pass
    `tensor(...)` for tensors, or a RemoteObject to hand over a module built earlier). torch, nn, F and np
    are imported, and torch's RNG is seeded with `torch_seed` (so an input may be called `seed`). Write drivers that only *run* the candidate's
    code and collect numbers: every judgement belongs in the grader.
    """
    request = {"code": code, "outputs": list(outputs), "names": list(names), "inputs": inputs, "seed": torch_seed}
    return worker.torch("script", label or "the check's driver", request)["value"]


def state_dict(worker: Any, module: Any) -> dict[str, np.ndarray]:
    return worker.torch("state_dict", f"{module.type_name}.state_dict", {"target": module.ref})["value"]


def parameter_names(worker: Any, module: Any) -> list[str]:
    reply = worker.torch("parameters", f"{module.type_name}.parameters", {"target": module.ref})
    if not reply.get("is_module"):
        raise CheckFailed(f"{module.type_name} is not a torch.nn.Module (subclass nn.Module and call super().__init__())")
    return [name for name, *_ in reply["parameters"]]


def load_state_dict(worker: Any, module: Any, state: dict[str, np.ndarray], *, strict: bool = True) -> None:
    """Load `state` into the candidate's module; missing or unexpected keys fail with both key lists."""
    request = {"target": module.ref, "state": {k: np.asarray(v) for k, v in state.items()}, "strict": strict}
    try:
        worker.torch("load_state_dict", f"{module.type_name}.load_state_dict", request)
    except CandidateRaised as exc:  # a strict load's RuntimeError names the missing and unexpected keys
        raise CheckFailed(f"loading a state dict with keys {sorted(state)}: {exc.message}") from None


def assert_same_keys(got: dict, want: dict, what: str) -> None:
    if set(got) != set(want):
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
        raise CheckFailed(f"{what}: keys differ from {sorted(want)}: {'; '.join(p for p in parts if p)}")


def assert_run_matches(got: ModuleRun, want: ModuleRun, what: str, *, rtol: float, param_names: dict[str, str] | None = None) -> None:
    """Output, input gradients and parameter gradients of the candidate's run against the reference run."""
    assert_close(got.output, want.output, f"{what}: output", rtol=rtol)
    for i, (g, w) in enumerate(zip(got.input_grads, want.input_grads)):
        if w is not None and g is None:
            raise CheckFailed(f"{what}: input {i} received no gradient (was it detached, or used through .data/.numpy()?)")
        if w is not None:
            assert_close(g, w, f"{what}: gradient of input {i}", rtol=rtol)
    for name, w in want.param_grads.items():
        theirs = (param_names or {}).get(name, name)
        if theirs not in got.param_grads:
            raise CheckFailed(f"{what}: no trainable parameter named {theirs!r} (got {sorted(got.param_grads)}); register it as nn.Parameter")
        g = got.param_grads[theirs]
        if g is None:
            raise CheckFailed(f"{what}: parameter {theirs!r} received no gradient: it is not used in forward, or used detached")
        assert_close(g, w, f"{what}: gradient of {theirs}", rtol=rtol)


def assert_jacobians(worker: Any, module: Any, *args: Any, params: bool = True, select: Any = None, **kwargs: Any) -> str:
    """torch.autograd.gradcheck's test (float64, eps 1e-6, atol 1e-5, rtol 1e-3) with the comparison made here.

    The worker builds both Jacobians of the candidate's module (autograd and central differences) and also
    runs gradcheck itself; a patched gradcheck cannot pass, because the verdict is recomputed here.
    """
    request = {"target": module.ref, "args": args, "kwargs": kwargs, "params": params, "select": select}
    reply = worker.torch("jacobians", f"{module.type_name}.forward (gradcheck)", request)
    worst = 0.0
    for name, analytical, numerical in zip(reply["names"], reply["analytical"], reply["numerical"]):
        err = np.abs(analytical - numerical)
        bad = err > GRADCHECK_ATOL + GRADCHECK_RTOL * np.abs(numerical)
        if bad.any():
            index = np.unravel_index(int(np.argmax(np.where(bad, err, -1.0))), err.shape)
            zero = " (autograd gives zero: this path is cut off from the graph)" if not analytical.any() else ""
            downcast = reply.get("downcast")
            noise = (
                f". Your forward turns float64 values into float32 (first at a call to {downcast}), so these central differences "
                "measure float32 rounding, not the gradient: compute in x's dtype"
            ) if downcast else ""  # fmt: skip
            raise CheckFailed(
                f"gradcheck (float64): d output / d {name} disagrees with central differences at (output, element) "
                f"{fmt_index(index)}: autograd {analytical[index]:.6g}, numerical {numerical[index]:.6g}{zero}{noise}"
            )
        worst = max(worst, float(err.max()) if err.size else 0.0)
    if not reply.get("gradcheck"):
        raise CheckFailed(f"torch.autograd.gradcheck failed: {reply.get('gradcheck_message', '')[:400]}")
    return f"max |autograd - numerical| = {worst:.1e} over {len(reply['names'])} inputs and parameters"


def assert_output_like(out: Any, x: np.ndarray) -> None:
    """A normalization layer returns one tensor of its input's shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise CheckFailed(f"forward should return a tensor; it returned {type(out).__name__}")
    if out.shape != x.shape or out.dtype != x.dtype:
        raise CheckFailed(f"forward returned shape {out.shape} {out.dtype}; expected {x.shape} {x.dtype}, like its input")


def assert_input_kept(worker: Any, module: Any, x: np.ndarray, *, name: str = "x", advice: str = OUT_OF_PLACE) -> None:
    """forward(x) leaves the caller's tensor as it was."""
    run = run_module(worker, module, tensor(x), return_args=True)
    assert_unchanged("forward", (name,), (x,), run.args_after, advice)


def assert_shape_and_dtype_kept(worker: Any, module: Any, x: np.ndarray) -> None:
    """forward(x) returns one tensor of x's shape and dtype; a float64 x runs on module.double()."""
    if x.dtype == np.float64:
        module = module.double()
    assert_output_like(run_module(worker, module, tensor(x)).output, x)


# PyTorch's normalization kernels, each forbidden wherever a norm is to be written by hand: any of them computes
# any of the others with the right reshape (one group over the features is a layer norm; the RMS of the
# centred input is the standard deviation; a layer norm of [x, -x] is an RMS norm).
NORM_KERNELS = {
    "layer_norm": "F.layer_norm / nn.LayerNorm", "native_layer_norm": "torch.native_layer_norm",
    "rms_norm": "F.rms_norm / nn.RMSNorm", "_fused_rms_norm": "torch._fused_rms_norm",
    "group_norm": "F.group_norm / nn.GroupNorm", "native_group_norm": "torch.native_group_norm",
    "batch_norm": "F.batch_norm / nn.BatchNorm", "native_batch_norm": "torch.native_batch_norm",
    "_native_batch_norm_legit": "torch._native_batch_norm_legit", "batch_norm_stats": "torch.batch_norm_stats",
    "instance_norm": "F.instance_norm / nn.InstanceNorm",
}


# PyTorch's own encoder layers: a block the exercise has written from its parts must not use them at all.
BUILT_IN_LAYERS = ("TransformerEncoderLayer", "TransformerEncoder", "Transformer")


def assert_written_by_hand(
    worker: Any, ops: tuple[str, ...], forbidden: dict[str, str], what: str, builtin: str, classes: tuple[str, ...] = ()
) -> None:
    """The forward must not dispatch a built-in kernel the exercise asks you to write yourself (`ops`: what the
    worker's record saw it call). That record is only as good as the worker kept it, in a process the
    candidate's code shares: the source is also read here, on the grader's side, for what could have blinded
    it (grader.kit.source_scan). `builtin`: what the row forbids, for the message; `classes`: built-in layers
    the file must not use at all."""
    used = [f"{name} ({route})" for name, route in forbidden.items() if name in ops]
    if used:
        raise CheckFailed(f"{what} dispatched PyTorch's own {', '.join(used)}: compute it from tensor operations yourself")
    try:
        found = hiding_constructs(source_text(worker.candidate), classes)
    except (OSError, LoadFailure) as exc:
        raise CheckFailed(f"the file could not be read again to check it: {exc}") from None
    if found:
        lines = sorted({f.line for f in found[1:]} - {found[0].line})
        more = f" (also line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:8]))})" if lines else ""
        raise CheckFailed(
            f"{found[0]}{more}: code like this can switch off or get around the grader's record of what your forward "
            f"pass calls, so it cannot vouch that the forward avoids {builtin}; no layer of this exercise needs it"
        )
