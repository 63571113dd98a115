"""Write the held-out test examples of the evaluation table, with PyTorch's logits for one model,
as JSON lines for the C# engine's accuracy check (tools/Lait.Evaluate).

Each line: id, source, gold label index, whether the source is two-way (FEVER pairs: argmax over
entailment / contradiction), the segment texts, the per-segment caps on content tokens, the
content token ids after the cap (what PyTorch saw; the C# side tokenizes the text itself and
compares) and the logits of the model computed from the weights exactly as stored (fp16 files
upcast to fp32, as the engine does). The file holds shared data set text: it goes to work/, never
into the repository.

Example:
  /usr/bin/python3 training/export_eval_set.py --model models/lait-nli-minilm --task nli \
      --max-per-source 1000 --out training/work/eval_nli.jsonl
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

from evaluate import test_examples  # noqa: E402
from lait import data, evaluation as ev  # noqa: E402
from lait.model import load_classifier  # noqa: E402
from lait.tok import load_tokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--task", choices=["nli", "boolq"], default="nli")
    ap.add_argument("--max-per-source", type=int, default=1000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    labels = data.labels_for(args.task)
    exs = test_examples(args.task, args.max_per_source)
    model = load_classifier(args.model)
    cfg = model.config
    vocab = os.path.join(args.model, "vocab.txt")
    tok = load_tokenizer(vocab)
    ev.load_token_cache(tok, ev.token_cache_path(vocab, os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "cache")))
    enc = ev.encode_examples(exs, tok, args.task, labels)
    logits = ev.predict(model, enc, tok.pad_id, cfg.position_mode)
    caps = ev.MAX_LENS[args.task]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        for e, x, lg in zip(exs, enc, logits):
            token_ids = [list(ev.cached_encode(tok, s))[:c] for s, c in zip(e["segments"], caps)]
            f.write(json.dumps({
                "id": str(e["id"]), "source": e["source"], "label": x["label"], "scoring": data.scoring_mode(e["source"]),
                "segments": e["segments"], "caps": list(caps), "token_ids": token_ids,
                "torch_logits": [round(v, 6) for v in lg.tolist()],
            }, ensure_ascii=False) + "\n")
    print(f"wrote {len(exs)} examples ({cfg.num_hidden_layers} layers, P={cfg.tower_layers}, "
          f"{cfg.position_mode}) to {args.out}")


if __name__ == "__main__":
    main()
