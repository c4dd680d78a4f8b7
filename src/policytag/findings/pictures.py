"""Pictures of a summary: domain shares over the years, problem share by domain, domains by region.

Label names are drawn in Chinese with the CJK font the evaluation pictures use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from policytag.stats.plots import cjk_font, plt, save_figure

REGIONS_SHOWN = 60  # more rows than this make an unreadable heatmap; the CSV has them all


def domain_trends(
    shares: pd.DataFrame, domains: Sequence[str], names: Mapping[str, str], path: Path, period: int = 1
) -> None:
    """Small multiples: one panel per domain, its share over the years (or periods) with one line
    per level (when `level` is a column) and 95% bands, on a shared y-axis. Groups outside the
    labelled coverage (`covered` false) are drawn faded and dashed, and marked in the legend."""
    cjk_font()
    rows = shares[shares["axis"] == "domain"].dropna(subset=["year"])
    groups = sorted(rows["level"].dropna().unique()) if "level" in rows.columns else [None]
    columns = 5
    fig, axes = plt.subplots(
        -(-len(domains) // columns),
        columns,
        figsize=(15, 2.7 * -(-len(domains) // columns)),
        sharex=True,
    )  # each panel its own y-scale: `general` would flatten the rest
    for ax, domain in zip(axes.flat, domains):
        for k, group in enumerate(groups):
            line = rows[(rows["label"] == domain) & (True if group is None else rows["level"] == group)]
            _trend_line(ax, line.sort_values("year"), COLOURS[k % len(COLOURS)], group)
        ax.set_title(f"{names[domain]} {domain}", fontsize=9, loc="left")
        ax.grid(alpha=0.25)
    for k, ax in enumerate(axes.flat):
        if k >= len(domains):
            ax.set_visible(False)
            continue
        if k + columns >= len(domains):  # nothing below it: it shows the time axis
            ax.xaxis.set_tick_params(labelbottom=True)
        _time_axes(ax, rows[rows["label"] == domains[k]], period)
    unit = f"{period}-year periods, by first year" if period > 1 else "year"
    _legend(fig, axes.flat[0], groups, rows)
    fig.supxlabel(f"年份 {unit}", fontsize=9)
    fig.supylabel("份额 share of paragraphs", fontsize=9)
    fig.suptitle(
        "各领域份额 domain shares over time, per level (bands: 95%, resampling reports)", fontsize=11
    )
    save_figure(fig, path)


def problem_over_time(shares: pd.DataFrame, path: Path, period: int = 1) -> None:
    """What governments admit: the share of problem paragraphs per year (or period) and level."""
    cjk_font()
    rows = shares[(shares["axis"] == "role") & (shares["label"] == "problem")].dropna(subset=["year"])
    groups = sorted(rows["level"].dropna().unique()) if "level" in rows.columns else [None]
    fig, ax = plt.subplots(figsize=(8.5, 4))
    for k, group in enumerate(groups):
        line = rows if group is None else rows[rows["level"] == group]
        _trend_line(ax, line.sort_values("year"), COLOURS[k % len(COLOURS)], group)
    ax.grid(alpha=0.25)
    _time_axes(ax, rows, period)
    ax.set_xlabel(f"年份 {f'{period}-year periods, by first year' if period > 1 else 'year'}")
    ax.set_ylabel("问题不足的份额 problem share")
    ax.set_title("政府承认的问题 problem paragraphs over time (bands: 95%)", loc="left", fontsize=10)
    _legend(fig, ax, groups, rows, inside=True)
    save_figure(fig, path)


def contrast_plot(contrasts: pd.DataFrame, names: Mapping[str, str], path: Path) -> None:
    """Dot and 95% interval of share_b − share_a per label, one panel per contrast and axis."""
    cjk_font()
    keys = list(dict.fromkeys(zip(contrasts["key"], contrasts["a"], contrasts["b"])))
    fig, axes = plt.subplots(len(keys), 2, figsize=(11, 0.6 + 4.4 * len(keys)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 3]})  # fmt: skip
    for row, (key, a, b) in enumerate(keys):
        for column, axis in enumerate(("role", "domain")):
            ax = axes[row, column]
            part = contrasts[(contrasts["key"] == key) & (contrasts["a"] == a) & (contrasts["b"] == b)]
            part = part[part["axis"] == axis].reset_index(drop=True)
            y = np.arange(len(part))
            error = np.vstack([part["difference"] - part["low"], part["high"] - part["difference"]])
            clear = (part["low"] > 0) | (part["high"] < 0)
            ax.errorbar(part["difference"], y, xerr=error, fmt="none", ecolor="#999999", elinewidth=1)
            ax.scatter(part["difference"], y, c=np.where(clear, "#c0504d", "#555555"), zorder=3, s=18)
            ax.axvline(0, color="#333333", linewidth=0.8)
            ax.set_yticks(y, [f"{names.get(label, label)} {label}" for label in part["label"]], fontsize=8)
            ax.invert_yaxis()
            ax.grid(axis="x", alpha=0.25)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.0f}" if v else "0"))
            ax.set_xlabel(f"{b} − {a} (percentage points)", fontsize=8)
            ax.set_title(f"{key}: {b} vs {a} · {axis}", loc="left", fontsize=9)
    fig.suptitle(
        "对比 contrasts: difference of shares with 95% intervals (red: interval excludes 0)", fontsize=10
    )
    save_figure(fig, path)


def _time_axes(ax, rows: pd.DataFrame, period: int) -> None:
    """Shared axes of a time picture: 0 to the highest interval, in percent; periods named
    `2005–09` at their first year."""
    from matplotlib.ticker import PercentFormatter

    ax.set_ylim(0, max(float(rows["share_high"].max()) * 1.05, 0.01))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    starts = sorted(int(y) for y in rows["year"].dropna().unique())
    if period > 1 and starts:
        shown = starts[:: -(-len(starts) // 5)]  # at most five labels: they stay readable
        ax.set_xticks(shown, [f"{y}–{str(y + period - 1)[-2:]}" for y in shown], fontsize=7)


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def _trend_line(ax, line: pd.DataFrame, colour: str, group) -> None:
    years = line["year"].astype(float).to_numpy()
    faded = "covered" in line.columns and not bool(line["covered"].fillna(True).all())
    style = {"alpha": 0.35, "linestyle": "--"} if faded else {}
    ax.plot(years, line["share"], marker=".", markersize=3, color=colour, linewidth=1.2, label=group, **style)
    ax.fill_between(years, line["share_low"].astype(float), line["share_high"].astype(float),
                    color=colour, alpha=0.06 if faded else 0.15, linewidth=0)  # fmt: skip


def _legend(fig, ax, groups, rows: pd.DataFrame, inside: bool = False) -> None:
    if groups == [None]:
        return
    uncovered = set()
    if "covered" in rows.columns and "level" in rows.columns:
        uncovered = set(rows.loc[~rows["covered"].fillna(True).astype(bool), "level"])
    handles = [
        plt.Line2D([], [], color=COLOURS[k % len(COLOURS)], linestyle="--" if g in uncovered else "-",
                   alpha=0.35 if g in uncovered else 1, label=f"{g}{' (partly outside labelled coverage)' if g in uncovered else ''}")
        for k, g in enumerate(groups)
    ]  # fmt: skip
    if inside:
        ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper right")
    else:
        fig.legend(handles=handles, fontsize=9, frameon=False, loc="lower right", bbox_to_anchor=(0.98, 0.03))


def problem_by_domain(table: pd.DataFrame, path: Path) -> None:
    """The problem share of each domain's paragraphs (a `role_by_domain` table) with 95% intervals."""
    cjk_font()
    y = np.arange(len(table))
    share = table["problem_share"].to_numpy()
    error = np.vstack(
        [share - table["problem_share_low"].to_numpy(), table["problem_share_high"].to_numpy() - share]
    )
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.36 * len(table)))
    ax.barh(y, share, xerr=error, color="#c0504d", capsize=2, error_kw={"linewidth": 0.8})
    ax.set_yticks(
        y,
        [f"{name} {d} (n={n:,})" for name, d, n in zip(table["name"], table["domain"], table["paragraphs"])],
        fontsize=8,
    )
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.set_xlabel("问题不足的份额 problem share (95% interval)")
    ax.set_title("各领域问题不足的份额 problem share by domain", loc="left", fontsize=10)
    save_figure(fig, path)


def region_heatmap(
    table: pd.DataFrame, domains: Sequence[str], names: Mapping[str, str], weight: str, path: Path
) -> None:
    """Domain shares per region (rows), the regions with most paragraphs first, at most
    `REGIONS_SHOWN` of them."""
    cjk_font()
    rows = table[table["domain"].notna() & table["region"].notna()]
    values = rows["characters"] if weight == "characters" else pd.Series(1, index=rows.index)
    totals = pd.crosstab(rows["region"], rows["domain"], values=values, aggfunc="sum").fillna(0)
    totals = totals.reindex(columns=list(domains), fill_value=0)
    order = rows["region"].value_counts().index[:REGIONS_SHOWN]
    shares = totals.loc[order].div(totals.loc[order].sum(axis=1), axis=0).to_numpy()
    fig, ax = plt.subplots(figsize=(10, 1.8 + 0.3 * len(order)))
    image = ax.imshow(shares, cmap="YlGnBu", aspect="auto", vmin=0)
    ax.set_xticks(
        range(len(domains)), [f"{names[d]}\n{d}" for d in domains], rotation=60, ha="right", fontsize=7
    )
    ax.set_yticks(range(len(order)), list(order), fontsize=7)
    shown = "" if len(order) == totals.shape[0] else f" (the {len(order)} regions with most paragraphs)"
    ax.set_title(f"各地区领域份额 domain shares by region{shown}", loc="left", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.03, label="share")
    save_figure(fig, path)
