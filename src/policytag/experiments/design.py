"""What a sweep is: its spec, and the trials of its grid (every combination, or one key at a time)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

DESIGNS = ("all", "one")
DATASET_KEY = "data.dataset"


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep is; stored in `DIR/sweep.json` and compared when a sweep continues."""

    recipe: str
    grid: dict[str, list[str]]  # dotted key → values, in the order given
    seeds: list[int]
    data: str  # the held-out labelled set every run is evaluated on
    reports: str | None = None  # its whole reports, to read it in context
    dataset: str | None = None
    overrides: list[str] = field(default_factory=list)
    vary: str = "all"  # all: every combination of the grid; one: each key alone against the first values


@dataclass(frozen=True)
class Trial:
    name: str
    seed: int
    values: dict[str, str]


def parse_grid(items: list[str]) -> dict[str, list[str]]:
    """`KEY=V1,V2` options → {key: [values]}; `ValueError` naming a malformed one."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ValueError(f"--grid {item!r}: give KEY=V1,V2 (a recipe key and its values)")
        if key.strip() in grid:
            raise ValueError(f"--grid {key.strip()}: given twice")
        grid[key.strip()] = [v.strip() for v in _split_values(values) if v.strip()]
    return grid


def _split_values(values: str) -> list[str]:
    """`V1,V2` split at commas outside brackets and braces: `{a: 1, b: 2},{a: 3, b: 4}` is two."""
    parts, depth, current = [], 0, ""
    for char in values:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def trials(spec: SweepSpec) -> list[Trial]:
    """Every grid point with every seed, named `NN-key=value-…-seedS` (the first point first).

    With `vary="one"` the points are the first value of every key (named `NN-base`), then each
    other value of each key with the rest at their first values: one lever at a time."""
    out = []
    for number, (values, varied) in enumerate(_points(spec), 1):
        label = "-".join(
            f"{key.rsplit('.', 1)[-1]}={Path(values[key]).name or values[key]}" for key in varied
        )
        stem = re.sub(r"[^\w.=+-]+", "_", f"{number:02d}-{label or 'base'}" if values else f"{number:02d}")[
            :80
        ]
        out += [Trial(f"{stem}-seed{seed}", seed, values) for seed in spec.seeds]
    return out


def _points(spec: SweepSpec) -> list[tuple[dict[str, str], list[str]]]:
    """(grid values, the keys named in the trial's name) for every point of the design."""
    if spec.vary == "all":
        return [
            (dict(zip(spec.grid, point)), list(spec.grid)) for point in itertools.product(*spec.grid.values())
        ]
    base = {key: values[0] for key, values in spec.grid.items()}
    levers = [({**base, key: value}, [key]) for key, values in spec.grid.items() for value in values[1:]]
    return [(base, []), *levers]


def trial_dataset(trial: Trial, dataset: str) -> Path:
    """The dataset a trial trains on: its grid value of `data.dataset` where the grid varies the
    dataset, else the sweep's one (`_dataset`)."""
    return Path(trial.values.get(DATASET_KEY) or dataset).resolve()
