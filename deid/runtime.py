"""Per-process runtime shared by batch workers and server workers.

Two things every process that scrubs needs, written once:

* **Engine lifecycle**: the heavy engines (spaCy for text, OCR and face detection for
  images) load once per process, lazily, through :func:`load_engine`;
  :func:`warm_engines` is the forgiving form used by batch and Dask workers (an engine
  that cannot load is logged, and its parts are withheld later). Third-party loggers are
  held at WARNING again afterwards (RapidOCR resets its own level on import).
* **Time budget**: a SIGALRM timer around the library call. The timer re-arms every
  0.25 s: code that catches the first alarm (to withhold one part and go on to the next)
  is interrupted again, so every part left is withheld, never passed through. Signals
  reach only a process's main thread; :func:`time_budget` does nothing elsewhere (Dask
  worker threads), :func:`deadline_budget` (server workers, always a main thread) does
  not check. :func:`alarms_delivered` counts the alarms this process took, so a caller
  can tell that some code swallowed one.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from deid.core.errors import DeadlineExceeded, reason_of

log = logging.getLogger(__name__)

ENGINE_KINDS = frozenset({"text", "image"})  # part kinds whose engines are heavy

_WARMED: set[str] = set()
_WARM = [False]  # True once this process started loading an engine
_ALARMS = [0]  # alarms delivered in this process (the handler counts before raising)
_MESSAGE = ["the case's time budget ran out"]  # what the armed budget raises with


# -- engines --------------------------------------------------------------------------


def load_engine(kind: str, policy: Any = None) -> None:
    """Import and warm the engine of ``kind`` ("text" or "image"); errors propagate."""
    if kind == "text":
        import deid.text

        deid.text.warm_up()
    elif kind == "image":
        import deid.image

        if policy is None:
            deid.image.warm_up()
        else:
            deid.image.warm_up(policy)
    else:
        raise ValueError(f"no engine for part kind {kind!r}")


def warm_engines(policy_data: dict[str, Any] | None = None, kinds: Any = None) -> None:
    """Load the engines that parts of ``kinds`` need, once in this process.

    "text" parts need the NLP engine, "image" parts the OCR and face engines. Called
    with no kinds (a worker's start) it loads nothing: engines load when a part first
    needs them, so a DICOM series whose descriptors are all known vocabulary and whose
    pixels need no OCR never pays for them (measured: 20 s of NLP + OCR start-up).
    """
    wanted = ENGINE_KINDS & set(kinds or ())
    if not wanted - _WARMED:
        return
    _WARM[0] = True
    from deid.core.policy import Policy

    policy = Policy.from_dict(policy_data)
    steps: list[tuple[str, Any]] = []
    try:
        if "text" in wanted - _WARMED:
            import deid.text

            steps.append(("deid.text", deid.text.warm_up))
        if "image" in wanted - _WARMED:
            import deid.image

            steps.append(("deid.image", lambda: deid.image.warm_up(policy)))
    except Exception as exc:  # noqa: BLE001 - a missing engine withholds parts later
        log.warning("could not import an engine module (%s); its parts will be withheld", reason_of(exc))
    _WARMED.update(wanted)
    for module, warm in steps:
        try:
            warm()
        except Exception as exc:  # noqa: BLE001 - a missing engine withholds parts later
            log.warning("could not warm %s (%s); its parts will be withheld", module, reason_of(exc))
    from deid.core.logconfig import hold_third_party_loggers

    hold_third_party_loggers()  # after the imports: RapidOCR resets its level on import


def is_warm() -> bool:
    """True once this process loaded (or tried to load) an engine."""
    return _WARM[0]


# -- time budget ----------------------------------------------------------------------


def _raise_deadline(signum: int, frame: Any) -> None:
    _ALARMS[0] += 1
    raise DeadlineExceeded(_MESSAGE[0], reason="deadline_exceeded")


def alarms_delivered() -> int:
    """How many budget alarms this process has taken so far."""
    return _ALARMS[0]


@contextlib.contextmanager
def _armed(seconds: float, message: str) -> Iterator[None]:
    old = signal.signal(signal.SIGALRM, _raise_deadline)
    old_message, _MESSAGE[0] = _MESSAGE[0], message
    before = _ALARMS[0]
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        _MESSAGE[0] = old_message
    if _ALARMS[0] != before:
        # The block ended normally although an alarm fired in it: some library code (or a
        # broad ``except Exception``) caught the alarm and carried on with half a pass.
        # Its result is never trusted, for the batch worker and the server alike.
        raise DeadlineExceeded(message, reason="deadline_exceeded")


@contextlib.contextmanager
def time_budget(seconds: float, message: str = "the case's time budget ran out") -> Iterator[None]:
    """``seconds`` of wall time for the block (SIGALRM), in a process's main thread only.

    No budget when ``seconds <= 0``, off the main thread (Dask worker threads cannot take
    signals) or where the platform has no ``setitimer``.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    with _armed(seconds, message):
        yield


@contextlib.contextmanager
def deadline_budget(deadline_ts: float, message: str = "the call's time budget ran out") -> Iterator[None]:
    """The block must end by ``deadline_ts`` (``time.time()``); refused when already past."""
    remaining = deadline_ts - time.time()
    if remaining <= 0:
        # Waited in the queue past its deadline: do no work at all.
        raise DeadlineExceeded("the call's deadline passed before work began", reason="deadline_exceeded")
    with _armed(remaining, message):
        yield
