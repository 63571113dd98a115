"""Pretraining text: documents of ../shared/corpus (one document per blank-line-separated block),
or, when the corpus is absent, the text of the training splits of the shared task data."""
import os
import random

from . import data


def corpus_files(root=None):
    root = os.path.join(root or data.shared_dir(), "corpus")
    out = []
    for sub in ("simplewiki", "enwiki", "nltk"):
        d = os.path.join(root, sub)
        if os.path.isdir(d):
            out.extend(os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".txt"))
    return out


def load_documents(root=None):
    docs = []
    for path in corpus_files(root):
        with open(path, encoding="utf-8") as f:
            block = []
            for line in f:
                line = line.strip()
                if line:
                    block.append(line)
                elif block:
                    docs.append(" ".join(block))
                    block = []
            if block:
                docs.append(" ".join(block))
    if not docs:  # fallback: the training-split text of the task data
        for task in ("nli", "boolq"):
            for ex in data.load_task(task):
                if ex["split"] == "train":
                    docs.append(" ".join(ex["segments"]))
    return docs


def iter_documents(seed=1234, root=None):
    """Deterministic shuffled order over all documents (all sources mixed)."""
    docs = load_documents(root)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    for i in order:
        yield docs[i]
