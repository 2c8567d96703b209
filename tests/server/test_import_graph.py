"""The app's modules import one another without cycles (function-level imports included)."""
from __future__ import annotations

import ast
from graphlib import TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app.py", "settings.py", "server", "data", "components", "callbacks", "pages")


def _modules() -> dict[str, Path]:
    files = [ROOT / p for p in PACKAGES if p.endswith(".py")]
    files += [f for p in PACKAGES if not p.endswith(".py") for f in (ROOT / p).rglob("*.py")]
    names = {}
    for path in files:
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def test_no_import_cycle():
    known = _modules()
    graph = {name: _imports(path, known) - {name} for name, path in known.items()}
    TopologicalSorter(graph).prepare()  # raises CycleError naming the modules of a cycle
