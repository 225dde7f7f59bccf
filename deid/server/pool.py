"""Worker lanes: process pools with admission control (back-pressure, not a queue).

Scrubbing is CPU-bound Python, so the gRPC process hands every call to a pool of worker
processes. There are two lanes, each its own pool: ``text`` (short calls) and ``files``
(images, DICOM, cases; slow), so a burst of photos never makes a 40 ms text call wait
behind 1 s OCR passes. Each lane admits at most ``workers * queue_per_worker`` calls
(running plus waiting); one more is refused at once with ``server_busy`` rather than
queued without bound. A slot is freed when the worker really finishes the call, not when
the RPC returns, so a call abandoned at its deadline still counts until its worker is
free again.

A worker that dies (killed for memory, a crash in a native decoder) breaks its pool;
the lane then builds a new pool and warms it again, and the calls that were running
fail with ``worker_lost``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from deid.core.errors import EngineUnavailable, LimitExceeded
from deid.server import work

log = logging.getLogger(__name__)


class ServerBusy(LimitExceeded):
    """The lane is full: the client should retry with back-off."""

    reason = "server_busy"


class WorkerLost(EngineUnavailable):
    reason = "worker_lost"


class Lane:
    """One process pool plus its admission limit."""

    def __init__(self, name: str, workers: int, queue_per_worker: int, initargs: tuple[Any, ...],
                 nice: int = 0, max_calls: int = 0) -> None:
        self.name = name
        self.nice = nice
        self.max_calls = max_calls
        self.workers = workers
        self.capacity = workers * queue_per_worker
        self._initargs = initargs
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._executor = self._new_executor()
        self.ready = threading.Event()
        self._rebuilding = threading.Event()

    def _new_executor(self) -> cf.ProcessPoolExecutor:
        # spawn, not fork: the gRPC process has threads (and gRPC's own) that must not
        # be duplicated into a child.
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=work.init_worker,
            initargs=(*self._initargs[:1], self.name, *self._initargs[1:], self.nice),
            max_tasks_per_child=self.max_calls or None,
        )

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def warm(self, timeout: float | None = None) -> None:
        """Start every worker and wait until each has loaded its engines."""
        t0 = time.perf_counter()
        # With the spawn context a pool starts one process per submit while none is
        # idle, so `workers` pings start `workers` processes; each ping returns only
        # after that process's initializer (the warm-up) has run.
        futures = [self._executor.submit(work.ping) for _ in range(self.workers)]
        pids = {f.result(timeout=timeout) for f in futures}
        self.ready.set()
        log.info("lane %s warm: %d worker(s) in %.1f s", self.name, len(pids), time.perf_counter() - t0)

    def worker_pids(self) -> list[int]:
        procs = getattr(self._executor, "_processes", None) or {}
        return [p.pid for p in procs.values() if p.pid is not None]

    def admit(self) -> Slot:
        """Take one admission slot at once, or raise ServerBusy (never waits).

        File calls take their slot before the upload is read, so the number of uploads
        held at once (memory, spool space) is bounded by the lane's capacity too.
        """
        if not self._slots.acquire(blocking=False):
            raise ServerBusy(f"the {self.name} lane is at its limit of {self.capacity} calls; retry later")
        with self._lock:
            self._in_flight += 1
        return Slot(self)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        try:
            future = self._executor.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            threading.Thread(target=self._rebuild, name=f"rebuild-{self.name}", daemon=True).start()
            raise WorkerLost("a worker process was lost; retry", reason="worker_lost") from None
        return future

    def _release(self, future: cf.Future[Any] | None) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()
        if future is not None and not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            threading.Thread(target=self._rebuild, name=f"rebuild-{self.name}", daemon=True).start()

    @property
    def broken(self) -> bool:
        return bool(getattr(self._executor, "_broken", False))

    def check(self) -> None:
        """Rebuild the pool if a worker died while idle (called by the health monitor)."""
        if self.broken and not self._rebuilding.is_set():
            threading.Thread(target=self._rebuild, name=f"rebuild-{self.name}", daemon=True).start()

    def _rebuild(self) -> None:
        with self._lock:
            broken = self._executor
            if not getattr(broken, "_broken", False) or self._rebuilding.is_set():
                return  # someone else rebuilt it already
            self._rebuilding.set()
            log.error("lane %s: a worker process died; starting a new pool", self.name)
            self.ready.clear()
            self._executor = self._new_executor()
        try:
            broken.shutdown(wait=False, cancel_futures=True)
            self.warm()
        except Exception as exc:  # noqa: BLE001 - logged; the lane stays not ready
            log.error("lane %s: warm-up failed (%s)", self.name, type(exc).__name__)
        finally:
            self._rebuilding.clear()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop taking work; give running calls ``timeout`` seconds, then kill the workers."""
        procs = list((getattr(self._executor, "_processes", None) or {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        end = time.monotonic() + timeout
        for proc in procs:
            proc.join(max(0.0, end - time.monotonic()))
            if proc.is_alive():
                log.warning("lane %s: worker %s did not stop in time; terminating it", self.name, proc.pid)
                proc.terminate()
                proc.join(2.0)


class Slot:
    """One admitted call. Use as a context manager; ``submit`` at most once.

    The slot is freed when the submitted work finishes in its worker, or on leaving the
    ``with`` block when nothing was submitted (an upload that failed half-way).
    """

    def __init__(self, lane: Lane) -> None:
        self._lane = lane
        self._future: cf.Future[Any] | None = None
        self._released = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future[Any]:
        if self._future is not None or self._released:
            raise RuntimeError("a slot runs one call")
        try:
            self._future = self._lane._submit(fn, *args)
        except BaseException:
            self.close()
            raise
        self._future.add_done_callback(self._lane._release)
        return self._future

    def close(self) -> None:
        if self._future is None and not self._released:
            self._released = True
            self._lane._release(None)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WorkerPools:
    """The two lanes of a server."""

    def __init__(self, *, key: bytes, text_workers: int, file_workers: int, text_queue_per_worker: int,
                 file_queue_per_worker: int, temp_dir: str, spool_bytes: int, log_level: str,
                 file_worker_nice: int = 0, worker_max_calls: int = 0) -> None:
        initargs = (key, temp_dir, spool_bytes, log_level)
        self.text = Lane("text", text_workers, text_queue_per_worker, initargs, max_calls=worker_max_calls)
        self.files = Lane("files", file_workers, file_queue_per_worker, initargs, nice=file_worker_nice,
                          max_calls=worker_max_calls)

    def warm(self, timeout: float | None = None) -> None:
        # Both lanes at once: each warm-up is a few seconds of model loading.
        errors: list[BaseException] = []

        def run(lane: Lane) -> None:
            try:
                lane.warm(timeout)
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(lane,)) for lane in (self.text, self.files)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    @property
    def ready(self) -> bool:
        return all(lane.ready.is_set() and not lane.broken for lane in (self.text, self.files))

    def check(self) -> None:
        self.text.check()
        self.files.check()

    def worker_pids(self) -> list[int]:
        return self.text.worker_pids() + self.files.worker_pids()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.text.shutdown(timeout)
        self.files.shutdown(timeout)
