"""help() of every public name says what it is, its forms, its errors and
where it may be called: each public docstring is substantial and says where
(a goroutine, a running runtime, anywhere) and what it raises; every public
method has its own docstring."""

from __future__ import annotations

import inspect
import re

import pytest

import parago as pg

SUBMODULES = ("atomic", "context", "runtime", "pipeline")
WHERE = re.compile(r"goroutine|runtime|pg\.run|anywhere|any thread|NoRuntime", re.IGNORECASE)
ERRORS = re.compile(r"\braise|Panic|Error\b|raises nothing", re.IGNORECASE)


def _public() -> list[tuple[str, object]]:
    out = [(f"pg.{n}", getattr(pg, n)) for n in pg.__all__]
    for sub in SUBMODULES:
        mod = getattr(pg, sub)
        out += [(f"pg.{sub}.{n}", getattr(mod, n)) for n in mod.__all__]
    return out


PUBLIC = [pytest.param(obj, id=name) for name, obj in _public() if not inspect.ismodule(obj)]


@pytest.mark.parametrize("obj", PUBLIC)
def test_a_public_name_documents_its_forms_errors_and_where(obj):
    doc = inspect.getdoc(obj) or ""
    assert len(doc) >= 150, f"{obj!r}: a docstring of {len(doc)} characters says too little"
    assert WHERE.search(doc), f"{obj!r}: the docstring does not say where it may be called"
    assert ERRORS.search(doc), f"{obj!r}: the docstring does not say what it raises"


def _methods():
    for name, obj in _public():
        if not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        for attr, member in vars(obj).items():
            if attr.startswith("_") and attr not in ("__iter__", "__len__"):
                continue
            if inspect.isfunction(member) or isinstance(member, property):
                yield pytest.param(member, id=f"{name}.{attr}")


@pytest.mark.parametrize("member", list(_methods()))
def test_a_public_method_has_its_own_docstring(member):
    doc = inspect.getdoc(member) or ""
    assert len(doc) >= 25, f"{member!r} has no docstring to speak of"


def test_select_shows_its_case_forms_and_chan_says_it_needs_a_runtime():
    forms = pg.select.__doc__
    for form in ("ch.recv", "(ch.send, v)", "None", "default=True", "pg.after("):
        assert form in forms
    assert "NoRuntime" in pg.chan.__doc__ and "running runtime" in pg.chan.__doc__


def test_modules_have_docstrings():
    for sub in SUBMODULES:
        assert len(inspect.getdoc(getattr(pg, sub)) or "") >= 150, sub
