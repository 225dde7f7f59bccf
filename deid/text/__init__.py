"""Clinical free-text scrubbing: Presidio analyzer + medical recognizers -> operators.

Public API::

    scrub_text(text, policy=None, context=None) -> TextResult(text, report)
    scrub_texts(texts, policy=None, context=None) -> list[TextResult]   # nlp.pipe batch
    find_phi(text, policy=None, context=None) -> list[Detection]        # detection only
    find_phi_many(texts, policy=None, context=None) -> list[list[Detection]]
    warm_up() -> None                                                   # load engines now

Detection is separate from transformation (as in Presidio): ``find_phi`` returns kinds,
spans and scores; operators in :mod:`deid.text.operators` replace them.
"""

from deid.text.api import (
    Detection,
    TextResult,
    find_phi,
    find_phi_many,
    scrub_text,
    scrub_texts,
    warm_up,
)

__all__ = [
    "Detection",
    "TextResult",
    "find_phi",
    "find_phi_many",
    "scrub_text",
    "scrub_texts",
    "warm_up",
]
