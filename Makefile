# Two commands do everything: `make book` and `make test`.
# The first use of either creates .venv and installs the pinned lock file.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
JB     := $(BIN)/jupyter-book

.PHONY: book test outputs lock bench lint clean help lab

help:
	@echo "make book     build the HTML site into _build/html"
	@echo "make test     run every test (unit, doctest, nbval, strict build, browser)"
	@echo "make outputs  re-execute the chapters and store their outputs"
	@echo "make bench    time lossbook against naive NumPy (and PyTorch if present)"
	@echo "make lock     regenerate $(LOCK) from pyproject.toml"
	@echo "make lab      open the chapters in JupyterLab (from .venv)"

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/python tools/build_book.py

test: $(STAMP)
	$(BIN)/python tools/run_tests.py

outputs: $(STAMP)
	$(BIN)/python tools/refresh_outputs.py $(NB)

# the chapters in JupyterLab, run from .venv with lossbook installed
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=chapters

bench: $(STAMP)
	$(BIN)/python tools/bench.py

lint: $(STAMP)
	$(BIN)/ruff check lossbook tests tools

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --extra book --extra test \
	  --python-version 3.11 --no-header -o $(LOCK)

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis
