"""Shared helpers for fine-tuning and evaluation: tokenising examples, length-bucketed batches,
prediction, accuracy / macro-F1, and the FLOP count of a LAIT forward pass."""
import os
import random

import torch

from .model import CONTINUOUS, PER_SEGMENT, collate, pack_segments

# Content-token caps per segment (specials excluded): segment 0 = claim/hypothesis/question,
# segment 1 = evidence/premise/passage. NLI totals at most 1 + 40 + 1 + 85 + 1 = 128 tokens.
MAX_LENS = {"nli": (40, 85), "boolq": (30, 220)}


_TOKEN_CACHE = {}


def cached_encode(tok, text, cache_dir=None):
    """tok.encode with an in-process memo, persisted per vocab under cache_dir when given
    (the pure-Python tokenizer costs about a minute per pass over the task data)."""
    key = id(tok)
    memo = _TOKEN_CACHE.setdefault(key, {})
    hit = memo.get(text)
    if hit is None:
        hit = memo[text] = tok.encode(text)
    return hit


def load_token_cache(tok, path):
    import pickle
    if path and os.path.exists(path):
        with open(path, "rb") as f:
            _TOKEN_CACHE.setdefault(id(tok), {}).update(pickle.load(f))


def save_token_cache(tok, path):
    import pickle
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            pickle.dump(_TOKEN_CACHE.get(id(tok), {}), f)
        os.replace(path + ".tmp", path)


def token_cache_path(vocab_path, work_dir):
    import hashlib
    with open(vocab_path, "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()[:16]
    return os.path.join(work_dir, f"tokens-{h}.pkl")


def encode_examples(examples, tok, task, labels):
    caps = MAX_LENS[task]
    lab = {l: i for i, l in enumerate(labels)}
    out = []
    for e in examples:
        segs = [cached_encode(tok, s) for s in e["segments"]]
        packed = pack_segments(segs, tok.cls_id, tok.sep_id, caps)
        out.append({"packed": packed, "label": lab[e["label"]], "source": e["source"], "id": e["id"],
                    "seg_lens": [min(len(s), c) + (2 if i == 0 else 1) for i, (s, c) in enumerate(zip(segs, caps))]})
    return out


def batches(encoded, batch_size, shuffle, seed=0):
    """Length-bucketed batches (sort within chunks of 50 batches) to cut padding."""
    idx = list(range(len(encoded)))
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(idx)
    chunk = batch_size * 50
    out = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s:s + chunk], key=lambda i: len(encoded[i]["packed"][0]))
        out.extend(part[j:j + batch_size] for j in range(0, len(part), batch_size))
    if shuffle:
        rng.shuffle(out)
    return out


def make_batch(encoded, ids, pad_id, position_mode):
    b = collate([encoded[i]["packed"] for i in ids], pad_id, position_mode)
    b["labels"] = torch.tensor([encoded[i]["label"] for i in ids])
    return b


@torch.no_grad()
def predict(model, encoded, pad_id, position_mode, tower_layers=None, batch_size=64):
    model.eval()
    logits = torch.zeros(len(encoded), len(model.config.id2label))
    for ids in batches(encoded, batch_size, shuffle=False):
        b = make_batch(encoded, ids, pad_id, position_mode)
        dev = next(model.parameters()).device
        b = {k: v.to(dev) for k, v in b.items()}
        logits[ids] = model(b, tower_layers=tower_layers).float().cpu()
    return logits


def metrics(logits, encoded, labels, two_way_sources=()):
    """Accuracy and macro-F1 over the classes present in gold. For sources whose gold labels are
    only entailment / contradiction (FEVER pairs) the argmax is taken over those two classes."""
    gold = torch.tensor([e["label"] for e in encoded])
    pred = logits.argmax(-1)
    if two_way_sources and "neutral" in labels:
        n = labels.index("neutral")
        masked = logits.clone()
        masked[:, n] = float("-inf")
        for i, e in enumerate(encoded):
            if e["source"] in two_way_sources:
                pred[i] = masked[i].argmax()
    acc = (pred == gold).float().mean().item() if len(gold) else float("nan")
    f1s = []
    for c in sorted(set(gold.tolist())):
        tp = ((pred == c) & (gold == c)).sum().item()
        fp = ((pred == c) & (gold != c)).sum().item()
        fn = ((pred != c) & (gold == c)).sum().item()
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {"acc": acc, "macro_f1": sum(f1s) / len(f1s) if f1s else float("nan"), "n": len(gold)}


def flops(seg_lens, cfg, tower_layers):
    """Multiply-adds x 2 of one forward pass over segments of the given lengths (specials included).
    Returns dict: total, attention (QK^T and AV only), tower (cacheable part: layers < P),
    joint. Linear layers: 2*n*(4h^2 + 2hI) per layer. Attention: 4*h*sum(n_i^2) in tower layers,
    4*h*n^2 in joint layers. Embedding lookups and the head are ignored (negligible)."""
    h, I, L = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    n = sum(seg_lens)
    lin_per_tok = 2 * (4 * h * h + 2 * h * I)
    tower_attn = 4 * h * sum(x * x for x in seg_lens)
    joint_attn = 4 * h * n * n
    P = tower_layers
    tower = P * (n * lin_per_tok + tower_attn)
    joint = (L - P) * (n * lin_per_tok + joint_attn)
    attn = P * tower_attn + (L - P) * joint_attn
    return {"total": tower + joint, "attention": attn, "tower": tower, "joint": joint}


def default_position_mode(tower_layers):
    return PER_SEGMENT if tower_layers > 0 else CONTINUOUS
