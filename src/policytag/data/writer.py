"""Writing a prepared dataset: JSONL for people and other tools, a DatasetDict for training.

Layout of the output folder:
- `paragraphs.jsonl`: every paragraph (DESIGN.md contract 2), with the rules' votes;
- `splits/<split>.jsonl`: labelled paragraphs of each split in the gold form (contract 3),
  so any split can be handed to `policytag evaluate`;
- `dataset/`: the same splits as a `datasets.DatasetDict` (`load_from_disk`);
- `stats.json`: counts per split and label, coverage, files skipped and why;
- `taxonomy.yaml`: the label schema it was labelled with (training reads it from here).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from policytag.io.jsonl import write_jsonl
from policytag.labels.schema import LabelSchema

PARAGRAPH_KEYS = (
    "id",
    "doc_id",
    "index",
    "section",
    "section_path",
    "text",
    "role",
    "domain",
    "level",
    "region",
    "year",
)
TAXONOMY = "taxonomy.yaml"
# Written only when gold is given: removed first, so an older dataset's report never stays beside new data.
OPTIONAL_OUTPUTS = ("rule_report.json", "rule_report.md")
LABELLED_KEYS = (
    "id",
    "doc_id",
    "text",
    "role",
    "domain",
    "domain_alt",
    "section",
    "section_path",
    "level",
    "region",
    "year",
)


def write_dataset(out: Path, paragraphs: list[dict], stats: dict, schema: LabelSchema) -> None:
    """Write all outputs of `prepare` under `out` (replacing earlier splits and removing an
    earlier rule report, which `prepare` writes again only when gold is given)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in OPTIONAL_OUTPUTS:
        (out / name).unlink(missing_ok=True)
    extra = ("split", "label_source", "line", "mojibake", "source", "votes")
    write_jsonl(
        out / "paragraphs.jsonl", ({k: p.get(k) for k in (*PARAGRAPH_KEYS, *extra)} for p in paragraphs)
    )
    labelled = [p for p in paragraphs if p.get("role") or p.get("domain")]
    split_names = sorted({p["split"] for p in paragraphs})
    shutil.rmtree(out / "splits", ignore_errors=True)
    for split in split_names:
        write_jsonl(
            out / "splits" / f"{split}.jsonl", (_labelled(p) for p in labelled if p["split"] == split)
        )
    _write_datasetdict(out / "dataset", labelled, split_names)
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2), encoding="utf-8")


def _labelled(p: dict) -> dict:
    return {k: p.get(k) for k in LABELLED_KEYS}


def _write_datasetdict(path: Path, labelled: list[dict], split_names: list[str]) -> None:
    import datasets

    datasets.disable_progress_bars()
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "doc_id": datasets.Value("string"),
            "text": datasets.Value("string"),
            "role": datasets.Value("string"),
            "domain": datasets.Value("string"),
            "domain_alt": datasets.Value("string"),
            "section": datasets.Value("string"),
            "section_path": datasets.Sequence(datasets.Value("string")),
            "level": datasets.Value("string"),
            "region": datasets.Value("string"),
            "year": datasets.Value("int32"),
        }
    )
    splits = {}
    for split in split_names:
        rows = [_labelled(p) for p in labelled if p["split"] == split]
        columns = {k: [r[k] for r in rows] for k in features}
        splits[split] = datasets.Dataset.from_dict(columns, features=features)
    shutil.rmtree(path, ignore_errors=True)
    datasets.DatasetDict(splits).save_to_disk(str(path))
