"""A safetensors reader without the safetensors package: an 8-byte little-endian header length, a
JSON header of {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes."""
import json
import struct

import numpy as np


def _bf16_to_f32(raw):
    # bfloat16 is the top half of a float32: shift it back into place.
    return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)


_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def load_safetensors(path):
    """Returns {name: float32 numpy array} (host arrays: an engine converts them to its own)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length].decode("utf-8"))
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = data[base + start : base + end]
        dtype = entry["dtype"]
        if dtype == "BF16":
            array = _bf16_to_f32(raw)
        elif dtype in _DTYPES:
            array = np.frombuffer(raw, dtype=_DTYPES[dtype]).astype(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {dtype}; supported: F32, F16, BF16, F64")
        tensors[name] = array.reshape(entry["shape"])
    return tensors
