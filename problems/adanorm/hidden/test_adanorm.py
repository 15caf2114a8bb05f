"""Hidden checks for adanorm. Rows on the scorecard come from these tests and the spec's examples.

AdaNorm (Xu et al., NeurIPS 2019) is LayerNorm without gamma and beta whose output is scaled by a weight
computed from the normalized value itself, phi = C * (1 - k * y), and whose backward pass holds phi
constant. The generic layer checks (grader.kit.layers) apply once the layer is described: calls with C and
k, a backward that returns dx alone, the mistakes worth naming, and a gradient check against the function
with phi frozen, since central differences of the forward as it is give the derivative the spec does not ask for.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from grader.kit import AffineNorm, Case, CheckFailed, NormLayerChecks, category, describe, expect_array, rel_error, spec_examples
from grader.kit.gradcheck import remote_numerical_gradient
from grader.kit.layers import Inputs, cases
from grader.kit.mistakes import normalize
from grader.outcomes import CheckOutcome

Models = dict[str, Callable[[], np.ndarray]]
SPEC_DEFAULTS = {"C": 1.0, "k": 0.1, "eps": 1e-5}
FROZEN = (
    ". The central differences here are those of the frozen function the spec defines: your adanorm_forward(x, C=1, "
    "k=0), the normalized y, weighted by phi = C * (1 - k*y) computed once at the unperturbed x"
)

test_examples = spec_examples(__file__)


@dataclass(frozen=True)
class AdaCase(Case):
    """A Case with AdaNorm's two hyper-parameters (None: not passed, so the function's default applies)."""

    c: float | None = None
    k: float | None = None

    @property
    def label(self) -> str:
        extras = [f"{name}={value:g}" for name, value in (("C", self.c), ("k", self.k)) if value is not None]
        return super().label + (f", {', '.join(extras)}" if extras else "")


@dataclass
class AdaInputs(Inputs):
    c: float | None = None
    k: float | None = None

    def copy(self) -> AdaInputs:
        return replace(self, x=self.x.copy())


def _f64(a: Any) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def adanorm_dx(x: np.ndarray, dz: np.ndarray, eps: float, weight: np.ndarray, *, ddof: int = 0, eps_outside: bool = False,
               mean_path: bool = True, var_path: bool = True) -> np.ndarray:
    """J_y(x)^T (weight * dz): the input gradient when z's factor in front of y is held at `weight`.

    With weight = phi it is the gradient the spec asks for; other weights, normalizations (ddof, eps added to
    the standard deviation) and dropped paths model the ways people get it wrong.
    """
    x, g = _f64(x), _f64(dz) * weight
    d = x.shape[1]
    xc = x - x.mean(axis=1, keepdims=True)
    var = (xc * xc).sum(axis=1, keepdims=True) / (d - ddof)
    s = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    ds_denominator = np.sqrt(var) if eps_outside else s  # d s / d x_j = xc_j / ((d - ddof) * this)
    dx = g / s
    if mean_path:
        dx = dx - g.mean(axis=1, keepdims=True) / s
    if var_path:
        dx = dx - (g * xc).sum(axis=1, keepdims=True) * xc / (s * s * (d - ddof) * ds_denominator)
    return dx


@dataclass(frozen=True)
class AdaNormLayer(AffineNorm):
    """adanorm_forward(x, C=1.0, k=0.1, eps=1e-5) -> (z, cache); adanorm_backward(dz, cache) -> dx."""

    forward: str = "adanorm_forward"
    backward: str = "adanorm_backward"
    stat_axis: int = 1
    default_eps: float = SPEC_DEFAULTS["eps"]
    outputs: tuple[str, ...] = ("z", "cache")
    grads: tuple[str, ...] = ("dx",)
    params: tuple[str, ...] = ("x",)
    upstream: str = "dz"

    # ------------------------------------------------------------------ inputs
    def make_inputs(self, rng: np.random.Generator, case: Case) -> AdaInputs:
        base = super().make_inputs(rng, case)
        empty = np.zeros(0, dtype=base.x.dtype)
        return AdaInputs(base.x, empty, empty, case.eps, getattr(case, "c", None), getattr(case, "k", None))

    def c(self, inputs: AdaInputs) -> float:
        return SPEC_DEFAULTS["C"] if inputs.c is None else inputs.c

    def k(self, inputs: AdaInputs) -> float:
        return SPEC_DEFAULTS["k"] if inputs.k is None else inputs.k

    # ------------------------------------------------------------------ calls
    def forward_args(self, inputs: AdaInputs) -> tuple[tuple, dict]:
        given = {"C": inputs.c, "k": inputs.k, "eps": inputs.eps}
        return (inputs.x,), {name: float(value) for name, value in given.items() if value is not None}

    def call_backward(self, impl: Any, dout: np.ndarray, cache: Any) -> tuple:
        dx = getattr(impl, self.backward)(dout, cache)
        if isinstance(dx, (tuple, list)):
            raise CheckFailed(
                f"{self.backward} must return dx alone, an array (AdaNorm has no learned parameters, so there "
                f"is nothing else to return); it returned {describe(dx)}"
            )
        return (dx,)

    # ------------------------------------------------------------------ the gradient asked for
    def numerical_gradient(self, candidate: Any, inputs: AdaInputs, index: int, dout: np.ndarray) -> np.ndarray:
        """Central differences of z~(x') = phi0 * y(x'), phi frozen at the unperturbed x: the candidate's own
        normalization y is its forward with C=1, k=0, and phi0 = C * (1 - k * y) is computed from it once."""
        frozen = replace(inputs, c=1.0, k=0.0)
        y0, _ = self.call_forward(candidate, frozen)
        what = f"{self.forward}(x, C=1.0, k=0.0), your normalized y"
        y0 = expect_array(y0, what, shape=inputs.x.shape)
        if not np.all(np.isfinite(y0)):
            raise CheckFailed(f"{what} contains NaN or inf: there is no frozen function to check dx against")
        weight = self.c(inputs) * (1.0 - self.k(inputs) * _f64(y0))
        args, kwargs = self.forward_args(frozen)
        numeric = remote_numerical_gradient(getattr(candidate, self.forward), args, kwargs, index, dout * weight)
        if not np.all(np.isfinite(numeric)):
            raise CheckFailed(f"central differences of {what} are NaN or inf: your forward breaks down near this x")
        return numeric

    # ------------------------------------------------------------------ known mistakes
    def forward_diagnoses(self, inputs: AdaInputs, candidate_default: float | None = None) -> Models:
        x, eps, c, k = _f64(inputs.x), self.eps(inputs), self.c(inputs), self.k(inputs)
        y = normalize(x, 1, eps)

        def ada(y_: np.ndarray, c_: float = c, k_: float = k) -> np.ndarray:
            return c_ * (1.0 - k_ * y_) * y_

        found: Models = {}
        if inputs.eps is None and candidate_default is not None:
            found[f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"] = (
                lambda: ada(normalize(x, 1, candidate_default))
            )
        found.update({
            "the authors' PyTorch code: torch.std divides by D - 1 and eps is added to the standard deviation; "
            "the spec's sigma is the biased one (divide by D), eps inside the square root": (
                lambda: ada(normalize(x, 1, eps, ddof=1, eps_outside_sqrt=True))
            ),
            "the variance used ddof=1 (unbiased); sigma is the biased standard deviation (ddof=0)": (
                lambda: ada(normalize(x, 1, eps, ddof=1))
            ),
            "eps was added outside the square root: 1/(std + eps) instead of 1/sqrt(var + eps)": (
                lambda: ada(normalize(x, 1, eps, eps_outside_sqrt=True))
            ),
            "the statistics were taken over axis 0 (down the batch) instead of axis 1 (each row's features)": (
                lambda: ada(normalize(x, 0, eps))
            ),
            "the sign of k is flipped: C * (1 + k*y) * y scales large values up; phi = C * (1 - k*y)": (
                lambda: c * (1.0 + k * y) * y
            ),
            "C was not applied: z = (1 - k*y) * y": lambda: ada(y, 1.0),
            "C multiplies only the 1: (C - k*y) * y instead of C * (1 - k*y) * y": lambda: (c - k * y) * y,
            "k was ignored: z = C * y is LayerNorm without gain and bias": lambda: ada(y, c, 0.0),
            "k was not multiplied by y: C * (1 - k) * y": lambda: c * (1.0 - k) * y,
            "phi was computed from x instead of the normalized y: C * (1 - k*x) * y": lambda: c * (1.0 - k * x) * y,
            "C and k were swapped": lambda: ada(y, k, c),
            "eps was ignored (the eps argument never reached the square root)": lambda: ada(normalize(x, 1, self.default_eps)),
            "eps was left out entirely": lambda: ada(normalize(x, 1, 0.0)),
        })  # fmt: skip
        return found

    def grad_diagnoses(self, inputs: AdaInputs, dout: np.ndarray, candidate_default: float | None = None) -> dict[str, Models]:
        x, dz, eps, c, k = _f64(inputs.x), _f64(dout), self.eps(inputs), self.c(inputs), self.k(inputs)
        y = normalize(x, 1, eps)
        phi = c * (1.0 - k * y)
        found: Models = {}
        if inputs.eps is None and candidate_default is not None:
            y_own = normalize(x, 1, candidate_default)
            found[f"your eps defaults to {candidate_default:g}; the spec's default is {self.default_eps:g}"] = (
                lambda: adanorm_dx(x, dz, candidate_default, c * (1.0 - k * y_own))
            )
        if inputs.eps is not None:
            y_default = normalize(x, 1, self.default_eps)
            found[f"backward used eps={self.default_eps:g}, not the eps={inputs.eps:g} forward was given: keep eps "
                  "(or 1/sqrt(var + eps)) in the cache"] = (
                lambda: adanorm_dx(x, dz, self.default_eps, c * (1.0 - k * y_default))
            )  # fmt: skip
        y_unbiased, y_outside = normalize(x, 1, eps, ddof=1), normalize(x, 1, eps, eps_outside_sqrt=True)
        y_authors = normalize(x, 1, eps, ddof=1, eps_outside_sqrt=True)
        found.update({
            "phi was not held constant: this is the true derivative of z, dz * C*(1 - 2k*y) where dz * phi "
            "belongs; the paper detaches phi = C * (1 - k*y) in the backward pass": (
                lambda: adanorm_dx(x, dz, eps, c * (1.0 - 2.0 * k * y))
            ),
            "the mean and the variance were held constant too (dx = dz * phi / sigma, the paper's DetachNorm): only "
            "phi is detached; the paths through the mean and the variance stay": (
                lambda: adanorm_dx(x, dz, eps, phi, mean_path=False, var_path=False)
            ),
            "the wrong factor was held constant: y was frozen and phi differentiated (dz * (-C*k*y) where "
            "dz * phi belongs)": lambda: adanorm_dx(x, dz, eps, -c * k * y),
            "phi is missing from the backward pass: dx is LayerNorm's with gamma = 1": (
                lambda: adanorm_dx(x, dz, eps, np.ones_like(y))
            ),
            "C is missing from the backward pass: dz * (1 - k*y) where dz * C * (1 - k*y) belongs": (
                lambda: adanorm_dx(x, dz, eps, 1.0 - k * y)
            ),
            "the sign of k is flipped in the backward pass: dz * C * (1 + k*y) where dz * C * (1 - k*y) belongs": (
                lambda: adanorm_dx(x, dz, eps, c * (1.0 + k * y))
            ),
            "dx is missing the path through the variance (the -y * mean(g * y) term, g = dz * phi)": (
                lambda: adanorm_dx(x, dz, eps, phi, var_path=False)
            ),
            "dx is missing the path through the mean (the -mean(g) term, g = dz * phi)": (
                lambda: adanorm_dx(x, dz, eps, phi, mean_path=False)
            ),
            "dx is the gradient of the authors' PyTorch code (torch.std divides by D - 1, eps added to the "
            "standard deviation), not of the spec's normalization": (
                lambda: adanorm_dx(x, dz, eps, c * (1.0 - k * y_authors), ddof=1, eps_outside=True)
            ),
            "dx used the unbiased variance (ddof=1)": lambda: adanorm_dx(x, dz, eps, c * (1.0 - k * y_unbiased), ddof=1),
            "dx is the gradient of 1/(std + eps): eps belongs inside the square root": (
                lambda: adanorm_dx(x, dz, eps, c * (1.0 - k * y_outside), eps_outside=True)
            ),
        })  # fmt: skip
        return {"dx": found}

    # ------------------------------------------------------------------ speed
    def speed_inputs(self, rng: np.random.Generator, n: int, d: int) -> tuple:
        return (rng.random((n, d)) * 4.0 - 1.5,)

    def speed_run(self, impl: Any, x: Any) -> tuple:
        z, cache = getattr(impl, self.forward)(x)
        return z, getattr(impl, self.backward)(z, cache)


def _shown_defaults(candidate: Any, function: str) -> dict[str, str]:
    """The candidate's signature defaults that are not the spec's, as written there ('C': '2.0')."""
    fn = getattr(candidate, function)
    differing = {}
    for name, spec_value in SPEC_DEFAULTS.items():
        shown = fn.default(name)
        try:
            same = shown is not None and float(ast.literal_eval(shown)) == spec_value
        except (ValueError, SyntaxError, TypeError):
            same = False
        if not same:
            differing[name] = "no default" if shown is None else shown
    return differing


class TestAdaNorm(NormLayerChecks):
    layer = AdaNormLayer()
    hidden_cases = (
        AdaCase("N ≠ D", 7, 13),
        AdaCase("a single row", 1, 9),
        AdaCase("strong adaptation", 5, 10, c=2.0, k=0.3),
        AdaCase("LayerNorm-simple", 4, 6, k=0.0),
        AdaCase("tiny variance", 5, 16, data="tiny_var"),
        AdaCase("large mean", 6, 12, data="offset"),
        AdaCase("constant rows", 4, 6, data="constant"),
        AdaCase("non-default eps", 5, 10, data="tiny_var", eps=1e-3),
        AdaCase("float32", 8, 32, dtype="float32"),
        AdaCase("many features", 3, 257),
    )
    gradcheck_cases = (
        AdaCase("small", 4, 5),
        AdaCase("wide", 3, 8),
        AdaCase("strong adaptation", 3, 6, c=2.0, k=0.3),
        AdaCase("large eps", 3, 6, eps=1.0),
    )

    @property
    def contract_cases(self) -> list[Case]:
        n, d = self.contract_size
        return [AdaCase("contract", n, d)]

    @category("contract")
    def test_defaults_are_the_spec(self, candidate: Any, rng: np.random.Generator) -> None:
        """defaults are C=1.0, k=0.1, eps=1e-5"""
        n, d = self.contract_size
        inputs = self.layer.make_inputs(rng, AdaCase("defaults", n, d, data="tiny_var"))  # eps matters here
        plain, _ = self.layer.call_forward(candidate, inputs)
        spelled, _ = self.layer.call_forward(candidate, replace(inputs, c=1.0, k=0.1, eps=1e-5))
        plain = expect_array(plain, f"{self.layer.forward}(x)", shape=inputs.x.shape)
        spelled = expect_array(spelled, f"{self.layer.forward}(x, C=1.0, k=0.1, eps=1e-5)", shape=inputs.x.shape)
        if not np.allclose(plain, spelled, rtol=1e-9, atol=1e-12, equal_nan=True):
            differing = _shown_defaults(candidate, self.layer.forward)
            shown = ", ".join(f"{name}={value}" for name, value in differing.items())
            raise CheckFailed(
                f"{self.layer.forward}(x) differs from {self.layer.forward}(x, C=1.0, k=0.1, eps=1e-5) (max difference "
                f"{float(np.max(np.abs(_f64(plain) - _f64(spelled)))):.3g})"
                + (f": your signature gives {shown}" if shown else ": the defaults are not the ones the function uses")
            )

    @category("gradcheck")
    @cases("gradcheck_cases")
    def test_gradient_matches_numerical(self, case: Case, param: str, candidate: Any, rng: np.random.Generator, report: Any) -> None:
        """matches central differences, phi held constant"""
        try:
            super().test_gradient_matches_numerical(case, param, candidate, rng, report)
        except CheckFailed as failed:
            if "against the numerical gradient" not in failed.message:
                raise  # not a comparison (a wrong shape, a tuple, NaN): the message says what it is
            raise CheckFailed(failed.message + (self._true_derivative(case, candidate, rng) or FROZEN)) from None

    def _true_derivative(self, case: Case, candidate: Any, rng: np.random.Generator) -> str:
        """A dx that fails against the frozen function but matches central differences of the whole forward is
        the true derivative of z: say so (on a fresh input and upstream gradient: a wrong backward is wrong for all)."""
        inputs = self.layer.make_inputs(rng, case)
        dz = rng.standard_normal(inputs.x.shape)
        try:
            _, cache = self.layer.call_forward(candidate, inputs)
            (analytic,) = self.layer.call_backward(candidate, dz, cache)
            args, kwargs = self.layer.forward_args(inputs)
            whole = remote_numerical_gradient(getattr(candidate, self.layer.forward), args, kwargs, 0, dz)
        except CheckOutcome:
            return ""
        if not (isinstance(analytic, np.ndarray) and analytic.shape == whole.shape and np.all(np.isfinite(analytic))):
            return ""
        err = rel_error(analytic, whole)
        if not err <= self.gradcheck_threshold:
            return ""
        return (
            f". Looks like phi was not held constant: your dx matches central differences of your whole forward "
            f"(relative error {err:.1e}), the true derivative of z. The spec asks for the paper's gradient, with "
            "phi = C * (1 - k*y) detached: dz * phi where you have dz * C*(1 - 2k*y)"
        )
