"""`agreement`: how far two annotators agree on the same paragraphs, per axis.

Rows of the two files are paired by `id`, else by normalised text. For each axis, over the
pairs where both gave a label: raw agreement, Cohen's kappa (scikit-learn), Krippendorff's
alpha for nominal data (the `krippendorff` package), per-class specific agreement
(2·both / (A's count + B's count)), the confusion between the annotators and their most
frequent disagreements; for `domain` also the agreement that accepts either annotator's
`domain_alt` as a match.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from policytag.io.jsonl import read_labelled
from policytag.labels.annotations import read_label_studio
from policytag.labels.schema import AXES, LabelSchema
from policytag.runtime.normalize import normalize


def read_annotations(path: Path, schema: LabelSchema) -> list[dict]:
    """Annotation rows: JSONL with `text`, `role`, `domain`, optional `id`, `domain_alt`, or a
    Label Studio JSON export of `policytag select` tasks; an unknown label is an error naming
    the file and row."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such annotation file")
    rows = read_label_studio(path) if path.suffix.lower() == ".json" else read_labelled(path)
    for number, row in enumerate(rows, start=1):
        for key, axis in (("role", "role"), ("domain", "domain"), ("domain_alt", "domain")):
            schema.check(axis, row.get(key) or None, f"{path}: row {number} `{key}`")
    return rows


def pair_rows(a: list[dict], b: list[dict]) -> tuple[list[tuple[dict, dict]], int, int]:
    """Pairs of rows of the same paragraph (by `id`, else normalised text), and how many rows
    of A and of B found no partner."""
    by_id = {str(r["id"]): r for r in b if r.get("id")}
    by_text = {normalize(r["text"]): r for r in b}
    pairs, used, clashes = [], set(), []
    for row in a:
        partner = by_id.get(str(row.get("id"))) if row.get("id") else None
        if partner is not None and normalize(partner["text"]) != normalize(row["text"]):
            clashes.append(str(row["id"]))
            continue
        partner = partner or by_text.get(normalize(row["text"]))
        if partner is not None and id(partner) not in used:
            used.add(id(partner))
            pairs.append((row, partner))
    if clashes:
        raise ValueError(
            f"ids {', '.join(clashes[:5])}{' …' if len(clashes) > 5 else ''}: the same id stands for different "
            "texts in the two files; they are not labels of the same paragraphs"
        )
    return pairs, len(a) - len(pairs), len(b) - len(pairs)


def axis_agreement(first: list[str], second: list[str], labels: tuple[str, ...]) -> dict:
    """The agreement figures of one axis over paired labels (the module docstring's list)."""
    n = len(first)
    if n == 0:
        return {"n": 0, "agreement": None, "cohen_kappa": None, "krippendorff_alpha": None}
    codes = {label: k for k, label in enumerate(labels)}
    counts_a, counts_b = Counter(first), Counter(second)
    both = Counter(x for x, y in zip(first, second) if x == y)
    pairs = Counter(zip(first, second))
    return {
        "n": n,
        "agreement": round(sum(both.values()) / n, 4),
        "cohen_kappa": _finite(cohen_kappa_score(first, second, labels=list(labels))),
        "krippendorff_alpha": _alpha([[codes[x] for x in first], [codes[y] for y in second]], len(labels)),
        "per_class": {
            label: {
                "a": counts_a[label],
                "b": counts_b[label],
                "both": both[label],
                "specific_agreement": round(2 * both[label] / (counts_a[label] + counts_b[label]), 4),
            }
            for label in labels
            if counts_a[label] + counts_b[label]
        },
        "confusion": {x: {y: pairs[(x, y)] for y in labels if pairs[(x, y)]} for x in labels if counts_a[x]},
        "disagreements": [{"a": x, "b": y, "count": c} for (x, y), c in pairs.most_common() if x != y],
    }


def _finite(value: float) -> float | None:
    """Rounded, or None where the statistic is undefined (one class only: 0/0)."""
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _alpha(data: list[list[int]], classes: int) -> float | None:
    if len({v for row in data for v in row}) < 2:
        return None  # no variation at all: alpha is 0/0
    return _finite(
        krippendorff.alpha(
            reliability_data=np.array(data, dtype=float),
            value_domain=list(range(classes)),
            level_of_measurement="nominal",
        )
    )


def agreement(a_path: Path, b_path: Path, schema: LabelSchema) -> dict:
    """Both axes' agreement between the annotation files `a_path` and `b_path`."""
    pairs, only_a, only_b = pair_rows(read_annotations(a_path, schema), read_annotations(b_path, schema))
    if not pairs:
        raise ValueError(
            f"{a_path} and {b_path} share no paragraph (matched by `id`, then by normalised text)"
        )
    result: dict = {
        "a": str(a_path),
        "b": str(b_path),
        "paired": len(pairs),
        "only_a": only_a,
        "only_b": only_b,
    }
    for axis in AXES:
        both = [(x, y) for x, y in pairs if x.get(axis) and y.get(axis)]
        result[axis] = axis_agreement(
            [x[axis] for x, _ in both], [y[axis] for _, y in both], schema.labels(axis)
        )
    both = [(x, y) for x, y in pairs if x.get("domain") and y.get("domain")]
    if both:
        lenient = sum(
            x["domain"] == y["domain"]
            or x["domain"] == y.get("domain_alt")
            or y["domain"] == x.get("domain_alt")
            for x, y in both
        )
        result["domain"]["lenient_agreement"] = round(lenient / len(both), 4)
    return result


def render_markdown(result: dict, top: int = 10) -> str:
    """The figures as Markdown: a summary per axis, per-class agreement, frequent disagreements."""
    lines = [
        f"# Agreement: {result['a']} vs {result['b']}",
        "",
        f"{result['paired']} paragraphs paired; {result['only_a']} only in A, {result['only_b']} only in B.",
        "",
        "| axis | n | agreement | Cohen's κ | Krippendorff's α | lenient (domain_alt) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for axis in AXES:
        m = result[axis]
        lines.append(
            f"| {axis} | {m['n']} | {_fmt(m['agreement'])} | {_fmt(m['cohen_kappa'])} | "
            f"{_fmt(m['krippendorff_alpha'])} | {_fmt(m.get('lenient_agreement'))} |"
        )
    for axis in AXES:
        lines += [
            "",
            f"## {axis}: per class",
            "",
            "| label | A | B | both | specific agreement |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, c in result[axis].get("per_class", {}).items():
            lines.append(f"| {label} | {c['a']} | {c['b']} | {c['both']} | {_fmt(c['specific_agreement'])} |")
        lines += ["", f"Most frequent {axis} disagreements (A → B):", ""]
        lines += [
            f"- {d['a']} → {d['b']}: {d['count']}" for d in result[axis].get("disagreements", [])[:top]
        ] or ["- none"]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
