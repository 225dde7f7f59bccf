"""Server interceptors: access log (outermost) and bearer-token authentication.

Access log lines carry the method, status, reason code, message counts and sizes,
duration and peer address: never request or response content.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import grpc

from deid.server.errors import REASON_KEY

access_log = logging.getLogger("server.access")
log = logging.getLogger(__name__)

# Health checks stay open: container probes and load balancers call them without a
# token. They reveal nothing but SERVING / NOT_SERVING.
OPEN_METHODS_PREFIXES = ("/grpc.health.v1.Health/",)


def _size(msg: Any) -> int:
    try:
        return int(msg.ByteSize())
    except Exception:  # noqa: BLE001 - a size is only for the log
        return 0


class _Counter:
    __slots__ = ("count", "bytes")

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    def add(self, msg: Any) -> Any:
        self.count += 1
        self.bytes += _size(msg)
        return msg


def _counted(it: Iterable[Any], counter: _Counter) -> Iterator[Any]:
    for msg in it:
        yield counter.add(msg)


def _handler_kind(handler: grpc.RpcMethodHandler) -> tuple[bool, bool]:
    return bool(handler.request_streaming), bool(handler.response_streaming)


def _rebuild(handler: grpc.RpcMethodHandler, behaviour: Callable[..., Any]) -> grpc.RpcMethodHandler:
    """A handler of the same kind and serializers as ``handler`` running ``behaviour``."""
    req_s, resp_s = _handler_kind(handler)
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if req_s and resp_s:
        return grpc.stream_stream_rpc_method_handler(behaviour, **kwargs)
    if req_s:
        return grpc.stream_unary_rpc_method_handler(behaviour, **kwargs)
    if resp_s:
        return grpc.unary_stream_rpc_method_handler(behaviour, **kwargs)
    return grpc.unary_unary_rpc_method_handler(behaviour, **kwargs)


def _behaviour(handler: grpc.RpcMethodHandler) -> Callable[..., Any]:
    req_s, resp_s = _handler_kind(handler)
    if req_s and resp_s:
        return handler.stream_stream
    if req_s:
        return handler.stream_unary
    if resp_s:
        return handler.unary_stream
    return handler.unary_unary


class AccessLogInterceptor(grpc.ServerInterceptor):
    """One log line per call: method, status, reason, messages/bytes in and out, ms, peer."""

    def intercept_service(self, continuation: Callable[..., Any], details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        method = details.method
        inner = _behaviour(handler)
        req_s, resp_s = _handler_kind(handler)

        def finish(context: grpc.ServicerContext, t0: float, rx: _Counter, tx: _Counter, error: bool) -> None:
            code = context.code() if hasattr(context, "code") else None
            if code is None:
                code = grpc.StatusCode.UNKNOWN if error else grpc.StatusCode.OK
                if not context.is_active() and not error and resp_s and tx.count == 0:
                    code = grpc.StatusCode.CANCELLED
            reason = ""
            trailing = getattr(context, "trailing_metadata", None)
            if callable(trailing):
                for k, v in trailing() or ():
                    if k == REASON_KEY:
                        reason = v
            name = code.name if isinstance(code, grpc.StatusCode) else str(code)
            access_log.info(
                "method=%s status=%s reason=%s rx_msgs=%d rx_bytes=%d tx_msgs=%d tx_bytes=%d ms=%.1f peer=%s",
                method, name, reason or "-", rx.count, rx.bytes, tx.count, tx.bytes,
                (time.perf_counter() - t0) * 1000, context.peer(),
            )

        def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
            t0 = time.perf_counter()
            rx, tx = _Counter(), _Counter()
            request = _counted(request, rx) if req_s else rx.add(request)
            if resp_s:
                return self._stream(inner, request, context, finish, t0, rx, tx)
            error = True
            try:
                response = inner(request, context)
                error = False
                return tx.add(response)
            finally:
                finish(context, t0, rx, tx, error)

        return _rebuild(handler, behaviour)

    @staticmethod
    def _stream(inner: Callable[..., Any], request: Any, context: grpc.ServicerContext,
                finish: Callable[..., None], t0: float, rx: _Counter, tx: _Counter) -> Iterator[Any]:
        error = True
        try:
            for msg in inner(request, context):
                yield tx.add(msg)
            error = False
        finally:
            finish(context, t0, rx, tx, error)


def load_tokens(path: str | None, env_value: str | None) -> list[bytes]:
    """Bearer tokens from a file (one per line, # comments) and/or a comma-separated env value."""
    tokens: list[str] = []
    if path:
        with open(path, encoding="utf-8") as fh:
            tokens += [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    if env_value:
        tokens += [t.strip() for t in env_value.split(",") if t.strip()]
    return [t.encode("utf-8") for t in tokens]


class TokenAuthInterceptor(grpc.ServerInterceptor):
    """Require ``authorization: Bearer <token>`` on every method except health checks."""

    def __init__(self, tokens: list[bytes]) -> None:
        if not tokens:
            raise ValueError("TokenAuthInterceptor needs at least one token")
        self._tokens = list(tokens)

    def _valid(self, presented: bytes) -> bool:
        # Compare against every token without stopping early: constant time per token,
        # and the time does not tell which token (if any) matched.
        ok = False
        for token in self._tokens:
            ok |= hmac.compare_digest(presented, token)
        return ok

    def intercept_service(self, continuation: Callable[..., Any], details: grpc.HandlerCallDetails) -> Any:
        if details.method.startswith(OPEN_METHODS_PREFIXES):
            return continuation(details)
        presented = b""
        for key, value in details.invocation_metadata or ():
            if key == "authorization":
                raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
                scheme, _, tok = raw.partition(b" ")
                if scheme.lower() == b"bearer":
                    presented = tok.strip()
                break
        handler = continuation(details)
        if handler is None:
            return None
        if presented and self._valid(presented):
            return handler
        why = "missing" if not presented else "invalid"

        def deny(request: Any, context: grpc.ServicerContext) -> Any:
            log.warning("refused a call: %s bearer token (method=%s peer=%s)", why, details.method, context.peer())
            context.set_trailing_metadata(((REASON_KEY, f"{why}_token"),))
            context.abort(grpc.StatusCode.UNAUTHENTICATED, f"{why} bearer token")

        return _rebuild(handler, deny)
