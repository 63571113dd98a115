"""Read and write the safetensors format with plain Python (no `safetensors` package).

Layout: 8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the raw little-endian tensor bytes. Offsets are relative to the end of the header.
"""
import json
import struct

import torch

_DTYPES = {
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.int64: ("I64", 8),
    torch.int32: ("I32", 4),
}
_BY_NAME = {v[0]: k for k, v in _DTYPES.items()}


def save_file(tensors, path, metadata=None, dtype=None):
    """tensors: dict name -> tensor. dtype: cast floating tensors to this dtype (e.g. torch.float16)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        code, _ = _DTYPES[t.dtype]
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # align the data start to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def load_file(path, dtype=torch.float32):
    """Returns (dict name -> tensor, metadata). Floating tensors are cast to `dtype`."""
    import numpy as np

    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    meta = header.pop("__metadata__", {})
    np_types = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "BF16": "<i2"}
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        arr = np.frombuffer(data[base + b:base + e], dtype=np_types[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            t = torch.from_numpy(arr.astype("<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(arr.copy())
        if t.is_floating_point() and dtype is not None:
            t = t.to(dtype)
        out[name] = t
    return out, meta
