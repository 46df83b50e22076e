"""Parse time of the five seed documents (and of them with every line break removed).

python bench/parse_seeds.py [--repeat 20]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measures.parsing import parse_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    seeds = sorted((ROOT / "fixtures" / "seeds").glob("*.txt"))
    texts = [(p.name, p.read_text(encoding="utf-8")) for p in seeds]
    for label, variant in (("as written", lambda t: t), ("line breaks removed", lambda t: t.replace("\n", ""))):
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            measures = sum(len(parse_document(variant(text), name).measures) for name, text in texts)
            runs.append(time.perf_counter() - start)
        print(
            f"{label}: {len(texts)} documents, {measures} measures, "
            f"median {statistics.median(runs) * 1000:.1f} ms, best {min(runs) * 1000:.1f} ms over {args.repeat} runs"
        )


if __name__ == "__main__":
    main()
