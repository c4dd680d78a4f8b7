"""Calibration on the dev gold: a temperature per head, and the `uncertain` thresholds.

Temperature scaling (Guo et al., 2017) divides the logits by the one value that
minimises the gold's negative log-likelihood; the ranking, hence every label, is
unchanged. The thresholds are then the smallest pair of top-class scores below which
a paragraph is flagged, such that the unflagged ones reach the target accuracy on
both axes while as few paragraphs as possible are flagged.
"""

from __future__ import annotations

import numpy as np

from policytag.export.fusion import choose_weight
from policytag.runtime.tagging import Calibration, fuse, softmax


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `gold` (ids; -1 where unlabelled)."""
    keep = gold >= 0
    if not keep.any():
        return 1.0
    logits, gold = logits[keep], gold[keep]

    def nll(t: float) -> float:
        probs = softmax(logits, t)
        return float(-np.log(probs[np.arange(len(gold)), gold].clip(1e-12)).mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))
    best = min(grid, key=nll)
    fine = np.linspace(best / 1.03, best * 1.03, 41)  # the grid step is about 3%
    return round(float(min(fine, key=nll)), 4)


def choose_thresholds(
    role_p: np.ndarray,
    role_gold: np.ndarray,
    domain_p: np.ndarray,
    domain_gold: np.ndarray,
    target: float = 0.95,
) -> tuple[float, float, float]:
    """`(role_threshold, domain_threshold, flagged_share)` for the fewest flagged paragraphs
    whose unflagged rest reaches `target` accuracy on each labelled axis."""
    role_s, domain_s = role_p.max(1), domain_p.max(1)
    role_ok = np.where(role_gold >= 0, role_p.argmax(1) == role_gold, True)
    domain_ok = np.where(domain_gold >= 0, domain_p.argmax(1) == domain_gold, True)
    candidates = lambda s: np.concatenate([[0.0], np.unique(s)])  # noqa: E731 - flag scores below a seen value
    best = (1.01, 1.01, 1.0)
    for rt in candidates(role_s):
        role_keep = role_s >= rt
        for dt in candidates(domain_s):
            keep = role_keep & (domain_s >= dt)
            flagged = 1 - keep.mean()
            if flagged >= best[2]:
                break  # higher domain thresholds only flag more
            if (
                _accuracy(role_ok, role_gold, keep) >= target
                and _accuracy(domain_ok, domain_gold, keep) >= target
            ):
                best = (float(rt), float(dt), float(flagged))
                break
    return best


def _accuracy(correct: np.ndarray, gold: np.ndarray, keep: np.ndarray) -> float:
    labelled = keep & (gold >= 0)
    return float(correct[labelled].mean()) if labelled.any() else 1.0


def calibrate(
    role_logits: np.ndarray,
    role_gold: np.ndarray,
    domain_logits: np.ndarray,
    domain_gold: np.ndarray,
    target: float = 0.95,
    ngrams: dict[str, np.ndarray] | None = None,
) -> tuple[Calibration, float, dict[str, float]]:
    """The calibration fitted on the selection pool, the share of its paragraphs flagged, and the
    n-gram fusion weight per axis (with `ngrams`, the n-gram model's probabilities on the pool;
    `policytag.export.fusion`). The thresholds are chosen on the probabilities that ship: fused."""
    role_t, domain_t = fit_temperature(role_logits, role_gold), fit_temperature(domain_logits, domain_gold)
    role_p, domain_p = softmax(role_logits, role_t), softmax(domain_logits, domain_t)
    fusion: dict[str, float] = {}
    if ngrams is not None:
        fused = {}
        for axis, probabilities, gold in (("role", role_p, role_gold), ("domain", domain_p, domain_gold)):
            weight = choose_weight(probabilities, ngrams[axis], gold)[0]
            mixed = fuse(probabilities, ngrams[axis], weight)
            temperature = fit_temperature(np.log(np.clip(mixed, 1e-12, None)), gold) if weight else 1.0
            fusion |= {axis: weight, f"{axis}_temperature": temperature}
            fused[axis] = fuse(probabilities, ngrams[axis], weight, temperature)
        role_p, domain_p = fused["role"], fused["domain"]
    role_th, domain_th, flagged = choose_thresholds(role_p, role_gold, domain_p, domain_gold, target)
    floor = lambda x: np.floor(x * 1e6) / 1e6  # noqa: E731 - a rounded threshold must not flag the paragraph it was taken from
    calibration = Calibration(role_t, domain_t, float(floor(role_th)), float(floor(domain_th)))
    return calibration, flagged, fusion
