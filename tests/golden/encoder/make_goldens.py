#!/usr/bin/python3
"""Golden data for the engine's encoder tests (tests/Lait.Engine.Tests/Model).

Writes tiny random Hugging Face style models (config.json + fp32 model.safetensors) for BERT
(classification, QA, bare MiniLM-style encoder), RoBERTa, DistilBERT and ELECTRA, and goldens.json
with their outputs (hidden states sampled at rows 0, n/2, n-1) on a ragged batch of multi-segment sequences, for several LAIT splits P and both
position modes.

The reference is independent of the C# engine: a functional torch implementation written from the
HF key layout, computed in float64, using the *masked-attention* formulation of LAIT: the whole
joint sequence is one padded batch row; layers < P use a block-diagonal mask (a token sees only its
own segment), layers >= P a full mask over non-padding tokens. The C# engine instead runs segments
as separate ragged sequences. A plain "stock" forward (HF input conventions, no LAIT) is checked
against P=0 here and written too.

Run: env -u OPENBLAS_CORETYPE /usr/bin/python3 tests/golden/encoder/make_goldens.py
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 48
HIDDEN = 32
HEADS = 4
INTER = 64
MAXPOS = 40
EPS = 1e-12


def write_safetensors(path, tensors):
    """Plain safetensors writer: u64 header length, JSON header, raw little-endian fp32 data."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


class Spec:
    def __init__(self, name, arch, head, layers, labels=None, embedding_size=HIDDEN, lait=None, prefix=True):
        self.name, self.arch, self.head, self.layers = name, arch, head, layers
        self.labels, self.embedding_size, self.lait, self.prefix = labels, embedding_size, lait, prefix
        self.pad = 1 if arch == "roberta" else 0
        self.pos_offset = self.pad + 1 if arch == "roberta" else 0
        self.type_vocab = {"roberta": 1, "distilbert": 0}.get(arch, 2)


SPECS = [
    Spec("bert-cls", "bert", "cls", 3, labels=["entailment", "neutral", "contradiction"]),
    Spec("bert-qa", "bert", "qa", 2),
    Spec("minilm-embed", "bert", "none", 3, lait={"tower_layers": 1, "position_mode": "per_segment"}, prefix=False),
    Spec("roberta-cls", "roberta", "cls", 3, labels=["NEGATIVE", "POSITIVE"]),
    Spec("distilbert-cls", "distilbert", "cls", 2, labels=["a", "b", "c"]),
    Spec("distilbert-qa", "distilbert", "qa", 2),
    Spec("electra-cls", "electra", "cls", 2, labels=["SUPPORTS", "REFUTES", "NEI"], embedding_size=16),
]

ARCH_CLASS = {
    ("bert", "cls"): "BertForSequenceClassification", ("bert", "qa"): "BertForQuestionAnswering", ("bert", "none"): "BertModel",
    ("roberta", "cls"): "RobertaForSequenceClassification", ("distilbert", "cls"): "DistilBertForSequenceClassification",
    ("distilbert", "qa"): "DistilBertForQuestionAnswering", ("electra", "cls"): "ElectraForSequenceClassification",
}


def make_config(s):
    c = {"architectures": [ARCH_CLASS[(s.arch, s.head)]], "model_type": s.arch, "vocab_size": VOCAB, "pad_token_id": s.pad,
         "max_position_embeddings": MAXPOS + s.pos_offset}
    if s.arch == "distilbert":
        c.update({"dim": HIDDEN, "n_layers": s.layers, "n_heads": HEADS, "hidden_dim": INTER, "activation": "gelu",
                  "sinusoidal_pos_embds": False})
    else:
        c.update({"hidden_size": HIDDEN, "num_hidden_layers": s.layers, "num_attention_heads": HEADS, "intermediate_size": INTER,
                  "hidden_act": "gelu", "layer_norm_eps": EPS, "type_vocab_size": s.type_vocab, "position_embedding_type": "absolute"})
        if s.arch == "electra":
            c["embedding_size"] = s.embedding_size
    if s.labels:
        c["id2label"] = {str(i): l for i, l in enumerate(s.labels)}
        c["label2id"] = {l: i for i, l in enumerate(s.labels)}
    if s.lait:
        c["lait"] = s.lait
    return c


def make_weights(s, g):
    def rnd(*shape, std=0.15):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    def ln(prefix, n, names=("weight", "bias")):
        return {f"{prefix}.{names[0]}": 1 + rnd(n, std=0.1), f"{prefix}.{names[1]}": rnd(n, std=0.1)}

    def lin(prefix, out_f, in_f):
        return {f"{prefix}.weight": rnd(out_f, in_f), f"{prefix}.bias": rnd(out_f, std=0.05)}

    w = {}
    p = {"bert": "bert.", "roberta": "roberta.", "distilbert": "distilbert.", "electra": "electra."}[s.arch] if s.prefix else ""
    e = s.embedding_size
    w[p + "embeddings.word_embeddings.weight"] = rnd(VOCAB, e, std=0.5)
    w[p + "embeddings.position_embeddings.weight"] = rnd(MAXPOS + s.pos_offset, e, std=0.5)
    if s.type_vocab:
        w[p + "embeddings.token_type_embeddings.weight"] = rnd(s.type_vocab, e, std=0.5)
    w.update(ln(p + "embeddings.LayerNorm", e))
    if e != HIDDEN:
        w.update(lin(p + "embeddings_project", HIDDEN, e))
    for i in range(s.layers):
        if s.arch == "distilbert":
            q = f"{p}transformer.layer.{i}."
            for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
                w.update(lin(q + "attention." + n, HIDDEN, HIDDEN))
            w.update(ln(q + "sa_layer_norm", HIDDEN))
            w.update(lin(q + "ffn.lin1", INTER, HIDDEN))
            w.update(lin(q + "ffn.lin2", HIDDEN, INTER))
            w.update(ln(q + "output_layer_norm", HIDDEN))
        else:
            q = f"{p}encoder.layer.{i}."
            for n in ("query", "key", "value"):
                w.update(lin(q + "attention.self." + n, HIDDEN, HIDDEN))
            w.update(lin(q + "attention.output.dense", HIDDEN, HIDDEN))
            w.update(ln(q + "attention.output.LayerNorm", HIDDEN))
            w.update(lin(q + "intermediate.dense", INTER, HIDDEN))
            w.update(lin(q + "output.dense", HIDDEN, INTER))
            w.update(ln(q + "output.LayerNorm", HIDDEN))
    n_labels = len(s.labels) if s.labels else 0
    if s.arch == "bert" and s.head in ("cls", "none"):
        w.update(lin(p + "pooler.dense", HIDDEN, HIDDEN))
    if s.head == "cls":
        if s.arch == "bert":
            w.update(lin("classifier", n_labels, HIDDEN))
        elif s.arch == "distilbert":
            w.update(lin("pre_classifier", HIDDEN, HIDDEN))
            w.update(lin("classifier", n_labels, HIDDEN))
        else:
            w.update(lin("classifier.dense", HIDDEN, HIDDEN))
            w.update(lin("classifier.out_proj", n_labels, HIDDEN))
    if s.head == "qa":
        w.update(lin("qa_outputs", 2, HIDDEN))
    # Round to fp32 so torch (float64 math) and the engine (fp32) start from identical weights.
    return {k: v.to(torch.float32).to(torch.float64) for k, v in w.items()}, p


class Ref:
    """Functional float64 encoder over the HF key layout."""

    def __init__(self, s, w, p):
        self.s, self.w, self.p = s, w, p

    def embed(self, ids, types, positions):
        w, p = self.w, self.p
        x = w[p + "embeddings.word_embeddings.weight"][ids] + w[p + "embeddings.position_embeddings.weight"][positions]
        if self.s.type_vocab:
            x = x + w[p + "embeddings.token_type_embeddings.weight"][types]
        x = F.layer_norm(x, (x.shape[-1],), w[p + "embeddings.LayerNorm.weight"], w[p + "embeddings.LayerNorm.bias"], EPS)
        if self.s.embedding_size != HIDDEN:
            x = F.linear(x, w[p + "embeddings_project.weight"], w[p + "embeddings_project.bias"])
        return x

    def names(self, i):
        p = self.p
        if self.s.arch == "distilbert":
            q = f"{p}transformer.layer.{i}."
            return (q + "attention.q_lin", q + "attention.k_lin", q + "attention.v_lin", q + "attention.out_lin",
                    q + "sa_layer_norm", q + "ffn.lin1", q + "ffn.lin2", q + "output_layer_norm")
        q = f"{p}encoder.layer.{i}."
        return (q + "attention.self.query", q + "attention.self.key", q + "attention.self.value", q + "attention.output.dense",
                q + "attention.output.LayerNorm", q + "intermediate.dense", q + "output.dense", q + "output.LayerNorm")

    def layer(self, i, x, allowed):
        """x: [B, T, H]; allowed: [B, T, T] bool (query t may attend key u)."""
        w = self.w
        nq, nk, nv, no, nln1, nup, ndown, nln2 = self.names(i)
        b, t, h = x.shape
        d = h // HEADS

        def heads(y):
            return y.view(b, t, HEADS, d).transpose(1, 2)

        q = heads(F.linear(x, w[nq + ".weight"], w[nq + ".bias"]))
        k = heads(F.linear(x, w[nk + ".weight"], w[nk + ".bias"]))
        v = heads(F.linear(x, w[nv + ".weight"], w[nv + ".bias"]))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)
        scores = scores.masked_fill(~allowed[:, None, :, :], -1e30)
        ctx = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, h)
        a = F.layer_norm(x + F.linear(ctx, w[no + ".weight"], w[no + ".bias"]), (h,), w[nln1 + ".weight"], w[nln1 + ".bias"], EPS)
        f = F.gelu(F.linear(a, w[nup + ".weight"], w[nup + ".bias"]))
        return F.layer_norm(a + F.linear(f, w[ndown + ".weight"], w[ndown + ".bias"]), (h,), w[nln2 + ".weight"], w[nln2 + ".bias"], EPS)

    def heads(self, hidden, valid):
        """hidden [B, T, H] final states -> dict of head outputs per batch row."""
        s, w, p = self.s, self.w, self.p
        out = {}
        cls = hidden[:, 0]
        if s.head == "cls":
            if s.arch == "bert":
                x = torch.tanh(F.linear(cls, w[p + "pooler.dense.weight"], w[p + "pooler.dense.bias"]))
                logits = F.linear(x, w["classifier.weight"], w["classifier.bias"])
            elif s.arch == "distilbert":
                x = F.relu(F.linear(cls, w["pre_classifier.weight"], w["pre_classifier.bias"]))
                logits = F.linear(x, w["classifier.weight"], w["classifier.bias"])
            else:
                x = F.linear(cls, w["classifier.dense.weight"], w["classifier.dense.bias"])
                x = torch.tanh(x) if s.arch == "roberta" else F.gelu(x)
                logits = F.linear(x, w["classifier.out_proj.weight"], w["classifier.out_proj.bias"])
            out["logits"] = logits
        if s.head == "qa":
            se = F.linear(hidden, w["qa_outputs.weight"], w["qa_outputs.bias"])
            out["start"], out["end"] = se[..., 0], se[..., 1]
        if s.head == "none":
            out["pooled_cls"] = cls
            m = valid[..., None].to(hidden.dtype)
            out["pooled_mean"] = (hidden * m).sum(1) / m.sum(1)
        return out


def lait_forward(ref, batch, tower_layers, mode):
    """Masked-attention LAIT: batch = list of sequences, sequence = list of (role, ids, position_start)."""
    s = ref.s
    t_max = max(sum(len(ids) for _, ids, _ in seq) for seq in batch)
    b = len(batch)
    ids = torch.full((b, t_max), s.pad, dtype=torch.long)
    types = torch.zeros((b, t_max), dtype=torch.long)
    pos = torch.zeros((b, t_max), dtype=torch.long)
    seg = torch.full((b, t_max), -1, dtype=torch.long)
    for r, seq in enumerate(batch):
        t = 0
        for j, (role, tok, start) in enumerate(seq):
            n = len(tok)
            ids[r, t:t + n] = torch.tensor(tok)
            types[r, t:t + n] = 0 if (role == "first" or s.type_vocab <= 1) else 1
            first = start if mode == "continuous" else 0
            pos[r, t:t + n] = s.pos_offset + first + torch.arange(n)
            seg[r, t:t + n] = j
            t += n
    valid = seg >= 0
    eye = torch.eye(t_max, dtype=torch.bool)[None]
    full = (valid[:, :, None] & valid[:, None, :]) | eye
    block = (full & (seg[:, :, None] == seg[:, None, :])) | eye
    x = ref.embed(ids, types, pos)
    towers = x
    for i in range(s.layers):
        if i == tower_layers:
            towers = x
        x = ref.layer(i, x, block if i < tower_layers else full)
    if tower_layers == s.layers:
        towers = x
    return x, towers, valid


def stock_forward(ref, batch):
    """The ordinary model on HF inputs: token_type_ids 0 then 1, positions 0..n-1 (RoBERTa: from the non-pad cumsum)."""
    s = ref.s
    t_max = max(sum(len(ids) for _, ids, _ in seq) for seq in batch)
    b = len(batch)
    ids = torch.full((b, t_max), s.pad, dtype=torch.long)
    types = torch.zeros((b, t_max), dtype=torch.long)
    mask = torch.zeros((b, t_max), dtype=torch.bool)
    for r, seq in enumerate(batch):
        flat = [tok for _, toks, _ in seq for tok in toks]
        ids[r, :len(flat)] = torch.tensor(flat)
        mask[r, :len(flat)] = True
        n0 = len(seq[0][1])
        if s.type_vocab > 1:
            types[r, n0:len(flat)] = 1
    if s.arch == "roberta":
        nonpad = (ids != s.pad).long()
        pos = torch.cumsum(nonpad, 1) * nonpad + s.pad
    else:
        pos = torch.arange(t_max)[None].expand(b, t_max)
    x = ref.embed(ids, types, pos)
    allowed = (mask[:, None, :]).expand(b, t_max, t_max)
    for i in range(s.layers):
        x = ref.layer(i, x, allowed)
    return x, mask


def make_batch(s, g, continuous):
    """Ragged: 2, 3 and 1 segment(s). First segment starts with a CLS-like id; every segment ends with a SEP-like id."""
    lengths = [[6, 5], [4, 7, 3], [9]]
    cls_id, sep_id = 2, 3
    batch = []
    for seq_lengths in lengths:
        seq, start = [], 0
        for j, n in enumerate(seq_lengths):
            body = torch.randint(4, VOCAB, (n,), generator=g).tolist()
            if j == 0:
                body[0] = cls_id
            body[-1] = sep_id
            seq.append(("first" if j == 0 else "other", body, start if continuous else 0))
            start += n
        batch.append(seq)
    return batch


def rows(t):
    return [round(float(v), 7) for v in t.flatten().tolist()]


def sample(t):
    """Rows 0, n/2 and n-1 of a [n, H] state (keeps the goldens small; the C# tests use the same rule)."""
    n = t.shape[0]
    return rows(t[[0, n // 2, n - 1]])


def main():
    torch.manual_seed(0)
    goldens = {"tolerance": 1e-4, "models": []}
    for k, s in enumerate(SPECS):
        g = torch.Generator().manual_seed(1000 + k)
        w, p = make_weights(s, g)
        d = os.path.join(HERE, s.name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(make_config(s), f, indent=2)
        write_safetensors(os.path.join(d, "model.safetensors"), w)
        ref = Ref(s, w, p)
        model = {"dir": s.name, "layers": s.layers, "cases": []}
        splits = sorted({0, 1, s.layers - 1, s.layers})
        for mode in ("continuous", "per_segment"):
            batch = make_batch(s, torch.Generator().manual_seed(77 + k), mode == "continuous")
            for tower_layers in splits:
                hidden, towers, valid = lait_forward(ref, batch, tower_layers, mode)
                heads = ref.heads(hidden, valid)
                seqs = []
                for r, seq in enumerate(batch):
                    n = sum(len(t) for _, t, _ in seq)
                    entry = {
                        "segments": [{"role": role, "ids": tok, "position_start": start} for role, tok, start in seq],
                        "hidden": sample(hidden[r, :n]),
                    }
                    starts, t = [], 0
                    for _, tok, _ in seq:
                        starts.append(t)
                        t += len(tok)
                    entry["towers"] = [sample(towers[r, a:a + len(tok)]) for a, (_, tok, _) in zip(starts, seq)]
                    for key, v in heads.items():
                        entry[key] = rows(v[r, :n] if key in ("start", "end") else v[r])
                    seqs.append(entry)
                model["cases"].append({"tower_layers": tower_layers, "position_mode": mode, "sequences": seqs})
            if mode == "continuous":
                stock, mask = stock_forward(ref, batch)
                lait0, _, _ = lait_forward(ref, batch, 0, "continuous")
                diff = (stock - lait0)[mask].abs().max().item()
                assert diff < 1e-9, f"{s.name}: P=0 LAIT differs from the stock forward by {diff}"
                sh = ref.heads(stock, mask)
                model["stock"] = [{"segments": [{"role": r_, "ids": t_, "position_start": p_} for r_, t_, p_ in seq],
                                   "hidden": sample(stock[r, :sum(len(t) for _, t, _ in seq)]),
                                   **{key: rows(v[r, :sum(len(t) for _, t, _ in seq)] if key in ("start", "end") else v[r]) for key, v in sh.items()}}
                                  for r, seq in enumerate(batch)]
        goldens["models"].append(model)
        print(f"{s.name}: {len(model['cases'])} cases")
    with open(os.path.join(HERE, "goldens.json"), "w") as f:
        json.dump(goldens, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
