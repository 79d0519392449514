"""Docs that run: every ```python block of README.md and docs/*.md runs here.

The rules a page follows (docs/design.md, "Docs that run"):

- A block is a whole program. It runs as ``__main__`` in a fresh interpreter,
  from a file in an empty directory, with PARAGO_MAXPROCS=2. A block that
  does not import parago itself gets ``import parago as pg`` first, as the
  tutorial says ("Throughout, import parago as pg").
- It exits with status 0, and a block that defines ``main`` runs it (a
  reader who copies it sees what the page says).
- A ```output block right after it (prose may come between) is what it
  prints, stdout and stderr together. ``...`` stands for any text within a
  line; a line of only ``...`` for any number of lines. ```output status=2
  says the program ends with that exit status instead.
- A block that cannot run here (it needs a cluster, or runs for minutes)
  opens with a visible comment line ``# not run by the tests: <reason>``; it
  is still compiled.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"\A# not run by the tests: (\S.*)$", re.MULTILINE)


def _blocks(page: pathlib.Path) -> list[tuple[int, str, str | None, int]]:
    """(line, code, expected output or None, exit status) of each python
    block of ``page``."""
    text = page.read_text()
    fences = [(m.group(1).split(), m.group(2), text.count("\n", 0, m.start()) + 1)
              for m in FENCE.finditer(text)]
    out = []
    for i, (info, body, line) in enumerate(fences):
        if info[:1] != ["python"]:
            continue
        expected, status = None, 0
        follows = fences[i + 1] if i + 1 < len(fences) else None
        if follows and follows[0][:1] == ["output"]:
            expected = follows[1]
            for word in follows[0][1:]:
                if word.startswith("status="):
                    status = int(word[len("status="):])
        out.append((line, body, expected, status))
    return out


BLOCKS = [pytest.param(page, line, code, expected, status, id=f"{page.name}:{line}")
          for page in PAGES for line, code, expected, status in _blocks(page)]


def _matches(expected: str, actual: str) -> bool:
    """Does ``actual`` read as ``expected``, ``...`` standing for any text?"""
    pattern = []
    for line in expected.rstrip("\n").split("\n"):
        if line.strip() == "...":
            pattern.append(r"(?:.*\n)*?")
        else:
            parts = (re.escape(p) for p in line.rstrip().split("..."))
            pattern.append(".*?".join(parts) + r"[ \t]*\n")
    return re.fullmatch("".join(pattern), actual.rstrip("\n") + "\n") is not None


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    if not re.search(r"^\s*(import parago|from parago)", code, re.MULTILINE):
        code = "import parago as pg\n" + code
    script = tmp_path / "doc_block.py"
    script.write_text(code)
    env = dict(os.environ, PARAGO_MAXPROCS="2", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=100)


@pytest.mark.parametrize("page, line, code, expected, status", BLOCKS)
def test_the_block_runs_and_prints_what_the_docs_show(page, line, code, expected, status,
                                                      tmp_path):
    where = f"{page.relative_to(ROOT)}, the block at line {line}"
    compile(code, where, "exec")
    skip = SKIP.search(code)
    if skip:
        pytest.skip(f"{where}: {skip.group(1)}")
    assert not re.search(r"^def main\(", code, re.MULTILINE) or "pg.run(main" in code, (
        f"{where} defines main but never runs it: a reader would see nothing")
    done = _run(code, tmp_path)
    assert done.returncode == status, f"{where} exited with {done.returncode}:\n{done.stdout}"
    if expected is not None:
        assert _matches(expected, done.stdout), (
            f"{where} printed\n{done.stdout}\ninstead of\n{expected}")


def test_output_matching_reads_the_wildcards_as_documented():
    assert _matches("a ... c\n", "a bb c\n")
    assert _matches("x\n...\ny\n", "x\n1\n2\ny\n") and _matches("x\n...\ny\n", "x\ny\n")
    assert not _matches("a ... c\n", "a bb d\n")
    assert not _matches("x\ny\n", "x\ny\nz\n")


def test_every_page_with_python_blocks_is_collected():
    pages = {p.name for p, *_ in (b.values for b in BLOCKS)}
    assert {"README.md", "tutorial.md", "pipeline.md", "caveats.md"} <= pages
