"""`compare`: runs or evaluations side by side — what differs in their recipes, how they score.

Each folder is a training run (its `metrics.json` holds the dev-gold metrics at the end
of training, `config.yaml` its recipe) or an evaluation folder (`metrics.json` from
`evaluate`, whose model points back to the run or export and so to the recipe).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from policytag.config import from_dict, to_dict
from policytag.io.run_folder import RUN_CONFIG, RUN_METRICS, is_run
from policytag.runtime.settings import SETTINGS_FILE, load_settings
from policytag.training.config import TrainConfig, load_run_config

HEADLINE = (
    ("role macro-F1", ("role", "macro_f1")),
    ("role acc.", ("role", "accuracy")),
    ("domain macro-F1", ("domain", "macro_f1")),
    ("domain acc.", ("domain", "accuracy")),
    ("domain lenient", ("domain", "lenient_accuracy")),
)
LOWER_IS_BETTER = {"role ECE", "domain ECE"}


@dataclass
class Entry:
    name: str
    recipe: dict
    scores: dict[str, float | None]


def load_entry(folder: Path) -> Entry:
    path = folder / RUN_METRICS
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder}: no metrics.json; give run folders or `policytag evaluate` output folders"
        )
    metrics = json.loads(path.read_text(encoding="utf-8"))
    scores = {label: metrics.get(axis, {}).get(key) for label, (axis, key) in HEADLINE}
    calibration = metrics.get("calibration", {})
    scores["role ECE"], scores["domain ECE"] = calibration.get("role_ece"), calibration.get("domain_ece")
    model = Path(metrics["model"]) if "model" in metrics else folder
    return Entry(str(folder), _recipe(model), scores)


def _recipe(model: Path) -> dict:
    """The resolved recipe (as plain data) of a run, or of the run an export came from."""
    if (model / RUN_CONFIG).is_file() or is_run(model):
        return to_dict(load_run_config(model))
    if (model / SETTINGS_FILE).is_file():
        training = load_settings(model).training
        if training is not None and training.recipe:
            return to_dict(from_dict(TrainConfig, training.recipe, source=str(model / SETTINGS_FILE)))
    return {}


def _flat(recipe: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in recipe.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def compare_table(entries: list[Entry]) -> str:
    """A Markdown table: recipe keys that differ, then headline metrics, best per column in bold."""
    flats = [_flat(e.recipe) for e in entries]
    keys = sorted({k for f in flats for k in f})
    differing = [k for k in keys if len({json.dumps(f.get(k), default=str) for f in flats}) > 1]
    metrics = [label for label in entries[0].scores if any(e.scores.get(label) is not None for e in entries)]
    best = {}
    for label in metrics:
        values = [e.scores[label] for e in entries if e.scores.get(label) is not None]
        best[label] = (min if label in LOWER_IS_BETTER else max)(values)
    header = ["run", *differing, *metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry, flat in zip(entries, flats):
        cells = [entry.name, *(str(flat.get(k, "–")) for k in differing)]
        for label in metrics:
            value = entry.scores.get(label)
            text = "–" if value is None else f"{value:.3f}"
            cells.append(
                f"**{text}**" if value is not None and value == best[label] and len(entries) > 1 else text
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def seed_groups(folders: list[Path]) -> dict[str, list[Path]]:
    """Evaluation folders grouped by the recipe of the model each scored, its seed aside; each
    group named by the recipe keys that differ between the groups (in the order first seen)."""
    grouped: dict[str, list[Path]] = {}
    for folder in folders:
        recipe = {k: v for k, v in _flat(load_entry(folder).recipe).items() if k != "seed"}
        grouped.setdefault(json.dumps(recipe, sort_keys=True, default=str), []).append(folder)
    flats = [json.loads(key) for key in grouped]
    keys = sorted({k for flat in flats for k in flat})
    differing = [k for k in keys if len({json.dumps(f.get(k), default=str) for f in flats}) > 1]
    return {
        (", ".join(f"{k}={flat.get(k)}" for k in differing) or "one recipe"): members
        for flat, members in zip(flats, grouped.values())
    }
