"""Core types shared by every scrubber: Policy, CaseContext, Finding/Report, errors."""

from deid.core.context import CaseContext, Identifier
from deid.core.errors import (
    DeadlineExceeded,
    DeidError,
    EngineUnavailable,
    InputError,
    LimitExceeded,
    WithheldError,
    reason_of,
)
from deid.core.policy import DEFAULT_POLICY, Policy
from deid.core.report import Finding, Report, Verification

__all__ = [
    "DEFAULT_POLICY",
    "CaseContext",
    "DeadlineExceeded",
    "DeidError",
    "EngineUnavailable",
    "Finding",
    "Identifier",
    "InputError",
    "LimitExceeded",
    "Policy",
    "Report",
    "Verification",
    "WithheldError",
    "reason_of",
]
