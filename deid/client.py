"""A small Python client for the deid gRPC service (``deid.v1.Deid``).

    from deid.client import DeidClient

    with DeidClient("localhost:50051", token=os.environ["DEID_TOKEN"]) as client:
        result = client.scrub_text("Seen by Dr. Jane Roe on 2021-03-04.")
        print(result.text, result.report.counts_by_kind())
        photo = client.scrub_image(Path("wound.jpg"))          # streamed in chunks
        dcm = client.scrub_dicom(Path("us_clip.dcm"))

Files are sent as a stream of chunks (never one big message) and the output comes back
the same way. Results mirror the library's (``.text`` / ``.data`` and ``.report``, a
:class:`deid.core.report.Report`); errors are raised as the library's own types
(InputError, LimitExceeded, WithheldError, DeadlineExceeded) with the server's reason
code, so code that calls the library directly or through the service looks the same.
Calls refused with ``server_busy`` (back-pressure) are retried with back-off.

This module is the one place of the library outside ``deid/server/`` that knows gRPC: it
needs the stubs generated into ``deid/server/_gen`` by ``scripts/gen_protos.py``, loaded
through ``deid.server.stubs`` (which imports no server machinery).
"""

from __future__ import annotations

import io
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import grpc

from deid.core.errors import (
    DeadlineExceeded,
    DeidError,
    InputError,
    LimitExceeded,
    WithheldError,
)
from deid.core.policy import Policy
from deid.core.report import Finding, Report, Verification
from deid.server.stubs import load as load_stubs

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
REASON_KEY = "deid-reason"
T = TypeVar("T")

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO
PolicyArg = Policy | Mapping[str, Any] | str | None


class RemoteError(DeidError):
    """A gRPC failure that has no library equivalent (UNAUTHENTICATED, UNAVAILABLE, ...)."""

    def __init__(self, message: str, *, reason: str, code: grpc.StatusCode) -> None:
        super().__init__(message, reason=reason)
        self.code = code


class AuthenticationError(RemoteError):
    """The server refused the credentials (missing or wrong token, bad client cert)."""


@dataclass(slots=True)
class RemoteTextResult:
    text: str
    report: Report


@dataclass(slots=True)
class RemoteFileResult:
    """A scrubbed image or DICOM file. Image fields or DICOM fields are set by kind."""

    data: bytes = field(repr=False)
    report: Report
    format: str = ""
    width: int = 0
    height: int = 0
    sop_instance_uid: str = ""
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    modality: str = ""


@dataclass(slots=True)
class RemotePart:
    """One output part of a case (``data`` is None when withheld)."""

    id: str
    kind: str
    outcome: str
    withheld_reason: str
    name: str
    data: bytes | None = field(default=None, repr=False)
    info: dict[str, Any] = field(default_factory=dict)
    report: Report | None = None

    @property
    def withheld(self) -> bool:
        return self.outcome == "withheld"

    @property
    def text(self) -> str | None:
        return self.data.decode("utf-8") if self.kind == "text" and self.data is not None else None


@dataclass(slots=True)
class RemoteCaseResult:
    parts: list[RemotePart]
    report: Report


@dataclass(slots=True)
class CaseInput:
    """One part of a case for :meth:`DeidClient.scrub_case`.

    ``id`` is a label echoed back (not a file name: it must not carry PHI); ``kind`` is
    "text", "image", "dicom" or "" to let the server sniff the content.
    """

    source: Source | str
    kind: str = ""
    id: str = ""


def _policy_text(policy: PolicyArg) -> str:
    import json

    if policy is None:
        return ""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, Policy):
        return json.dumps(policy.to_dict())
    return json.dumps(dict(policy))


def report_from_proto(msg: Any) -> Report:
    """The library Report for a wire Report (client side)."""
    findings = []
    for f in msg.findings:
        findings.append(Finding(
            kind=f.kind, action=f.action, score=f.score, source=f.source,
            span=(f.span.start, f.span.end) if f.HasField("span") else None,
            box=(f.box.x, f.box.y, f.box.width, f.box.height) if f.HasField("box") else None,
            frame=f.frame if f.HasField("frame") else None,
            tag=f.tag or None, part=f.part or None,
        ))
    verification = None
    if msg.HasField("verification"):
        v = msg.verification
        verification = Verification(ran=v.ran, passed=v.passed, detail=v.detail, residual=v.residual)
    return Report(
        input_kind=msg.input_kind,
        outcome="withheld" if msg.outcome == "withheld" else "scrubbed",
        findings=findings,
        withheld_reason=msg.withheld_reason or None,
        withheld_detail=msg.withheld_detail or None,
        verification=verification,
        notes=list(msg.notes),
        residual_risk=list(msg.residual_risk),
        timings=dict(msg.timings),
        parts=[report_from_proto(p) for p in msg.parts],
        key_id=msg.key_id or None,
    )


def _error_from_rpc(err: grpc.RpcError) -> DeidError:
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else "") or ""
    reason = ""
    trailing = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    for k, v in trailing or ():
        if k == REASON_KEY:
            reason = v
    message = details.rsplit(" (reason:", 1)[0] or code.name
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InputError(message, reason=reason or "invalid_input")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        # Without our reason code it came from gRPC itself (its concurrent-RPC cap, a
        # message over its size limit says so in the details): busy unless it is size.
        if not reason:
            reason = "message_too_large" if "larger than max" in details else "server_busy"
        return LimitExceeded(message, reason=reason)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return WithheldError(message.removeprefix("withheld: "), reason=reason or "withheld")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(message, reason=reason or "deadline_exceeded")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return AuthenticationError(message, reason=reason or "unauthenticated", code=code)
    return RemoteError(message, reason=reason or code.name.lower(), code=code)


def _chunks_of(source: Source | str, chunk: int) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for i in range(0, len(view), chunk):
            yield bytes(view[i : i + chunk])
        return
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            while block := fh.read(chunk):
                yield block
        return
    while block := source.read(chunk):
        yield block


def _size_of(source: Source | str) -> int:
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    return 0


class DeidClient:
    """Client for ``deid.v1.Deid``.

    ``address``: "host:port". ``token``: bearer token sent as ``authorization``.
    ``root_cert``: PEM bytes or a path; set it (or ``tls=True`` for the system roots) to
    use TLS. ``client_cert``/``client_key``: for mutual TLS. ``timeout``: per-call
    deadline in seconds. ``retries``: attempts after a ``server_busy`` or UNAVAILABLE
    refusal (exponential back-off with jitter).
    """

    def __init__(self, address: str, *, token: str | None = None, root_cert: bytes | str | os.PathLike[str] | None = None,
                 client_cert: bytes | str | os.PathLike[str] | None = None,
                 client_key: bytes | str | os.PathLike[str] | None = None,
                 timeout: float = 60.0, tls: bool | None = None, retries: int = 5,
                 chunk_bytes: int = CHUNK_BYTES, max_message_bytes: int = 4 * 1024 * 1024,
                 server_name: str | None = None) -> None:
        self._pb2, pb2_grpc = load_stubs()
        self.timeout = timeout
        self.retries = retries
        self.chunk_bytes = chunk_bytes
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        use_tls = tls if tls is not None else bool(root_cert or client_cert)
        if use_tls:
            creds = grpc.ssl_channel_credentials(
                root_certificates=_pem(root_cert), private_key=_pem(client_key), certificate_chain=_pem(client_cert),
            )
            self._channel = grpc.secure_channel(address, creds, options=options)
        else:
            self._channel = grpc.insecure_channel(address, options=options)
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        self._stub = pb2_grpc.DeidStub(self._channel)

    # ---- plumbing --------------------------------------------------------------------
    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> DeidClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait_ready(self, timeout: float = 30.0, *, poll: float = 0.2) -> None:
        """Block until the server's health service says SERVING (engines warm).

        A connected channel is not enough: the server answers health checks at once but
        refuses work (``not_ready``) until every worker has loaded its engines. Raises
        :class:`RemoteError` (``not_serving``, UNAVAILABLE) when ``timeout`` passes first.
        """
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        end = time.monotonic() + timeout
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise RemoteError("the server did not answer in time", reason="not_serving",
                              code=grpc.StatusCode.UNAVAILABLE) from None
        stub = health_pb2_grpc.HealthStub(self._channel)
        request = health_pb2.HealthCheckRequest(service="deid.v1.Deid")
        while True:
            left = end - time.monotonic()
            try:
                status = stub.Check(request, timeout=max(0.1, min(5.0, left)))
                if status.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass  # NOT_FOUND / UNAVAILABLE while starting: keep polling
            if time.monotonic() + poll > end:
                raise RemoteError("the server is not SERVING yet (warming up or shutting down)",
                                  reason="not_serving", code=grpc.StatusCode.UNAVAILABLE)
            time.sleep(poll)

    def _call(self, fn: Callable[[], T]) -> T:
        delay = 0.05
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except grpc.RpcError as err:
                error = _error_from_rpc(err)
                busy = error.reason in ("server_busy", "caller_busy", "not_ready") or (
                    isinstance(error, RemoteError) and error.code == grpc.StatusCode.UNAVAILABLE
                )
                if not busy or attempt == self.retries:
                    raise error from None
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
            delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    # ---- RPCs ------------------------------------------------------------------------
    def scrub_text(self, text: str, policy: PolicyArg = None, *, case_id: str = "",
                   timeout: float | None = None) -> RemoteTextResult:
        """Scrub one text; returns ``.text`` and ``.report``."""
        request = self._pb2.ScrubTextRequest(text=text, policy=_policy_text(policy), case_id=case_id)
        response = self._call(lambda: self._stub.ScrubText(
            request, timeout=timeout or self.timeout, metadata=self._metadata))
        return RemoteTextResult(text=response.text, report=report_from_proto(response.report))

    def scrub_image(self, source: Source, policy: PolicyArg = None, *, case_id: str = "",
                    output_format: str | None = None, timeout: float | None = None) -> RemoteFileResult:
        """Scrub a photo (bytes, a path or a binary file object), streamed in chunks."""
        meta = self._pb2.FileMetadata(policy=_policy_text(policy), case_id=case_id,
                                      output_format=output_format or "", size=_size_of(source))
        return self._file(self._stub.ScrubImage, meta, source, timeout)

    def scrub_dicom(self, source: Source, policy: PolicyArg = None, *, case_id: str = "",
                    timeout: float | None = None) -> RemoteFileResult:
        """Scrub a DICOM file (bytes, a path or a binary file object), streamed in chunks."""
        meta = self._pb2.FileMetadata(policy=_policy_text(policy), case_id=case_id, size=_size_of(source))
        return self._file(self._stub.ScrubDicom, meta, source, timeout)

    def _file(self, method: Any, meta: Any, source: Source, timeout: float | None) -> RemoteFileResult:
        source = _rewindable(source)

        def requests() -> Iterator[Any]:
            if hasattr(source, "seek"):
                source.seek(0)
            yield self._pb2.FileRequest(metadata=meta)
            for block in _chunks_of(source, self.chunk_bytes):
                yield self._pb2.FileRequest(data=block)

        def run() -> RemoteFileResult:
            info = None
            buf = io.BytesIO()
            report = None
            for msg in method(requests(), timeout=timeout or self.timeout, metadata=self._metadata):
                if msg.HasField("info"):
                    info = msg.info
                if msg.data:
                    buf.write(msg.data)
                if msg.HasField("report"):
                    report = report_from_proto(msg.report)
            if info is None or report is None:
                raise RemoteError("the server's answer was incomplete", reason="incomplete_response",
                                  code=grpc.StatusCode.INTERNAL)
            return RemoteFileResult(
                data=buf.getvalue(), report=report, format=info.format, width=info.width, height=info.height,
                sop_instance_uid=info.sop_instance_uid, study_instance_uid=info.study_instance_uid,
                series_instance_uid=info.series_instance_uid, modality=info.modality,
            )

        return self._call(run)

    def scrub_case(self, parts: Iterable[CaseInput | Source | str], policy: PolicyArg = None, *,
                   case_id: str = "", timeout: float | None = None) -> RemoteCaseResult:
        """Scrub all parts of one case under one case context on the server.

        ``parts``: :class:`CaseInput`, or bare sources (bytes or paths; kind sniffed by
        the server). A ``str`` that is not an existing path is sent as text.
        """
        pb2 = self._pb2
        kinds = {"": pb2.PART_KIND_UNSPECIFIED, "text": pb2.PART_KIND_TEXT,
                 "image": pb2.PART_KIND_IMAGE, "dicom": pb2.PART_KIND_DICOM}
        names = {v: k for k, v in kinds.items()}
        items: list[CaseInput] = []
        for i, p in enumerate(parts):
            item = p if isinstance(p, CaseInput) else CaseInput(p)  # type: ignore[arg-type]
            if isinstance(item.source, str) and not os.path.exists(item.source):
                item = CaseInput(item.source.encode("utf-8"), kind=item.kind or "text", id=item.id)
            if item.kind not in kinds:
                raise InputError(f"unknown part kind {item.kind!r}", reason="invalid_input")
            items.append(CaseInput(_rewindable(item.source), kind=item.kind, id=item.id or f"part:{i}"))
        total = sum(_size_of(i.source) for i in items)

        def requests() -> Iterator[Any]:
            yield pb2.CaseRequest(metadata=pb2.CaseMetadata(policy=_policy_text(policy), case_id=case_id, size=total))
            for item in items:
                if hasattr(item.source, "seek"):
                    item.source.seek(0)  # type: ignore[union-attr]
                yield pb2.CaseRequest(part=pb2.PartStart(id=item.id, kind=kinds[item.kind], size=_size_of(item.source)))
                for block in _chunks_of(item.source, self.chunk_bytes):
                    yield pb2.CaseRequest(data=block)

        def run() -> RemoteCaseResult:
            out: list[RemotePart] = []
            bufs: list[io.BytesIO] = []
            report = None
            for msg in self._stub.ScrubCase(requests(), timeout=timeout or self.timeout, metadata=self._metadata):
                if msg.HasField("part"):
                    p = msg.part
                    info = {f.name: v for f, v in p.info.ListFields()} if p.HasField("info") else {}
                    out.append(RemotePart(id=p.id, kind=names.get(p.kind, ""), outcome=p.outcome,
                                          withheld_reason=p.withheld_reason, name=p.name, info=info))
                    bufs.append(io.BytesIO())
                if msg.data:
                    if not bufs:
                        raise RemoteError("data before a part header", reason="incomplete_response",
                                          code=grpc.StatusCode.INTERNAL)
                    bufs[-1].write(msg.data)
                if msg.HasField("report"):
                    report = report_from_proto(msg.report)
                    sub_ids = [s.part for s in msg.report.parts]
            if report is None:
                raise RemoteError("the server's answer was incomplete", reason="incomplete_response",
                                  code=grpc.StatusCode.INTERNAL)
            by_id = dict(zip(sub_ids, report.parts, strict=False))
            for part, buf in zip(out, bufs, strict=True):
                part.data = None if part.withheld else buf.getvalue()
                part.report = by_id.get(part.id)
            return RemoteCaseResult(parts=out, report=report)

        return self._call(run)


def _pem(value: bytes | str | os.PathLike[str] | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return Path(value).read_bytes()


def _rewindable(source: Any) -> Any:
    # A retry must send the whole input again: a stream that cannot seek is read once.
    if hasattr(source, "read") and not (hasattr(source, "seekable") and source.seekable()):
        return source.read()
    return source
