"""Export the chosen fine-tuned model to models/<name>/ in fp16 (config.json, model.safetensors,
vocab.txt). With several --candidates, the one with the best DEV accuracy (train_summary.json)
wins -- never the test accuracy.

Example: /usr/bin/python3 training/export_model.py --candidates training/work/ft/nli-P2 --out models/lait-nli-minilm
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lait.blas_env import configure_openblas  # noqa: E402

configure_openblas()  # before torch loads OpenBLAS

import torch  # noqa: E402

from lait.model import load_classifier, save_pretrained  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", choices=["fp16", "fp32"], default="fp16")
    args = ap.parse_args()
    best, best_acc = None, -1.0
    for c in args.candidates:
        p = os.path.join(c, "train_summary.json")
        if not os.path.exists(p):
            continue
        acc = json.load(open(p))["best_dev"]["acc"]
        print(f"{c}: dev acc {acc:.4f}")
        if acc > best_acc:
            best, best_acc = c, acc
    if best is None:
        sys.exit("no finished candidate")
    model = load_classifier(best)
    save_pretrained(model, args.out, vocab_path=os.path.join(best, "vocab.txt"),
                    dtype=torch.float16 if args.dtype == "fp16" else torch.float32,
                    metadata={"source_run": os.path.basename(os.path.normpath(best))})
    # config.json says which dtype the weights are stored in
    cfgp = os.path.join(args.out, "config.json")
    cfg = json.load(open(cfgp))
    cfg["torch_dtype"] = "float16" if args.dtype == "fp16" else "float32"
    with open(cfgp, "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    print(f"exported {best} -> {args.out} ({args.dtype})")


if __name__ == "__main__":
    main()
