"""Hidden checks for sparse_layernorm. Rows on the scorecard come from these tests and the spec's examples."""

import ast

import numpy as np
import pytest

from grader.kit import CheckFailed, assert_close, assert_gradient, category, expect_array, remote_numerical_gradient, spec_examples
from sparse_layernorm_checks import (
    BACKWARD,
    BIG_COLS,
    BIG_ROWS,
    DEFAULT_EPS,
    FORWARD,
    GRADS,
    OUTPUTS,
    TO_DENSE,
    CsrCase,
    assert_rows_close,
    big_csr,
    call_backward,
    call_forward,
    dense_size_text,
    forward_diagnoses,
    grad_diagnoses,
    make_csr,
    measure_sparse_speed,
    to_dense_diagnoses,
    unpack,
)
from grader.outcomes import CandidateCrashed, CandidateRaised

test_examples = spec_examples(__file__)

CONTRACT = CsrCase("contract", 6, 9, rows="with_empty")
HIDDEN_CASES = (
    CsrCase("N ≠ D", 7, 13),
    CsrCase("a single row", 1, 10),
    CsrCase("empty rows, the last one included", 6, 8, rows="with_empty"),
    CsrCase("one row stores every column", 5, 9, rows="one_full"),
    CsrCase("large mean, every column stored", 4, 12, rows="full", data="offset"),
    CsrCase("very sparse and wide", 6, 300, density=0.02),
    CsrCase("unsorted column indices", 5, 11, unsorted=True),
    CsrCase("int32 indices", 6, 10, index_dtype="int32"),
    CsrCase("explicitly stored zeros", 5, 8, data="stored_zeros"),
    CsrCase("constant full rows", 4, 6, rows="full", data="constant"),
    CsrCase("non-default eps", 5, 9, rows="with_empty", eps=1e-3),
    CsrCase("float32", 8, 40, dtype="float32"),
)
TO_DENSE_CASES = (
    CsrCase("N ≠ D", 5, 9),
    CsrCase("empty rows", 6, 7, rows="with_empty"),
    CsrCase("unsorted column indices", 4, 10, unsorted=True),
    CsrCase("float32", 6, 12, dtype="float32"),
)
# At least two stored values per row: a row with one is scale-free (its x̂ does not move with the value), so
# its d_data is ~1e-5 and central differences would be judged on rounding noise.
GRADCHECK_CASES = (
    CsrCase("small", 4, 6, density=0.5, min_stored=2),
    CsrCase("empty rows", 5, 7, density=0.4, rows="with_empty", min_stored=2),
)
POSITIONS = {"d_data": 0, "dgamma": 4, "dbeta": 5}  # where data, gamma and beta sit in forward's arguments


def _ids(cases):
    return [c.label for c in cases]


def _candidate_default_eps(candidate):
    shown = getattr(candidate, FORWARD).default("eps")
    try:
        value = float(ast.literal_eval(shown)) if shown is not None else None
    except (ValueError, SyntaxError, TypeError):
        return None
    return value if value is not None and value != DEFAULT_EPS else None


def _expect_forward(outputs, csr, dtype=None):
    out_data, mu, rstd, _ = outputs
    expect_array(out_data, "out_data", shape=csr.data.shape, dtype=dtype)
    expect_array(mu, "mu", shape=(csr.n,), dtype=dtype)
    expect_array(rstd, "rstd", shape=(csr.n,), dtype=dtype)


# ====================================================================== contract
@category("contract")
def test_forward_returns_four_values(candidate, rng):
    """forward returns (out_data, mu, rstd, cache), shaped (nnz,), (N,), (N,)"""
    csr = make_csr(rng, CONTRACT)
    _expect_forward(call_forward(candidate, csr), csr, csr.data.dtype)


@category("contract")
def test_backward_returns_gradients(candidate, rng):
    """backward returns (d_data, dgamma, dbeta), shaped (nnz,), (D,), (D,)"""
    csr = make_csr(rng, CONTRACT)
    *_, cache = call_forward(candidate, csr)
    grads = call_backward(candidate, rng.standard_normal(csr.data.shape), cache)
    for name, grad, like in zip(GRADS, grads, (csr.data, csr.gamma, csr.beta)):
        expect_array(grad, name, shape=like.shape)


@category("contract")
def test_to_dense_returns_matrix(candidate, rng):
    """to_dense returns the (N, D) output"""
    csr = make_csr(rng, CONTRACT)
    out_data, mu, rstd, _ = call_forward(candidate, csr)
    y = getattr(candidate, TO_DENSE)(out_data, mu, rstd, csr.indices, csr.indptr, csr.gamma, csr.beta)
    expect_array(y, "y", shape=(csr.n, csr.D))


@category("contract")
def test_keeps_float32(candidate, rng):
    """float32 in, float32 out (forward, backward, to_dense)"""
    csr = make_csr(rng, CsrCase("float32", 6, 9, rows="with_empty", dtype="float32"))
    outputs = call_forward(candidate, csr)
    _expect_forward(outputs, csr, np.float32)
    out_data, mu, rstd, cache = outputs
    grads = call_backward(candidate, rng.standard_normal(csr.data.shape).astype(np.float32), cache)
    for name, grad in zip(GRADS, grads):
        expect_array(grad, name, dtype=np.float32)
    y = getattr(candidate, TO_DENSE)(out_data, mu, rstd, csr.indices, csr.indptr, csr.gamma, csr.beta)
    expect_array(y, "y (to_dense)", dtype=np.float32)


def _first_change(before, after):
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return "it was replaced"
    diff = np.flatnonzero(after != before)
    return f"first change at [{int(diff[0])}]: {before.reshape(-1)[diff[0]]!r} became {after.reshape(-1)[diff[0]]!r}"


def _assert_unchanged(fn, names, before, after):
    for name, old, new in zip(names, before, after or []):
        if isinstance(old, np.ndarray) and not (isinstance(new, np.ndarray) and np.array_equal(old, new)):
            raise CheckFailed(
                f"{fn} modified its input {name} in place ({_first_change(old, new)}); the caller still needs it: "
                "work on a copy (data - mu[rows], not data -= mu[rows])"
            )


@category("contract")
def test_inputs_not_modified(candidate, rng):
    """inputs are not modified in place (data, indices, indptr, gamma, beta, d_out)"""
    csr = make_csr(rng, CONTRACT)
    args, kwargs = csr.args()
    names = ("data", "indices", "indptr", "D", "gamma", "beta")
    forward = getattr(candidate, FORWARD)
    result = forward.run(*args, return_args=True, **kwargs)
    _assert_unchanged(FORWARD, names, args, result.args_after)
    *_, cache = unpack(result.value, OUTPUTS, FORWARD)
    d_out = rng.standard_normal(csr.data.shape)
    back = getattr(candidate, BACKWARD).run(d_out, cache, return_args=True)
    _assert_unchanged(BACKWARD, ("d_out",), (d_out,), back.args_after)
    _assert_unchanged(f"{BACKWARD} (through the cache)", names, args, forward.arguments_now(result))


@category("contract")
def test_finite_on_empty_and_constant_rows(candidate, rng):
    """finite results for empty rows and constant full rows (variance 0)"""
    csr = make_csr(rng, CsrCase("zero variance", 6, 5, rows="with_empty", data="constant", density=1.0))
    outputs = call_forward(candidate, csr)
    _expect_forward(outputs, csr)
    grads = call_backward(candidate, rng.standard_normal(csr.data.shape), outputs[3])
    for name, value in zip(("out_data", "mu", "rstd") + GRADS, outputs[:3] + grads):
        if isinstance(value, np.ndarray) and not np.all(np.isfinite(value)):
            raise CheckFailed(
                f"{name} contains NaN or inf for a row whose variance is 0 (an empty row, or every value equal): "
                "is eps inside the square root, and is the mean divided by D rather than by the row's nnz?"
            )


@category("contract")
def test_cache_belongs_to_its_call(candidate, rng):
    """backward uses its own cache (no global state)"""
    first, second = make_csr(rng, CONTRACT), make_csr(rng, CsrCase("other", 4, 11))
    d_out = rng.standard_normal(first.data.shape)
    *_, cache = call_forward(candidate, first)
    alone = call_backward(candidate, d_out, cache)
    *_, cache = call_forward(candidate, first)
    call_forward(candidate, second)
    interleaved = call_backward(candidate, d_out, cache)
    for name, a, b in zip(GRADS, alone, interleaved):
        expect_array(a, name)
        if not (isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=0)):
            raise CheckFailed(
                f"{name} changed when another forward call came between forward(x1) and backward(d_out, cache1): "
                "backward must use only the cache it is given; keep state out of globals and function attributes"
            )


# ====================================================================== hidden
@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_forward_matches_reference(case, candidate, reference, rng):
    """forward vs reference"""
    csr = make_csr(rng, case)
    got = call_forward(candidate, csr)
    args, kwargs = csr.copy().args()
    want = reference.sparse_layernorm_forward(*args, **kwargs)
    diagnoses = forward_diagnoses(csr, _candidate_default_eps(candidate))
    for i, name in ((1, "mu"), (2, "rstd"), (0, "out_data")):
        assert_rows_close(got[i], want[i], name, csr, rtol=case.rtol, dtype=csr.data.dtype, diagnoses=diagnoses[name])


@category("hidden")
@pytest.mark.parametrize("case", HIDDEN_CASES, ids=_ids(HIDDEN_CASES))
def test_backward_matches_reference(case, candidate, reference, rng):
    """backward vs reference"""
    csr = make_csr(rng, case)
    d_out = rng.standard_normal(csr.data.shape).astype(case.dtype)
    *_, cache = call_forward(candidate, csr)
    got = call_backward(candidate, d_out, cache)
    args, kwargs = csr.copy().args()
    want = reference.sparse_layernorm_backward(d_out.copy(), reference.sparse_layernorm_forward(*args, **kwargs)[3])
    diagnoses = grad_diagnoses(csr, d_out)
    assert_rows_close(got[0], want[0], "d_data", csr, rtol=case.rtol * 10, dtype=csr.data.dtype, diagnoses=diagnoses["d_data"])
    for name, g, w in zip(GRADS[1:], got[1:], want[1:]):
        assert_close(g, w, name, rtol=case.rtol * 10, dtype=csr.data.dtype, diagnoses=diagnoses[name])


@category("hidden")
@pytest.mark.parametrize("case", TO_DENSE_CASES, ids=_ids(TO_DENSE_CASES))
def test_to_dense_matches_reference(case, candidate, reference, rng):
    """to_dense vs reference (given the reference's forward outputs)"""
    csr = make_csr(rng, case)
    args, kwargs = csr.copy().args()
    out_data, mu, rstd, _ = reference.sparse_layernorm_forward(*args, **kwargs)
    got = getattr(candidate, TO_DENSE)(out_data, mu, rstd, csr.indices, csr.indptr, csr.gamma, csr.beta)
    want = reference.sparse_layernorm_to_dense(out_data, mu, rstd, csr.indices, csr.indptr, csr.gamma, csr.beta)
    assert_close(got, want, "y", rtol=case.rtol, dtype=csr.data.dtype, diagnoses=to_dense_diagnoses(csr, out_data, mu, rstd))


def _on_big_input(action, fn, csr):
    """Run `action`; an out-of-memory error or a timeout is explained in terms of the O(nnz) rule."""
    dense = dense_size_text(csr.n, csr.D)
    what = f"a {csr.n}×{csr.D} input with {csr.data.size} stored values (dense: {dense} of float64)"
    try:
        return action()
    except CandidateRaised as raised:
        if "ran out of memory" not in raised.message:
            raise
        raise CandidateRaised(
            f"{raised.message}, on {what}. Work in O(nnz + N + D) memory: never build an (N, D) array, not even of booleans"
        ) from None
    except CandidateCrashed as crashed:
        if "did not return within" not in crashed.message:
            raise
        head = crashed.message.split(" (an endless loop?")[0]
        raise CandidateCrashed(
            f"{head} on {what}. The reference takes milliseconds; visiting every column of every row (a dense row, "
            "a loop over D) is 10^10 steps. Work in O(nnz + N + D) time. Its remaining checks are not run"
        ) from None


_BIG = {}


def _big_input(seed, reference):
    """The O(nnz) input and the reference's forward on it, built once per grading run (both rows use them)."""
    if seed not in _BIG:
        csr = big_csr(np.random.default_rng([seed, BIG_ROWS]))
        _BIG.clear()
        _BIG[seed] = (csr, reference.sparse_layernorm_forward(*csr.args()[0]))
    return _BIG[seed]


@category("hidden")
def test_forward_is_o_nnz(candidate, reference, seed, report):
    """O(nnz) time and memory: forward on 20000×500000 with ~100k stored values"""
    csr, want = _big_input(seed, reference)
    args, kwargs = csr.args()
    result = _on_big_input(lambda: getattr(candidate, FORWARD).run(*args, **kwargs), FORWARD, csr)
    got = unpack(result.value, OUTPUTS, FORWARD)
    for i, name in ((1, "mu"), (2, "rstd"), (0, "out_data")):
        assert_rows_close(got[i], want[i], name, csr, rtol=1e-7, dtype=csr.data.dtype)
    report.note(f"took {result.elapsed * 1e3:.0f} ms of CPU time ({BIG_ROWS}×{BIG_COLS} would be {dense_size_text(BIG_ROWS, BIG_COLS)} dense)")


@category("hidden")
def test_backward_is_o_nnz(candidate, reference, seed, rng, report):
    """O(nnz) time and memory: backward on 20000×500000 with ~100k stored values"""
    csr, want_forward = _big_input(seed, reference)
    args, kwargs = csr.args()
    outputs = _on_big_input(lambda: unpack(getattr(candidate, FORWARD)(*args, **kwargs), OUTPUTS, FORWARD), FORWARD, csr)
    d_out = rng.standard_normal(csr.data.shape)
    result = _on_big_input(lambda: getattr(candidate, BACKWARD).run(d_out, outputs[3]), BACKWARD, csr)
    got = unpack(result.value, GRADS, BACKWARD)
    want = reference.sparse_layernorm_backward(d_out, want_forward[3])
    for name, g, w in zip(GRADS, got, want):
        assert_close(g, w, name, rtol=1e-6, dtype=csr.data.dtype)
    report.note(f"took {result.elapsed * 1e3:.0f} ms of CPU time")


# ====================================================================== gradcheck
GRADCHECK_PARAMS = [(case, name) for case in GRADCHECK_CASES for name in GRADS]


@category("gradcheck")
@pytest.mark.parametrize(("case", "name"), GRADCHECK_PARAMS, ids=[f"{n}, {c.label}" for c, n in GRADCHECK_PARAMS])
def test_gradient_matches_numerical(case, name, candidate, rng, report):
    """matches central differences of out_data"""
    csr = make_csr(rng, case)
    d_out = rng.standard_normal(csr.data.shape)
    *_, cache = call_forward(candidate, csr)
    grads = call_backward(candidate, d_out, cache)
    args, kwargs = csr.args()
    numeric = remote_numerical_gradient(getattr(candidate, FORWARD), args, kwargs, POSITIONS[name], d_out)
    err = assert_gradient(grads[GRADS.index(name)], numeric, name, 1e-6)
    report.note(f"relative error {err:.1e} (threshold 1e-06)")


# ====================================================================== speed
@category("speed")
def test_speed(worker, seed, report):
    """forward + backward time and peak memory vs reference"""
    measured = measure_sparse_speed(worker, seed)
    figure = measured.figure
    if measured.densifies:
        raise CheckFailed(
            f"peak memory {figure.candidate_peak / 2**20:.1f} MiB against the reference's {figure.reference_peak / 2**20:.1f} MiB: "
            f"at least half of the dense (N, D) matrix ({measured.dense_bytes / 2**20:.1f} MiB). Work in O(nnz + N + D) "
            f"memory, without dense temporaries. {measured.describe()}"
        )
    report.speed(figure.ratio, measured.describe())
