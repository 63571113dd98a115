"""Shared helpers for fine-tuning and evaluation: tokenising examples, length-bucketed batches,
prediction, accuracy / macro-F1, and the FLOP count of a LAIT forward pass."""
import os
import random

import torch

from . import data
from .model import CONTINUOUS, PER_SEGMENT, collate, pack_segments

# Content-token caps per segment (specials excluded): segment 0 = claim/hypothesis/question,
# segment 1 = evidence/premise/passage. NLI totals at most 1 + 40 + 1 + 85 + 1 = 128 tokens.
MAX_LENS = {"nli": (40, 85), "boolq": (30, 160)}


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
    out = []
    for e in examples:
        segs = [cached_encode(tok, s) for s in e["segments"]]
        packed = pack_segments(segs, tok.cls_id, tok.sep_id, caps)
        # not_entailment gold (ent_vs_not sources, test only) -> data.NOT_ENTAILMENT_ID (-1)
        out.append({"packed": packed, "label": data.label_index(e["label"], labels), "source": e["source"], "id": e["id"],
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


def _resolve_modes(modes):
    """modes: None (data.SCORING), a dict {source: mode} (unlisted sources fall back to
    data.scoring_mode), or, as older callers pass, an iterable of sources to score ent_vs_contra."""
    if modes is None:
        return {}
    if isinstance(modes, dict):
        return dict(modes)
    return {s: data.ENT_VS_CONTRA for s in modes}


def predictions(logits, encoded, labels, modes=None):
    """Predicted class index per example under its source's scoring mode (data.scoring_mode):
    3way / yesno: argmax over all classes; ent_vs_contra: argmax over entailment / contradiction;
    ent_vs_not: entailment iff softmax p(entailment) > p(neutral) + p(contradiction), else
    data.NOT_ENTAILMENT_ID (a tie is not_entailment)."""
    table = _resolve_modes(modes)
    pred = logits.argmax(-1) if len(encoded) else torch.zeros(0, dtype=torch.long)
    if not len(encoded):
        return pred
    mode_of = [table.get(e["source"], data.scoring_mode(e["source"])) for e in encoded]
    if data.ENT_VS_CONTRA in mode_of or data.ENT_VS_NOT in mode_of:
        ent, con = labels.index("entailment"), labels.index("contradiction")
        two = torch.where(logits[:, ent] >= logits[:, con], torch.tensor(ent), torch.tensor(con))
        p_ent = torch.softmax(logits.float(), -1)[:, ent]
        ent_not = torch.where(p_ent > 0.5, torch.tensor(ent), torch.tensor(data.NOT_ENTAILMENT_ID))
        for i, m in enumerate(mode_of):
            if m == data.ENT_VS_CONTRA:
                pred[i] = two[i]
            elif m == data.ENT_VS_NOT:
                pred[i] = ent_not[i]
    return pred


def _scores(pred, gold):
    """Accuracy, macro-F1 over the gold classes present, n, and the majority-class baseline
    (share of the most frequent gold label)."""
    n = len(gold)
    if n == 0:
        nan = float("nan")
        return {"acc": nan, "macro_f1": nan, "n": 0, "majority": nan}
    acc = (pred == gold).float().mean().item()
    classes = sorted(set(gold.tolist()))
    f1s = []
    for c in classes:
        tp = ((pred == c) & (gold == c)).sum().item()
        fp = ((pred == c) & (gold != c)).sum().item()
        fn = ((pred != c) & (gold == c)).sum().item()
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    majority = max((gold == c).sum().item() for c in classes) / n
    return {"acc": acc, "macro_f1": sum(f1s) / len(f1s), "n": n, "majority": majority}


def metrics(logits, encoded, labels, modes=None):
    """Accuracy, macro-F1 (over the gold classes present), n and majority-class baseline accuracy,
    each example scored by its source's mode (see predictions(); `modes` as in _resolve_modes,
    so the old call metrics(logits, enc, labels, data.two_way_sources()) still works). Returns the
    pooled numbers plus "per_source": {source: {acc, macro_f1, n, majority, mode}}."""
    gold = torch.tensor([e["label"] for e in encoded], dtype=torch.long)
    pred = predictions(logits, encoded, labels, modes)
    out = _scores(pred, gold)
    table = _resolve_modes(modes)
    per = {}
    for src in sorted({e["source"] for e in encoded}):
        idx = torch.tensor([i for i, e in enumerate(encoded) if e["source"] == src])
        per[src] = _scores(pred[idx], gold[idx])
        per[src]["mode"] = table.get(src, data.scoring_mode(src))
    out["per_source"] = per
    return out


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
