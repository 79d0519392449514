"""The four layers import one way only (DESIGN.md), every core file states
what it owns and its invariants, and the public surface is curated."""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import types

import pytest

import parago

PKG = pathlib.Path(parago.__file__).parent
# What each layer may import from inside parago (besides itself and the
# leaf module _errors). _native is reached only through _shm.
ALLOWED = {
    "_shm": {"_shm", "_native"},
    "_core": {"_core", "_shm"},
    "_runtime": {"_runtime", "_core", "_shm"},
    # The public modules are facades: argument checks, Go's panic texts,
    # handles. Shared memory's layouts are the kernel's business, never theirs
    # (not even for a type annotation).
    "public": {"public", "_runtime", "_core"},
}
# A scheduler's queues, parking and waking belong to _core: no public module
# names them.
SCHEDULER_INTERNALS = {"runq", "inbox", "timers", "park", "ready", "give_way",
                       "let_others_run", "flush_wakes", "pending_wake", "g0"}


# Leaf modules any layer may import: they import nothing from parago.
LEAVES = {"_errors", "_accel"}


def _layer(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0] if len(rel) > 1 else "public"


def _parago_imports(path: pathlib.Path):
    """The second component of every parago module ``path`` imports
    ("_shm", "_core", "chan", ...)."""
    rel = path.relative_to(PKG).with_suffix("").parts
    package = ".".join(("parago", *rel[:-1]))
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            else:
                base = node.module or ""
            names = [f"{base}.{a.name}" for a in node.names] if not node.module else [base]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for full in names:
            parts = full.split(".")
            if parts[0] == "parago" and len(parts) > 1:
                yield parts[1]


CORE_FILES = sorted(p for layer in ALLOWED if layer != "public"
                    for p in (PKG / layer).glob("*.py"))
PUBLIC_FILES = sorted(PKG.glob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES + PUBLIC_FILES,
                         ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_one_way(path):
    layer = _layer(path)
    for target in _parago_imports(path):
        if target in LEAVES:
            continue
        target = target if target in ALLOWED or target == "_native" else "public"
        assert target in ALLOWED[layer], f"{path.name} ({layer}) imports {target}"


@pytest.mark.parametrize("path", [p for p in CORE_FILES if p.name != "__init__.py"],
                         ids=lambda p: str(p.relative_to(PKG)))
def test_core_files_open_with_what_they_own(path):
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "Owns:" in doc or "owns" in doc.lower(), f"{path.name} does not say what it owns"
    assert "Invariant" in doc or "invariant" in doc, f"{path.name} states no invariants"


@pytest.mark.parametrize("path", PUBLIC_FILES, ids=lambda p: p.name)
def test_public_modules_touch_no_scheduler_queue(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            assert node.attr not in SCHEDULER_INTERNALS, \
                f"{path.name} touches a scheduler's {node.attr}"


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_leaf_modules_import_nothing_of_parago(leaf):
    assert not list(_parago_imports(PKG / f"{leaf}.py"))


def test_public_all_matches_exports():
    for name in parago.__all__:
        assert hasattr(parago, name), name
    public = {n for n in dir(parago) if not n.startswith("_")
              and not isinstance(getattr(parago, n), types.ModuleType)}
    assert public == set(parago.__all__) - {"atomic", "context", "pipeline", "runtime"}
    for mod in ("atomic", "context", "pipeline", "runtime"):
        m = getattr(parago, mod)
        for name in m.__all__:
            assert hasattr(m, name), f"{mod}.{name}"
