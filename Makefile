# normkata: the two commands a new user needs are `make grade P=<slug>` and `make test`.
# Both create .venv on first use; nothing else has to be installed beyond Python 3.10+.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
P      ?= layernorm
ARGS   ?=
# The PyTorch track needs torch. CI pins the CPU wheel this machine has on disk; elsewhere the CPU index
# avoids a multi-GB CUDA download: make install-torch TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
TORCH  ?= torch==2.13.0

.PHONY: install install-torch grade test bench clean help

help:
	@echo "make grade P=<slug> [ARGS='--seed 7']   grade problems/<slug>/<slug>.py"
	@echo "make test                               run the project's own test suite"
	@echo "make install                            only create .venv and install normkata"
	@echo "make install-torch [TORCH=...]          add torch (CPU) for the PyTorch track"
	@echo "make bench                              measure speed and latency, write docs/benchmarks.md"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

install-torch: $(STAMP)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,torch]'

# A failing check is the expected first result, not a broken build: make says nothing more about exit 1
# (some check failed). Usage errors (2) and signals (128 + N) still fail the target; scripts that need the
# verdict as a status call .venv/bin/grade directly.
grade: $(STAMP)
	@$(BIN)/grade $(P) $(ARGS) || test $$? -eq 1

# The tests start a few hundred Python processes; compiling the grader and the suites once here spares each
# of them the work when PYTHONDONTWRITEBYTECODE keeps Python from caching it (never the candidates' folders).
test: $(STAMP)
	@$(BIN)/python -m compileall -q grader problems/*/hidden > /dev/null && $(BIN)/python -m compileall -q -l tests > /dev/null
	@$(BIN)/python -m pytest -q $(ARGS)

bench: $(STAMP)
	@$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
