# Two commands do everything: `make book` and `make test`.
# The first use of either creates .venv and installs the pinned lock file.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements/lock.txt
JB     := $(BIN)/jupyter-book
# rewritten by a successful `make book`; an older one than _toc.yml or
# _config.yml means every page must be rebuilt (sidebar, numbering)
SITE_STAMP := _build/.site-config
# plain text in logs: no colour codes from the tools
export NO_COLOR := 1

# the lowest Python the lock file installs on
NEED_PY := 3.11
PYCHECK := import sys; need = tuple(map(int, "$(NEED_PY)".split("."))); \
  sys.exit(0 if sys.version_info >= need else \
  f"lossbook needs Python $(NEED_PY) or newer; {sys.executable} is " \
  f"{sys.version.split()[0]}. Run e.g. `make PYTHON=python$(NEED_PY) book`.")

.PHONY: book test outputs lock bench lint clean distclean help check-python lab

help:
	@echo "make book       build the HTML site into _build/html"
	@echo "make test       run every test (lint, unit, doctest, nbval, strict build, browser)"
	@echo "make lint       run ruff over lossbook, tests, tools and _ext"
	@echo "make outputs    re-execute the chapters and store their outputs (NB=chapters/x.ipynb for one)"
	@echo "make bench      time and measure the memory of lossbook against naive NumPy (and PyTorch if installed)"
	@echo "make lock       regenerate $(LOCK) from pyproject.toml"
	@echo "make clean      remove built files and caches (keeps .venv)"
	@echo "make lab        open the chapters in JupyterLab (from .venv)"
	@echo "make distclean  clean, and remove .venv and pip's build/ too"
	@echo "Python $(NEED_PY) or newer is needed; choose one with PYTHON=..."

# checked before .venv is created, and again on the Python inside an
# existing .venv (one left behind by an older interpreter is not reused)
check-python:
	@$(PYTHON) -c '$(PYCHECK)'
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c '$(PYCHECK)' 2>/dev/null; \
	then echo "$(VENV) was made with an older Python: run \`make distclean\`, then try again"; exit 1; fi

$(STAMP): $(LOCK) pyproject.toml | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps \
	  --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	@if [ ! -e $(SITE_STAMP) ] || [ _toc.yml -nt $(SITE_STAMP) ] \
	  || [ _config.yml -nt $(SITE_STAMP) ]; then \
	  echo "_toc.yml or _config.yml changed since the last build: rebuilding every page"; \
	  $(BIN)/python tools/build_book.py --all; \
	else $(BIN)/python tools/build_book.py; fi
	@touch $(SITE_STAMP)

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
	$(BIN)/ruff check lossbook tests tools _ext

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --extra fast --extra book --extra test \
	  --python-version 3.11 --no-header -o $(LOCK)

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis .ruff_cache
	@echo "kept $(VENV); \`make distclean\` removes it as well"

distclean: clean
	rm -rf $(VENV) build *.egg-info
