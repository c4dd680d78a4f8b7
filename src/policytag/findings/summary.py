"""`summary.md`: the shares, the role × domain table and the pictures, Chinese label names shown."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from policytag.findings.results import group_rows
from policytag.labels.schema import AXES, LabelSchema

GROUPS_SHOWN = 60  # per table; shares.csv has every group
ILL_CONDITIONED = 100.0  # condition number of C above which the adjustment is flagged as weak


def write_summary(
    path: Path,
    shares: pd.DataFrame,
    by: Sequence[str],
    roles_domains: pd.DataFrame,
    schema: LabelSchema,
    facts: dict,
    pictures: Sequence[str],
    contrasts: pd.DataFrame | None = None,
) -> None:
    """Write the Markdown summary to `path`, opening like a results section (groups, coverage,
    the largest shares, the contrasts, what the adjustment changed); `facts` holds the run's inputs
    and options (see `policytag.findings.summarize`)."""
    period = facts.get("period", 1)
    lines = [
        "# Role and domain shares",
        "",
        f"{facts['paragraphs']:,} paragraphs from {facts['reports']:,} reports "
        f"({', '.join(facts['inputs'])}); grouped by {', '.join(by) or 'nothing (all together)'}"
        + (f", years in {period}-year periods (named by their first year)" if period > 1 else "")
        + f"; weighted by {facts['weight']}; uncertain paragraphs "
        f"{'left out' if facts['exclude_uncertain'] else 'kept'}. Intervals: 95%, from "
        f"{facts['bootstrap']:,} resamples of whole reports within each group (seed {facts['seed']}).",
        "",
    ]
    lines += _findings(shares, by, schema, contrasts)
    if "confusion" in facts:
        lines += _adjustment_note(facts["confusion"])
        lines += _adjustment_changes(shares, by, schema)
    if "coverage" in facts:
        lines += _coverage_note(shares, by, facts["coverage"])
    for axis in AXES:
        lines += [f"## {axis} shares", "", _wide(shares, by, axis, "share", schema), ""]
        if "adjusted" in shares.columns:
            lines += [
                f"### {axis} shares adjusted for the model's confusion",
                "",
                _wide(shares, by, axis, "adjusted", schema),
                "",
            ]
    lines += [
        "## Role × domain (paragraphs; problem share by the chosen weight)",
        "",
        _markdown(_format_roles_domains(roles_domains)),
        "",
    ]
    lines += ["## Pictures", ""] + [f"![{name}]({name})\n" for name in pictures]
    path.write_text("\n".join(lines), encoding="utf-8")


def _adjustment_note(confusion: dict) -> list[str]:
    note = (
        f"Adjusted shares correct for the model's confusion, estimated on {confusion['paragraphs']} "
        f"held-out labelled paragraphs from {confusion['reports']} reports ({', '.join(confusion['folders'])}); "
        "the labelled reports are resampled too, so C's own uncertainty is in the intervals."
    )
    if len(confusion["models"]) > 1:
        note += (
            f" **The evaluations score {len(confusion['models'])} different model paths** "
            f"({', '.join(confusion['models'])}): C mixes their confusions; give evaluations of the export "
            "that wrote the tags."
        )
    shaky = [f"{axis} {cond:.3g}" for axis, cond in confusion["condition"].items() if cond > ILL_CONDITIONED]
    if shaky:
        note += (
            " **C is close to singular** (condition number " + ", ".join(shaky) + "): the model barely "
            "tells some classes apart, so the adjusted shares of those classes say little."
        )
    unseen = [f"{axis}: {', '.join(labels)}" for axis, labels in confusion["unseen"].items() if labels]
    if unseen:
        note += (
            " Classes no labelled paragraph shows are taken as read right (identity rows of C): "
            + "; ".join(unseen)
            + "."
        )
    return [note, ""]


def _coverage_note(shares: pd.DataFrame, by: Sequence[str], coverage: str) -> list[str]:
    groups = group_rows(shares, by)
    outside = groups[~groups["covered"]]
    lines = [f"Labelled data covers: {coverage}."]
    if outside.empty:
        return lines + ["Every group lies inside it.", ""]
    names = [
        ", ".join(f"{f}={'unknown' if pd.isna(row[f]) else row[f]}" for f in by) or "all paragraphs together"
        for _, row in outside.iterrows()
    ]
    shown = "; ".join(names[:GROUPS_SHOWN]) + (" …" if len(names) > GROUPS_SHOWN else "")
    return lines + [
        f"**{len(names)} group(s) lie outside it** (marked ⚠ below; `covered` false in "
        f"shares.csv): the model was never checked there. {shown}",
        "",
    ]


def _cell(value: float, low: float, high: float, reports: int, column: str) -> str:
    """A share with its interval; a group of one report has no spread between reports to
    resample, so its raw share is shown without an interval (an adjusted one keeps the
    confusion matrix's)."""
    if reports < 2 and column == "share":
        return f"{value:.1%} (1 report)"
    return f"{value:.1%} [{low:.1%}–{high:.1%}]"


def _wide(shares: pd.DataFrame, by: Sequence[str], axis: str, column: str, schema: LabelSchema) -> str:
    rows = shares[shares["axis"] == axis].copy()
    rows["cell"] = [
        _cell(v, lo, hi, n, column)
        for v, lo, hi, n in zip(rows[column], rows[f"{column}_low"], rows[f"{column}_high"], rows["reports"])
    ]
    keys = list(by) or ["axis"]
    groups = group_rows(rows, by)
    table = groups[keys + ["reports"]].reset_index(drop=True)
    if "covered" in groups.columns:
        table.insert(len(keys), "", ["" if c else "⚠" for c in groups["covered"]])
    for label in schema.labels(axis):  # every group has one row per label, in the same order
        table[f"{schema.names[label]} {label}"] = rows.loc[rows["label"] == label, "cell"].to_numpy()
    more = len(table) - GROUPS_SHOWN
    text = _markdown(table.head(GROUPS_SHOWN))
    return text + (f"\n\n({more} more groups in shares.csv)" if more > 0 else "")


def _format_roles_domains(table: pd.DataFrame) -> pd.DataFrame:
    result = table.drop(columns=["problem_share", "problem_share_low", "problem_share_high"]).copy()
    result["problem share"] = [
        f"{v:.1%} [{lo:.1%}–{hi:.1%}]"
        for v, lo, hi in zip(table["problem_share"], table["problem_share_low"], table["problem_share_high"])
    ]
    return result


def _markdown(table: pd.DataFrame) -> str:
    header = [str(c) for c in table.columns]
    body = [["" if pd.isna(v) else str(v) for v in row] for row in table.itertuples(index=False)]
    return "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        + ["| " + " | ".join(cells) + " |" for cells in body]
    )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _findings(
    shares: pd.DataFrame, by: Sequence[str], schema: LabelSchema, contrasts: pd.DataFrame | None
) -> list[str]:
    """The opening paragraphs: the largest domain shares and the problem share, then the contrasts."""
    lines = ["## Findings", ""]
    domains = shares[shares["axis"] == "domain"]
    groups = list(domains.groupby(list(by), dropna=False)) if by else [((), domains)]
    for key, rows in groups[:12]:
        top = rows.sort_values("share", ascending=False).head(3)
        name = ", ".join(map(str, key if isinstance(key, tuple) else (key,))) or "all reports"
        listed = "; ".join(
            f"{schema.names[r.label]} {r.label} {_pct(r.share)} [{_pct(r.share_low)}–{_pct(r.share_high)}]"
            for r in top.itertuples()
        )
        problem = shares[(shares["axis"] == "role") & (shares["label"] == "problem")]
        for field, value in zip(by, key if isinstance(key, tuple) else (key,)):
            problem = problem[problem[field] == value]
        admitted = (
            f"; problems {_pct(problem['share'].iloc[0])} [{_pct(problem['share_low'].iloc[0])}–"
            f"{_pct(problem['share_high'].iloc[0])}]"
            if len(problem)
            else ""
        )
        lines.append(f"- **{name}** ({int(rows['reports'].iloc[0])} reports): {listed}{admitted}.")
    if len(groups) > 12:
        lines.append(f"- … and {len(groups) - 12} more groups in the tables below and in shares.csv.")
    lines.append("")
    if contrasts is not None and len(contrasts):
        lines += ["### Contrasts", ""]
        for (key, a, b), rows in contrasts.groupby(["key", "a", "b"], sort=False):
            clear = rows[(rows["low"] > 0) | (rows["high"] < 0)].sort_values(
                "difference", key=abs, ascending=False
            )
            n_a, n_b = int(rows["reports_a"].iloc[0]), int(rows["reports_b"].iloc[0])
            lines.append(
                f"{key} = {b} ({n_b} reports) against {a} ({n_a} reports): {len(clear)} of {len(rows)} labels "
                "differ with an interval that excludes zero (contrasts.csv has all; among many labels about "
                "one in twenty excludes zero by chance alone)."
            )
            for r in clear.head(8).itertuples():
                lines.append(
                    f"- {schema.names.get(r.label, r.label)} {r.label}: {_pct(r.share_b)} against {_pct(r.share_a)}, "
                    f"{100 * r.difference:+.1f} points [{100 * r.low:+.1f}, {100 * r.high:+.1f}]"
                )
            lines.append("")
    return lines


def _adjustment_changes(shares: pd.DataFrame, by: Sequence[str], schema: LabelSchema) -> list[str]:
    """The largest moves the confusion adjustment made."""
    moved = shares.assign(move=(shares["adjusted"] - shares["share"]).abs()).sort_values(
        "move", ascending=False
    )
    lines = ["What the adjustment changed most:", ""]
    for r in moved.head(5).itertuples():
        group = ", ".join(str(getattr(r, f)) for f in by) or "all"
        lines.append(
            f"- {group} · {schema.names.get(r.label, r.label)} {r.label}: {_pct(r.share)} → {_pct(r.adjusted)} "
            f"[{_pct(r.adjusted_low)}–{_pct(r.adjusted_high)}]"
        )
    return [*lines, ""]
