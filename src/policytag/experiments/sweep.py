"""`policytag sweep`: every grid point of a recipe trained with every seed, evaluated, compared.

    DIR/sweep.json      what the sweep is (recipe, grid, seeds, held-out data): a DIR holding a
                        sweep of another recipe or grid is refused
    DIR/data/           the dataset, prepared once as `policytag run` prepares it (when the
                        recipe's dataset is missing and none is given); a grid over
                        `data.dataset` trains each trial on its own dataset instead
    DIR/runs/NAME/      one training run per grid point and seed
    DIR/evals/NAME/     its evaluation on the held-out set (`policytag evaluate`)
    DIR/trials/NAME.json  the trial's grid values, seed and wall time, written when it finished
    DIR/results.csv     one row per trial; DIR/summary.md: seed means with 95% intervals from
                        resampling reports, and paired differences against the first grid point

A trial whose `trials/NAME.json` exists is not run again, so a stopped sweep continues where
it stopped (a run stopped mid-way resumes from its checkpoint). Trials run one after another
here, or as Ray tasks (`engine="ray"`), on a local Ray or a cluster, each with its share of
the CPUs (or one GPU); the table is the same either way, wall times aside.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from policytag.config import ConfigError
from policytag.evaluation.evaluate import EvalConfig, evaluate
from policytag.evaluation.seeds import AXES, seeds_table
from policytag.experiments.design import (
    DATASET_KEY,
    DESIGNS,
    SweepSpec,
    Trial,
    trial_dataset,
    trials,
)
from policytag.io.locks import locked
from policytag.io.outputs import Output, OutputRefused, check_place, claim_empty
from policytag.io.run_folder import RUN_METRICS, has_checkpoint, is_run
from policytag.main_job import prepare_shipped, with_shipped_paths
from policytag.runtime.typed import to_dict
from policytag.training.config import load_resumable_config, load_train_config
from policytag.training.loop import train

SPEC = "sweep.json"
COLUMNS = ("run", "seed")  # then one column per grid key, then METRICS
METRICS = ("role_macro_f1", "domain_macro_f1", "role_accuracy", "domain_accuracy", "wall_s")
ENGINES = ("local", "ray")


def check_keys(recipe: Path, grid: dict[str, list[str]]) -> None:
    """Refuse a grid key the recipe does not have, naming it, before anything trains."""
    resolved = to_dict(load_train_config(recipe))
    for key in grid:
        node = resolved
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ConfigError(f"--grid {key}: the recipe {recipe} has no such key")
            node = node[part]


def open_sweep(out: Path, spec: SweepSpec) -> None:
    """`out` new, empty, or a sweep of the same spec (continued); anything else refused."""
    stored = out / SPEC
    if stored.is_file():
        earlier = {"vary": "all", **json.loads(stored.read_text(encoding="utf-8"))}
        if earlier != asdict(spec):
            changed = sorted(k for k in asdict(spec) if earlier.get(k) != asdict(spec)[k])
            raise OutputRefused(
                f"{out}: holds a sweep of another {', '.join(changed)} ({stored}); "
                "choose another output folder, or run the same sweep to continue it"
            )
        check_place(Output(out, "sweep"))
        return
    claim_empty(Output(out, "sweep"))
    out.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(asdict(spec), ensure_ascii=False, indent=1), encoding="utf-8")


def run_trial(out: Path, spec: SweepSpec, trial: Trial, dataset: str) -> dict:
    """Train and evaluate one trial (resuming a run stopped mid-way); returns its trial record."""
    started = time.perf_counter()
    run = out / "runs" / trial.name
    if is_run(run) and has_checkpoint(run) and not (run / RUN_METRICS).is_file():
        train(load_resumable_config(run), run, ["policytag", "sweep"], resume=True)
    elif not (run / RUN_METRICS).is_file():
        overrides = [*spec.overrides, *(f"{k}={v}" for k, v in trial.values.items()), f"seed={trial.seed}"]
        config = with_shipped_paths(
            load_train_config(Path(spec.recipe), overrides), trial_dataset(trial, dataset)
        )
        claim_empty(Output(run, "sweep"))
        run.mkdir(parents=True, exist_ok=True)
        train(config, run, ["policytag", "sweep", spec.recipe, *overrides])
    reports = Path(spec.reports) if spec.reports else None
    evaluate(run, Path(spec.data), out / "evals" / trial.name, EvalConfig(reports=reports, baseline=False))
    record = {
        "run": trial.name,
        "seed": trial.seed,
        **trial.values,
        "wall_s": round(time.perf_counter() - started),
    }
    trial_file = out / "trials" / f"{trial.name}.json"
    trial_file.parent.mkdir(exist_ok=True)
    trial_file.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return record


def sweep(
    spec: SweepSpec,
    out: Path,
    engine: str = "local",
    ray_address: str | None = None,
    echo: Callable[[str], None] = print,
) -> dict:
    """Run every trial not finished yet, then write `results.csv` and `summary.md`."""
    if engine not in ENGINES:
        raise ValueError(f"--engine {engine}: choose local or ray")
    if not spec.seeds:
        raise ValueError("--seeds: give at least one seed")
    if spec.vary not in DESIGNS:
        raise ValueError(f"--vary {spec.vary}: choose all (every combination) or one (one key at a time)")
    check_keys(Path(spec.recipe), spec.grid)
    for value in spec.grid.get(DATASET_KEY, []):  # before anything trains
        if not (Path(value) / "splits").is_dir():
            raise FileNotFoundError(f"--grid {DATASET_KEY}={value}: no prepared dataset there (no splits/)")
    if not Path(spec.data).is_file():
        raise FileNotFoundError(f"{spec.data}: no such held-out labelled file (--data)")
    with locked(out, "sweep"):
        open_sweep(out, spec)
        dataset = _dataset(out, spec, echo) if DATASET_KEY not in spec.grid else ""
        todo = [t for t in trials(spec) if not (out / "trials" / f"{t.name}.json").is_file()]
        echo(f"{len(trials(spec)) - len(todo)} of {len(trials(spec))} trials already finished in {out}")
        if engine == "ray":
            _run_ray(out, spec, todo, dataset, ray_address, echo)
        for number, trial in enumerate(todo if engine == "local" else [], 1):
            echo(f"[{number}/{len(todo)}] {trial.name}: train and evaluate")
            run_trial(out, spec, trial, dataset)
        rows = write_results(out, spec)
    return {"trials": len(rows), "ran": len(todo), "out": str(out)}


def _dataset(out: Path, spec: SweepSpec, echo: Callable[[str], None]) -> str:
    """The dataset every run trains on: given, the recipe's own, or prepared once into DIR/data."""
    if spec.dataset:
        return spec.dataset
    recipe_data = load_train_config(Path(spec.recipe), list(spec.overrides)).data.dataset
    if (recipe_data / "splits").is_dir():
        return str(recipe_data.resolve())
    data = out / "data"
    if not (data / "splits").is_dir():
        echo(f"preparing the dataset once, as `policytag run` does: → {data}")
        prepare_shipped(data)
    return str(data.resolve())


def _run_ray(
    out: Path, spec: SweepSpec, todo: list[Trial], dataset: str, address: str | None, echo: Callable
) -> None:
    """The trials as Ray tasks, each with its share of the cluster's CPUs, or one GPU."""
    from policytag.corpus.ray_engine import ray_session

    with ray_session(address) as ray:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        gpus = int(ray.cluster_resources().get("GPU", 0))
        options = {"num_gpus": 1} if gpus else {"num_cpus": max(1, cpus // max(1, min(len(todo), cpus)))}
        task = ray.remote(**options)(run_trial)
        pending = {task.remote(out.resolve(), spec, trial, dataset): trial for trial in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            trial = pending.pop(done[0])
            ray.get(done[0])
            echo(f"finished {trial.name} ({len(todo) - len(pending)}/{len(todo)})")


def write_results(out: Path, spec: SweepSpec) -> list[dict]:
    """`results.csv` (one row per finished trial) and `summary.md` from the trials and evaluations."""
    rows = []
    for trial in trials(spec):
        record_file = out / "trials" / f"{trial.name}.json"
        if not record_file.is_file():
            continue
        record = json.loads(record_file.read_text(encoding="utf-8"))
        metrics = json.loads((out / "evals" / trial.name / "metrics.json").read_text(encoding="utf-8"))
        rows.append(
            {
                "run": trial.name,
                "seed": trial.seed,
                **trial.values,
                **{f"{axis}_macro_f1": round(metrics[axis]["macro_f1"], 4) for axis in AXES},
                **{f"{axis}_accuracy": round(metrics[axis]["accuracy"], 4) for axis in AXES},
                "wall_s": record["wall_s"],
            }
        )
    with (out / "results.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, [*COLUMNS, *spec.grid, *METRICS])
        writer.writeheader()
        writer.writerows(rows)
    (out / "summary.md").write_text(summary_markdown(out, spec), encoding="utf-8")
    return rows


def summary_markdown(out: Path, spec: SweepSpec) -> str:
    """Seed means with report-bootstrap intervals, and each point's paired difference from the first."""
    points: dict[str, list[Path]] = {}
    for trial in trials(spec):
        if (out / "trials" / f"{trial.name}.json").is_file():
            points.setdefault(trial.name.rsplit("-seed", 1)[0], []).append(out / "evals" / trial.name)
    lines = [
        f"# Sweep of {Path(spec.recipe).name}",
        "",
        f"Seeds {', '.join(map(str, spec.seeds))}; evaluated on `{spec.data}`"
        + (f", read in context from `{spec.reports}`" if spec.reports else "")
        + ". Macro-F1: the mean over seeds [95% interval from resampling reports]; difference: this"
        " point's mean minus the first point's, paired on the same resampled reports.",
        "",
    ]
    if not points:
        return "\n".join([*lines, "No trial has finished yet."]) + "\n"
    lines += seeds_table(points)
    lines += ["", "A difference whose interval holds zero is no difference."]
    return "\n".join(lines) + "\n"
