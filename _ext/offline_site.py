"""Keep the built site self-contained.

Jupyter Book 1 always loads sphinx-thebe, which adds an inline script
naming a third-party CDN (and adds it twice, a console error). The book
has no live-code launch buttons, so the extension's event handlers are
removed before any page is read.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _drop_thebe(app: Sphinx) -> None:
    for listeners in app.events.listeners.values():
        listeners[:] = [
            listener for listener in listeners
            if not getattr(listener.handler, "__module__", "").startswith(
                "sphinx_thebe")
        ]


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_thebe")
    app.connect("builder-inited", _drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
