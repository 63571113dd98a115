"""Evaluate fine-tuned LAIT models on the held-out test splits and write the accuracy-versus-P
table (markdown + JSON).

For every model: accuracy and macro-F1 per test source at the model's own P and position mode,
the mean over the in-domain sources (trained on: their test splits) and, separately, the mean
over the outside sources (never trained on), and per example (mean over the evaluated examples):
total forward FLOPs, attention FLOPs (QK^T + AV), FLOPs of the joint layers (what a request
still pays when every segment's tower output is cached) and the share of compute in the
cacheable towers. Each source is scored by its mode (lait/data.py SCORING): 3way / yesno = argmax;
ent_vs_contra (gold only SUPPORTS / REFUTES: FEVER pairs, FEVER-Symmetric, COVID-Fact, SciFact) =
argmax over entailment / contradiction; ent_vs_not (RTE, QNLI, WNLI, SummEdits) = entailment iff
p(entailment) > p(neutral) + p(contradiction). The table's first row is the majority-class
baseline of each source (share of its most frequent gold label among the evaluated examples).

Example:
  nice -n 15 /usr/bin/python3 training/evaluate.py --task nli --max-per-source 1000 \
      --model P0=training/work/ft/nli-P0 --model P2=training/work/ft/nli-P2 \
      --md training/work/results_nli.md --json training/work/results_nli.json
"""
import argparse
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lait.blas_env import configure_openblas  # noqa: E402

configure_openblas()  # before torch loads OpenBLAS

import torch  # noqa: E402

from lait import data, evaluation as ev  # noqa: E402
from lait.model import load_classifier  # noqa: E402
from lait.tok import load_tokenizer  # noqa: E402

IN_DOMAIN = {"nli": ["sick", "mnli", "snli", "mpe", "fever", "healthver"],
             "boolq": list(data.QA_SOURCES)}
# Outside sources: never trained on (every example has split "test"); their mean is reported apart.
HELD_OUT = {"nli": ["anli_R1", "anli_R2", "anli_R3", "climate_fever"] + list(data.NLI_OUTSIDE_SOURCES),
            "boolq": []}


def _mean(xs):
    """Unweighted mean over sources; None where there are none (keeps the JSON strict)."""
    return sum(xs) / len(xs) if xs else None


def test_examples(task, max_per_source):
    exs = [e for e in data.load_task(task, include_heldout=True) if e["split"] == "test"]
    by = {}
    for e in exs:
        by.setdefault(e["source"], []).append(e)
    out = []
    for src, items in sorted(by.items()):
        items.sort(key=lambda e: hashlib.sha256(str(e["id"]).encode()).hexdigest())
        out.extend(items[:max_per_source] if max_per_source else items)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["nli", "boolq"], required=True)
    ap.add_argument("--model", action="append", required=True, help="NAME=DIR (repeatable)")
    ap.add_argument("--max-per-source", type=int, default=1000)
    ap.add_argument("--md", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    labels = data.labels_for(args.task)
    exs = test_examples(args.task, args.max_per_source)
    cols = [s for s in IN_DOMAIN[args.task] + HELD_OUT[args.task] if any(e["source"] == s for e in exs)]
    results = []
    enc_cache = {}
    for spec in args.model:
        name, mdir = spec.split("=", 1)
        t0 = time.time()
        model = load_classifier(mdir)
        cfg = model.config
        vocab = os.path.join(mdir, "vocab.txt")
        if vocab not in enc_cache:
            enc_cache[vocab] = (load_tokenizer(vocab), None)
            tok = enc_cache[vocab][0]
            cache = ev.token_cache_path(vocab, os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "cache"))
            ev.load_token_cache(tok, cache)
            enc_cache[vocab] = (tok, ev.encode_examples(exs, tok, args.task, labels))
        tok, enc = enc_cache[vocab]
        logits = ev.predict(model, enc, tok.pad_id, cfg.position_mode)
        per = ev.metrics(logits, enc, labels, data.scoring_modes())["per_source"]
        per = {s: per[s] for s in cols}
        ind = [s for s in IN_DOMAIN[args.task] if s in per]
        out = [s for s in HELD_OUT[args.task] if s in per]
        fl = [ev.flops(e["seg_lens"], cfg, cfg.tower_layers) for e in enc]
        n = len(fl)
        summary = {
            "name": name, "dir": mdir, "P": cfg.tower_layers, "L": cfg.num_hidden_layers,
            "position_mode": cfg.position_mode,
            "teacher": bool(getattr(cfg, "extra", {}).get("lait_finetune", {}).get("teacher", False)),
            "per_source": per,
            "in_domain_acc": _mean([per[s]["acc"] for s in ind]),
            "in_domain_macro_f1": _mean([per[s]["macro_f1"] for s in ind]),
            "in_domain_majority": _mean([per[s]["majority"] for s in ind]),
            "outside_acc": _mean([per[s]["acc"] for s in out]),
            "outside_macro_f1": _mean([per[s]["macro_f1"] for s in out]),
            "outside_majority": _mean([per[s]["majority"] for s in out]),
            "mflops_total": sum(f["total"] for f in fl) / n / 1e6,
            "mflops_attention": sum(f["attention"] for f in fl) / n / 1e6,
            "mflops_joint": sum(f["joint"] for f in fl) / n / 1e6,
            "tower_share": sum(f["tower"] for f in fl) / sum(f["total"] for f in fl),
            "seconds": time.time() - t0,
        }
        print(json.dumps({k: v for k, v in summary.items() if k != "per_source"}), flush=True)
        results.append(summary)
    with open(args.json, "w") as f:
        json.dump({"task": args.task, "max_per_source": args.max_per_source,
                   "n_per_source": {s: results[0]["per_source"][s]["n"] for s in cols} if results else {},
                   "scoring": {s: data.scoring_mode(s) for s in cols},
                   "majority_per_source": {s: results[0]["per_source"][s]["majority"] for s in cols} if results else {},
                   "in_domain": [s for s in IN_DOMAIN[args.task] if s in cols],
                   "outside": [s for s in HELD_OUT[args.task] if s in cols],
                   "results": results}, f, indent=2)
    with open(args.md, "w") as f:
        f.write(render_markdown(args.task, results, cols))
    print(open(args.md).read())


POS_SHORT = {"per_segment": "seg", "continuous": "cont"}


def _pct(x):
    return "-" if x is None or x != x else f"{100 * x:.1f}"  # None / NaN (no such sources) -> "-"


def render_markdown(task, results, cols):
    """One row per model plus a first row with each source's majority-class baseline. Outside
    sources (never trained on) are marked with * in the header; their mean is its own column."""
    outside = set(HELD_OUT[task])
    head = ["model", "P", "pos", "KD"] + [f"{c}{'*' if c in outside else ''} acc" for c in cols] + \
        ["in-domain acc", "in-domain macro-F1", "outside* acc", "outside* macro-F1",
         "MFLOP/ex", "attn MFLOP/ex", "joint MFLOP/ex", "tower share"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    if results:
        r = results[0]
        row = ["majority class", "-", "-", "-"] + [_pct(r["per_source"][c]["majority"]) for c in cols]
        row += [_pct(r["in_domain_majority"]), "-", _pct(r["outside_majority"]), "-", "-", "-", "-", "-"]
        lines.append("| " + " | ".join(row) + " |")
    for r in results:
        row = [r["name"], str(r["P"]), POS_SHORT.get(r["position_mode"], r["position_mode"]),
               "yes" if r["teacher"] else "no"]
        row += [_pct(r["per_source"][c]["acc"]) for c in cols]
        row += [_pct(r["in_domain_acc"]), _pct(r["in_domain_macro_f1"]), _pct(r["outside_acc"]),
                _pct(r["outside_macro_f1"]), f"{r['mflops_total']:.1f}", f"{r['mflops_attention']:.2f}",
                f"{r['mflops_joint']:.1f}", f"{100 * r['tower_share']:.0f}%"]
        lines.append("| " + " | ".join(row) + " |")
    modes = ", ".join(f"{c}: {data.scoring_mode(c)}" for c in cols)
    lines.append("")
    lines.append(f"Scoring: {modes}. * = outside source (never trained on).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
