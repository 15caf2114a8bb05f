"""What a candidate's dropout did in train mode, read off the gradient of a net whose last weights are 0.

With W2 = 0 the scores are b2 for every example whatever the hidden layer computes, so the loss and
dscores = (softmax(b2) - onehot(y)) / N are known exactly, and grads['W2'] = h_dropped.T @ dscores gives
away h_dropped, the hidden layer after dropout. That reading rests on premises about the rest of the
candidate's net (its output layer, its loss, the form of its grads['W2']); each is checked on the
candidate's own numbers before anything is said about its dropout, since a message built on a false
premise names a mistake the candidate did not make.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.kit.compare import assert_close, sentence
from grader.outcomes import CheckFailed

# Premises hold to rounding: everything here is a handful of float64 operations on values of order 1.
PREMISE_RTOL = 1e-6
# The binomial spread of a kept fraction over H * N units is at most 0.5 / sqrt(H * N): about 0.03 for the
# 256 units read here, so 0.13 is more than four standard deviations.
FRACTION_SLACK = 0.13


@dataclass(frozen=True)
class Zeroed:
    """The known parts of a one-hidden-layer net with W2 = 0: its hidden layer before dropout and its dscores."""

    hidden: np.ndarray  # (N, H): ReLU(x @ W1 + b1)
    dscores: np.ndarray  # (N, C): d loss / d scores when the scores are b2 in every row
    loss: float  # the loss when the scores are b2 in every row (reg = 0)

    @classmethod
    def of(cls, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Zeroed:
        hidden = np.maximum(x @ params["W1"] + params["b1"], 0.0)
        b2 = np.asarray(params["b2"], dtype=np.float64)
        log_probs = b2 - b2.max() - np.log(np.exp(b2 - b2.max()).sum())
        n, classes = len(y), len(b2)
        dscores = (np.exp(log_probs)[None, :] - np.eye(classes)[y]) / n
        return cls(hidden, dscores, float(-log_probs[y].mean()))


@dataclass(frozen=True)
class DropoutReading:
    """The hidden layer after the candidate's dropout, and what it says about the mask and the scale."""

    dropped: np.ndarray  # (N, H)
    hidden: np.ndarray  # (N, H) before dropout

    @property
    def kept(self) -> np.ndarray:
        return np.abs(self.dropped) > 1e-3 * self.hidden

    @property
    def fraction(self) -> float:
        return float(self.kept.mean())

    @property
    def ratios(self) -> np.ndarray:
        return self.dropped[self.kept] / self.hidden[self.kept]


def read_dropout(zeroed: Zeroed, loss: float, grad_w2: np.ndarray, plain_grad_w2: np.ndarray) -> DropoutReading:
    """The candidate's h_dropped, once its numbers show the premises hold; else what was measured.

    `plain_grad_w2` comes from the same net built with dropout=1: its grads['W2'] must be exactly h.T @ dscores,
    which shows that the candidate's last layer, loss and backward pass are right, so that what differs with
    dropout on is the dropout's doing (a gradient off by a factor would otherwise read as a wrong dropout scale).
    """
    if not np.isclose(loss, zeroed.loss, rtol=PREMISE_RTOL, atol=PREMISE_RTOL):
        raise CheckFailed(
            f"the dropout mask could not be read: with W2 = 0 the scores are b2 in every row whatever the hidden layer "
            f"holds, so the loss must be {zeroed.loss:.6g}; yours is {loss:.6g}. The output layer or the loss differs "
            "from the spec's (affine, then softmax), and the rows comparing them with the reference show where"
        )
    d = zeroed.dscores
    try:
        assert_close(plain_grad_w2, zeroed.hidden.T @ d, "grads['W2'] of the same net with dropout=1", rtol=PREMISE_RTOL)
    except CheckFailed as failure:
        raise CheckFailed(
            f"the dropout mask could not be read: with W2 = 0, grads['W2'] is h.T @ dscores for the hidden layer h and "
            f"dscores = (softmax(b2) - onehot(y)) / N, and without dropout yours is not: {sentence(failure.message)} The rows "
            "comparing gradients with the reference show where the backward pass goes wrong"
        ) from None
    grad_w2 = np.asarray(grad_w2, dtype=np.float64)
    dropped = np.linalg.solve(d @ d.T, d @ grad_w2.T)  # (N, H): the least-squares fit of grads['W2'] = h.T @ d
    misfit = float(np.max(np.abs(dropped.T @ d - grad_w2)))
    if misfit > PREMISE_RTOL * max(1.0, float(np.max(np.abs(grad_w2)))):
        raise CheckFailed(
            "the dropout mask could not be read: with W2 = 0, grads['W2'] must be h.T @ dscores for the hidden layer h "
            "after dropout and dscores = (softmax(b2) - onehot(y)) / N; with dropout on, yours is off that form by up "
            f"to {misfit:.3g}, though without dropout it has it"
        )
    return DropoutReading(dropped, zeroed.hidden)


def judge_dropout(reading: DropoutReading, keep: float) -> None:
    """Each unit kept with probability `keep` and the kept ones divided by it: say what was measured otherwise.

    A mistake is named only when the measurement is that mistake's signature: the kept fraction near 1 - p
    for p read as the probability of dropping, one common scale equal to a named wrong one.
    """
    fraction = reading.fraction
    if fraction == 1.0:
        raise CheckFailed(
            f"no hidden unit was dropped in train mode with dropout={keep:g} (all {reading.kept.size} read off grads['W2'] "
            "are non-zero): is dropout_forward called after each ReLU (with self.dropout_param)?"
        )
    if abs(fraction - keep) > FRACTION_SLACK:
        named = (
            f". That is about 1 - p: p was used as the probability of dropping a unit; in this spec p={keep:g} is the "
            "probability of keeping one (dropout=1 means no dropout)"
            if abs(fraction - (1 - keep)) <= FRACTION_SLACK
            else ""
        )
        raise CheckFailed(
            f"{fraction:.0%} of the hidden units were kept in train mode with dropout={keep:g}; expected about {keep:.0%}{named}"
        )
    ratios = reading.ratios
    if np.allclose(ratios, 1.0 / keep, rtol=1e-6):
        return
    low, high = float(ratios.min()), float(ratios.max())
    if high - low > 1e-6 * abs(high):
        raise CheckFailed(
            f"kept units should all be scaled by 1/p = {1 / keep:.4g} in train mode (inverted dropout); they were scaled "
            f"by factors from {low:.4g} to {high:.4g}"
        )
    named_scales = {
        1.0: "kept units were not divided by p",
        keep: "kept units were multiplied by p instead of divided",
        1.0 / (1 - keep): "kept units were divided by 1 - p instead of p",
    }
    label = next((text for value, text in named_scales.items() if abs(low - value) <= 1e-6 * value), "")
    raise CheckFailed(
        f"kept units should be scaled by 1/p = {1 / keep:.4g} in train mode (inverted dropout); they were all scaled by "
        f"{low:.4g}" + (f". Looks like {label}" if label else "")
    )
