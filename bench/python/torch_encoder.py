#!/usr/bin/python3
"""Torch side of the engine benchmark (bench/README.md, "Engine").

Writes random BERT encoders (config.json + fp32 model.safetensors) and the benchmark inputs to --out,
then times the same forward passes in PyTorch 1.13 (inference_mode) and writes torch_results.json.
The C# side (bench/Lait.Bench.Engine) loads the same files and times the engine.
Run through bench/run-engine-bench.sh, which runs it under the OPENBLAS_CORETYPE that is fastest here.
"""
import argparse
import json
import math
import os
import statistics
import struct
import time

import torch
import torch.nn.functional as F

MODELS = {
    "bert-6x384": dict(layers=6, hidden=384, heads=12, inter=1536),
    "bert-12x768": dict(layers=12, hidden=768, heads=12, inter=3072),
}
VOCAB = 8192
MAXPOS = 512


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    names = sorted(tensors)
    for n in names:
        size = tensors[n].numel() * 4
        header[n] = {"dtype": "F32", "shape": list(tensors[n].shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for n in names:
            f.write(tensors[n].contiguous().numpy().astype("<f4").tobytes())


def make_model(out, name, spec, seed, write=True):
    g = torch.Generator().manual_seed(seed)
    h, i = spec["hidden"], spec["inter"]

    def rnd(*shape, std=0.05):
        return torch.randn(*shape, generator=g) * std

    w = {"embeddings.word_embeddings.weight": rnd(VOCAB, h, std=0.5), "embeddings.position_embeddings.weight": rnd(MAXPOS, h, std=0.5),
         "embeddings.token_type_embeddings.weight": rnd(2, h, std=0.5),
         "embeddings.LayerNorm.weight": 1 + rnd(h), "embeddings.LayerNorm.bias": rnd(h)}
    for l in range(spec["layers"]):
        p = f"encoder.layer.{l}."
        for n, (o, k) in {"attention.self.query": (h, h), "attention.self.key": (h, h), "attention.self.value": (h, h),
                          "attention.output.dense": (h, h), "intermediate.dense": (i, h), "output.dense": (h, i)}.items():
            w[p + n + ".weight"] = rnd(o, k)
            w[p + n + ".bias"] = rnd(o)
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + n + ".weight"] = 1 + rnd(h)
            w[p + n + ".bias"] = rnd(h)
    if not write:
        return w  # same seed, same weights as the files already written
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    config = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": VOCAB, "hidden_size": h,
              "num_hidden_layers": spec["layers"], "num_attention_heads": spec["heads"], "intermediate_size": i,
              "hidden_act": "gelu", "layer_norm_eps": 1e-12, "max_position_embeddings": MAXPOS, "type_vocab_size": 2, "pad_token_id": 0}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(os.path.join(d, "model.safetensors"), w)
    return w


class TorchBert:
    """The standard BERT forward (as HF BertModel computes it), functional, fp32."""

    def __init__(self, w, spec):
        self.w, self.spec = w, spec

    def embed(self, ids, types, pos):
        w = self.w
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos] + w["embeddings.token_type_embeddings.weight"][types]
        return F.layer_norm(x, (x.shape[-1],), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], 1e-12)

    def layers(self, x, first, last):
        w, heads = self.w, self.spec["heads"]
        b, t, h = x.shape
        d = h // heads
        for l in range(first, last):
            p = f"encoder.layer.{l}."

            def lin(n, y):
                return F.linear(y, w[p + n + ".weight"], w[p + n + ".bias"])

            q = lin("attention.self.query", x).view(b, t, heads, d).transpose(1, 2)
            k = lin("attention.self.key", x).view(b, t, heads, d).transpose(1, 2)
            v = lin("attention.self.value", x).view(b, t, heads, d).transpose(1, 2)
            probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
            ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
            x = F.layer_norm(x + lin("attention.output.dense", ctx), (h,), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], 1e-12)
            f = F.gelu(lin("intermediate.dense", x))
            x = F.layer_norm(x + lin("output.dense", f), (h,), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], 1e-12)
        return x


def timed(fn, iterations):
    for _ in range(3):
        fn()
    samples, cpu = [], []
    for _ in range(iterations):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    # process_time = CLOCK_PROCESS_CPUTIME_ID: CPU of all threads (torch's and OpenBLAS's), robust to a shared machine.
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "cpu_ms": statistics.median(cpu), "iterations": iterations}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--iterations", type=int, default=15)
    ap.add_argument("--reuse-models", action="store_true", help="keep the model files and inputs already in --out")
    ap.add_argument("--threads", default="1,2", help="torch.set_num_threads values to time")
    ap.add_argument("--results", default="torch_results.json", help="output file name in --out")
    args = ap.parse_args()
    print("OPENBLAS_CORETYPE:", os.environ.get("OPENBLAS_CORETYPE", "(unset)"))
    os.makedirs(args.out, exist_ok=True)

    g = torch.Generator().manual_seed(5)
    # Scenarios: (name, model, batch, seq). A sequence is two segments (claim, evidence) of seq/2 tokens.
    scenarios = [("6x384 seq128 b1", "bert-6x384", 1, 128), ("6x384 seq128 b16", "bert-6x384", 16, 128),
                 ("12x768 seq256 b1", "bert-12x768", 1, 256)]
    inputs = {}
    for name, model, batch, seq in scenarios:
        inputs[name] = {"model": model, "ids": torch.randint(1, VOCAB, (batch, seq), generator=g).tolist(), "split": seq // 2}
    if not args.reuse_models:
        with open(os.path.join(args.out, "inputs.json"), "w") as f:
            json.dump(inputs, f)

    weights = {name: make_model(args.out, name, spec, 11 + k, write=not args.reuse_models) for k, (name, spec) in enumerate(MODELS.items())}
    print(f"torch {torch.__version__}, OpenBLAS threads from env: {os.environ.get('OPENBLAS_NUM_THREADS', '(default = cores)')}", flush=True)
    results = {"torch": torch.__version__, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""), "results": {}}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        for name, model, batch, seq in scenarios:
            spec = MODELS[model]
            m = TorchBert(weights[model], spec)
            ids = torch.tensor(inputs[name]["ids"])
            half = seq // 2
            types = torch.cat([torch.zeros(batch, half, dtype=torch.long), torch.ones(batch, seq - half, dtype=torch.long)], 1)
            pos = torch.arange(seq)[None].expand(batch, seq)
            tower_layers = spec["layers"] // 2
            # LAIT parts at P = L/2 with per-segment positions: towers = the 2*batch segments as one batch.
            seg_ids = torch.cat([ids[:, :half], ids[:, half:]], 0)
            seg_types = torch.cat([torch.zeros(batch, half, dtype=torch.long), torch.ones(batch, seq - half, dtype=torch.long)], 0)
            seg_pos = torch.arange(half)[None].expand(2 * batch, half)
            with torch.inference_mode():
                tower_out = m.layers(m.embed(seg_ids, seg_types, seg_pos), 0, tower_layers)
                joint_in = torch.cat([tower_out[:batch], tower_out[batch:]], 1).contiguous()
                iters = args.iterations if seq * batch <= 256 else max(5, args.iterations // 3)
                r = {
                    "full": timed(lambda: m.layers(m.embed(ids, types, pos), 0, spec["layers"]), iters),
                    "tower": timed(lambda: m.layers(m.embed(seg_ids, seg_types, seg_pos), 0, tower_layers), iters),
                    "joint": timed(lambda: m.layers(joint_in, tower_layers, spec["layers"]), iters),
                }
            results["results"][f"{name} torch_threads={threads}"] = r
            print(f"torch threads={threads} {name}: " + ", ".join(f"{k} {v['median_ms']:.2f} ms (cpu {v['cpu_ms']:.2f})" for k, v in r.items()), flush=True)
    with open(os.path.join(args.out, args.results), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
