#!/usr/bin/python3
"""Writes the small checkpoint fixtures the C# CheckpointLoader tests read.

Run with Debian's python3 (torch 1.13):  /usr/bin/python3 tests/golden/checkpoints/make_checkpoints.py
Outputs (a few KB each) sit beside this script and are committed:
  f32/model.safetensors, f16/model.safetensors, bf16/model.safetensors   single-file safetensors per dtype
  sharded/model.safetensors.index.json + two shards                     the sharded layout
  torch/pytorch_model.bin                                                torch.save zip format
  expected.json                                                          every tensor's shape and exact fp32 values
safetensors is written by hand (format: 8-byte little-endian header length, JSON header, raw data),
because the safetensors package is not installed here; that also keeps the writer independent of the
C# reader.
"""
import collections
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
               torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the 2-byte payload as int16.
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # The format pads the header with spaces to a multiple of 8 so data is aligned.
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for b in blobs:
            f.write(b)


def base_tensors(gen):
    """A BERT-like mix of shapes, including a scalar, a 0-size tensor and an integer buffer."""
    return collections.OrderedDict([
        ("embeddings.word_embeddings.weight", torch.randn(11, 8, generator=gen)),
        ("embeddings.LayerNorm.weight", torch.randn(8, generator=gen)),
        ("encoder.layer.0.attention.self.query.weight", torch.randn(8, 8, generator=gen)),
        ("encoder.layer.0.attention.self.query.bias", torch.randn(8, generator=gen)),
        ("encoder.layer.0.intermediate.dense.weight", torch.randn(2, 3, 4, generator=gen)),
        ("scalar", torch.tensor(1.5)),
        ("empty", torch.zeros(0, 4)),
    ])


def expected_entry(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.reshape(-1).float().tolist()]}


def main():
    gen = torch.Generator().manual_seed(1234)
    base = base_tensors(gen)
    position_ids = torch.arange(6, dtype=torch.int64).unsqueeze(0)
    expected = {}

    for folder, dtype in (("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)):
        tensors = collections.OrderedDict((k, v.to(dtype)) for k, v in base.items())
        tensors["embeddings.position_ids"] = position_ids
        write_safetensors(os.path.join(HERE, folder, "model.safetensors"), tensors, {"format": "pt"})
        expected[folder] = {k: expected_entry(v) for k, v in tensors.items()}

    # Sharded: the same fp32 tensors split over two files plus an index.
    names = list(base.keys())
    shard_names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    shards = [collections.OrderedDict((k, base[k]) for k in names[:3]),
              collections.OrderedDict((k, base[k]) for k in names[3:])]
    weight_map = {}
    for shard_name, shard in zip(shard_names, shards):
        write_safetensors(os.path.join(HERE, "sharded", shard_name), shard)
        for k in shard:
            weight_map[k] = shard_name
    with open(os.path.join(HERE, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)
    expected["sharded"] = {k: expected_entry(v) for k, v in base.items()}

    # torch zip: mixed storage types, a non-contiguous view, two views of one storage, a Parameter.
    shared = torch.randn(20, generator=gen)
    state = collections.OrderedDict()
    state["dense.weight"] = torch.nn.Parameter(torch.randn(3, 5, generator=gen), requires_grad=False)
    state["dense.bias"] = torch.randn(3, generator=gen)
    state["half.weight"] = torch.randn(4, 2, generator=gen).half()
    state["bf16.weight"] = torch.randn(2, 3, generator=gen).bfloat16()
    state["double.weight"] = torch.randn(3, generator=gen).double()
    state["transposed.weight"] = torch.randn(4, 3, generator=gen).t()          # strides (1, 3)
    state["shared.first"] = shared[:8].view(2, 4)                              # offset 0
    state["shared.second"] = shared[10:16].view(3, 2)                          # offset 10, same storage
    state["embeddings.position_ids"] = torch.arange(7).unsqueeze(0)            # LongStorage
    state["scalar"] = torch.tensor(-2.25)
    assert not state["transposed.weight"].is_contiguous()
    os.makedirs(os.path.join(HERE, "torch"), exist_ok=True)
    torch.save(state, os.path.join(HERE, "torch", "pytorch_model.bin"))
    expected["torch"] = {k: expected_entry(v.detach()) for k, v in state.items()}

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
