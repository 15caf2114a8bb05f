"""AdaNorm's gradient is on purpose not the derivative of its forward: these tests pin down which one it is.

The reference's dx must be the gradient of the frozen function phi0 * y(x) (the paper's detached phi), as
autograd computes it with `.detach()`, and not the true derivative; and the suite's model of that gradient,
which names the mistakes of a wrong normalization (ddof=1, eps added to the std, the authors' code), must be
the backward pass of the mutants that make those mistakes, or the names would be guesses.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from helpers import ROOT

from grader.kit.gradcheck import numerical_gradient
from grader.kit.mistakes import normalize


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"adanorm_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


REFERENCE = _load(ROOT / "solutions" / "adanorm.py")
SUITE = _load(ROOT / "problems" / "adanorm" / "hidden" / "test_adanorm.py")
SETTINGS = [(1.0, 0.1, 1e-5), (2.0, 0.3, 1e-3), (0.7, 0.1, 1.0)]


def _batch(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(1.0, 2.0, (4, 7)), rng.standard_normal((4, 7))


@pytest.mark.parametrize(("C", "k", "eps"), SETTINGS)
def test_reference_dx_is_the_gradient_of_the_frozen_function(C: float, k: float, eps: float) -> None:
    x, dz = _batch(1)
    z, cache = REFERENCE.adanorm_forward(x, C, k, eps)
    dx = REFERENCE.adanorm_backward(dz, cache)
    phi0 = C * (1 - k * normalize(x, 1, eps))
    frozen = numerical_gradient(lambda v: phi0 * normalize(v, 1, eps), x, dz)
    whole = numerical_gradient(lambda v: REFERENCE.adanorm_forward(v, C, k, eps)[0], x, dz)
    assert np.allclose(z, phi0 * normalize(x, 1, eps), rtol=1e-12, atol=1e-12)
    assert np.allclose(dx, frozen, rtol=1e-6, atol=1e-8)
    assert not np.allclose(dx, whole, rtol=1e-3, atol=1e-3)  # the true derivative is another gradient


@pytest.mark.parametrize(("C", "k", "eps"), SETTINGS)
def test_reference_matches_autograd_with_phi_detached(C: float, k: float, eps: float) -> None:
    torch = pytest.importorskip("torch")
    x, dz = _batch(2)
    xt = torch.tensor(x, requires_grad=True)
    y = (xt - xt.mean(-1, keepdim=True)) / torch.sqrt(xt.var(-1, unbiased=False, keepdim=True) + eps)
    zt = C * (1 - k * y).detach() * y
    zt.backward(torch.tensor(dz))
    z, cache = REFERENCE.adanorm_forward(x, C, k, eps)
    assert np.allclose(z, zt.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(REFERENCE.adanorm_backward(dz, cache), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("mutant", "ddof", "eps_outside"),
    [("unbiased_variance", 1, False), ("eps_outside_sqrt", 0, True), ("authors_code", 1, True)],
)
def test_dx_model_is_the_backward_of_each_wrong_normalization(mutant: str, ddof: int, eps_outside: bool) -> None:
    wrong = _load(ROOT / "tests" / "mutants" / "adanorm" / f"{mutant}.py")
    x, dz = _batch(3)
    C, k, eps = 1.5, 0.2, 1e-2
    _, cache = wrong.adanorm_forward(x, C, k, eps)
    y = normalize(x, 1, eps, ddof=ddof, eps_outside_sqrt=eps_outside)
    model = SUITE.adanorm_dx(x, dz, eps, C * (1 - k * y), ddof=ddof, eps_outside=eps_outside)
    assert np.allclose(wrong.adanorm_backward(dz, cache), model, rtol=1e-10, atol=1e-12)


def test_dx_model_with_phi_is_the_reference() -> None:
    x, dz = _batch(4)
    _, cache = REFERENCE.adanorm_forward(x, 2.0, 0.3, 1e-3)
    model = SUITE.adanorm_dx(x, dz, 1e-3, 2.0 * (1 - 0.3 * normalize(x, 1, 1e-3)))
    assert np.allclose(REFERENCE.adanorm_backward(dz, cache), model, rtol=1e-10, atol=1e-12)


def test_every_named_mistake_differs_from_the_right_answer() -> None:
    """A model equal to the right answer could never be named; one that is must not be in the list."""
    layer = SUITE.AdaNormLayer()
    x, dz = _batch(5)
    inputs = SUITE.AdaInputs(x, np.zeros(0), np.zeros(0), 1e-3, 2.0, 0.3)
    z, cache = REFERENCE.adanorm_forward(x, 2.0, 0.3, 1e-3)
    dx = REFERENCE.adanorm_backward(dz, cache)
    for label, model in layer.forward_diagnoses(inputs).items():
        assert not np.allclose(model(), z), label
    for label, model in layer.grad_diagnoses(inputs, dz)["dx"].items():
        assert not np.allclose(model(), dx), label
