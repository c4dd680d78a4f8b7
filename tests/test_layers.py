"""Parts depend downward only: every import of the package, read with `ast`, against the layer order.

Module-level, function-level, relative and `importlib.import_module("…")` imports all
count. A violation names the file, the line and the import.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"

# Bottom to top: a part may import its own layer and the layers below it, never above.
LAYERS = (
    ("version", "runtime"),  # standard library, numpy, tokenizers, OpenCC: what tagging runs on
    ("config",),  # YAML recipes → typed configs
    ("stats",),  # macro-F1, report-bootstrap intervals, figures
    ("io",),  # report files, archives, output folders
    ("labels",),
    ("data",),
    ("modeling",),
    ("training",),  # the pipeline's order from here: train, then tag, evaluate, export
    ("predict",),  # loading a model folder, the backends
    ("corpus",),  # tagging whole corpora: plan, engines, tag files and their schema
    ("evaluation",),
    ("review", "findings"),  # labelling rounds (predict, data, labels); result summaries (evaluation's plots)
    ("export",),  # ONNX, calibration, model card, manifest, standalone builder
    (
        "main_job",
        "experiments",
        "distill",
        "cli",
        "__init__",
    ),  # the commands: main job, sweeps, students, CLI
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
# What the runtime may import beyond the standard library (and the standalone module needs).
RUNTIME_THIRD_PARTY = {"numpy", "tokenizers", "opencc", "onnxruntime", "charset_normalizer"}


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """`(line, imported module)` for every import in `source`, wherever it stands."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return sorted(found)


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def part_of(module: str, src: Path = SRC) -> str | None:
    """The part (`runtime`, `predict`, …) of a `policytag` module; None outside the package;
    `__init__` for the package itself and names imported from it (`policytag.Predictor`)."""
    pieces = module.split(".")
    if pieces[0] != "policytag":
        return None
    if len(pieces) > 1 and (
        (src / "policytag" / pieces[1]).is_dir() or (src / "policytag" / f"{pieces[1]}.py").is_file()
    ):
        return pieces[1]
    return "__init__"


def violations(src: Path = SRC) -> list[str]:
    """One message per import against the layer order, naming file, line and import."""
    problems = []
    for path in sorted((src / "policytag").rglob("*.py")):
        module = module_name(path, src)
        mine = part_of(module, src)
        if mine not in RANK:
            problems.append(f"{path.relative_to(src).as_posix()}: part {mine!r} has no layer in LAYERS")
            continue
        for line, imported in imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            theirs = part_of(imported, src)
            where = f"{path.relative_to(src).as_posix()}:{line}"
            if theirs is not None and theirs not in RANK:
                problems.append(
                    f"{where}: {module} imports {imported}; part {theirs!r} has no layer in LAYERS"
                )
            elif theirs is not None and RANK[theirs] > RANK[mine]:
                problems.append(f"{where}: {module} ({mine}) imports {imported} ({theirs}, a layer above)")
            top = imported.split(".")[0]
            if (
                mine == "runtime"
                and theirs is None
                and top not in sys.stdlib_module_names
                and top not in RUNTIME_THIRD_PARTY
                and top != "__future__"
            ):
                problems.append(
                    f"{where}: the runtime imports {imported}; it may use only the standard library "
                    f"and {', '.join(sorted(RUNTIME_THIRD_PARTY))}"
                )
    return problems


def cycles(src: Path = SRC) -> list[list[str]]:
    """Import cycles between the package's modules (strongly connected components of 2 or more)."""
    graph: dict[str, set[str]] = {}
    for path in (src / "policytag").rglob("*.py"):
        module = module_name(path, src)
        graph[module] = set()
        for _, imported in imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py"):
            while imported and imported != module:
                stem = src / imported.replace(".", "/")
                if stem.with_suffix(".py").is_file() or (stem / "__init__.py").is_file():
                    graph[module].add(imported)
                    break
                imported = imported.rpartition(".")[0]  # `from a.b import name`: the module is a.b
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_every_import_follows_the_layer_order():
    assert violations() == []


def test_no_import_cycles_between_modules():
    assert cycles() == []


def test_every_part_of_the_package_has_a_layer():
    parts = {
        p.stem if p.is_file() else p.name
        for p in (SRC / "policytag").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file())
    }
    assert parts <= set(RANK), parts - set(RANK)


def test_the_check_finds_hidden_relative_and_dynamic_imports(tmp_path):
    package = tmp_path / "policytag"
    (package / "runtime").mkdir(parents=True)
    (package / "predict").mkdir()
    for folder in (package, package / "runtime", package / "predict"):
        (folder / "__init__.py").write_text("")
    (package / "predict" / "fine.py").write_text("from policytag.runtime import tagging\n")
    (package / "runtime" / "bad.py").write_text(
        "import numpy\n"
        "def load():\n"
        "    from ..predict import predictor\n"  # hidden in a function, relative
        "    import importlib\n"
        "    importlib.import_module('policytag.predict.fine')\n"
        "    import torch\n"
    )
    found = violations(tmp_path)
    assert found == [
        "policytag/runtime/bad.py:3: policytag.runtime.bad (runtime) imports policytag.predict.predictor (predict, a layer above)",
        "policytag/runtime/bad.py:5: policytag.runtime.bad (runtime) imports policytag.predict.fine (predict, a layer above)",
        f"policytag/runtime/bad.py:6: the runtime imports torch; it may use only the standard library and "
        f"{', '.join(sorted(RUNTIME_THIRD_PARTY))}",
    ]
    (package / "predict" / "a.py").write_text("def f():\n    from policytag.predict import b\n")
    (package / "predict" / "b.py").write_text("from policytag.predict.a import f\n")
    assert cycles(tmp_path) == [["policytag.predict.a", "policytag.predict.b"]]


def test_the_standalone_module_is_built_from_every_runtime_module():
    from policytag.export.standalone import SOURCES

    runtime = {
        f"runtime/{p.name}" for p in (SRC / "policytag" / "runtime").glob("*.py") if p.name != "__init__.py"
    }
    assert set(SOURCES) == runtime and len(SOURCES) == len(runtime)


def test_no_function_over_80_lines_and_no_module_over_300():
    """Small functions and modules: a newcomer changes one place (counted with `ast`, docstrings in)."""
    found = []
    for path in sorted((SRC / "policytag").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > 300:
            found.append(f"{path.relative_to(SRC)}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}: {length} lines")
    assert found == []


def test_run_and_model_folder_names_are_spelled_in_one_module():
    """`run.json`, `best`, `checkpoint`, `log.jsonl`, `config.yaml`: only `io/run_folder.py` spells them."""
    names = ('"run.json"', '"best"', '"checkpoint"', '"log.jsonl"', '"config.yaml"', '"state.pt"')
    found = [
        f"{path.relative_to(SRC)}: {name}"
        for path in sorted((SRC / "policytag").rglob("*.py"))
        if path.name != "run_folder.py"
        for name in names
        if name in path.read_text(encoding="utf-8").replace('loc="best"', "")
    ]
    assert found == []
