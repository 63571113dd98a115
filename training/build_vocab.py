"""Prune the bert-base-uncased WordPiece vocabulary to the tokens our data uses.

The pruned vocab.txt is itself a complete WordPiece vocabulary: it keeps the original order
(so [PAD] stays id 0 and the specials keep their relative order), every special token, every
single character and every '##'+single character of the original (so any text that tokenized
without [UNK] before still does), plus every token that occurs in the training splits of the
task data or at least --min-count times in a sample of the pretraining corpus. A word whose
whole-word token was pruned simply splits into more pieces. Models trained with the pruned
vocab must be served with the same vocab.txt (it is committed next to the weights).

Usage: python3 training/build_vocab.py --out training/work/vocab.txt [--corpus-mb 24 --min-count 60 --task-weight 10]
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lait import data  # noqa: E402
from lait.tok import load_tokenizer  # noqa: E402
from lait.corpus import iter_documents  # noqa: E402

BASE_VOCAB = os.path.join(data.shared_dir(), "models/all-MiniLM-L6-v2.tokenizer-only/vocab.txt")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-vocab", default=BASE_VOCAB)
    ap.add_argument("--corpus-mb", type=float, default=24.0, help="MB of corpus text to count")
    ap.add_argument("--min-count", type=int, default=60,
                    help="keep a token if corpus count + task-weight * task count >= this")
    ap.add_argument("--task-weight", type=int, default=10)
    args = ap.parse_args()

    tok = load_tokenizer(args.base_vocab)
    with open(args.base_vocab, encoding="utf-8") as f:
        base = [line.rstrip("\n") for line in f]
    counts = collections.Counter()
    task_counts = collections.Counter()
    for task in ("nli", "boolq"):
        for ex in data.load_task(task):
            if ex["split"] != "train":
                continue
            for s in ex["segments"]:
                task_counts.update(tok.encode(s))
    budget = int(args.corpus_mb * 1e6)
    used = 0
    for doc in iter_documents(seed=1234):
        counts.update(tok.encode(doc))
        used += len(doc)
        if used >= budget:
            break
    # Task text is weighted up (x --task-weight) so words of the training splits survive.
    total = collections.Counter(counts)
    for i, n in task_counts.items():
        total[i] += n * args.task_weight
    keep = {i for i, n in total.items() if n >= args.min_count}
    out = []
    for i, t in enumerate(base):
        core = t[2:] if t.startswith("##") else t
        special = t.startswith("[") and t.endswith("]") and not t.startswith("[unused")
        if special or len(core) == 1 or i in keep:
            out.append(t)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for t in out:
            f.write(t + "\n")
    print(f"base {len(base)} -> pruned {len(out)} tokens (kept by count {len(keep)}, "
          f"distinct task tokens {len(task_counts)}, corpus chars counted {used})")


if __name__ == "__main__":
    main()
