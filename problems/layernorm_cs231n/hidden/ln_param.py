"""CS231n's calling convention for a normalization layer: f(x, gamma, beta, ln_param) -> (out, cache).

The hyper-parameters travel in a dict: eps is `ln_param['eps']` when the key is there and 1e-5 when it is
not, and the dict may hold keys the layer ignores (the course notebook passes {'mode': 'train'}). Every
generic check of `NormLayerChecks` applies once the layer is described with `ParamDictNorm`; cases are
`ParamCase`s, whose `eps` (None: key left out) and `extra` keys make up the dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.kit.layers import Case, Inputs
from grader.kit.ln_mistakes import RowNorm, wrong_default_eps_dx, wrong_default_eps_forward
from grader.outcomes import CandidateRaised


def _short(value: float) -> str:
    """1e-05 -> 1e-5, as the spec writes it."""
    return f"{value:g}".replace("e-0", "e-").replace("e+0", "e+")


@dataclass(frozen=True)
class ParamCase(Case):
    """A Case whose eps goes into the param dict (eps=None: the key is left out), with other keys beside it."""

    extra: tuple[tuple[str, Any], ...] = ()  # e.g. (("mode", "train"),)

    def param_dict(self) -> dict:
        found = dict(self.extra)
        if self.eps is not None:
            found["eps"] = self.eps
        return found

    @property
    def label(self) -> str:
        extras = [self.dtype] if self.dtype != "float64" else []
        extras += ["gamma (1, D)"] if self.gamma_shape == "row" else []
        shown = ", ".join(f"{k!r}: {v!r}" for k, v in self.param_dict().items())
        return ", ".join([f"{self.name} {self.n}×{self.d}", *extras, f"ln_param={{{shown}}}"])


@dataclass
class ParamInputs(Inputs):
    extra: dict = field(default_factory=dict)

    def copy(self) -> ParamInputs:
        return ParamInputs(self.x.copy(), self.gamma.copy(), self.beta.copy(), self.eps, dict(self.extra))


@dataclass(frozen=True)
class ParamDictNorm(RowNorm):
    """A per-row layer called as f(x, gamma, beta, param_dict); its cache goes to backward(dout, cache)."""

    param: str = "ln_param"  # the name the spec gives the dict

    def make_inputs(self, rng: np.random.Generator, case: Case) -> ParamInputs:
        base = super().make_inputs(rng, case)
        return ParamInputs(base.x, base.gamma, base.beta, base.eps, dict(getattr(case, "extra", ())))

    def param_dict(self, inputs: Inputs) -> dict:
        found = dict(getattr(inputs, "extra", {}))
        if inputs.eps is not None:
            found["eps"] = inputs.eps
        return found

    def forward_args(self, inputs: Inputs) -> tuple[tuple, dict]:
        return (inputs.x, inputs.gamma, inputs.beta, self.param_dict(inputs)), {}

    def call_forward(self, impl: Any, inputs: Inputs) -> tuple:
        try:
            return super().call_forward(impl, inputs)
        except CandidateRaised as exc:
            if exc.not_implemented or "KeyError" not in exc.message or "eps" not in exc.message:
                raise
            raise CandidateRaised(
                f"{exc.message}. {self.param} may leave 'eps' out (this call passed {self.param_dict(inputs)!r}): "
                f"read it with {self.param}.get('eps', {_short(self.default_eps)})"
            ) from None

    def candidate_default_eps(self, candidate: Any) -> float | None:
        return None  # the default lives in the code (`.get('eps', ...)`), not in the signature

    def forward_diagnoses(self, inputs: Inputs, candidate_default: float | None = None) -> dict:
        found = super().forward_diagnoses(inputs, candidate_default)
        if inputs.eps is None:
            found.update(wrong_default_eps_forward(inputs, f"{self.param} has no 'eps' key here"))
        return found

    def grad_diagnoses(self, inputs: Inputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, dict]:
        found = super().grad_diagnoses(inputs, dout, candidate_default)
        if inputs.eps is None:
            found["dx"].update(wrong_default_eps_dx(inputs, dout, f"{self.param} has no 'eps' key here"))
        return found

    def speed_run(self, impl: Any, x: Any, gamma: Any, beta: Any) -> tuple:
        out, cache = getattr(impl, self.forward)(x, gamma, beta, {})
        return out, getattr(impl, self.backward)(out, cache)
