"""The tag file's schema, defined once: the columns every `predict` output has, in this order,
their Arrow types (Parquet), and the columns `summarize` needs of any tag file."""

from __future__ import annotations

import pyarrow as pa

COLUMNS = (
    "doc_id",
    "index",
    "section",
    "section_path",
    "text",
    "role",
    "role_score",
    "domain",
    "domain_score",
    "top_domains",
    "uncertain",
    "level",
    "region",
    "year",
    "source",
)
TOP = pa.list_(pa.struct([("domain", pa.string()), ("score", pa.float64())]))
SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("index", pa.int64()),
        ("section", pa.string()),
        ("section_path", pa.list_(pa.string())),
        ("text", pa.string()),
        ("role", pa.string()),
        ("role_score", pa.float64()),
        ("domain", pa.string()),
        ("domain_score", pa.float64()),
        ("top_domains", TOP),
        ("uncertain", pa.bool_()),
        ("level", pa.string()),
        ("region", pa.string()),
        ("year", pa.int64()),
        ("source", pa.string()),
    ]
)
assert tuple(SCHEMA.names) == COLUMNS
REQUIRED = ("doc_id", "role", "domain", "text")  # what `summarize` reads of any tag file
REPORT_FIELDS = ("level", "region", "year")  # the report's fields, for grouping
