"""Mutation testing of the hidden suites: every known-wrong file is caught, every correct variant passes.

The corpus lives in tests/mutants/<slug>/ (wrong) and tests/variants/<slug>/ (right, written differently
from the reference); each file's header says what it is and where it must be caught (see helpers.Specimen).
"""

from __future__ import annotations

import re

import pytest
from helpers import ROOT, specimens, torch_marks

MUTANTS = specimens("mutants")
VARIANTS = specimens("variants")
MIN_MUTANTS, MIN_VARIANTS = 8, 2


@pytest.mark.parametrize("specimen", torch_marks(MUTANTS), ids=[s.id for s in MUTANTS])
def test_mutant_is_caught(specimen, corpus) -> None:
    run = corpus.specimen(specimen)
    assert run.code == 1, f"{specimen.id} ({specimen.mistake}) passed every check:\n{run.stdout[:2000]}"
    if not specimen.not_said:  # graded in its promised categories only (helpers.corpus_files): no other row
        assert {row["category"] for row in run.rows()} <= {"load", *specimen.caught_by}, run.report["left_out"]
    failing = [row for row in run.rows() if row["status"] not in ("pass", "skip")]
    missing = set(specimen.caught_by) - {row["category"] for row in failing}
    assert not missing, f"{specimen.id} ({specimen.mistake}) not caught in {missing}; failing rows: {failing}"
    if specimen.diagnosis:
        assert any(re.search(specimen.diagnosis, row["message"]) for row in failing), (
            f"{specimen.id}: no failing row names the mistake /{specimen.diagnosis}/: "
            + "\n".join(row["message"] for row in failing)
        )
    if specimen.not_said:
        false_claims = [row["message"] for row in run.rows() if re.search(specimen.not_said, row["message"])]
        assert not false_claims, f"{specimen.id}: a row claims what this mistake is not (/{specimen.not_said}/): {false_claims}"


@pytest.mark.parametrize("specimen", torch_marks(VARIANTS), ids=[s.id for s in VARIANTS])
def test_correct_variant_passes(specimen, corpus) -> None:
    run = corpus.specimen(specimen)
    failing = [row for row in run.rows() if row["status"] != "pass"]
    assert run.code == 0 and not failing, f"{specimen.id} ({specimen.mistake}) should pass: {failing}"
    if specimen.speed:
        (speed,) = run.rows(category="speed")
        assert re.search(specimen.speed, speed["message"]), speed["message"]


@pytest.mark.parametrize("slug", sorted(p.parent.name for p in (ROOT / "problems").glob("*/problem.toml")))
def test_every_problem_has_a_mutation_corpus(slug: str) -> None:
    mutants = [s for s in MUTANTS if s.slug == slug]
    variants = [s for s in VARIANTS if s.slug == slug]
    assert len(mutants) >= MIN_MUTANTS, f"{slug}: {len(mutants)} mutants in tests/mutants/{slug}/, want {MIN_MUTANTS}+"
    assert len(variants) >= MIN_VARIANTS, f"{slug}: {len(variants)} variants in tests/variants/{slug}/, want {MIN_VARIANTS}+"
    assert all(s.caught_by for s in mutants), f"{slug}: every mutant needs a '# caught-by:' header"
