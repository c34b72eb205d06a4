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


def test_textkit_imports_only_the_standard_library_and_numpy() -> None:
    graph = _import_graph()
    assert graph.textkit_outside_imports() == [], "textkit is the lowest layer: it imports nothing of the project"
    edges = graph.graph()
    assert not [e for e in edges if e.importer.startswith("textkit") and not e.imported.startswith("textkit")]


def test_ingestion_and_service_take_their_text_helpers_from_textkit() -> None:
    graph = _import_graph()
    assert graph.text_helpers_outside_textkit() == [], "a second stop-word list, splitter or stemmer"
    edges = {(e.importer, e.imported) for e in graph.graph()}
    assert {("ingestion.chunking", "textkit.sentences"), ("service.search.query", "textkit.stopwords"),
            ("service.search.rank", "textkit.stems"), ("service.twin.citations", "textkit.words")} <= edges


def test_the_checks_catch_a_project_import_in_textkit_and_a_second_stop_word_list(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = _import_graph()
    files = {
        "textkit/__init__.py": "",
        "textkit/words.py": "import re\n\nimport numpy as np\n\nfrom service.config import Settings\nfrom tests import x\n"
                            "from . import stems\n\nWORDS = 1\n\ndef words() -> None:\n    import ingestion\n",
        "textkit/stems.py": "",
        "service/__init__.py": "",
        "service/config.py": "",
        "service/twin/text.py": "STOPWORDS = frozenset()\n\ndef _words() -> None:\n    pass\n\nword_count = 0\n",
        "ingestion/__init__.py": "",
        "ingestion/chunking.py": "_ABBREVIATIONS: frozenset[str] = frozenset()\nsearch_stop_words = ()\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(graph, "ROOT", tmp_path)
    assert graph.textkit_outside_imports() == ["textkit.words:5 -> service.config", "textkit.words:6 -> tests",
                                               "textkit.words:12 -> ingestion"]
    assert [f"{e.importer} -> {e.imported}" for e in graph.forbidden(graph.graph())] == [
        "textkit.words -> service.config", "textkit.words -> ingestion"]
    assert graph.text_helpers_outside_textkit() == ["service.twin.text:1 STOPWORDS", "service.twin.text:3 _words",
                                                    "ingestion.chunking:2 search_stop_words"]
