"""``import lossbook`` stays light: the heavy helpers load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lossbook as lb

HEAVY = ("sympy", "mpmath", "matplotlib", "IPython")


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
