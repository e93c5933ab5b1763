"""The tiny array API the model is written against: one class per array library. The MLX engine
cannot run on Linux CI; it is kept to thin wrappers so that the shared model code is what CI proves."""
import math

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


class NumpyEngine:
    device = "cpu"

    def asarray(self, host):
        return np.asarray(host, dtype=np.float32)

    def ints(self, rows):
        return np.asarray(rows, dtype=np.int64)

    def take(self, table, ids):
        return table[ids]

    def matmul(self, a, b):
        return a @ b

    def transpose(self, x, axes):
        return np.transpose(x, axes)

    def reshape(self, x, shape):
        return x.reshape(shape)

    def exp(self, x):
        return np.exp(x)

    def tanh(self, x):
        return np.tanh(x)

    def sqrt(self, x):
        return np.sqrt(x)

    def erf(self, x):
        # numpy has no erf: math.erf elementwise is exact (to double), accumulated in float64.
        return _erf(x.astype(np.float64)).astype(np.float32)

    def mean(self, x, axis):
        return np.mean(x, axis=axis, keepdims=True)

    def max(self, x, axis):
        return np.max(x, axis=axis, keepdims=True)

    def sum(self, x, axis):
        return np.sum(x, axis=axis, keepdims=True)

    def cumsum(self, x, axis):
        return np.cumsum(x, axis=axis)

    def to_float(self, x):
        return x.astype(np.float32)

    def to_int(self, x):
        return x.astype(np.int64)

    def tolist(self, x):
        return x.astype(np.float64).tolist()


class MlxEngine(NumpyEngine):
    """mlx.core on Apple Silicon (Metal GPU), parameters in fp32, fp16 or bf16."""

    def __init__(self, dtype):
        import mlx.core as mx  # imported here so that the numpy engine never needs mlx

        self.mx = mx
        self.dtype = {"fp32": mx.float32, "fp16": mx.float16, "bf16": mx.bfloat16}[dtype]
        self.device = "gpu" if "gpu" in str(mx.default_device()) else "cpu"

    def asarray(self, host):
        return self.mx.array(np.asarray(host, dtype=np.float32)).astype(self.dtype)

    def ints(self, rows):
        return self.mx.array(np.asarray(rows, dtype=np.int32))

    def take(self, table, ids):
        return table[ids]

    def transpose(self, x, axes):
        return self.mx.transpose(x, axes)

    def reshape(self, x, shape):
        return self.mx.reshape(x, shape)

    def matmul(self, a, b):
        return self.mx.matmul(a, b)

    def exp(self, x):
        return self.mx.exp(x)

    def tanh(self, x):
        return self.mx.tanh(x)

    def sqrt(self, x):
        return self.mx.sqrt(x)

    def erf(self, x):
        return self.mx.erf(x)

    def mean(self, x, axis):
        return self.mx.mean(x, axis=axis, keepdims=True)

    def max(self, x, axis):
        return self.mx.max(x, axis=axis, keepdims=True)

    def sum(self, x, axis):
        return self.mx.sum(x, axis=axis, keepdims=True)

    def cumsum(self, x, axis):
        return self.mx.cumsum(x, axis=axis)

    def to_float(self, x):
        return x.astype(self.dtype)

    def to_int(self, x):
        return x.astype(self.mx.int32)

    def tolist(self, x):
        return np.asarray(x.astype(self.mx.float32), dtype=np.float64).tolist()
