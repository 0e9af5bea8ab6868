# Teman Migran — a newcomer needs only `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The bot's environment (mostly downloads) and the Rasa environment plus the model training
# (mostly CPU) do not depend on each other: make builds them side by side. Every progress line
# names the step it belongs to, so the interleaved output stays readable.
MAKEFLAGS += --jobs=2
START := $(shell date +%s)
ELAPSED = $$(( ($$(date +%s) - $(START)) / 60 ))m$$(printf %02d $$(( ($$(date +%s) - $(START)) % 60 )))s

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock 2>/dev/null | sha256sum | cut -c1-16)

.PHONY: help run test test-no-nlu test-nlu bench venv nlu-env nlu-train nlu-eval chromium lint lock clean

help:
	@echo "make run    - set everything up, then start the bot, the local Rasa server and the staff console"
	@echo "make test   - set everything up, then run the whole test suite"
	@echo "make bench  - throughput and latency, the bot against its Rasa server (fails below the targets)"
	@echo "make nlu-eval - NLU accuracy, macro-F1, urgent recall on the held-out set"

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed for the bot (set PYTHON=/path/to/python3.11).")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@bash scripts/pip_install.sh $(PY) requirements.lock ".venv (bot)"
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

nlu-env:
	@bash scripts/nlu_env.sh

nlu-train: nlu-env
	@bash scripts/nlu_train.sh

nlu-eval: venv nlu-train
	@bash scripts/nlu_eval.sh

# Browser for the staff-console tests (Debian's Chromium; Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null 2>&1 || bash scripts/install_chromium.sh

run: venv nlu-train
	@echo "Set up in $(ELAPSED). Checking the content, migrating the database ..."
	@$(PY) -m bot content check >/dev/null
	@$(PY) -m bot migrate
	@# Recruiter registry: the shipped SAMPLE list goes only into an empty table, never over staff's import.
	@$(PY) -m bot agencies import content/agencies.csv --if-empty
	@echo
	@echo "Teman Migran is starting on port $${PORT:-8000}; the local Rasa server loads its model first"
	@echo "(about a minute on 2 cores; the log says nlu.managed.ready when the bot understands messages)."
	@echo "  Staff console:  http://127.0.0.1:$${PORT:-8000}/console/  (create an account: $(PY) -m bot staff add NAME --role admin)"
	@echo "  Chat locally:   $(PY) -m bot chat   (in another terminal)"
	@echo "  Health:         http://127.0.0.1:$${PORT:-8000}/readyz"
	@echo
	$(PY) -m bot serve

# The suite in two parts. The tests that need no NLU model (most of them) start as soon as the bot's
# environment is ready and run while Rasa's environment is installed and the model trained, each
# taking about one of the two cores; then the tests marked `nlu` run against the trained model.
# Each part's outcome is kept, so a failure in the first still lets the second run; make test fails
# if either did.
TEST_OUTCOME := .test-outcome
# The first part runs in this many processes (pytest-xdist; a test file stays in one): its tests wait
# on subprocesses, browsers and timers more than they compute, and kept 0.8 of the two cores busy
# in one process. The second part shares one Rasa server and runs in one process.
TEST_WORKERS ?= 2

test: test-nlu
	@bash scripts/test_outcome.sh $(TEST_OUTCOME)
	@echo "make test finished in $(ELAPSED)."

test-no-nlu: venv chromium
	@echo "Bot environment ready in $(ELAPSED). Running the tests that need no NLU model (the model is prepared alongside) ..."
	@rm -rf $(TEST_OUTCOME) && mkdir -p $(TEST_OUTCOME)
	@$(PY) -m bot content check; echo $$? > $(TEST_OUTCOME)/content-check
	@$(PY) -m pytest -q -m "not nlu" -n $(TEST_WORKERS) --dist loadfile; echo $$? > $(TEST_OUTCOME)/tests-without-nlu

# nlu-train first: with two jobs, make starts Rasa's environment before the bot's.
test-nlu: nlu-train test-no-nlu
	@echo "NLU model ready ($(ELAPSED)). Running the tests that need it ..."
	@$(PY) -m pytest -q -m nlu; echo $$? > $(TEST_OUTCOME)/tests-with-nlu

# Outbox and dispatch figures, then the bot against Rasa side by side (fails when a target is missed).
bench: venv nlu-train
	$(PY) -m pytest -q -s benchmarks
	$(PY) -m benchmarks.compare

lint: venv
	$(VENV)/bin/ruff check bot handlers tests

# Regenerate requirements.lock from requirements.in in a scratch venv.
lock:
	rm -rf /tmp/teman-lock && $(PYTHON) -m venv /tmp/teman-lock
	/tmp/teman-lock/bin/pip install --quiet -r requirements.in
	/tmp/teman-lock/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) nlu/.venv nlu/models var
