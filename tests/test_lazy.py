"""The lazy-attribute helper behind every package ``__init__`` (PEP 562)."""

from __future__ import annotations

import json
import sys

import pytest

from losslab._lazy import lazy_attributes


def test_lazy_name_is_imported_on_first_use_and_cached():
    ns: dict = {"__all__": ["dumps"]}
    getattr_, dir_ = lazy_attributes("demo", ns, {"dumps": "json:dumps"})
    assert "dumps" not in ns
    assert getattr_("dumps") is json.dumps
    assert ns["dumps"] is json.dumps  # the next lookup no longer reaches __getattr__
    assert dir_() == ["dumps"]


def test_submodules_resolve_and_unknown_names_raise_attribute_error():
    ns: dict = {}
    getattr_, dir_ = lazy_attributes(
        "xml", ns, {"dumps": "json:dumps"}, submodules={"dom"}, also_listed=("sax",)
    )
    assert getattr_("dom") is sys.modules["xml.dom"]
    assert dir_() == ["dom", "dumps", "sax"]  # no __all__: the lazy names are listed
    with pytest.raises(AttributeError, match="module 'xml' has no attribute 'sax'"):
        getattr_("sax")  # listed by dir() only, never imported by attribute access


@pytest.mark.parametrize(
    ("package", "public"),
    [
        ("losslab", "get"),
        ("losslab.verify", "check"),
        ("losslab.experiment", "load"),
        ("losslab.report", "write_report"),
        ("losslab.spark", "evaluate"),
    ],
)
def test_each_package_lists_its_all_and_refuses_unknown_names(package, public):
    import importlib

    mod = importlib.import_module(package)
    assert public in mod.__all__ and set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'nope'"):
        mod.nope  # noqa: B018
