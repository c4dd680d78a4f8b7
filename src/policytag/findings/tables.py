"""Tag files in: the rows `policytag predict` writes (JSONL, CSV, Parquet or a folder of Parquet parts),
as one table to count.

Every file must carry `doc_id`, `role`, `domain` and `text`; `uncertain` and the grouping
fields (`level`, `region`, `year`, …) are used where present. Where a tag file lacks
`level`, `region` or `year`, they are read from the report id when it is a corpus path
(`政府工作报告-省自治区/河南省/2016`), as `prepare` reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pandas as pd

from policytag.corpus.schema import REPORT_FIELDS, REQUIRED
from policytag.data.metadata import report_meta
from policytag.io.parts import MixedParts, check_parts, part_provenance
from policytag.labels.schema import AXES, LabelSchema

_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n", ""}


class TagFileError(ValueError):
    """A tag file that cannot be summarised; the message names the file and what to do."""


def read_tags(
    paths: Sequence[Path], by: Sequence[str], schema: LabelSchema, exclude_uncertain: bool = False
) -> pd.DataFrame:
    """One row per tagged paragraph of all `paths`, with `doc_id`, `role`, `domain`, `text`,
    `characters`, `uncertain` (bool) and every field of `by`; uncertain rows are dropped when
    `exclude_uncertain`. Raises `TagFileError` naming the file, row or field that is wrong."""
    frames = [_read_one(Path(path), schema, exclude_uncertain) for path in paths]
    if not frames:
        raise TagFileError("no tag files given")
    table = pd.concat(frames, ignore_index=True)
    _fill_report_fields(table)
    for field in by:
        if field not in table.columns:
            present = ", ".join(c for c in table.columns if c not in REQUIRED) or "none"
            raise TagFileError(
                f"--by {field}: no tag file has a `{field}` column and the report ids do not say "
                f"it; columns present besides the tags: {present}"
            )
        if table[field].isna().all():
            raise TagFileError(
                f"--by {field}: the `{field}` column is empty in every row (the reports are not in the "
                "corpus layout `<level folder>/<region>/<year>`, so their ids do not say it); group by "
                "a column that is filled, or tag files whose ids carry it"
            )
    if "year" in table.columns:
        table["year"] = pd.to_numeric(table["year"], errors="coerce").astype("Int64")
    if exclude_uncertain:
        table = table[~table["uncertain"]].reset_index(drop=True)
    table["characters"] = table["text"].fillna("").astype(str).str.len()
    return table


def _read_one(path: Path, schema: LabelSchema, exclude_uncertain: bool) -> pd.DataFrame:
    if not path.is_file() and not path.is_dir():
        raise TagFileError(f"{path}: tag file not found")
    suffix = ".parquet" if path.is_dir() else path.suffix.lower()
    try:
        if path.is_dir():  # `predict --out DIR/`: its Parquet parts (hidden and `_` files are not read)
            check_parts(path)
            frame = pd.read_parquet(path)
        elif suffix == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif suffix == ".csv":
            frame = pd.read_csv(
                path, dtype={"doc_id": str, "role": str, "domain": str}, keep_default_na=False, na_values=[""]
            )
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            raise TagFileError(f"{path}: tag files end in .jsonl, .csv or .parquet")
    except (ValueError, OSError) as err:
        if isinstance(err, (TagFileError, MixedParts)):
            raise
        raise TagFileError(f"{path}: cannot be read as {suffix[1:]} ({err})") from err
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise TagFileError(
            f"{path}: missing column(s) {', '.join(missing)}; tag with `policytag predict`, "
            f"whose rows carry {', '.join(REQUIRED)} and `uncertain`"
        )
    if "uncertain" in frame.columns:
        frame["uncertain"] = [
            _truth(value, path, row) for row, value in enumerate(frame["uncertain"], start=1)
        ]
    elif exclude_uncertain:
        raise TagFileError(
            f"{path}: no `uncertain` column, so --exclude-uncertain cannot apply; "
            "tag again with `policytag predict` or leave the option out"
        )
    else:
        frame["uncertain"] = False
    for axis in AXES:
        frame[axis] = frame[axis].where(frame[axis].notna() & (frame[axis] != ""), None)
        unknown = frame[axis].notna() & ~frame[axis].isin(schema.labels(axis))
        if unknown.any():
            row = int(unknown.to_numpy().argmax())
            raise TagFileError(
                f"{path}: row {row + 1}: unknown {axis} label {frame[axis].iloc[row]!r}; "
                f"the taxonomy has {', '.join(schema.labels(axis))}"
            )
    frame["doc_id"] = frame["doc_id"].astype(str)
    return frame


def _truth(value, path: Path, row: int) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    if text == "nan":
        return False
    raise TagFileError(f"{path}: row {row}: `uncertain` is {value!r}; expected true or false")


def _fill_report_fields(table: pd.DataFrame) -> None:
    """Fill missing `level`, `region`, `year` from report ids that are corpus paths."""
    wanted = [f for f in REPORT_FIELDS if f not in table.columns or table[f].isna().any()]
    if not wanted:
        return
    ids = table["doc_id"].unique()
    meta = {doc_id: report_meta(PurePosixPath(doc_id), None) for doc_id in ids}
    for field in wanted:
        derived = table["doc_id"].map({doc_id: getattr(m, field) for doc_id, m in meta.items()})
        table[field] = (
            derived if field not in table.columns else table[field].where(table[field].notna(), derived)
        )


def tag_models(paths: Sequence[Path]) -> list[str]:
    """The manifest hashes of the models that tagged `paths`, where the files record them
    (Parquet files and folders of parts; JSONL and CSV rows do not)."""
    models = set()
    for path in map(Path, paths):
        if path.is_dir():
            provenance = check_parts(path)
            if provenance and provenance["manifest_sha256"]:
                models.add(provenance["manifest_sha256"])
        elif path.suffix.lower() == ".parquet":
            model = part_provenance(path)[0]
            if model:
                models.add(model)
    return sorted(models)
