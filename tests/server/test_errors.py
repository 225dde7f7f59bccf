"""Error mapping: library errors to status codes, no content in INTERNAL errors."""

from __future__ import annotations

import grpc

from deid.core.errors import (
    DeadlineExceeded,
    EngineUnavailable,
    InputError,
    LimitExceeded,
    WithheldError,
)
from deid.server.errors import NotReady, Unauthenticated, status_of
from deid.server.pool import ServerBusy, WorkerLost


def test_status_mapping():
    cases = [
        (InputError("bad", reason="corrupt_file"), grpc.StatusCode.INVALID_ARGUMENT, "corrupt_file"),
        (LimitExceeded("big"), grpc.StatusCode.RESOURCE_EXHAUSTED, "limit_exceeded"),
        (ServerBusy("busy"), grpc.StatusCode.RESOURCE_EXHAUSTED, "server_busy"),
        (WithheldError("no", reason="unsupported_transfer_syntax"), grpc.StatusCode.FAILED_PRECONDITION,
         "unsupported_transfer_syntax"),
        (EngineUnavailable("ocr"), grpc.StatusCode.FAILED_PRECONDITION, "engine_unavailable"),
        (WorkerLost("gone"), grpc.StatusCode.FAILED_PRECONDITION, "worker_lost"),
        (DeadlineExceeded("late"), grpc.StatusCode.DEADLINE_EXCEEDED, "deadline_exceeded"),
        (Unauthenticated("who"), grpc.StatusCode.UNAUTHENTICATED, "unauthenticated"),
        (NotReady("warming"), grpc.StatusCode.UNAVAILABLE, "not_ready"),
    ]
    for exc, code, reason in cases:
        assert status_of(exc)[:2] == (code, reason), type(exc).__name__


def test_unknown_errors_are_internal_without_their_message():
    planted = "Patient Zebadiah Quillfeather"
    code, reason, message = status_of(ValueError(f"cannot parse {planted!r}"))
    assert code == grpc.StatusCode.INTERNAL and reason == "internal_error"
    assert "Quillfeather" not in message
