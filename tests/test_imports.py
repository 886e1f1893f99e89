"""``import lossbook`` stays light: the heavy helpers load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lossbook as lb

HEAVY = ("sympy", "mpmath", "matplotlib", "IPython",
         # the thread pool of the blocked kernels, made on first use
         "concurrent.futures")


def _fresh(code: str) -> dict:
    # a new interpreter: this test process has imported everything already
    out = subprocess.run([sys.executable, "-c", code], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_import_loads_no_heavy_dependency():
    loaded = _fresh(
        "import json, sys; import lossbook; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert loaded == []


@pytest.mark.parametrize("name", sorted(lb._LAZY_MODULES))
def test_lazy_module_loads_on_first_access(name):
    module = getattr(lb, name)
    assert module.__name__ == f"lossbook.{name}"
    assert name in dir(lb)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        lb.no_such_thing  # noqa: B018


def test_import_reads_no_module_until_one_is_used():
    """``import lossbook`` imports neither NumPy nor a loss module; the
    first loss used imports its own module and what it needs, not the
    others."""
    loaded = _fresh(
        "import json, sys; import lossbook as lb; "
        "before = [m for m in ('numpy', 'lossbook.regression') "
        "if m in sys.modules]; lb.huber([0.0], [1.0]); "
        "after = sorted(m for m in sys.modules if m.startswith('lossbook.')); "
        "print(json.dumps([before, after]))"
    )
    before, after = loaded
    assert before == []
    assert "lossbook.regression" in after
    assert "lossbook.boxes" not in after
    assert "lossbook.likelihoods" not in after


def test_every_public_name_is_listed_and_reachable():
    listed = set(lb.__all__)
    # every function is listed; every listed name is a function or a
    # module (lossbook.notebook, the chapters' helper, is not listed)
    assert set(lb._FUNCTIONS) <= listed
    assert listed <= set(lb._FUNCTIONS) | lb._LAZY_MODULES
    assert listed <= set(dir(lb))
    for name, module in lb._FUNCTIONS.items():
        value = getattr(lb, name)
        assert value.__module__ == f"lossbook.{module}", name
        assert value.__name__ == name


def test_every_public_module_is_an_attribute():
    """Each module of the package that is not private is reachable as
    ``lossbook.<name>`` without importing it first."""
    from pathlib import Path

    package = Path(lb.__file__).parent
    public = {path.stem for path in package.glob("*.py")
              if not path.stem.startswith("_")}
    public |= {path.name for path in package.iterdir()
               if (path / "__init__.py").exists()}
    assert public == lb._LAZY_MODULES | lb._OTHER_MODULES
    loaded = _fresh(
        "import json, lossbook as lb; "
        "print(json.dumps(lb.gradients.__name__))"
    )
    assert loaded == "lossbook.gradients"
