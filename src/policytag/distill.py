"""`policytag distill`: a smaller, faster student that learns a teacher export's answers.

    RUN/teacher-tags.jsonl   the corpus paragraphs the teacher tagged: text, heading path and
                             its probabilities of every role and domain (`soft_role`, `soft_domain`)
    RUN/…                    a normal training run of the student recipe (`policytag export` it)

The teacher tags up to `paragraphs` unlabelled corpus paragraphs, read with their heading
paths. Never among them: the dev gold's reports, held-out files' reports
(`data/annotations/*heldout*`), the reports the teacher was selected on (its export records
them), any labelled paragraph, and near-duplicates of dev or held-out paragraphs (`select`'s
exclusions). The student (a recipe with fewer layers, `configs/train/student.yaml`) then
learns those soft labels together with the hand labels of a prepared dataset.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policytag.config import CONFIGS, SAMPLE, ConfigError
from policytag.io.jsonl import read_labelled, write_jsonl
from policytag.io.outputs import Output, claim_empty
from policytag.main_job import with_shipped_paths

TEACHER_TAGS = "teacher-tags.jsonl"


@dataclass(frozen=True)
class DistillConfig:
    paragraphs: int = 10_000  # corpus paragraphs the teacher tags
    seed: int = 13  # which paragraphs, when the corpus has more
    batch: int = 256  # paragraphs per teacher call (one progress step)

    def __post_init__(self) -> None:
        if self.paragraphs < 1:
            raise ValueError("--paragraphs: 1 or more")


def distill(
    teacher: Path,
    inputs: list[Path],
    out: Path,
    recipe: Path,
    labelled: Path | None = None,
    overrides: list[str] | None = None,
    config: DistillConfig = DistillConfig(),
    echo: Callable[[str], None] = print,
) -> dict:
    """Tag corpus paragraphs with `teacher`, then train the student recipe into run folder `out`
    on them and the hand labels of `labelled` (default: the teacher's training dataset); returns
    the student's selection-pool metrics."""
    from policytag.predict.predictor import Predictor
    from policytag.training.config import load_train_config
    from policytag.training.loop import train

    predictor = Predictor.load(teacher)  # verified by its manifest before anything is read
    dataset = labelled or _teacher_dataset(predictor.settings)
    soft = out / TEACHER_TAGS
    student = with_shipped_paths(load_train_config(recipe, list(overrides or [])), dataset)
    student.data.train_file()  # the hand labels are there, before anything is written
    student = dataclasses.replace(student, data=dataclasses.replace(student.data, soft=(soft,)))
    claim_empty(Output(out, "distill", (teacher, dataset, *inputs)))
    rows = candidate_rows(inputs, predictor.settings, config)
    echo(f"teacher {teacher}: tagging {len(rows):,} corpus paragraphs → {soft}")
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(soft, teacher_rows(predictor, rows, config.batch))
    echo(f"student: recipe {recipe} → {out}")
    return train(student, out, sys.argv)


def candidate_rows(inputs: list[Path], settings, config: DistillConfig) -> list[dict]:
    """Up to `config.paragraphs` corpus paragraphs under `inputs` that the exclusions allow: a
    seeded sample, in corpus order (candidates are checked in the sample's order until enough
    are allowed, so a large corpus is not checked whole); `ValueError` when none is allowed."""
    from policytag.data.prepare import load_prepare_config
    from policytag.review.candidates import load_candidates

    prepare_config = load_prepare_config(CONFIGS / "data" / "default.yaml")
    exclusions = teacher_exclusions(settings, prepare_config)
    candidates, _ = load_candidates(inputs, prepare_config)
    order = random.Random(config.seed).sample(range(len(candidates)), len(candidates))
    keep: list[int] = []
    for i in order:
        if len(keep) == config.paragraphs:
            break
        if exclusions.allows(candidates[i]):
            keep.append(i)
    if not keep:
        raise ValueError(
            f"no corpus paragraph to distil on under {', '.join(map(str, inputs))} "
            f"({len(candidates):,} read; passed over: {dict(exclusions.refused)})"
        )
    return [candidates[i] for i in sorted(keep)]


def teacher_exclusions(settings, prepare_config):
    """`select`'s exclusions (the dev gold, held-out files, labelled rows, near-duplicates) and
    the reports and rows the teacher was selected on."""
    from policytag.review.exclusions import build_exclusions

    exclusions = build_exclusions(SAMPLE, [], prepare_config)
    training = settings.training
    if training is not None:
        exclusions.reports |= set(training.selection_reports)
        data = training.recipe.get("data", {})
        for name in [data.get("dev"), *(data.get("selection") or [])]:
            if name and Path(name).is_file():
                exclusions.add_rows(read_labelled(Path(name)), reports=True, near=True)
    return exclusions


def teacher_rows(predictor, rows: list[dict], batch: int):
    """Each row with the teacher's probabilities of every role and domain, in batches with a
    progress bar."""
    from tqdm import tqdm

    labels = predictor.settings.labels
    for start in tqdm(range(0, len(rows), batch), desc="teacher", unit="batch"):
        chunk = rows[start : start + batch]
        role_p, domain_p = predictor.probabilities(
            [r["text"] for r in chunk], [r.get("section_path") or [] for r in chunk]
        )
        for row, role, domain in zip(chunk, role_p, domain_p):
            yield {
                **{k: row[k] for k in ("id", "doc_id", "text", "section_path") if k in row},
                "soft_role": {label: round(float(p), 4) for label, p in zip(labels.role, role)},
                "soft_domain": {label: round(float(p), 4) for label, p in zip(labels.domain, domain)},
            }


def _teacher_dataset(settings) -> Path:
    """The prepared dataset the teacher was trained on, where it still exists."""
    train = settings.training.train if settings.training else None
    if train is None or not Path(train).is_file():
        raise ConfigError(
            f"the teacher's training split ({train}) is not here: give the hand labels with --labelled DATASET"
        )
    return Path(train).parent.parent
