"""Plain data → frozen dataclasses, strictly: the typed half of the config loader.

Unknown keys, wrong types and conflicting options raise `ConfigError` with the dotted
key and the file, so a typo never silently falls back to a default. Standard library
only: the export settings are loaded with it, in the package and in `predictor.py`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """A recipe or settings file that cannot be turned into its typed config."""


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


def load_json(cls: type[T], path: Path, missing: str) -> T:
    """`cls` from the JSON file at `path`; `ConfigError` naming the file when it is absent
    (`missing` says what to do), not JSON, or does not fit `cls`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: {missing}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid JSON ({err})") from err
    return from_dict(cls, data, source=str(path))


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
