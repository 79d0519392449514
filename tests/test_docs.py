"""The docs stay complete and correct as the code changes: docs/api.md has an
entry for every public name, every example is reachable from the index or
the tutorial, links resolve and names the docs mention exist (the Python
blocks run in test_doc_blocks.py)."""

from __future__ import annotations

import pathlib
import re

import pytest

import parago

pytestmark = pytest.mark.timeout(60)

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.glob("*.md"))

# In the API contract (and so in api.md) but possibly not in parago yet.
FORTHCOMING: set = set()


def _api_headings() -> list[str]:
    return [line for line in (DOCS / "api.md").read_text().splitlines()
            if line.startswith("#")]


def _public_names() -> list[tuple[str, str, object]]:
    """(module prefix as users write it, name, object) for every public name."""
    out = [("pg.", n, getattr(parago, n)) for n in parago.__all__]
    for sub in ("atomic", "context", "runtime", "pipeline"):
        mod = getattr(parago, sub, None)
        if mod is None:
            continue
        out += [(f"pg.{sub}.", n, getattr(mod, n)) for n in mod.__all__]
    return out


def test_api_md_has_an_entry_for_every_public_name():
    headings = _api_headings()

    def has_heading(qualified: str) -> bool:
        pattern = re.compile(r"`" + re.escape(qualified) + r"(?![\w])")
        return any(pattern.search(h) for h in headings)

    missing = []
    for prefix, name, obj in _public_names():
        if has_heading(prefix + name):
            continue
        # pg.runtime.run is pg.run: the top-level heading covers it.
        if prefix == "pg.runtime." and getattr(parago, name, None) is obj and has_heading(
                "pg." + name):
            continue
        missing.append(prefix + name)
    assert not missing, f"public names without a heading in docs/api.md: {missing}"


def test_every_example_is_referenced_from_the_index_or_the_tutorial():
    text = (DOCS / "index.md").read_text() + (DOCS / "tutorial.md").read_text()
    missing = [p.name for p in sorted((DOCS / "examples").glob("*.py"))
               if f"examples/{p.name}" not in text]
    assert not missing, f"examples not linked from docs/index.md or docs/tutorial.md: {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.lstrip("#").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: pathlib.Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    in_code = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        slug = _slug(line)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(target)
    assert not broken, f"{page.name}: links that lead nowhere: {broken}"


MENTION = re.compile(r"(?<![\w.])pg\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_names_mentioned_exist(page):
    unknown = set()
    for chain in MENTION.findall(page.read_text()):
        obj = parago
        for i, part in enumerate(chain.split(".")):
            if not hasattr(obj, part):
                # A module or a class must have it; past a function the chain
                # may go on into what it returns (ctx.done), not checked here.
                if i == 0 and part not in FORTHCOMING or \
                        i > 0 and isinstance(obj, (type(parago), type)):
                    unknown.add("pg." + chain)
                break
            obj = getattr(obj, part)
    assert not unknown, f"{page.name} mentions names parago does not have: {sorted(unknown)}"


def test_design_and_bench_are_linked_from_the_index():
    text = (DOCS / "index.md").read_text()
    assert "(design.md)" in text and "(bench.md)" in text


def test_examples_cite_their_seed():
    for p in sorted((DOCS / "examples").glob("*.py")):
        head = p.read_text().split('"""')[1]
        assert re.search(r"^(Seed|Book): ", head, re.MULTILINE), f"{p.name}: no seed reference"
        assert "    Go " in head, f"{p.name}: no Go program beside the parago one"
