"""Fine-tune a BERT-family checkpoint as a LAIT model at a chosen P (tower layers).

Tasks: `nli` (3-way entailment / neutral / contradiction; also claim verification, where
SUPPORTS = entailment, REFUTES = contradiction, NOT ENOUGH INFO = neutral) and `boolq`
(yes/no QA as 2-way classification). Segment 0 = hypothesis / claim / question, segment 1 =
premise / evidence / passage. Trains on the `train` split, selects the checkpoint with the best
`dev` accuracy, never looks at `test` (see training/README.md for the splits).

Optional distillation from a fine-tuned teacher (normally the P=0 model):
  loss = (1 - a) * CE + a * T^2 * KL(softmax(t/T) || softmax(s/T)) + b * MSE(joint-layer hidden states)
with a = --kd-alpha, T = --kd-temp, b = --hidden-mse (DeFormer-style upper-layer similarity).

Example:
  nice -n 15 /usr/bin/python3 training/finetune.py --task nli --init artifacts/pretrained/all-MiniLM-L6-v2 \
      --P 2 --out training/work/ft/nli-P2 --epochs 2 --max-minutes 8
"""
import argparse
import json
import math
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
import torch.nn.functional as F  # noqa: E402

from lait import data, evaluation as ev  # noqa: E402
from lait.model import (LaitForSequenceClassification, load_classifier, load_config, load_into,  # noqa: E402
                        save_pretrained, to_device)
from lait.tok import load_tokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["nli", "boolq"], required=True)
    ap.add_argument("--init", required=True, help="pretrained model dir (HF layout)")
    ap.add_argument("--P", type=int, required=True, help="tower layers")
    ap.add_argument("--position-mode", default=None, help="per_segment | role_offset | continuous (default by P)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sources", default=None, help="comma list of training sources (default all)")
    ap.add_argument("--max-train", type=int, default=0, help="cap on training examples (0 = all)")
    ap.add_argument("--max-dev", type=int, default=1500)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--warmup-frac", type=float, default=0.02)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--evals", type=int, default=3, help="dev evaluations over the run")
    ap.add_argument("--max-minutes", type=float, default=0, help="time budget; LR schedule follows it")
    ap.add_argument("--teacher", default=None)
    ap.add_argument("--kd-alpha", type=float, default=0.5)
    ap.add_argument("--kd-temp", type=float, default=2.0)
    ap.add_argument("--hidden-mse", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu | cuda")
    ap.add_argument("--save-every", type=int, default=100, help="steps between resume checkpoints")
    args = ap.parse_args()

    if os.path.exists(os.path.join(args.out, "train_summary.json")):
        print(f"{args.out} is finished (train_summary.json exists)", flush=True)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    labels = data.labels_for(args.task)
    pos_mode = args.position_mode or ev.default_position_mode(args.P)

    cfg = load_config(args.init)
    cfg.id2label = dict(enumerate(labels))
    cfg.tower_layers = args.P
    cfg.position_mode = pos_mode
    cfg.task = args.task
    cfg.segments = (["hypothesis_or_claim", "premise_or_evidence"] if args.task == "nli"
                    else ["question", "passage"])
    cfg.extra = {}
    model = LaitForSequenceClassification(cfg)
    missing, unexpected = load_into(model, args.init)
    model.to(args.device)
    print(f"init from {args.init}: new {missing}, unused {len(unexpected)} tensors", flush=True)
    vocab = os.path.join(args.init, "vocab.txt")
    tok = load_tokenizer(vocab)

    teacher, t_mode = None, None
    if args.teacher:
        teacher = load_classifier(args.teacher)
        teacher.eval()
        teacher.to(args.device)
        t_mode = teacher.config.position_mode
        assert teacher.config.id2label == cfg.id2label, "teacher labels differ"

    sources = set(args.sources.split(",")) if args.sources else None
    exs = data.load_task(args.task, sources)
    train = [e for e in exs if e["split"] == "train"]
    dev = [e for e in exs if e["split"] == "dev"]
    rng = random.Random(args.seed)
    rng.shuffle(train)
    rng.shuffle(dev)
    if args.max_train:
        train = train[:args.max_train]
    dev = dev[:args.max_dev]
    cache = ev.token_cache_path(vocab, os.path.join(os.path.dirname(os.path.abspath(__file__)), "work", "cache"))
    ev.load_token_cache(tok, cache)
    train_enc = ev.encode_examples(train, tok, args.task, labels)
    dev_enc = ev.encode_examples(dev, tok, args.task, labels)
    if not os.path.exists(cache):
        ev.save_token_cache(tok, cache)
    print(f"train {len(train_enc)} dev {len(dev_enc)} P={args.P} positions={pos_mode}", flush=True)

    steps_per_epoch = math.ceil(len(train_enc) / args.batch)
    total = max(1, int(steps_per_epoch * args.epochs))
    warmup = max(1, int(total * args.warmup_frac))
    decay = [p for n, p in model.named_parameters() if not ("bias" in n or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if "bias" in n or "LayerNorm" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    eval_every = max(1, total // max(1, args.evals))

    best = {"acc": -1.0}
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    t0 = time.time()
    step, epoch, skip = 0, 0, 0
    done = False
    run = {"loss": 0.0, "n": 0}
    resume_path = os.path.join(args.out, "resume.pt")
    minutes_before = 0.0
    if os.path.exists(resume_path):
        # Resumable: the batch order is a function of (seed, epoch), so skipping the batches already
        # taken in this epoch continues exactly where the run stopped (dropout RNG included).
        st = torch.load(resume_path, map_location="cpu")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, epoch, skip, best = st["step"], st["epoch"], st["batch_in_epoch"], st["best"]
        torch.set_rng_state(st["torch_rng"])
        minutes_before = st["minutes"]
        print(f"resumed at step {step} (epoch {epoch}, batch {skip}) from {resume_path}", flush=True)

    def minutes():
        return minutes_before + (time.time() - t0) / 60

    def save_resume(batch_in_epoch):
        st = {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "epoch": epoch,
              "batch_in_epoch": batch_in_epoch, "best": best, "torch_rng": torch.get_rng_state(),
              "minutes": minutes()}
        torch.save(st, resume_path + ".tmp")
        os.replace(resume_path + ".tmp", resume_path)

    def evaluate_and_maybe_save(step):
        logits = ev.predict(model, dev_enc, tok.pad_id, pos_mode)
        m = ev.metrics(logits, dev_enc, labels, data.two_way_sources())
        rec = {"step": step, "dev": m, "minutes": minutes()}
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if m["acc"] > best["acc"]:
            best.update(m)
            best["step"] = step
            cfg.extra = {"lait_finetune": {"init": os.path.basename(os.path.normpath(args.init)),
                                           "teacher": bool(args.teacher), "step": step,
                                           "dev_acc": round(m["acc"], 4), "seed": args.seed}}
            save_pretrained(model, args.out, vocab_path=vocab)
        model.train()

    model.train()
    while not done:
        for bi, ids in enumerate(ev.batches(train_enc, args.batch, shuffle=True, seed=args.seed + epoch)):
            if bi < skip:
                continue
            frac = step / total
            if args.max_minutes:
                frac = max(frac, minutes() / args.max_minutes)
            if frac >= 1.0:
                done = True
                break
            lr = args.lr * min(1.0, (step + 1) / warmup) * max(0.0, 1.0 - frac)  # warmup, linear decay
            for g in opt.param_groups:
                g["lr"] = lr
            b = to_device(ev.make_batch(train_enc, ids, tok.pad_id, pos_mode), args.device)
            need_hidden = teacher is not None and args.hidden_mse > 0
            out = model(b, return_all=need_hidden)
            logits, hidden = out if need_hidden else (out, None)
            ce = F.cross_entropy(logits, b["labels"])
            loss = ce
            if teacher is not None:
                tb = dict(b)
                if t_mode != pos_mode:
                    tb = to_device(ev.make_batch(train_enc, ids, tok.pad_id, t_mode), args.device)
                with torch.no_grad():
                    t_out = teacher(tb, return_all=need_hidden)
                t_logits, t_hidden = t_out if need_hidden else (t_out, None)
                T = args.kd_temp
                kd = F.kl_div(F.log_softmax(logits / T, -1), F.softmax(t_logits / T, -1),
                              reduction="batchmean") * T * T
                loss = (1 - args.kd_alpha) * ce + args.kd_alpha * kd
                if need_hidden:
                    valid = (b["segment_ids"] >= 0).unsqueeze(-1).float()
                    mse = 0.0
                    layers = range(args.P + 1, cfg.num_hidden_layers + 1)
                    for l in layers:
                        mse = mse + (((hidden[l] - t_hidden[l]) ** 2) * valid).sum() / valid.sum() / cfg.hidden_size
                    loss = loss + args.hidden_mse * mse / max(1, len(layers))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            run["loss"] += loss.item()
            run["n"] += 1
            if step % 50 == 0:
                rec = {"step": step, "loss": run["loss"] / run["n"], "lr": lr, "minutes": minutes()}
                print(json.dumps(rec), flush=True)
                log.write(json.dumps(rec) + "\n")
                run = {"loss": 0.0, "n": 0}
            if step % eval_every == 0:
                evaluate_and_maybe_save(step)
            if step % args.save_every == 0:
                save_resume(bi + 1)
            if step >= total:
                done = True
                break
        epoch += 1
        skip = 0
    if best.get("step") != step:
        evaluate_and_maybe_save(step)
    summary = {"best_dev": best, "steps": step, "minutes": minutes(), "P": args.P,
               "position_mode": pos_mode, "teacher": args.teacher, "kd_alpha": args.kd_alpha,
               "kd_temp": args.kd_temp, "hidden_mse": args.hidden_mse, "train_examples": len(train_enc),
               "seed": args.seed}
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
