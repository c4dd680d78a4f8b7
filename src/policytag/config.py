"""One loader for every YAML recipe: YAML → frozen dataclasses, strictly.

Unknown keys, wrong types and conflicting options raise `ConfigError` with the
dotted key and the file, so a typo never silently falls back to a default.
Dotted overrides (`prepare.split.seed=7`) are applied before validation.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

# The recipes shipped in the repository (an editable install, as `make` sets up).
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


class ConfigError(ValueError):
    """A recipe that cannot be turned into its typed config."""


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


def from_dict(cls: type[T], data: Any, where: str = "", source: str = "") -> T:
    """Build dataclass `cls` from a mapping, validating keys and types recursively."""
    prefix = f"{source}: " if source else ""
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix}{where or 'config'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        keys = ", ".join(_join(where, k) for k in unknown)
        raise ConfigError(f"{prefix}unknown key {keys}; known keys: {', '.join(sorted(fields))}")
    values = {}
    for name, field in fields.items():
        key = _join(where, name)
        if name in data:
            values[name] = _coerce(hints[name], data[name], key, source)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{prefix}missing required key {key}")
    try:
        return cls(**values)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{prefix}{where or 'config'}: {err}") from err


def to_dict(config: Any) -> Any:
    """The plain-data form of a config (for writing the resolved recipe of a run)."""
    if dataclasses.is_dataclass(config):
        return {f.name: to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, (list, tuple)):
        return [to_dict(v) for v in config]
    if isinstance(config, dict):
        return {k: to_dict(v) for k, v in config.items()}
    if isinstance(config, Path):
        return str(config)
    return config


def _coerce(tp: Any, value: Any, key: str, source: str) -> Any:
    prefix = f"{source}: " if source else ""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, key, source)
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{prefix}{key}: {value!r} is not one of {', '.join(map(repr, args))}")
        return value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, key, source)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"{prefix}{key}: expected a list, got {type(value).__name__}")
        item_type = args[0] if args else Any
        items = [_coerce(item_type, v, f"{key}[{i}]", source) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{prefix}{key}: expected a mapping, got {type(value).__name__}")
        value_type = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(value_type, v, f"{key}.{k}", source) for k, v in value.items()}
    return _coerce_scalar(tp, value, key, prefix)


_EXPONENT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _coerce_scalar(tp: Any, value: Any, key: str, prefix: str) -> Any:
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads `3e-3` (no dot) as a string
    if tp is Path and isinstance(value, str):
        return Path(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{prefix}{key}: expected true or false, got {value!r}")
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"{prefix}{key}: expected an integer, got {value!r}")
    if isinstance(tp, type) and not isinstance(value, tp):
        raise ConfigError(f"{prefix}{key}: expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data
