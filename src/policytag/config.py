"""One loader for every YAML recipe: YAML → frozen dataclasses, strictly.

Unknown keys, wrong types and conflicting options raise `ConfigError` with the
dotted key and the file, so a typo never silently falls back to a default.
Dotted overrides (`prepare.split.seed=7`) are applied before validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from policytag.runtime.typed import ConfigError, from_dict, to_dict

__all__ = [
    "CONFIGS",
    "SAMPLE",
    "ConfigError",
    "apply_overrides",
    "from_dict",
    "recipe_path",
    "read_yaml",
    "to_dict",
]

# Package data: the shipped recipes and the shipped sample (raw reports, dev gold, hand
# labels). In a checkout both are links to the repository's `configs/` and `data/`; a
# wheel holds copies, so an installed `policytag` finds them from any directory.
CONFIGS = Path(__file__).parent / "configs"
SAMPLE = Path(__file__).parent / "sample"


def recipe_path(base: Path, path: Path) -> Path:
    """A path written in a shipped recipe, relative to the recipe's folder `base` (the recipes
    name the sample as `../../data/…`, the repository's layout), as `shipped` finds it."""
    return shipped(path if path.is_absolute() else (base / path).resolve())


def shipped(path: Path | None) -> Path | None:
    """`path` where it exists from here; else, for a path into the repository's `data/` (given
    as `data/…` or absolute), the package's copy under `sample/`, as in an installed wheel. The
    one resolver of the shipped sample's paths."""
    if path is None or path.exists():
        return path
    if not path.is_absolute() and path.parts[:1] == ("data",):
        rest = Path(*path.parts[1:])
    else:
        try:
            rest = path.resolve().relative_to(Path(__file__).parent.resolve() / "data")
        except ValueError:
            return path
    copy = SAMPLE / rest
    return copy if copy.exists() else path


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, naming the file on any problem."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: config file not found") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(err)}); fix the file") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _yaml_problem(err: yaml.YAMLError) -> str:
    """One line: what the YAML parser objected to, and where."""
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    mark = getattr(err, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of `data` with `key.sub=value` overrides applied (values parsed as YAML)."""
    result = _deep_copy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r}: expected KEY.SUB=VALUE")
        node = result
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[parts[-1]] = yaml.safe_load(raw)
    return result


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
