"""``bulktui.api`` names its surface three times: the type checker's imports, the lazy
loader's table and ``__all__``. Keep them one list: a name in ``__all__`` that the loader
does not know type-checks, and fails only when a user's import runs."""

from __future__ import annotations

import importlib

import bulktui.api as api


def test_every_exported_name_loads_from_the_module_the_table_names() -> None:
    assert sorted(api._WHERE) == sorted(api.__all__)
    for name, module in api._WHERE.items():
        assert getattr(api, name) is getattr(importlib.import_module(module), name), name
