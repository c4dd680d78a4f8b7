"""The standalone `predictor.py` tags every shipped report exactly as the package does,
run where neither policytag nor torch can be imported."""

import json
import subprocess
import sys

import pytest

from conftest import DATA
from policytag import Predictor

# Runs the export's predictor.py with imports of policytag, torch and transformers refused
# (python -I: no PYTHONPATH, no user site; a finder first in line blocks the rest).
ISOLATED = r"""
import json, sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("policytag", "torch", "transformers"):
            raise ImportError(f"{name} cannot be imported here")

sys.meta_path.insert(0, Refuse())
for name in ("policytag", "torch"):
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"{name} could be imported")
folder, listing = sys.argv[1], sys.argv[2]
sys.path.insert(0, folder)
import predictor

tagger = predictor.load()
tags = {path: [t.to_dict() for t in tagger.predict_documents([path])] for path in json.load(open(listing))}
assert not {"policytag", "torch"} & set(sys.modules)
print(json.dumps(tags, ensure_ascii=False))
"""

FIELDS = (
    "doc_id",
    "index",
    "section",
    "text",
    "role",
    "role_score",
    "domain",
    "domain_score",
    "top_domains",
    "uncertain",
)


def shipped_reports() -> list[str]:
    """Every .txt and .md report shipped in data/ (the raw sample, the dev reports, the seed sample;
    not the notes beside the hand labels)."""
    found = [
        p
        for suffix in ("*.txt", "*.md")
        for p in DATA.rglob(suffix)
        if "processed" not in p.parts and "annotations" not in p.parts and p.name != "README.md"
    ]
    return sorted(str(p) for p in found)


def standalone_tags(export, reports: list[str], tmp_path) -> dict[str, list[dict]]:
    """Per report, the tags of the export's standalone predictor.py, run where policytag and torch
    cannot be imported."""
    listing = tmp_path / "reports.json"
    listing.write_text(json.dumps(reports, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED, str(export), str(listing)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.slow
def test_standalone_tags_equal_the_packages_on_every_shipped_report(tiny_export, tmp_path):
    reports = shipped_reports()
    assert sum(r.endswith(".md") for r in reports) == 48 and sum("dev-reports" in r for r in reports) == 20
    alone = standalone_tags(tiny_export, reports, tmp_path)

    package = Predictor.load(tiny_export, backend="onnx-int8")
    total = 0
    for report in reports:
        mine = [{k: t.to_dict()[k] for k in FIELDS} for t in package.predict_documents([report])]
        theirs = [
            {k: (tuple(map(tuple, r[k])) if k == "top_domains" else r[k]) for k in FIELDS}
            for r in alone[report]
        ]
        mine = [{**r, "top_domains": tuple(map(tuple, r["top_domains"]))} for r in mine]
        assert theirs == mine, report
        total += len(mine)
    assert total > 4000  # every report gave its paragraphs, the same on both sides
