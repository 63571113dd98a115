"""Masked-LM pretraining of a small BERT on ../shared/corpus (fallback: training-split task text).

Each example is two segments cut from one document at a random point, packed exactly like a
LAIT input ([CLS] A [SEP] B [SEP], token types 0 / 1). Half of the batches use per-segment
positions and half continuous positions, so the one checkpoint serves LAIT (per-segment) and
P=0 (continuous) fine-tuning. Attention is full (P=0) during pretraining. 15% of content tokens
are chosen; 80% of those become [MASK], 10% a random token, 10% stay. A fraction
(--task-text-frac) of examples is built from the *training split* of the task data
(claim/hypothesis as segment A, evidence/premise as B; labels unused) to adapt the tiny
budget to the task domain.

Resumable: --out holds checkpoint.pt (model, optimizer, step, data cursor, RNG) written every
--save-every steps and on exit; rerunning the same command continues. The final MLM model is
written in Hugging Face layout to --out/final (config.json, model.safetensors, vocab.txt).

Example:
  nice -n 15 /usr/bin/python3 training/pretrain.py --vocab training/work/vocab.txt \
      --out training/work/pretrain --steps 4000 --batch 32 --max-len 128 --max-minutes 40
"""
import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lait.blas_env import configure_openblas  # noqa: E402

configure_openblas()  # before torch loads OpenBLAS

import torch  # noqa: E402

from lait import data  # noqa: E402
from lait.corpus import load_documents  # noqa: E402
from lait.model import (CONTINUOUS, PER_SEGMENT, LaitConfig, LaitForMaskedLM, collate,  # noqa: E402
                        pack_segments, save_pretrained, to_device)
from lait.tok import load_tokenizer  # noqa: E402


class Stream:
    """Deterministic example stream with a cursor that is saved in checkpoints."""

    def __init__(self, tok, docs, task_pairs, seed, max_len, task_frac):
        self.tok, self.docs, self.task_pairs = tok, docs, task_pairs
        self.max_len, self.task_frac = max_len, task_frac
        self.order = list(range(len(docs)))
        random.Random(seed).shuffle(self.order)
        self.doc_pos = 0      # index into self.order
        self.tok_pos = 0      # token offset inside the current document
        self.task_pos = 0
        self.cur = None
        self.rng = random.Random(seed + 1)

    def state(self):
        return {"doc_pos": self.doc_pos, "tok_pos": self.tok_pos, "task_pos": self.task_pos,
                "rng": self.rng.getstate()}

    def load(self, st):
        self.doc_pos, self.tok_pos, self.task_pos = st["doc_pos"], st["tok_pos"], st["task_pos"]
        self.rng.setstate(st["rng"])
        self.cur = None

    def _doc_tokens(self):
        if self.cur is None:
            self.cur = self.tok.encode(self.docs[self.order[self.doc_pos % len(self.order)]])
        return self.cur

    def next(self):
        if self.task_pairs and self.rng.random() < self.task_frac:
            a, b = self.task_pairs[self.task_pos % len(self.task_pairs)]
            self.task_pos += 1
            ta, tb = self.tok.encode(a), self.tok.encode(b)
            room = self.max_len - 3
            ta = ta[:max(8, room // 3)]
            return [ta, tb[:room - len(ta)]]
        while True:
            toks = self._doc_tokens()
            if self.tok_pos >= len(toks) - 8:
                self.doc_pos += 1
                self.tok_pos = 0
                self.cur = None
                continue
            n = min(self.max_len - 3, len(toks) - self.tok_pos)
            chunk = toks[self.tok_pos:self.tok_pos + n]
            self.tok_pos += n
            cut = self.rng.randint(max(1, n // 5), max(1, (4 * n) // 5))
            return [chunk[:cut], chunk[cut:]]


def mask_batch(batch, tok, vocab_size, rng, prob=0.15):
    ids = batch["input_ids"]
    special = (ids == tok.cls_id) | (ids == tok.sep_id) | (batch["segment_ids"] < 0)
    r = torch.rand(ids.shape, generator=rng)
    chosen = (r < prob) & ~special
    if chosen.sum() == 0:
        chosen[0, 1] = True
    labels = ids[chosen].clone()
    inputs = ids.clone()
    action = torch.rand(ids.shape, generator=rng)
    to_mask = chosen & (action < 0.8)
    to_rand = chosen & (action >= 0.8) & (action < 0.9)
    inputs[to_mask] = tok.mask_id
    inputs[to_rand] = torch.randint(5, vocab_size, (int(to_rand.sum()),), generator=rng)
    out = dict(batch)
    out["input_ids"] = inputs
    return out, chosen, labels


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * max(0.0, (total - step) / max(1, total - warmup))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=1024)
    ap.add_argument("--max-positions", type=int, default=256)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--task-text-frac", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (with a checkpoint) after this")
    ap.add_argument("--schedule-minutes", type=float, default=0,
                    help="time-based schedule: LR progress = max(step/steps, minutes/this); ends at 1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu | cuda")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    tok = load_tokenizer(args.vocab)
    vocab_size = len(tok.vocab)
    cfg = LaitConfig(vocab_size=vocab_size, hidden_size=args.hidden, num_hidden_layers=args.layers,
                     num_attention_heads=args.heads, intermediate_size=args.intermediate,
                     max_position_embeddings=args.max_positions, pad_token_id=tok.pad_id)
    model = LaitForMaskedLM(cfg).to(args.device)
    decay = [p for n, p in model.named_parameters() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)

    docs = load_documents()
    task_pairs = []
    if args.task_text_frac > 0:
        for task in ("nli", "boolq"):
            task_pairs.extend((e["segments"][0], e["segments"][1]) for e in data.load_task(task)
                              if e["split"] == "train")
        random.Random(args.seed).shuffle(task_pairs)
    stream = Stream(tok, docs, task_pairs, args.seed, args.max_len, args.task_text_frac)
    rng = torch.Generator().manual_seed(args.seed)
    step, spent = 0, 0.0
    ckpt = os.path.join(args.out, "checkpoint.pt")
    log_path = os.path.join(args.out, "log.jsonl")
    if os.path.exists(ckpt):
        st = torch.load(ckpt, map_location="cpu")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, spent = st["step"], st.get("seconds", 0.0)
        stream.load(st["stream"])
        rng.set_state(st["torch_rng"])
        print(f"resumed at step {step} ({spent / 60:.1f} min spent)", flush=True)

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                    "seconds": spent + (time.time() - t0), "stream": stream.state(), "torch_rng": rng.get_state(),
                    "args": vars(args)}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)

    t0 = time.time()
    model.train()
    run_loss, run_n, run_acc, tokens = 0.0, 0, 0.0, 0
    while step < args.steps:
        mode = PER_SEGMENT if step % 2 == 0 else CONTINUOUS
        exs = [pack_segments(stream.next(), tok.cls_id, tok.sep_id) for _ in range(args.batch)]
        batch = collate(exs, tok.pad_id, mode)
        inputs, chosen, labels = mask_batch(batch, tok, vocab_size, rng)
        total = args.steps
        if args.schedule_minutes:
            frac = (spent + time.time() - t0) / 60 / args.schedule_minutes
            if frac >= 1.0:
                print("schedule minutes reached", flush=True)
                break
            # Project the total step count from the time used so far (warmup is step-based).
            total = min(args.steps, max(step + 1, int(step / max(frac, 1e-6)))) if step > args.warmup else args.steps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total, args.lr, args.warmup)
        inputs = to_device(inputs, args.device)
        chosen, labels = chosen.to(args.device), labels.to(args.device)
        logits = model(inputs, chosen, tower_layers=0)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        run_loss += loss.item()
        run_acc += (logits.argmax(-1) == labels).float().mean().item()
        run_n += 1
        tokens += int((batch["segment_ids"] >= 0).sum())
        if step % 20 == 0 or step == args.steps:
            el = time.time() - t0
            rec = {"step": step, "loss": run_loss / run_n, "mlm_acc": run_acc / run_n,
                   "lr": opt.param_groups[0]["lr"], "minutes": (spent + el) / 60,
                   "tokens_per_s": tokens / max(el, 1e-9), "doc_pos": stream.doc_pos}
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            run_loss, run_n, run_acc = 0.0, 0, 0.0
        if step % args.save_every == 0:
            save()
        if args.max_minutes and (time.time() - t0) / 60 >= args.max_minutes:
            print("time budget reached", flush=True)
            break
    save()
    model.eval()
    model.to("cpu")
    cfg.extra = {"lait_pretrain": {"steps": step, "batch": args.batch, "max_len": args.max_len,
                                   "minutes": round((spent + time.time() - t0) / 60, 1)}}
    save_pretrained(model, os.path.join(args.out, "final"), vocab_path=args.vocab)
    print(f"saved {os.path.join(args.out, 'final')} at step {step}", flush=True)


if __name__ == "__main__":
    main()
