"""Import cycles and cross-layer imports among the project's own modules, read from the source with `ast`.

Usage: .venv/bin/python scripts/import_graph.py [--json]
Counts every import statement (top-level and function-local) between modules of service/, slack_app/,
ingestion/ and textkit/; a cycle is a strongly connected group of two or more modules. textkit/ is the lowest
layer: it imports the standard library and numpy only, and ingestion/ and service/ define no text helper of
their own under a name textkit/ gives (nor a stop-word list).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "slack_app", "ingestion", "textkit")
TEXTKIT = "textkit"
# What textkit/ may import besides itself.
TEXTKIT_MAY_IMPORT = frozenset(sys.stdlib_module_names) | {"numpy"}
# A module-level name that holds a stop-word list, whatever its spelling.
STOP_WORD_LIST_NAME = re.compile(r"stop_?words?", re.IGNORECASE)
# (importer prefix, imported prefix): imports that go the wrong way between layers or faces.
FORBIDDEN = [(TEXTKIT, "service"), (TEXTKIT, "ingestion"), (TEXTKIT, "slack_app"),
             ("service.api", "service.web"), ("service.web", "service.api"), ("service.ops", "service.api"),
             ("service.twin", "service.rehearsal"), ("service.corpus", "service.twin"),
             ("ingestion", "service"), ("ingestion", "slack_app")]


@dataclass(frozen=True)
class Edge:
    """One import of a project module by another."""

    importer: str
    imported: str
    line: int
    local: bool  # inside a function


def module_name(path: Path) -> str:
    """The dotted name of a source file."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def edges_of(path: Path, known: set[str]) -> Iterator[Edge]:
    """The imports of project modules in one file (a `from pkg import mod` names the module when it is one)."""
    importer = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    local_lines = {n.lineno for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
                   for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(importer, path.name == "__init__.py", node)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != importer:
                yield Edge(importer, target, node.lineno, node.lineno in local_lines)


def source_files(packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    """The Python files of the given top-level packages, migrations left out."""
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py")) if "migrations" not in p.parts]


def graph() -> list[Edge]:
    """Every import edge between the project's modules."""
    files = source_files()
    known = {module_name(p) for p in files}
    return [edge for path in files for edge in edges_of(path, known)]


def outside_imports(path: Path, package: str = TEXTKIT, allowed: frozenset[str] = TEXTKIT_MAY_IMPORT) -> list[str]:
    """Imports in one file of `package` of anything but `package` and `allowed`, as `module:line -> imported`."""
    importer = module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = [_resolve(importer, path.name == "__init__.py", node)]
        else:
            continue
        for target in targets:
            top = target.split(".")[0]
            if top != package and top not in allowed:
                found.append(f"{importer}:{node.lineno} -> {target}")
    return found


def textkit_outside_imports() -> list[str]:
    """Imports in textkit/ of anything but the standard library, numpy and textkit itself."""
    return [found for path in source_files((TEXTKIT,)) for found in outside_imports(path)]


def top_level_names(path: Path) -> list[tuple[str, int]]:
    """(name, line) of each function, class and variable a module defines at its top level."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append((node.name, node.lineno))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [(t.id, node.lineno) for t in targets if isinstance(t, ast.Name)]
    return names


def text_helpers_outside_textkit() -> list[str]:
    """Top-level definitions outside textkit/ of a public textkit name (leading _ aside) or a stop-word list."""
    # Each text helper and word list is defined once, in textkit/; a second one drifts apart from it unseen.
    given = {name for path in source_files((TEXTKIT,)) for name, _ in top_level_names(path)
             if not name.startswith("_")}
    return [f"{module_name(path)}:{line} {name}" for path in source_files(tuple(p for p in PACKAGES if p != TEXTKIT))
            for name, line in top_level_names(path)
            if name.lstrip("_") in given or STOP_WORD_LIST_NAME.search(name)]


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan)."""
    succ: dict[str, set[str]] = {}
    for e in edges:
        succ.setdefault(e.importer, set()).add(e.imported)
        succ.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return sorted(found)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def forbidden(edges: list[Edge]) -> list[Edge]:
    """Imports that cross a layer the wrong way."""
    return [e for e in edges if any(_under(e.importer, a) and _under(e.imported, b) for a, b in FORBIDDEN)]


def main() -> int:
    """Print the cycles and the wrong-way imports; exit 1 when there is any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = parser.parse_args()
    edges = graph()
    found, wrong = cycles(edges), forbidden(edges)
    outside, doubled = textkit_outside_imports(), text_helpers_outside_textkit()
    if args.json:
        print(json.dumps({"edges": len(edges), "cycles": found,
                          "forbidden": [f"{e.importer}:{e.line} -> {e.imported}" for e in wrong],
                          "textkit_outside_imports": outside, "text_helpers_outside_textkit": doubled}, indent=2))
    else:
        print(f"{len(edges)} import edges; {len(found)} cycles; {len(wrong)} wrong-way imports; "
              f"{len(outside)} textkit imports outside the standard library and numpy; "
              f"{len(doubled)} text helpers defined outside textkit")
        for group in found:
            inner = [e for e in edges if e.importer in group and e.imported in group]
            print(f"cycle of {len(group)}: " + ", ".join(group))
            for e in inner:
                print(f"    {e.importer}:{e.line} -> {e.imported}{' (in a function)' if e.local else ''}")
        for e in wrong:
            print(f"wrong way: {e.importer}:{e.line} -> {e.imported}{' (in a function)' if e.local else ''}")
        for line in outside:
            print(f"textkit imports: {line}")
        for line in doubled:
            print(f"text helper outside textkit: {line}")
    return 1 if found or wrong or outside or doubled else 0


if __name__ == "__main__":
    raise SystemExit(main())
