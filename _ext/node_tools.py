"""The site's Node packages, installed from the project's own lock file.

``_ext/node/package.json`` and its ``package-lock.json`` pin MathJax (run
at build time to turn TeX into SVG) and axe-core (the browser checks'
accessibility audit). :func:`ensure_node_packages` installs exactly those
versions with ``npm ci`` into ``_build/node`` the first time they are
needed and again whenever the lock file changes; nothing is installed
into the source tree.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "_ext" / "node"
NODE_DIR = ROOT / "_build" / "node"
STAMP = NODE_DIR / ".lock-sha256"


def _lock_digest() -> str:
    return hashlib.sha256(
        (SOURCE / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_packages() -> Path:
    """Install the pinned Node packages if needed; return their folder."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError(
            "the site needs Node.js and npm (e.g. `apt-get install nodejs "
            "npm`) to render math at build time")
    digest = _lock_digest()
    if STAMP.exists() and STAMP.read_text() == digest and (
            NODE_DIR / "node_modules").is_dir():
        return NODE_DIR
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(SOURCE / name, NODE_DIR / name)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"`npm ci` in {NODE_DIR} failed:\n{result.stdout}{result.stderr}")
    STAMP.write_text(digest)
    return NODE_DIR


def run_node(script: str, stdin: str) -> str:
    """Run ``_ext/node/<script>`` with the installed packages."""
    folder = ensure_node_packages()
    result = subprocess.run(
        [shutil.which("node") or "node", str(SOURCE / script)],
        input=stdin, capture_output=True, text=True, check=False,
        env=dict(os.environ, NODE_PATH=str(folder / "node_modules")))
    if result.returncode != 0:
        raise RuntimeError(f"node {script} failed:\n{result.stderr}")
    return result.stdout
