"""LAIT encoder in PyTorch: a BERT encoder whose first P layers ("tower" layers) see only the
tokens of their own segment and whose last L-P layers ("joint" layers) see every non-padding
token. Semantics follow ../shared/DESIGN.md section 4 exactly (the C# engine must match):

- segment 0 (role "first": claim / hypothesis / question) is [CLS] t1..tn [SEP];
  every other segment (role "other": evidence / premise / passage) is t1..tn [SEP];
- token type id 0 for every token of segment 0, 1 for all other segments;
- position ids restart at 0 in every segment ("per_segment") or run 0..T-1 over the
  concatenation ("continuous", the stock cross-encoder, used for P=0);
- layers 0..P-1 use a block-diagonal attention mask (own segment, no padding);
  layers P..L-1 attend to every non-padding token of the concatenation;
- heads read the final hidden state of [CLS] (position 0) through the pooler.

State-dict names are exactly those of Hugging Face BertForSequenceClassification /
BertForMaskedLM: bert.embeddings.*, bert.encoder.layer.N.*, bert.pooler.dense.*, classifier.*,
cls.predictions.* .
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import safetensors_io

PER_SEGMENT = "per_segment"
CONTINUOUS = "continuous"
# Segment 0 from position 0, every other segment from a fixed start (cacheable like per_segment, since
# the start depends only on the role, but nearer to what a pretrained encoder saw: the evidence sits
# after the claim). 16 covers most claims/hypotheses ([CLS] + ~12 tokens + [SEP]) with little gap.
ROLE_OFFSET = "role_offset"
OTHER_POSITION_START = 16


class LaitConfig:
    def __init__(self, vocab_size=30522, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 intermediate_size=1024, max_position_embeddings=128, type_vocab_size=2,
                 layer_norm_eps=1e-12, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                 initializer_range=0.02, tower_layers=0, position_mode=CONTINUOUS, id2label=None,
                 pad_token_id=0, task=None, segments=None, extra=None):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.max_position_embeddings = max_position_embeddings
        self.type_vocab_size = type_vocab_size
        self.layer_norm_eps = layer_norm_eps
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.initializer_range = initializer_range
        self.tower_layers = tower_layers
        self.position_mode = position_mode
        self.id2label = id2label or {}
        self.pad_token_id = pad_token_id
        self.task = task
        self.segments = segments
        self.extra = extra or {}

    # ---- Hugging Face config.json ----
    def to_hf_dict(self, architecture):
        d = {
            "architectures": [architecture],
            "model_type": "bert",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "intermediate_size": self.intermediate_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": self.hidden_dropout_prob,
            "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "initializer_range": self.initializer_range,
            "layer_norm_eps": self.layer_norm_eps,
            "pad_token_id": self.pad_token_id,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
            "lait": {"tower_layers": self.tower_layers, "position_mode": self.position_mode},
        }
        if self.position_mode == ROLE_OFFSET:
            d["lait"]["other_position_start"] = OTHER_POSITION_START
        if self.task:
            d["lait"]["task"] = self.task
        if self.segments:
            d["lait"]["segments"] = self.segments
        if self.id2label:
            d["id2label"] = {str(k): v for k, v in sorted(self.id2label.items())}
            d["label2id"] = {v: int(k) for k, v in self.id2label.items()}
        d.update(self.extra)
        return d

    @classmethod
    def from_hf_dict(cls, d):
        lait = d.get("lait", {})
        if lait.get("position_mode") == ROLE_OFFSET:
            assert lait.get("other_position_start") == OTHER_POSITION_START, "other_position_start differs"
        id2label = {int(k): v for k, v in d.get("id2label", {}).items()}
        return cls(vocab_size=d["vocab_size"], hidden_size=d["hidden_size"],
                   num_hidden_layers=d["num_hidden_layers"], num_attention_heads=d["num_attention_heads"],
                   intermediate_size=d["intermediate_size"],
                   max_position_embeddings=d.get("max_position_embeddings", 512),
                   type_vocab_size=d.get("type_vocab_size", 2), layer_norm_eps=d.get("layer_norm_eps", 1e-12),
                   hidden_dropout_prob=d.get("hidden_dropout_prob", 0.1),
                   attention_probs_dropout_prob=d.get("attention_probs_dropout_prob", 0.1),
                   initializer_range=d.get("initializer_range", 0.02),
                   tower_layers=lait.get("tower_layers", 0),
                   position_mode=lait.get("position_mode", CONTINUOUS), id2label=id2label,
                   pad_token_id=d.get("pad_token_id", 0), task=lait.get("task"), segments=lait.get("segments"),
                   extra={k: d[k] for k in ("lait_pretrain", "lait_finetune") if k in d})


# ---------------------------------------------------------------------------------------------
# Input packing
# ---------------------------------------------------------------------------------------------

def pack_segments(segments, cls_id, sep_id, max_lens=None):
    """segments: list of token-id lists (no specials), segment 0 first. Returns the per-example
    fields as lists: input_ids, token_type_ids, segment_index (which segment each token is in).
    max_lens: per-segment cap on the number of content tokens (specials excluded)."""
    ids, types, seg = [], [], []
    for s, toks in enumerate(segments):
        if max_lens is not None:
            toks = toks[:max_lens[s]]
        body = ([cls_id] if s == 0 else []) + list(toks) + [sep_id]
        ids.extend(body)
        types.extend([0 if s == 0 else 1] * len(body))
        seg.extend([s] * len(body))
    return ids, types, seg


def collate(examples, pad_id, position_mode):
    """examples: list of (input_ids, token_type_ids, segment_index). Pads to the longest.
    Returns dict of tensors: input_ids, token_type_ids, position_ids, segment_ids (-1 = pad)."""
    T = max(len(e[0]) for e in examples)
    B = len(examples)
    input_ids = torch.full((B, T), pad_id, dtype=torch.long)
    token_type = torch.zeros((B, T), dtype=torch.long)
    positions = torch.zeros((B, T), dtype=torch.long)
    seg_ids = torch.full((B, T), -1, dtype=torch.long)
    for b, (ids, types, seg) in enumerate(examples):
        n = len(ids)
        input_ids[b, :n] = torch.tensor(ids)
        token_type[b, :n] = torch.tensor(types)
        seg_ids[b, :n] = torch.tensor(seg)
        positions[b, :n] = torch.tensor(position_ids_for(seg, position_mode))
    return {"input_ids": input_ids, "token_type_ids": token_type, "position_ids": positions,
            "segment_ids": seg_ids}


def position_ids_for(segment_index, position_mode):
    if position_mode == CONTINUOUS:
        return list(range(len(segment_index)))
    assert position_mode in (PER_SEGMENT, ROLE_OFFSET), position_mode
    out, prev, p = [], None, 0
    for s in segment_index:
        if s != prev:
            p, prev = (OTHER_POSITION_START if position_mode == ROLE_OFFSET and s > 0 else 0), s
        out.append(p)
        p += 1
    return out


def attention_masks(segment_ids, dtype=torch.float32):
    """Additive masks. tower: [B,1,T,T] query and key in the same segment (keys not padding);
    joint: [B,1,1,T] keys not padding. Padding queries in tower layers see themselves only, which
    keeps softmax finite; their outputs are never read."""
    neg = torch.finfo(dtype).min
    valid = segment_ids >= 0
    same = segment_ids[:, :, None] == segment_ids[:, None, :]
    tower_allowed = same & valid[:, None, :]
    eye = torch.eye(segment_ids.shape[1], dtype=torch.bool, device=segment_ids.device)[None]
    tower_allowed = tower_allowed | (eye & ~valid[:, :, None])
    dev = segment_ids.device
    tower = torch.zeros(tower_allowed.shape, dtype=dtype, device=dev).masked_fill(~tower_allowed, neg)[:, None]
    joint = torch.zeros(valid.shape, dtype=dtype, device=dev).masked_fill(~valid, neg)[:, None, None, :]
    return tower, joint


# ---------------------------------------------------------------------------------------------
# Modules (parameter names follow Hugging Face BERT)
# ---------------------------------------------------------------------------------------------

class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids, position_ids):
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids) \
            + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.h = c.num_attention_heads
        self.d = c.hidden_size // c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def forward(self, x, mask):
        B, T, _ = x.shape
        q = self.query(x).view(B, T, self.h, self.d).transpose(1, 2)
        k = self.key(x).view(B, T, self.h, self.d).transpose(1, 2)
        v = self.value(x).view(B, T, self.h, self.d).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.d) + mask
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return torch.matmul(probs, v).transpose(1, 2).reshape(B, T, self.h * self.d)


class DenseNorm(nn.Module):
    def __init__(self, n_in, c):
        super().__init__()
        self.dense = nn.Linear(n_in, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseNorm(c.hidden_size, c)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact erf GELU, as BERT's "gelu"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseNorm(c.intermediate_size, c)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c, with_pooler=True):
        super().__init__()
        self.config = c
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c) if with_pooler else None

    def forward(self, batch, tower_layers=None, return_all=False):
        """tower_layers overrides config.tower_layers (P). Returns (last hidden, pooled, all hidden)."""
        P = self.config.tower_layers if tower_layers is None else tower_layers
        x = self.embeddings(batch["input_ids"], batch["token_type_ids"], batch["position_ids"])
        tower_mask, joint_mask = attention_masks(batch["segment_ids"], x.dtype)
        hidden = [x] if return_all else None
        for i, layer in enumerate(self.encoder.layer):
            x = layer(x, tower_mask if i < P else joint_mask)
            if return_all:
                hidden.append(x)
        pooled = self.pooler(x) if self.pooler is not None else None
        return x, pooled, hidden


class LaitForSequenceClassification(nn.Module):
    """Sequence classification (NLI / claim verification 3-way, yes/no QA 2-way)."""
    architecture = "BertForSequenceClassification"

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.classifier = nn.Linear(c.hidden_size, len(c.id2label))
        init_weights(self, c)

    def forward(self, batch, tower_layers=None, return_all=False):
        last, pooled, hidden = self.bert(batch, tower_layers, return_all)
        logits = self.classifier(self.dropout(pooled))
        return (logits, hidden) if return_all else logits


class MlmHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = nn.Module()
        self.transform.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.transform.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.decoder = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))

    def forward(self, h):
        h = self.transform.LayerNorm(F.gelu(self.transform.dense(h)))
        return self.decoder(h) + self.bias


class LaitForMaskedLM(nn.Module):
    architecture = "BertForMaskedLM"

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.bert = BertModel(c, with_pooler=True)  # pooler kept so fine-tuning starts from saved weights
        self.cls = nn.Module()
        self.cls.predictions = MlmHead(c)
        init_weights(self, c)
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight  # tied

    def forward(self, batch, masked_positions, tower_layers=0):
        """masked_positions: bool [B,T]. Returns logits [n_masked, V] for the masked tokens only."""
        last, _, _ = self.bert(batch, tower_layers)
        return self.cls.predictions(last[masked_positions])


def init_weights(module, c):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=c.initializer_range)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=c.initializer_range)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------------------------------------
# Save / load (Hugging Face layout)
# ---------------------------------------------------------------------------------------------

def save_pretrained(model, out_dir, vocab_path=None, dtype=torch.float32, metadata=None):
    os.makedirs(out_dir, exist_ok=True)
    c = model.config
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(c.to_hf_dict(model.architecture), f, indent=2)
        f.write("\n")
    sd = {k: v for k, v in model.state_dict().items()}
    if isinstance(model, LaitForMaskedLM):
        sd.pop("cls.predictions.decoder.weight", None)  # tied to the word embeddings
    meta = {"format": "pt"}
    meta.update(metadata or {})
    safetensors_io.save_file(sd, os.path.join(out_dir, "model.safetensors"), metadata=meta, dtype=dtype)
    if vocab_path is not None:
        with open(vocab_path, "rb") as src, open(os.path.join(out_dir, "vocab.txt"), "wb") as dst:
            dst.write(src.read())


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return LaitConfig.from_hf_dict(json.load(f))


def load_state_dict(model_dir):
    sd, _ = safetensors_io.load_file(os.path.join(model_dir, "model.safetensors"))
    # Accept checkpoints saved from a bare BertModel (no "bert." prefix).
    if not any(k.startswith("bert.") for k in sd):
        sd = {("bert." + k if not k.startswith(("cls.", "classifier.")) else k): v for k, v in sd.items()}
    return sd


def load_into(model, model_dir, strict=False):
    """Loads whatever matches (e.g. MLM checkpoint -> classifier model). Returns (missing, unexpected)."""
    sd = load_state_dict(model_dir)
    own = model.state_dict()
    usable = {k: v for k, v in sd.items() if k in own and own[k].shape == v.shape}
    missing, unexpected = model.load_state_dict(usable, strict=False)
    unexpected = [k for k in sd if k not in usable]
    if strict and (missing or unexpected):
        raise ValueError(f"missing {missing} unexpected {unexpected}")
    return missing, unexpected


def load_classifier(model_dir):
    c = load_config(model_dir)
    m = LaitForSequenceClassification(c)
    missing, unexpected = load_into(m, model_dir)
    if missing:
        raise ValueError(f"{model_dir}: missing weights {missing}")
    return m


def to_device(batch, device):
    return {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in batch.items()}
