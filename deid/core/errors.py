"""One error hierarchy for the whole library.

Every error carries a stable ``reason`` code (machine-readable, used in manifests,
gRPC status details and metrics) and a message a user can act on. Neither may ever
contain a PHI value: messages name kinds, sizes, tags and limits, not content.
"""

from __future__ import annotations


class DeidError(Exception):
    """Base class. ``reason`` is a short stable code such as ``"corrupt_file"``."""

    reason: str = "deid_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.reason


class InputError(DeidError):
    """The input is malformed or not of the kind the call expects (bad argument)."""

    reason = "invalid_input"


class LimitExceeded(DeidError):
    """The input is larger than a documented limit (size, pixels, frames, characters)."""

    reason = "limit_exceeded"


class WithheldError(DeidError):
    """The input cannot be made safe, so it is withheld: never passed through.

    Raised for corrupt or truncated files, unsupported encodings, failed verification,
    time-outs and missing engines. Callers record the ``reason`` and write no output.
    """

    reason = "withheld"


class EngineUnavailable(WithheldError):
    """A required engine (NER model, OCR, face model) cannot be loaded: fail closed."""

    reason = "engine_unavailable"


class DeadlineExceeded(WithheldError):
    """The work did not finish within its time budget; the input is withheld."""

    reason = "deadline_exceeded"


def reason_of(exc: BaseException) -> str:
    """The stable reason code for any exception, without echoing its message.

    Unknown exceptions map to ``internal_error:<TypeName>``: their messages may quote
    input content (a parser error showing bytes), so they are never surfaced.
    """
    if isinstance(exc, DeidError):
        return exc.reason
    return f"internal_error:{type(exc).__name__}"
