"""docs/semantics.md is the project's table of Go's behaviours: every row ID
cited anywhere — a comment or docstring "(CH-06)", a test named
``test_ch06_...``, a docs page — is a row of it, and its rows are unique."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "semantics.md"

AREAS = "GO|CH|SEL|MM|MU|RW|WG|ONCE|COND|POOL|CTX|TM|AT|RT"
CITED = re.compile(rf"\b(?:{AREAS})-\d{{2}}\b")
# test_wg01_wg02_barrier, test_at01_to_at03_int_ops: the rows a test checks.
TEST_NAME = re.compile(r"\bdef (test_\w+)")
IN_TEST_NAME = re.compile(rf"(?:^|_)({AREAS.lower()})(\d{{2}})(?=_|$)")


def _sources() -> list[pathlib.Path]:
    files = [*(ROOT / "src").rglob("*.py"), *(ROOT / "src").rglob("*.c"),
             *(ROOT / "tests").rglob("*.py"), *(ROOT / "docs").rglob("*.md"),
             *(ROOT / "docs" / "examples").glob("*.py"), ROOT / "README.md"]
    return [f for f in files if f != TABLE]


def cited_ids() -> dict[str, set[str]]:
    """Each cited ID and the files citing it."""
    out: dict[str, set[str]] = {}
    for f in _sources():
        text = f.read_text()
        ids = set(CITED.findall(text))
        for name in TEST_NAME.findall(text):
            ids.update(f"{a.upper()}-{n}" for a, n in IN_TEST_NAME.findall(name[5:]))
        for i in ids:
            out.setdefault(i, set()).add(str(f.relative_to(ROOT)))
    return out


def table_rows() -> list[str]:
    return re.findall(rf"^\| ((?:{AREAS})-\d{{2}}) \|", TABLE.read_text(), re.MULTILINE)


def test_every_cited_id_is_a_row_of_the_table():
    rows = set(table_rows())
    missing = {i: sorted(files) for i, files in cited_ids().items() if i not in rows}
    assert not missing, f"IDs cited but not rows of docs/semantics.md: {missing}"


def test_rows_are_unique_and_the_citations_are_many():
    rows = table_rows()
    assert len(rows) == len(set(rows)), "a row ID appears twice in docs/semantics.md"
    assert len(cited_ids()) >= 100      # the finder finds what the suite cites


def test_test_names_are_read_as_the_rows_they_check():
    assert IN_TEST_NAME.findall("wg01_wg02_barrier_reused") == [("wg", "01"), ("wg", "02")]
    assert IN_TEST_NAME.findall("at01_to_at03_int_ops") == [("at", "01"), ("at", "03")]
    assert IN_TEST_NAME.findall("many_sleeping_goroutines_on_one_proc") == []
