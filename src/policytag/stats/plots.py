"""Pictures of an evaluation: confusion matrices, a reliability diagram, per-class F1.

Chinese label names are drawn with Noto Sans CJK SC, shipped by the `mplfonts`
package (a dependency), so every machine renders them the same and no glyph is
missing; `cjk_font()` fails loudly if the font file is not there.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the non-interactive backend
import numpy as np  # noqa: E402
from matplotlib import font_manager  # noqa: E402

FONT_FILE = "fonts/NotoSansCJKsc-Regular.otf"


@functools.cache
def cjk_font() -> str:
    """Register the CJK font with matplotlib and return its family name."""
    path = Path(str(resources.files("mplfonts") / FONT_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the CJK font is missing; reinstall the `mplfonts` package")
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams["font.family"] = [name, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return name


def confusion_plot(
    confusion: dict[str, dict[str, int]], labels: list[str], names: dict[str, str], title: str, path: Path
) -> None:
    """Rows gold, columns predicted; cells are counts, shaded by the share of the gold row."""
    cjk_font()
    counts = np.array([[confusion.get(g, {}).get(p, 0) for p in labels] for g in labels], dtype=float)
    share = counts / counts.sum(1, keepdims=True).clip(min=1)
    size = 2.2 + 0.55 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ticks = [f"{names.get(label, label)}\n{label}" for label in labels]
    ax.set_xticks(range(len(labels)), ticks, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), ticks, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    int(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if share[i, j] > 0.6 else "black",
                )
    ax.set_xlabel("预测 predicted")
    ax.set_ylabel("标注 gold")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of gold row")
    save_figure(fig, path)


def reliability_plot(bins_by_axis: dict[str, list[dict]], ece: dict[str, float], path: Path) -> None:
    """Accuracy against confidence per bin, one line per axis, the diagonal for reference."""
    cjk_font()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    for axis, bins in bins_by_axis.items():
        filled = [b for b in bins if b["n"]]
        ax.plot(
            [b["confidence"] for b in filled],
            [b["accuracy"] for b in filled],
            marker="o",
            label=f"{axis} (ECE {ece[axis]:.3f})",
        )
        for b in filled:
            ax.annotate(
                str(b["n"]),
                (b["confidence"], b["accuracy"]),
                fontsize=6,
                xytext=(3, -8),
                textcoords="offset points",
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("置信度 confidence (top-class probability)")
    ax.set_ylabel("准确率 accuracy")
    ax.set_title("可靠性图 reliability (15 bins; numbers: paragraphs)")
    ax.legend(loc="upper left", fontsize=8)
    save_figure(fig, path)


def f1_bars(
    per_class: dict[str, dict],
    baseline: dict[str, dict] | None,
    names: dict[str, str],
    title: str,
    path: Path,
) -> None:
    """Per-class F1 of the model, with the baseline's beside it when there is one."""
    cjk_font()
    labels = list(per_class)
    y = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.38 * len(labels)))
    height = 0.4 if baseline else 0.7
    ax.barh(y, [per_class[label]["f1"] for label in labels], height, label="model")
    if baseline:
        ax.barh(
            y + height,
            [baseline.get(label, {}).get("f1", 0.0) for label in labels],
            height,
            label="TF-IDF baseline",
            color="#bbbbbb",
        )
    ax.set_yticks(
        y + (height / 2 if baseline else 0),
        [f"{names.get(label, label)} {label} (n={per_class[label]['support']})" for label in labels],
        fontsize=8,
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(title, loc="left")
    ax.legend(
        fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False
    )  # above the bars
    save_figure(fig, path)


def save_figure(fig, path: Path) -> None:
    """Lay out, write as PNG (`path`) and SVG beside it, and close."""
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    fig.savefig(Path(path).with_suffix(".svg"))
    plt.close(fig)
