"""`policytag agreement`: the figures equal scikit-learn's kappa and a hand-worked alpha."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from policytag.cli import app
from policytag.review.agreement import axis_agreement

TEXTS = [
    "今年新建学校三所。",
    "城市道路改造完成。",
    "加快发展现代农业。",
    "深化国资国企改革。",
    "推进生态环境治理。",
    "完善社会保障体系。",
]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_alpha_and_kappa_on_a_hand_worked_example():
    # A: a a b b   B: a b b b. Coincidences o_aa=2, o_ab=o_ba=1, o_bb=4; n_a=3, n_b=5, n=8.
    # D_o = 2/8; D_e = 2·3·5/(8·7) = 30/56; alpha = 1 − (2/8)/(30/56) = 1 − 14/30 = 8/15.
    # kappa: p_o = 3/4, p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (3/4 − 1/2)/(1/2) = 1/2.
    result = axis_agreement(["a", "a", "b", "b"], ["a", "b", "b", "b"], ("a", "b", "c"))
    assert result["krippendorff_alpha"] == pytest.approx(8 / 15, abs=1e-4)
    assert result["cohen_kappa"] == pytest.approx(0.5, abs=1e-4)
    assert result["agreement"] == 0.75 and result["n"] == 4
    assert result["per_class"]["b"] == {"a": 2, "b": 3, "both": 2, "specific_agreement": 0.8}
    assert result["confusion"]["a"] == {"a": 1, "b": 1}
    assert result["disagreements"] == [{"a": "a", "b": "b", "count": 1}]


def test_agreement_cli_pairs_by_id_or_text_and_matches_scikit_learn(tmp_path):
    role_a = ["achievement", "achievement", "plan", "plan", "problem", "plan"]
    role_b = ["achievement", "plan", "plan", "plan", "problem", "achievement"]
    dom_a = ["culture_edu", "urban", "rural", "reform", "ecology", "welfare"]
    dom_b = ["culture_edu", "ecology", "rural", "economy", "ecology", "welfare"]
    alt_b = [None, "urban", None, None, None, None]  # B's second domain makes row 2 a lenient match
    a = _write(
        tmp_path / "a.jsonl",
        [{"id": f"r{k}", "text": t, "role": role_a[k], "domain": dom_a[k]} for k, t in enumerate(TEXTS)],
    )
    b = _write(
        tmp_path / "b.jsonl",
        [  # reversed; rows 3-5 carry no id: paired by text
            {
                **({"id": f"r{k}"} if k < 3 else {}),
                "text": " " + t,
                "role": role_b[k],
                "domain": dom_b[k],
                "domain_alt": alt_b[k],
            }
            for k, t in reversed(list(enumerate(TEXTS)))
        ],
    )
    out = tmp_path / "agreement" / "round1.json"
    result = CliRunner().invoke(app, ["agreement", str(a), str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["paired"] == 6 and figures["only_a"] == figures["only_b"] == 0
    assert figures["role"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(role_a, role_b), abs=1e-4)
    assert figures["domain"]["cohen_kappa"] == pytest.approx(cohen_kappa_score(dom_a, dom_b), abs=1e-4)
    assert figures["role"]["agreement"] == pytest.approx(4 / 6, abs=1e-4)
    assert figures["domain"]["agreement"] == pytest.approx(4 / 6, abs=1e-4)
    assert figures["domain"]["lenient_agreement"] == pytest.approx(5 / 6, abs=1e-4)
    assert set(figures["role"]) >= {"cohen_kappa", "krippendorff_alpha", "agreement", "n"}
    table = (tmp_path / "agreement" / "round1.md").read_text(encoding="utf-8")
    assert "| role | 6 | 0.667 |" in table and "urban → ecology: 1" in table
    assert "| role | 6 | 0.667 |" in result.output


def test_agreement_names_the_file_and_row_of_an_unknown_label(tmp_path):
    a = _write(tmp_path / "a.jsonl", [{"text": TEXTS[0], "role": "plan", "domain": "welfar"}])
    result = CliRunner().invoke(app, ["agreement", str(a), str(a)])
    assert result.exit_code == 2
    assert "a.jsonl: row 1 `domain`" in result.output and "welfar" in result.output
    assert "Traceback" not in result.output


def test_agreement_reads_label_studio_exports_with_the_second_domain(tmp_path):
    def export(path: Path, labels: list[tuple[str, str, str | None]]) -> Path:
        tasks = []
        for k, (role, domain, alt) in enumerate(labels):
            result = [
                {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}
                for name, value in (("role", role), ("domain", domain), ("domain_alt", alt))
                if value
            ]
            tasks.append(
                {"id": k + 1, "data": {"id": f"r{k}", "text": TEXTS[k]}, "annotations": [{"result": result}]}
            )
        path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
        return path

    a = export(
        tmp_path / "a.json",
        [("plan", "urban", "ecology"), ("plan", "reform", None), ("problem", "welfare", None)],
    )
    b = export(
        tmp_path / "b.json", [("plan", "ecology", None), ("plan", "reform", None), ("plan", "welfare", None)]
    )
    result = CliRunner().invoke(app, ["agreement", str(a), str(b), "--out", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.output
    figures = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert figures["paired"] == 3
    assert figures["role"]["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["domain"]["agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert figures["domain"]["lenient_agreement"] == 1.0  # A's second domain is B's domain
