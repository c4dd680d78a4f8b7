"""Every command, driven with bad arguments and inputs: one line naming the problem, exit 2, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import DATA
from policytag.cli import app

runner = CliRunner()
DEV = str(DATA / "gold" / "dev.jsonl")


def _cases(tmp, run, export) -> list[tuple[list[str], str]]:
    """(arguments, a piece of the message) for each bad call; `tmp` holds a file and a folder."""
    a_file, a_folder, missing = str(tmp / "file.txt"), str(tmp / "folder"), str(tmp / "missing")
    return [
        (["prepare", missing, "--out", str(tmp / "ds")], "no readable report"),
        (["prepare", str(DATA / "raw"), "--out", a_file], "file.txt"),
        (["prepare", str(DATA / "raw"), "--out", str(tmp / "ds"), "--set", "split: ["], "split"),
        (["prepare", str(DATA / "raw"), "--out", str(tmp / "ds"), "--set", "nope.key=1"], "nope"),
        (["train", "no-such-recipe", "--out", str(tmp / "r")], "no-such-recipe"),
        (["train", "tiny", "--out", str(tmp / "r"), "--set", "optim.lr=abc"], "optim.lr"),
        (["train", "tiny", "--out", a_folder, "--set", f"data.dataset={missing}"], "no training split"),
        (["train", "--resume", missing], "missing"),
        (["evaluate", missing, "--data", DEV, "--out", str(tmp / "e")], "missing"),
        (["evaluate", str(export), "--data", missing, "--out", str(tmp / "e")], "missing"),
        (["evaluate", str(export), "--data", DEV, "--out", str(run / "eval")], "training run"),
        (["export", a_folder, "--out", str(tmp / "x")], "folder"),
        (["export", str(run), "--out", str(run / "x")], "training run"),
        (["predict", missing, DEV, "--out", str(tmp / "t.jsonl")], "missing"),
        (["predict", str(export), DEV, "--out", str(tmp / "t.txt")], ".jsonl, .csv or .parquet"),
        (["predict", str(export), DEV, "--out", str(tmp / "t.jsonl"), "--workers", "64"], "--workers 64"),
        (["predict", str(export), DEV, "--out", str(tmp / "t.jsonl"), "--workers", "0"], "--workers 0"),
        (["predict", str(export), DEV, "--out", str(tmp / "t.jsonl"), "--engine", "spark"], "--engine spark"),
        (["predict", str(export), DEV, "--out", DEV], "input"),
        (["summarize", missing, "--out", str(tmp / "f")], "not found"),
        (["summarize", DEV, "--by", "planet", "--out", str(tmp / "f")], "--by planet"),
        (["select", missing, "--n", "5", "--out", str(tmp / "s")], "missing"),
        (
            ["select", str(DATA / "raw"), "--n", "5", "--strategy", "psychic", "--out", str(tmp / "s")],
            "psychic",
        ),
        (["agreement", missing, DEV], "missing"),
        (["agreement", DEV, DEV, "--out", DEV], "input"),
        (["compare", missing], "missing"),
        (["run", "no-such-recipe", "--out", str(tmp / "m")], "no-such-recipe"),
        (["run", "tiny", "--out", str(tmp / "m"), "--set", "optim: ["], "optim"),
        (["sweep", "tiny", "--grid", "optim.nope=1", "--out", str(tmp / "w")], "optim.nope"),
        (["sweep", "tiny", "--seeds", "one,two", "--out", str(tmp / "w")], "one"),
        (["sweep", "tiny", "--grid", "optim.lr", "--out", str(tmp / "w")], "KEY=V1,V2"),
        (["sweep", "tiny", "--engine", "spark", "--out", str(tmp / "w")], "--engine spark"),
    ]


@pytest.mark.slow
def test_every_command_refuses_bad_input_in_one_line_without_a_traceback(
    tmp_path, tiny_run, tiny_export, monkeypatch
):
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    failures = []
    for args, expected in _cases(tmp_path, tiny_run, tiny_export):
        result = runner.invoke(app, args)
        output = result.output
        if (
            result.exit_code != 2
            or "Traceback" in output
            or expected not in output
            or output.count("error:") != 1
        ):
            failures.append(
                f"{' '.join(args[:1])} … exit {result.exit_code}: {output[-300:]!r} {result.exception!r}"
            )
    assert failures == [], "\n".join(failures)


def test_absurd_size_limits_are_refused_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYTAG_MAX_FILE_MB", str(10**15))
    result = runner.invoke(app, ["prepare", str(DATA / "raw"), "--out", str(tmp_path / "ds")])
    assert (
        result.exit_code == 2
        and "POLICYTAG_MAX_FILE_MB" in result.output
        and "Traceback" not in result.output
    )
