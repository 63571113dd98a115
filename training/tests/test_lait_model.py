"""Checks of the PyTorch LAIT reference against independent formulations.

Run: cd training && /usr/bin/python3 -m unittest discover -s tests -v
(no shared data needed except the tests that say so; those skip when ../shared is absent)."""
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from lait import data, evaluation as ev  # noqa: E402
from lait import safetensors_io  # noqa: E402
from lait.model import (CONTINUOUS, PER_SEGMENT, LaitConfig, LaitForSequenceClassification,  # noqa: E402
                        collate, load_classifier, pack_segments, save_pretrained)

CLS, SEP, PAD = 2, 3, 0


def tiny(P, mode, seed=0):
    torch.manual_seed(seed)
    c = LaitConfig(vocab_size=50, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
                   intermediate_size=32, max_position_embeddings=64, tower_layers=P, position_mode=mode,
                   id2label={0: "entailment", 1: "neutral", 2: "contradiction"})
    m = LaitForSequenceClassification(c)
    m.eval()
    return m


def reference_layer(layer, x, heads):
    """Independent single-example BERT layer (no masks): explicit per-head loops."""
    sa = layer.attention.self
    T, H = x.shape
    d = H // heads
    q, k, v = sa.query(x), sa.key(x), sa.value(x)
    ctx = torch.zeros_like(x)
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        w = torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(d), dim=-1)
        ctx[:, sl] = w @ v[:, sl]
    ao = layer.attention.output
    a = F.layer_norm(ao.dense(ctx) + x, (H,), ao.LayerNorm.weight, ao.LayerNorm.bias, ao.LayerNorm.eps)
    inter = layer.intermediate.dense(a)
    inter = 0.5 * inter * (1 + torch.erf(inter / math.sqrt(2)))
    oo = layer.output
    return F.layer_norm(oo.dense(inter) + a, (H,), oo.LayerNorm.weight, oo.LayerNorm.bias, oo.LayerNorm.eps)


def reference_two_stage(model, segs):
    """What the C# engine does: each segment alone through layers < P (own positions, own token
    type), concatenate the cached outputs, then layers >= P jointly, pooler on [CLS]."""
    c = model.config
    emb = model.bert.embeddings
    parts = []
    pos0 = 0
    for s, toks in enumerate(segs):
        ids = ([CLS] if s == 0 else []) + toks + [SEP]
        n = len(ids)
        pos = list(range(n)) if c.position_mode == PER_SEGMENT else list(range(pos0, pos0 + n))
        pos0 += n
        x = emb.word_embeddings.weight[ids] + emb.position_embeddings.weight[pos] + \
            emb.token_type_embeddings.weight[[0 if s == 0 else 1] * n]
        x = F.layer_norm(x, (c.hidden_size,), emb.LayerNorm.weight, emb.LayerNorm.bias, emb.LayerNorm.eps)
        for i in range(c.tower_layers):
            x = reference_layer(model.bert.encoder.layer[i], x, c.num_attention_heads)
        parts.append(x)
    x = torch.cat(parts)
    for i in range(c.tower_layers, c.num_hidden_layers):
        x = reference_layer(model.bert.encoder.layer[i], x, c.num_attention_heads)
    pooled = torch.tanh(model.bert.pooler.dense(x[0]))
    return model.classifier(pooled)


class LaitSemantics(unittest.TestCase):
    segs_a = [[10, 11, 12], [20, 21, 22, 23, 24]]
    segs_b = [[10, 11], [30, 31, 32, 33, 34, 35, 36, 37], [40, 41]]

    def batch(self, model, examples):
        return collate([pack_segments(s, CLS, SEP) for s in examples], PAD, model.config.position_mode)

    def test_BatchedMaskedForward_EqualsPerSegmentTowersThenJoint_ForEveryP(self):
        for mode in (PER_SEGMENT, CONTINUOUS):
            for P in range(0, 4):
                m = tiny(P, mode)
                with torch.no_grad():
                    got = m(self.batch(m, [self.segs_a, self.segs_b]))  # padded batch of two
                    for row, segs in enumerate([self.segs_a, self.segs_b]):
                        ref = reference_two_stage(m, segs)
                        self.assertLess((got[row] - ref).abs().max().item(), 1e-5, f"P={P} {mode}")

    def test_TowerOutput_DoesNotDependOnOtherSegments(self):
        m = tiny(2, PER_SEGMENT)
        with torch.no_grad():
            outs = []
            for other in ([20, 21], [5, 6, 7, 8, 9, 44]):
                b = self.batch(m, [[[10, 11, 12], other]])
                x = m.bert.embeddings(b["input_ids"], b["token_type_ids"], b["position_ids"])
                from lait.model import attention_masks
                tm, _ = attention_masks(b["segment_ids"])
                for i in range(2):
                    x = m.bert.encoder.layer[i](x, tm)
                outs.append(x[0, :5])  # [CLS] 10 11 12 [SEP] of the first segment
            self.assertLess((outs[0] - outs[1]).abs().max().item(), 1e-6)

    def test_PackedInputs_FollowDesignRoles(self):
        ids, types, seg = pack_segments([[7, 8], [9], [4, 5]], CLS, SEP)
        self.assertEqual(ids, [CLS, 7, 8, SEP, 9, SEP, 4, 5, SEP])
        self.assertEqual(types, [0, 0, 0, 0, 1, 1, 1, 1, 1])
        b = collate([(ids, types, seg)], PAD, PER_SEGMENT)
        self.assertEqual(b["position_ids"][0].tolist(), [0, 1, 2, 3, 0, 1, 0, 1, 2])
        b = collate([(ids, types, seg)], PAD, CONTINUOUS)
        self.assertEqual(b["position_ids"][0].tolist(), list(range(9)))

    def test_SaveLoad_RoundTripsExactlyInFp32_AndWithinFp16RoundingInFp16(self):
        m = tiny(1, PER_SEGMENT)
        b = self.batch(m, [self.segs_a])
        with tempfile.TemporaryDirectory() as d:
            vocab = os.path.join(d, "v.txt")
            with open(vocab, "w") as f:
                f.write("\n".join(f"t{i}" for i in range(50)) + "\n")
            save_pretrained(m, os.path.join(d, "fp32"), vocab_path=vocab)
            save_pretrained(m, os.path.join(d, "fp16"), vocab_path=vocab, dtype=torch.float16)
            with torch.no_grad():
                ref = m(b)
                m32 = load_classifier(os.path.join(d, "fp32"))
                m32.eval()
                self.assertTrue(torch.equal(m32(b), ref))
                m16 = load_classifier(os.path.join(d, "fp16"))
                m16.eval()
                self.assertLess((m16(b) - ref).abs().max().item(), 1e-2)
            self.assertEqual(m32.config.tower_layers, 1)
            self.assertEqual(m32.config.position_mode, PER_SEGMENT)
            sd, _ = safetensors_io.load_file(os.path.join(d, "fp16", "model.safetensors"), dtype=None)
            self.assertEqual(sd["bert.embeddings.word_embeddings.weight"].dtype, torch.float16)
            self.assertIn("classifier.weight", sd)
            self.assertIn("bert.encoder.layer.0.attention.self.query.weight", sd)

    def test_SafetensorsHeader_IsParsableByTheSpec(self):
        import json
        import struct
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
            safetensors_io.save_file({"a": t, "b": torch.ones(1, dtype=torch.float16)}, p)
            with open(p, "rb") as f:
                raw = f.read()
            n = struct.unpack("<Q", raw[:8])[0]
            h = json.loads(raw[8:8 + n])
            self.assertEqual(h["a"], {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})
            self.assertEqual(struct.unpack("<6f", raw[8 + n:8 + n + 24]), tuple(float(i) for i in range(6)))
            self.assertEqual(h["b"]["dtype"], "F16")

    def test_Flops_TowerShareGrowsWithP_AndJointAttentionIsQuadraticInTotalLength(self):
        c = tiny(0, CONTINUOUS).config
        f0 = ev.flops([10, 20], c, 0)
        f3 = ev.flops([10, 20], c, 3)
        self.assertEqual(f0["tower"], 0)
        self.assertEqual(f3["joint"], 0)
        self.assertEqual(f0["attention"], 3 * 4 * 16 * 30 * 30)
        self.assertEqual(f3["attention"], 3 * 4 * 16 * (100 + 400))


class SplitsAreDisjoint(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(os.path.join(data.shared_dir(), "data")):
            self.skipTest("../shared/data is absent (a user's clone): split checks skipped")

    def test_NoPremiseOrClaimIsSharedBetweenTrainAndTest(self):
        exs = data.load_task("nli")
        for src in ("mnli", "snli", "fever"):
            key = 1 if src != "fever" else 0  # premise groups MNLI/SNLI, claim groups FEVER
            tr = {data._norm(e["segments"][key]) for e in exs if e["source"] == src and e["split"] == "train"}
            te = {data._norm(e["segments"][key]) for e in exs if e["source"] == src and e["split"] == "test"}
            self.assertTrue(tr and te)
            self.assertFalse(tr & te, src)


if __name__ == "__main__":
    unittest.main()
