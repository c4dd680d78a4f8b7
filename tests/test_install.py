"""A wheel installs in a fresh virtual environment and runs the main job from an empty folder,
twice into the same folder (what a second run replaces and what it keeps)."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_a_wheel_runs_the_main_job_from_an_empty_folder(tmp_path):
    # built from a copy: setuptools writes its egg-info beside the sources
    source, dist = tmp_path / "source", tmp_path / "dist"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "processed")
    for name in ("src", "configs", "data"):  # src/policytag/configs and sample stay links into these
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        cwd=tmp_path,
        env=clean,
    )
    [wheel] = dist.glob("policytag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "policytag/configs/train/tiny.yaml" in names and "policytag/sample/gold/dev.jsonl" in names
    assert sum(n.startswith("policytag/sample/raw/") for n in names) == 48

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # no system site-packages
    python, command = venv / "bin" / "python", venv / "bin" / "policytag"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        env=clean,
    )
    # the dependencies come from this environment's site-packages (offline); policytag only from the wheel
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [python, "-c", "import policytag; print(policytag.__file__)"],
        env=env,
        cwd=empty,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where

    done = subprocess.run(
        [command, "run", "tiny", "--out", "main", "--parity-paragraphs", "40"],
        env=env,
        cwd=empty,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    main = empty / "main"
    assert (main / "export" / "manifest.json").is_file() and (main / "run" / "run.json").is_file()
    metrics = json.loads((main / "eval" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 144 and metrics["baseline"]["domain"]["macro_f1"] > 0
    assert "role_ece" in metrics["calibration"] and (main / "run" / "best").is_dir()
    assert "dev gold, exported predictor" in done.stdout

    # plain `prepare` with the packaged default recipe finds the shipped annotations it names
    reports = empty / "mine"
    reports.mkdir()
    for report in sorted((ROOT / "data" / "raw").rglob("*.md"))[:2]:
        shutil.copy(report, reports / report.name)
    prepared = subprocess.run(
        [command, "prepare", "mine", "--out", "mine-data"], env=env, cwd=empty, capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stdout[-2000:] + prepared.stderr[-3000:]
    stats = json.loads((empty / "mine-data" / "stats.json").read_text(encoding="utf-8"))
    assert stats["hand_annotations"]["loaded"] > 2000

    # again into the same folder: dataset, export and evaluation replaced, the earlier run kept whole
    first = json.loads((main / "run" / "run.json").read_text())["created"]
    again = subprocess.run(
        [command, "run", "tiny", "--out", "main", "--parity-paragraphs", "20", "--set", "optim.max_steps=6"],
        env=env,
        cwd=empty,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    [kept] = [p for p in main.iterdir() if p.name.startswith("run.")]
    assert (
        json.loads((kept / "run.json").read_text())["created"] == first
        and (kept / "best" / "manifest.json").is_file()
    )
    assert sorted(p.name for p in main.iterdir() if not p.name.startswith("run.")) == [
        "data",
        "eval",
        "export",
        "run",
    ]
