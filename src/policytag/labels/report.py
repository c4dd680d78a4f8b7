"""The rule report: how often each labelling rule fires, agrees, conflicts and is right.

Scored against gold paragraphs matched to prepared paragraphs by normalised text
(and report id), so structure-reading rules are judged in the context they need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policytag.labels.schema import AXES


@dataclass(frozen=True)
class ScoredParagraph:
    """One prepared paragraph's silver votes and combined labels, with gold where matched."""

    votes: dict[str, dict[str, str | None]]
    labels: dict[str, str | None]
    gold: dict[str, str | None] | None  # role, domain, domain_alt


def rule_report(rows: Sequence[ScoredParagraph]) -> dict:
    """Per axis: each rule's coverage, overlap, conflict and accuracy, and the combined label's.

    Coverage, overlap and conflict are over all paragraphs; accuracy is over the paragraphs
    with gold where the rule fires. Domain accuracy is given strict and lenient (`domain_alt`).
    """
    report: dict = {"paragraphs": len(rows), "gold_matched": sum(r.gold is not None for r in rows)}
    for axis in AXES:
        rules = sorted({name for r in rows for name in r.votes.get(axis, {})})
        report[axis] = {
            "rules": {name: _rule_stats(rows, axis, name, rules) for name in rules},
            "combined": _label_stats(rows, axis, lambda r, a=axis: r.labels.get(a)),
        }
    return report


def _rule_stats(rows: Sequence[ScoredParagraph], axis: str, name: str, rules: list[str]) -> dict:
    fired = [r for r in rows if r.votes[axis].get(name)]
    others = [n for n in rules if n != name]
    overlap = sum(1 for r in fired if any(r.votes[axis].get(o) for o in others))
    conflict = sum(
        1
        for r in fired
        if any(r.votes[axis].get(o) and r.votes[axis][o] != r.votes[axis][name] for o in others)
    )
    stats = _label_stats(rows, axis, lambda r: r.votes[axis].get(name))
    n = len(fired)
    stats.update(overlap=overlap / n if n else 0.0, conflict=conflict / n if n else 0.0)
    return stats


def _label_stats(rows: Sequence[ScoredParagraph], axis: str, pick) -> dict:
    total = len(rows)
    fired = sum(1 for r in rows if pick(r))
    gold = [r for r in rows if r.gold is not None and r.gold.get(axis)]
    judged = [(pick(r), r.gold) for r in gold if pick(r)]
    stats = {
        "coverage": fired / total if total else 0.0,
        "fired": fired,
        "gold": len(gold),
        "gold_coverage": len(judged) / len(gold) if gold else 0.0,
        "accuracy": _accuracy(judged, axis, lenient=False),
    }
    if axis == "domain":
        stats["lenient_accuracy"] = _accuracy(judged, axis, lenient=True)
    return stats


def _accuracy(judged: list, axis: str, lenient: bool) -> float | None:
    if not judged:
        return None
    right = sum(
        1 for label, gold in judged if label == gold[axis] or (lenient and label == gold.get("domain_alt"))
    )
    return right / len(judged)


def render_table(report: dict) -> str:
    """The rule report as a Markdown table a researcher can read at a glance."""
    lines = [
        f"Rule report: {report['paragraphs']:,} paragraphs, {report['gold_matched']} matched to gold.",
        "",
        "| axis | rule | coverage | gold coverage | accuracy | lenient | overlap | conflict |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for axis in AXES:
        entries: Iterable = [*report[axis]["rules"].items(), ("**combined**", report[axis]["combined"])]
        for name, s in entries:
            lines.append(
                f"| {axis} | {name} | {s['coverage']:.1%} | {s['gold_coverage']:.1%} | {_pct(s['accuracy'])} "
                f"| {_pct(s.get('lenient_accuracy'))} | {_pct(s.get('overlap'))} | {_pct(s.get('conflict'))} |"
            )
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"
