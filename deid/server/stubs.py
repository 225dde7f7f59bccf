"""Access to the generated stubs, with a clear error when they were not generated."""

from __future__ import annotations

from types import ModuleType

from deid.core.errors import EngineUnavailable

GENERATE_HINT = "generate them with `python scripts/gen_protos.py` (run by scripts/setup.sh)"


def load() -> tuple[ModuleType, ModuleType]:
    """Return ``(deid_pb2, deid_pb2_grpc)``; EngineUnavailable when they are missing."""
    try:
        from deid.server._gen.deid.v1 import deid_pb2, deid_pb2_grpc
    except ImportError:
        raise EngineUnavailable(
            f"the gRPC stubs are missing: {GENERATE_HINT}", reason="stubs_missing"
        ) from None
    return deid_pb2, deid_pb2_grpc
