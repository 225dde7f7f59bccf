"""Library errors -> gRPC status codes, with messages that never quote input content.

The library's error messages are PHI-free by contract (they name kinds, sizes and limits);
anything that is not a DeidError may quote input (a parser showing bytes), so it becomes
INTERNAL with a fixed message and only its type name is logged.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import grpc

from deid.core.errors import (
    DeadlineExceeded,
    DeidError,
    InputError,
    LimitExceeded,
    WithheldError,
)

log = logging.getLogger(__name__)

REASON_KEY = "deid-reason"


class Unauthenticated(DeidError):
    reason = "unauthenticated"


class NotReady(DeidError):
    """The server is still warming its engines, or shutting down."""

    reason = "not_ready"


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str, str]:
    """(code, reason code, client-facing message) for an exception."""
    if isinstance(exc, Unauthenticated):
        return grpc.StatusCode.UNAUTHENTICATED, exc.reason, exc.message
    if isinstance(exc, NotReady):
        return grpc.StatusCode.UNAVAILABLE, exc.reason, exc.message
    if isinstance(exc, DeadlineExceeded):
        return grpc.StatusCode.DEADLINE_EXCEEDED, exc.reason, exc.message
    if isinstance(exc, InputError):
        return grpc.StatusCode.INVALID_ARGUMENT, exc.reason, exc.message
    if isinstance(exc, LimitExceeded):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, exc.reason, exc.message
    if isinstance(exc, WithheldError):
        return grpc.StatusCode.FAILED_PRECONDITION, exc.reason, f"withheld: {exc.message}"
    if isinstance(exc, DeidError):
        return grpc.StatusCode.INTERNAL, exc.reason, exc.message
    return grpc.StatusCode.INTERNAL, "internal_error", "internal error"


def abort(context: grpc.ServicerContext, exc: BaseException) -> NoReturn:
    """Finish the call with the status for ``exc`` (raises, as context.abort does)."""
    code, reason, message = status_of(exc)
    if code is grpc.StatusCode.INTERNAL:
        # Type name only: the exception text may quote input content.
        log.error("internal error in a call: %s", type(exc).__name__)
    context.set_trailing_metadata(((REASON_KEY, reason),))
    context.abort(code, f"{message} (reason: {reason})")
    raise AssertionError("unreachable")  # context.abort always raises
