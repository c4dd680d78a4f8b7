"""Pictures of a summary: domain shares over the years, problem share by domain, domains by region.

Label names are drawn in Chinese with the CJK font the evaluation pictures use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from policytag.evaluation.plots import cjk_font, plt, save_figure

REGIONS_SHOWN = 60  # more rows than this make an unreadable heatmap; the CSV has them all


def domain_trends(shares: pd.DataFrame, domains: Sequence[str], names: Mapping[str, str], path: Path) -> None:
    """Domain shares by year, one panel per level (when `level` is a column), each domain a line
    with its 95% band."""
    cjk_font()
    rows = shares[shares["axis"] == "domain"]
    panels = sorted(rows["level"].dropna().unique()) if "level" in rows.columns else [None]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.6 * len(panels)), squeeze=False, sharex=True)
    palette = plt.get_cmap("tab20").colors
    colours = [palette[i] for i in [*range(0, 20, 2), *range(1, 20, 2)]]  # the ten strong colours first
    for ax, level in zip(axes[:, 0], panels):
        panel = rows if level is None else rows[rows["level"] == level]
        for k, domain in enumerate(domains):
            line = panel[panel["label"] == domain].sort_values("year")
            years = line["year"].astype(float).to_numpy()
            ax.plot(years, line["share"], marker=".", color=colours[k], label=f"{names[domain]} {domain}")
            ax.fill_between(
                years,
                line["share_low"].astype(float),
                line["share_high"].astype(float),
                color=colours[k],
                alpha=0.15,
                linewidth=0,
            )
        ax.set_ylabel("份额 share")
        ax.set_title(
            f"领域份额 domain shares by year{'' if level is None else f' · {level}'} (bands: 95%)",
            loc="left",
            fontsize=10,
        )
        ax.set_ylim(bottom=0)
    axes[-1, 0].set_xlabel("年份 year")
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    save_figure(fig, path)


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
