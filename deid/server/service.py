"""The deid.v1.Deid servicer: parse, admit, hand to a worker, stream the result back.

A thin adapter: every scrubbing decision is the library's. What lives here is the wire
protocol (chunk streams), limits (upload size, admission), deadlines and error mapping.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import logging
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, BinaryIO

import grpc

from deid.core.errors import DeadlineExceeded, InputError, LimitExceeded
from deid.core.policy import Policy
from deid.server import work
from deid.server.config import ServerConfig
from deid.server.convert import effective_policy, file_info_to_proto, report_to_proto
from deid.server.errors import NotReady, abort
from deid.server.pool import WorkerPools
from deid.server.stubs import load

pb2, pb2_grpc = load()
log = logging.getLogger(__name__)

_PART_KINDS = {
    pb2.PART_KIND_UNSPECIFIED: "",
    pb2.PART_KIND_TEXT: "text",
    pb2.PART_KIND_IMAGE: "image",
    pb2.PART_KIND_DICOM: "dicom",
}
_KIND_TO_PB = {"text": pb2.PART_KIND_TEXT, "image": pb2.PART_KIND_IMAGE, "dicom": pb2.PART_KIND_DICOM}


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map exceptions of a unary-response handler to status codes."""

    @functools.wraps(fn)
    def wrapper(self: DeidServicer, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return fn(self, request, context)
        except Exception as exc:  # noqa: BLE001 - every error gets a status, none leaks text
            if not context.is_active():
                return None  # the client has gone; nobody to answer
            abort(context, exc)

    return wrapper


def _guard_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Map exceptions of a streaming-response handler to status codes."""

    @functools.wraps(fn)
    def wrapper(self: DeidServicer, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from fn(self, request, context)
        except Exception as exc:  # noqa: BLE001
            if not context.is_active():
                return
            abort(context, exc)

    return wrapper


class _Upload:
    """An upload being received: in memory up to ``spool_bytes``, then in a private file."""

    def __init__(self, temp_dir: str, spool_bytes: int, stack: ExitStack) -> None:
        self._temp_dir = temp_dir
        self._spool_bytes = spool_bytes
        self._stack = stack
        self._buf = bytearray()
        self._fh: BinaryIO | None = None
        self.path: str | None = None
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._fh is None and len(self._buf) + len(data) > self._spool_bytes:
            fd, self.path = tempfile.mkstemp(prefix="in-", dir=self._temp_dir)
            self._stack.callback(_unlink, self.path)
            self._fh = os.fdopen(fd, "wb")
            self._stack.callback(self._fh.close)
            self._fh.write(self._buf)
            self._buf = bytearray()
        if self._fh is not None:
            self._fh.write(data)
        else:
            self._buf += data

    def source(self) -> bytes | str:
        """What a worker gets: the bytes, or the path of the spooled file."""
        if self._fh is not None:
            self._fh.close()
            assert self.path is not None
            return self.path
        return bytes(self._buf)


_END = object()


class UploadRate:
    """Slow-upload defence: after ``grace_s``, the average rate since the start must stay
    at or above ``min_bps``. A client sending one byte every few seconds satisfies an
    idle timer but not this, so it cannot hold an admission slot for long."""

    def __init__(self, min_bps: int, grace_s: float) -> None:
        self.min_bps = min_bps
        self.grace_s = grace_s
        self.t0 = time.monotonic()
        self.received = 0

    def due(self) -> float:
        """Seconds from now by which more data must arrive (inf without a check)."""
        if self.min_bps <= 0:
            return float("inf")
        return self.t0 + self.grace_s + self.received / self.min_bps - time.monotonic()

    def check(self) -> None:
        if self.due() < 0:
            raise DeadlineExceeded(
                f"the upload is slower than the minimum of {self.min_bps} bytes/s: abandoned",
                reason="upload_too_slow",
            )


def _paced(requests: Iterator[Any], idle_s: float, deadline_ts: float,
           rate: UploadRate | None = None) -> Iterator[Any]:
    """The request stream, but giving up when a chunk is late or the deadline passes.

    gRPC's request iterator blocks without a time-out, so a reader thread pumps it into a
    small bounded queue (flow control still applies) and this generator waits on the
    queue. When we give up, the handler ends the call, gRPC cancels the stream and the
    reader thread finishes.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def pump() -> None:
        item: Any = _END
        try:
            for msg in requests:
                while not stop.is_set():
                    try:
                        q.put(msg, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except Exception as exc:  # noqa: BLE001 - handed to the consumer
            item = exc
        while not stop.is_set():
            try:
                q.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    threading.Thread(target=pump, name="upload-reader", daemon=True).start()
    try:
        while True:
            wait = min(idle_s, deadline_ts - time.time())
            if wait <= 0:
                raise DeadlineExceeded("the upload did not finish before the deadline", reason="deadline_exceeded")
            rate_wait = rate.due() if rate is not None else float("inf")
            try:
                item = q.get(timeout=max(0.0, min(wait, rate_wait)))
            except queue.Empty:
                if rate is not None:
                    rate.check()
                if rate_wait < wait:
                    continue
                raise DeadlineExceeded(
                    f"no data for {idle_s:.0f} s: upload abandoned", reason="upload_idle_timeout"
                ) from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _discard_outputs(future: cf.Future[Any]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    out = future.result()
    for path in [getattr(out, "path", None), *(getattr(p, "path", None) for p in getattr(out, "parts", []))]:
        if path:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def caller_of(context: grpc.ServicerContext, *, tokens: bool = True) -> str:
    """A fingerprint of who is calling: the bearer token or the client certificate.

    Never the credential itself (the fingerprint ends up in a per-caller count and in
    the case-id derivation). ``tokens``: whether the server checks bearer tokens; when it
    does not, a token a caller sends proves nothing and is ignored (else anyone could
    claim a new identity per call to dodge the per-caller cap). "anonymous" when the
    call carries no checked credential (loopback use without tokens).
    """
    for key, value in (context.invocation_metadata() or ()) if tokens else ():
        if key == "authorization":
            raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            return "token:" + hashlib.sha256(raw.partition(b" ")[2].strip()).hexdigest()[:32]
    try:
        certs = (context.auth_context() or {}).get("x509_pem_cert") or []
    except Exception:  # noqa: BLE001 - no auth context on this transport
        certs = []
    if certs:
        return "cert:" + hashlib.sha256(certs[0]).hexdigest()[:32]
    return "anonymous"


class CallerLimit:
    """At most ``cap`` calls in flight per caller (0: no cap); beyond: ``caller_busy``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    @contextmanager
    def hold(self, caller: str) -> Iterator[None]:
        with self._lock:
            n = self._counts.get(caller, 0)
            if self.cap and n >= self.cap:
                raise CallerBusy(f"this caller already has {n} calls in flight (limit {self.cap}); retry later")
            self._counts[caller] = n + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._counts[caller] - 1
                if left:
                    self._counts[caller] = left
                else:
                    del self._counts[caller]

    def in_flight(self, caller: str) -> int:
        with self._lock:
            return self._counts.get(caller, 0)


class CallerBusy(LimitExceeded):
    reason = "caller_busy"


class DeidServicer(pb2_grpc.DeidServicer):  # type: ignore[misc, name-defined]
    """Implements deid.v1.Deid over :class:`deid.server.pool.WorkerPools`."""

    def __init__(self, cfg: ServerConfig, pools: WorkerPools, base_policy: Policy, temp_dir: str,
                 key_id: str = "", *, tokens: bool = True) -> None:
        self.cfg = cfg
        self.pools = pools
        self.base_policy = base_policy
        self.temp_dir = temp_dir
        self.key_id = key_id
        self.tokens = tokens  # bearer tokens are checked (by the interceptor)
        # Live copies of the abuse limits (tests tighten them on a running server).
        self.upload_min_bytes_per_second = cfg.upload_min_bytes_per_second
        self.upload_rate_grace_seconds = cfg.upload_rate_grace_seconds
        cap = cfg.max_calls_per_token
        if cap is None:
            cap = max(1, (pools.text.capacity + pools.files.capacity) // 2)
        self.callers = CallerLimit(cap)

    # ---- helpers ---------------------------------------------------------------------
    def _check_ready(self) -> None:
        if not self.pools.ready:
            raise NotReady("the server is warming up or shutting down; retry shortly", reason="not_ready")

    def _policy(self, raw: str) -> Policy:
        return effective_policy(self.base_policy, raw, allow_overrides=self.cfg.allow_policy_overrides)

    def _deadline(self, context: grpc.ServicerContext) -> float:
        """Absolute wall-clock deadline for the library work (shared with the workers)."""
        budget = self.cfg.max_call_seconds
        remaining = context.time_remaining()
        if remaining is not None and remaining < budget:
            budget = remaining
        if budget <= 0:
            raise DeadlineExceeded("the call's deadline has passed", reason="deadline_exceeded")
        return time.time() + budget

    @staticmethod
    def _wait(future: cf.Future[Any], context: grpc.ServicerContext, deadline_ts: float) -> Any:
        """The worker's result, or DeadlineExceeded; returns early if the client goes away."""
        done = threading.Event()
        future.add_done_callback(lambda _f: done.set())
        context.add_callback(done.set)  # called when the RPC ends (incl. client cancel)
        done.wait(max(0.0, deadline_ts - time.time()) + 0.5)
        if not future.done():
            # Nobody will read the result: delete any output file the worker still writes.
            future.add_done_callback(_discard_outputs)
            if not context.is_active():
                raise DeadlineExceeded("the client went away", reason="cancelled")
            # The worker's own timer stops the work; its slot frees when it does.
            raise DeadlineExceeded("the work did not finish before the deadline", reason="deadline_exceeded")
        return future.result()

    def _receive(self, requests: Iterator[Any], stack: ExitStack, deadline_ts: float, *,
                 case: bool) -> tuple[Any, list[Any]]:
        """Read a chunk stream: (first message's metadata, list of (part or None, _Upload))."""
        first_field = "metadata"
        rate = UploadRate(self.upload_min_bytes_per_second, self.upload_rate_grace_seconds)
        requests = _paced(requests, self.cfg.upload_idle_seconds, deadline_ts, rate)
        first = next(requests, None)
        if first is None:
            raise InputError("empty request stream", reason="malformed_stream")
        if not first.HasField(first_field):
            raise InputError(f"the first message must carry `{first_field}`", reason="malformed_stream")
        meta = getattr(first, first_field)
        if meta.size and meta.size > self.cfg.max_upload_bytes:
            raise LimitExceeded(
                f"declared upload of {meta.size} bytes exceeds the limit of {self.cfg.max_upload_bytes}",
                reason="upload_too_large",
            )
        total = 0
        uploads: list[Any] = []
        is_case = case
        msg = first
        while msg is not None:
            if msg is not first and msg.HasField(first_field):
                raise InputError(f"`{first_field}` may only appear in the first message", reason="malformed_stream")
            if is_case and msg.HasField("part"):
                uploads.append((msg.part, _Upload(self.temp_dir, self.cfg.spool_bytes, stack)))
            if msg.data:
                total += len(msg.data)
                rate.received = total
                rate.check()
                if total > self.cfg.max_upload_bytes:
                    raise LimitExceeded(
                        f"upload exceeds the limit of {self.cfg.max_upload_bytes} bytes", reason="upload_too_large"
                    )
                if is_case and not uploads:
                    raise InputError("data before the first `part`", reason="malformed_stream")
                if not uploads:
                    uploads.append((None, _Upload(self.temp_dir, self.cfg.spool_bytes, stack)))
                uploads[-1][1].write(msg.data)
            msg = next(requests, None)
        return meta, uploads

    def _chunks(self, data: bytes | None, path: str | None) -> Iterator[bytes]:
        step = self.cfg.response_chunk_bytes
        if path is not None:
            with open(path, "rb") as fh:
                while chunk := fh.read(step):
                    yield chunk
        elif data:
            view = memoryview(data)
            for i in range(0, len(view), step):
                yield bytes(view[i : i + step])

    # ---- RPCs ------------------------------------------------------------------------
    @_guard
    def ScrubText(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        self._check_ready()
        policy = self._policy(request.policy)
        deadline_ts = self._deadline(context)
        caller = caller_of(context, tokens=self.tokens)
        with self.callers.hold(caller):
            with self.pools.text.admit() as slot:
                future = slot.submit(work.scrub_text, request.text, policy, (caller, request.case_id), deadline_ts)
            out = self._wait(future, context, deadline_ts)
        return pb2.ScrubTextResponse(text=out.text, report=report_to_proto(out.report, key_id=self.key_id))

    @_guard_stream
    def ScrubImage(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:  # noqa: N802
        yield from self._scrub_file(request_iterator, context, "image")

    @_guard_stream
    def ScrubDicom(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:  # noqa: N802
        yield from self._scrub_file(request_iterator, context, "dicom")

    def _scrub_file(self, requests: Iterator[Any], context: grpc.ServicerContext, kind: str) -> Iterator[Any]:
        self._check_ready()
        with ExitStack() as stack:
            caller = caller_of(context, tokens=self.tokens)
            stack.enter_context(self.callers.hold(caller))
            # Admission before the upload: bounds the uploads held at once.
            slot = stack.enter_context(self.pools.files.admit())
            deadline_ts = self._deadline(context)  # covers the upload and the work
            meta, uploads = self._receive(requests, stack, deadline_ts, case=False)
            if not uploads or uploads[0][1].size == 0:
                raise InputError("no file data in the stream", reason="empty_input")
            policy = self._policy(meta.policy)
            source = uploads[0][1].source()
            if kind == "image":
                future = slot.submit(work.scrub_image, source, policy, (caller, meta.case_id), meta.output_format,
                                     deadline_ts)
            else:
                future = slot.submit(work.scrub_dicom, source, policy, (caller, meta.case_id), deadline_ts)
            out = self._wait(future, context, deadline_ts)
            if out.path:
                stack.callback(_unlink, out.path)
            yield pb2.FileResponse(info=file_info_to_proto(out.info))
            for chunk in self._chunks(out.data, out.path):
                yield pb2.FileResponse(data=chunk)
            yield pb2.FileResponse(report=report_to_proto(out.report, key_id=self.key_id))

    @_guard_stream
    def ScrubCase(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:  # noqa: N802
        self._check_ready()
        with ExitStack() as stack:
            caller = caller_of(context, tokens=self.tokens)
            stack.enter_context(self.callers.hold(caller))
            slot = stack.enter_context(self.pools.files.admit())
            deadline_ts = self._deadline(context)
            meta, uploads = self._receive(request_iterator, stack, deadline_ts, case=True)
            if not uploads:
                raise InputError("a case needs at least one part", reason="empty_input")
            ids = [p.id for p, _ in uploads]
            if len(set(ids)) != len(ids):
                raise InputError("part ids must be unique within a case", reason="malformed_stream")
            policy = self._policy(meta.policy)
            parts = [(_PART_KINDS.get(p.kind, ""), up.source()) for p, up in uploads]
            future = slot.submit(work.scrub_case, parts, policy, (caller, meta.case_id), deadline_ts)
            out = self._wait(future, context, deadline_ts)
            for part in out.parts:
                if part.path:
                    stack.callback(_unlink, part.path)
            for part in out.parts:
                header = pb2.PartOutput(
                    id=ids[part.index], kind=_KIND_TO_PB.get(part.kind, pb2.PART_KIND_UNSPECIFIED),
                    outcome=part.outcome, withheld_reason=part.withheld_reason, name=part.name,
                )
                if part.info:
                    header.info.CopyFrom(file_info_to_proto(part.info))
                yield pb2.CaseResponse(part=header)
                for chunk in self._chunks(part.data, part.path):
                    yield pb2.CaseResponse(data=chunk)
            report = report_to_proto(out.report, key_id=self.key_id)
            for part, sub in zip(out.parts, report.parts, strict=False):
                sub.part = ids[part.index]
            yield pb2.CaseResponse(report=report)
