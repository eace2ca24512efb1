"""The dependency rules of the layout: `recalls -> trace -> epcis`, no import circles, and
test modules that share code through tests/support, never through one another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.support.processes import REPO


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module an `import` or `from ... import` in the file names (function-level too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def graph(package: str) -> dict[str, set[str]]:
    files = [p for p in (REPO / package).rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(p): p for p in files}
    return {
        name: {target for target in imports_of(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def cycle_in(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_cycle_finder_finds_a_circle():
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


def test_epcis_has_no_import_circle():
    assert cycle_in(graph("epcis")) is None


def test_epcis_never_imports_trace_or_recalls():
    offending = sorted(
        f"{module_name(path)} imports {target}"
        for path in (REPO / "epcis").rglob("*.py")
        for target in imports_of(path)
        if target.split(".")[0] in {"trace", "recalls"}
    )
    assert offending == []


def test_only_the_callers_that_enqueue_import_capture_tasks():
    importers = sorted(
        module_name(path)
        for path in (REPO / "epcis").rglob("*.py")
        if any(t.startswith("epcis.capture.tasks") for t in imports_of(path))
    )
    assert importers == ["epcis.api.capture", "epcis.management.commands.load_demo"]


def test_test_modules_share_code_only_through_support():
    offending = sorted(
        f"{module_name(path)} imports {target}"
        for path in (REPO / "tests").rglob("test_*.py")
        for target in imports_of(path)
        if target.startswith("tests.") and not target.startswith("tests.support")
    )
    assert offending == []
