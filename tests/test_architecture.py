"""The layering the code keeps: no import cycles, no import from a lower layer to a higher one (scripts/import_graph.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _import_graph() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("import_graph", module)  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _recursion_limit_kept() -> Iterator[None]:
    # The cycle search raises the recursion limit; other tests count on the default (deep JSON is refused at it).
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


def test_no_module_imports_itself_back_through_others() -> None:
    graph = _import_graph()
    edges = graph.graph()
    assert len(edges) > 100, "the import graph read the project's modules"
    assert graph.cycles(edges) == []


def test_no_import_crosses_a_layer_the_wrong_way() -> None:
    graph = _import_graph()
    wrong = [f"{e.importer}:{e.line} -> {e.imported}" for e in graph.forbidden(graph.graph())]
    assert wrong == [], "twin must not import rehearsal, api and web not each other, corpus not twin, ..."
