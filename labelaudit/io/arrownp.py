"""Arrow arrays to numpy and back, without importing pandas.

pyarrow imports pandas the first time it converts (0.6-0.8 s, a fifth of find-issues on
10M x 10 Parquet): ``Array.to_numpy``, ``pa.array``, ``pa.scalar`` and compute calls given
Python values (which become scalars) all do. The readers convert through these functions
instead, which wrap the Arrow buffers directly; anything else falls back to pyarrow's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def _numpy_dtype(kind: Any) -> np.dtype | None:
    """The numpy dtype of a primitive Arrow integer, float32/64 or boolean type, else None."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_boolean(kind):
        return np.dtype(bool)
    if pa.types.is_integer(kind):
        sign = "i" if pa.types.is_signed_integer(kind) else "u"
        return np.dtype(f"{sign}{kind.bit_width // 8}")
    if pa.types.is_float32(kind) or pa.types.is_float64(kind):
        return np.dtype(f"f{kind.bit_width // 8}")
    return None


def _bits(buffer: Any, offset: int, length: int) -> np.ndarray:
    """*length* bits of an Arrow bitmap from bit *offset*, as a bool array."""
    import numpy as np

    raw = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(raw, count=offset + length, bitorder="little")[offset:].astype(bool)


def to_numpy(array: Any, fill: Any = None) -> np.ndarray:
    """*array* (integers, float32/64 or booleans) as numpy; its nulls, if any, become *fill*.

    Without nulls, integers and floats are a read-only view of the Arrow buffer, as
    ``to_numpy(zero_copy_only=False)`` gives. Other types, and nulls without a *fill*, go
    through pyarrow's ``to_numpy`` (which imports pandas).
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    dtype = _numpy_dtype(array.type)
    if dtype is None or (array.null_count and fill is None):
        return array.to_numpy(zero_copy_only=False)
    length, offset = len(array), array.offset
    if length == 0:
        return np.empty(0, dtype=dtype)
    data = array.buffers()[1]
    if dtype.kind == "b":
        values = _bits(data, offset, length)
    else:
        values = np.frombuffer(data, dtype=dtype, count=length, offset=offset * dtype.itemsize)
    if array.null_count:
        values = np.where(_bits(array.buffers()[0], offset, length), values, fill)
    return values


def from_numpy(values: Any) -> Any:
    """A pyarrow array of a numpy array: numbers and booleans wrapped from their buffers."""
    import numpy as np
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind in "iuf" and values.dtype.isnative:
        values = np.ascontiguousarray(values)
        dtype = pa.from_numpy_dtype(values.dtype)
        return pa.Array.from_buffers(dtype, len(values), [None, pa.py_buffer(values)])
    if values.dtype.kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    return pa.array(values)


def text_array(strings: Sequence[str]) -> Any:
    """A pyarrow ``string`` array of *strings* (no nulls), built from its buffers."""
    import numpy as np
    import pyarrow as pa

    encoded = [text.encode() for text in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)
