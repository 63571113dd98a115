"""Write parity goldens for the C# engine: for N test examples, the token ids of every segment,
the packed model inputs, the per-segment tower output (layer P, each segment run alone, first
tokens only) and the logits of the full LAIT forward pass, computed from the weights exactly
as stored (fp16 files are upcast to fp32, as the engine does).

Example:
  /usr/bin/python3 training/export_goldens.py --model models/lait-nli-minilm --n 16 \
      --out models/lait-nli-minilm/goldens.json
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lait.blas_env import configure_openblas  # noqa: E402

configure_openblas()  # before torch loads OpenBLAS

import torch  # noqa: E402

from lait import data, evaluation as ev  # noqa: E402
from lait.model import attention_masks, collate, load_classifier, pack_segments  # noqa: E402
from lait.tok import load_tokenizer  # noqa: E402


@torch.no_grad()
def tower_output(model, seg_ids, role_first, tok, P):
    """Layer-P output of one segment run alone (what the service caches)."""
    ids, types, seg = pack_segments([seg_ids] if role_first else [[], seg_ids], tok.cls_id, tok.sep_id)
    if not role_first:  # keep only the 'other' segment: drop the empty first segment's [CLS] [SEP]
        ids, types, seg = ids[2:], types[2:], seg[2:]
    b = collate([(ids, types, seg)], tok.pad_id, model.config.position_mode)
    bert = model.bert
    x = bert.embeddings(b["input_ids"], b["token_type_ids"], b["position_ids"])
    tower_mask, _ = attention_masks(b["segment_ids"], x.dtype)
    for i in range(P):
        x = bert.encoder.layer[i](x, tower_mask)
    return x[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--out", required=True)
    ap.add_argument("--head-tokens", type=int, default=3, help="tower-output tokens stored per segment")
    ap.add_argument("--head-dims", type=int, default=8, help="tower-output dims stored per token")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_classifier(args.model)
    model.eval()
    cfg = model.config
    task = cfg.task or "nli"
    tok = load_tokenizer(os.path.join(args.model, "vocab.txt"))
    labels = [cfg.id2label[i] for i in range(len(cfg.id2label))]
    exs = [e for e in data.load_task(task) if e["split"] == "test"]
    step = max(1, len(exs) // args.n)
    exs = exs[::step][:args.n]
    caps = ev.MAX_LENS[task]
    out = {"model": os.path.basename(os.path.normpath(args.model)), "tower_layers": cfg.tower_layers,
           "position_mode": cfg.position_mode, "labels": labels, "max_content_tokens_per_segment": list(caps),
           "tolerance_note": "fp32 PyTorch reference; expect |dlogit| < 1e-4 for an fp32 engine",
           "examples": []}
    for e in exs:
        segs = [tok.encode(s)[:c] for s, c in zip(e["segments"], caps)]
        packed = pack_segments(segs, tok.cls_id, tok.sep_id)
        b = collate([packed], tok.pad_id, cfg.position_mode)
        logits = model(b)[0]
        towers = []
        for k, s in enumerate(segs):
            h = tower_output(model, s, k == 0, tok, cfg.tower_layers)
            towers.append([[round(float(v), 6) for v in h[t, :args.head_dims]]
                           for t in range(min(args.head_tokens, h.shape[0]))])
        out["examples"].append({
            "id": e["id"], "segments": e["segments"], "gold": e["label"],
            "segment_token_ids": segs,
            "input_ids": packed[0], "token_type_ids": packed[1], "segment_index": packed[2],
            "position_ids": b["position_ids"][0].tolist(),
            "tower_output_head": towers,
            "logits": [float(v) for v in logits],
            "probs": [float(v) for v in torch.softmax(logits, -1)],
        })
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {len(out['examples'])} examples to {args.out}")


if __name__ == "__main__":
    main()
