"""Build an export's standalone `predictor.py` from the package's own source.

The module is the concatenation of the runtime modules (`SOURCES`: reading,
normalisation, segmentation, window framing, settings, manifest, tagging, the ONNX
backend), their `policytag` imports dropped since everything then lives in one
namespace, ending with `runtime/standalone.py`, which loads the export folder. The
package runs these same modules, so there is no second reader or decoder. It needs
numpy, tokenizers, onnxruntime and OpenCC only (charset-normalizer for files in rare
encodings).
"""

from __future__ import annotations

import ast
from importlib import resources

SOURCES = tuple(
    f"runtime/{name}.py"
    for name in (
        "checks",
        "blocks",
        "checksum",
        "encoding",
        "normalize",
        "mojibake",
        "headings",
        "segment",
        "reading",
        "typed",
        "windows",
        "settings",
        "manifest",
        "ngrams",
        "tagging",
        "onnx",
        "standalone",
    )
)  # every module of `policytag.runtime`, each after the ones it imports
ALLOWED_IMPORTS = {"numpy", "onnxruntime", "opencc", "tokenizers", "charset_normalizer"}


def build_standalone(version: str) -> str:
    """The text of `predictor.py`; raises if a module would bring in another dependency or
    two modules define the same top-level name."""
    package = resources.files("policytag")
    parts, defined, imports = [], {}, []
    for name in SOURCES:
        source = (package / name).read_text(encoding="utf-8")
        tree = ast.parse(source)
        drop = set()
        for node in tree.body:
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith(("policytag", "__future__"))
            ):
                drop.update(range(node.lineno, node.end_lineno + 1))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                _check_import(node, name)
                drop.update(range(node.lineno, node.end_lineno + 1))
                statement = ast.get_source_segment(source, node)
                if statement not in imports:
                    imports.append(statement)  # once, at the top
            for top in _names(node):
                if top in defined:
                    raise ValueError(
                        f"standalone predictor: {top!r} is defined in both {defined[top]} and {name}"
                    )
                defined[top] = name
        _check_nested_imports(tree, name)
        kept = [line for number, line in enumerate(source.splitlines(), start=1) if number not in drop]
        parts.append(f"# ---- policytag/{name}\n" + "\n".join(kept).strip() + "\n")
    header = (
        f'"""policytag {version} standalone predictor, generated at export time from the package source.\n\n'
        "    import predictor\n    tagger = predictor.load()          # the folder this file is in\n"
        '    tags = tagger.predict(["..."])\n\nNeeds numpy, tokenizers, onnxruntime and opencc; not torch, not policytag.\n"""\n\n'
        "from __future__ import annotations\n\n"
    )
    return header + "\n".join(imports) + "\n\n\n" + "\n\n".join(parts)


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name) and t.id != "__all__"]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _check_import(node: ast.Import | ast.ImportFrom, where: str) -> None:
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for module in modules:
        top = module.split(".")[0]
        if top not in ALLOWED_IMPORTS and top not in _STDLIB:
            raise ValueError(f"standalone predictor: {where} imports {module!r}, which it may not need")


def _check_nested_imports(tree: ast.Module, where: str) -> None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("policytag")
            and node.col_offset
        ):
            raise ValueError(f"standalone predictor: {where} imports {node.module} inside a function")


import sys  # noqa: E402 - only for the standard library's module names

_STDLIB = set(sys.stdlib_module_names)
