"""Server configuration: one frozen dataclass, from command-line flags and an optional YAML file.

Precedence: built-in defaults < the YAML file given with ``--config`` < flags. Secrets
(the pseudonymisation key, bearer tokens) are never taken from the command line: they
come from files or environment variables.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deid.core.errors import InputError

MiB = 1024 * 1024
TOKENS_ENV_VAR = "DEID_SERVER_TOKENS"  # comma-separated bearer tokens


def _cpus() -> int:
    # The CPUs this process may run on (a cpuset in a container), not the host's count.
    # A CFS quota (docker --cpus) is not visible here: set the worker counts explicitly.
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 2


def _default_text_workers() -> int:
    # Text calls get their own workers so that a burst of slow image calls never makes
    # text wait: a quarter of the cores (at least one); the rest take files.
    return max(1, _cpus() // 4)


def _default_file_workers() -> int:
    return max(1, _cpus() - _default_text_workers())


@dataclass(frozen=True)
class ServerConfig:
    """Everything an operator can set. Sizes in bytes, times in seconds."""

    address: str = "127.0.0.1:50051"
    # Optional second, plain-text, loopback-only port serving only grpc.health.v1, for
    # container probes that should not need TLS material (e.g. "127.0.0.1:50052").
    health_address: str | None = None
    # Worker processes: one lane for ScrubText, one for files (image, DICOM, case).
    text_workers: int = field(default_factory=_default_text_workers)
    file_workers: int = field(default_factory=_default_file_workers)
    # Calls admitted per worker (running + waiting); beyond it: RESOURCE_EXHAUSTED.
    # Small on purpose: a deep queue only turns overload into latency.
    text_queue_per_worker: int = 2
    file_queue_per_worker: int = 2
    # Replace a worker after this many calls (0 = never). Bounds slow memory growth in
    # long-running workers (spaCy's string store grows with every new token); the new
    # worker warms up before it takes calls, so keep it in the thousands.
    worker_max_calls: int = 0
    # CPU niceness of the file workers (0 = same as text): short text calls win the cores.
    file_worker_nice: int = 10
    # gRPC threads; bounded so that a flood of calls cannot create unbounded threads.
    grpc_threads: int = 64
    max_message_bytes: int = 4 * MiB
    max_upload_bytes: int = 1024 * MiB
    # Uploads larger than this are spooled to a private temporary folder, not memory.
    spool_bytes: int = 16 * MiB
    response_chunk_bytes: int = 1 * MiB
    # Upper bound on the library work of one call (also without a client deadline).
    max_call_seconds: float = 300.0
    grace_seconds: float = 30.0
    # An upload whose next chunk does not arrive within this many seconds is abandoned
    # (DEADLINE_EXCEEDED, "upload_idle_timeout"): a stalled client cannot hold a slot.
    upload_idle_seconds: float = 30.0
    # Slow-upload defence: after the first `upload_rate_grace_seconds`, an upload must
    # average at least this many bytes per second since it began, or it is abandoned
    # (DEADLINE_EXCEEDED, "upload_too_slow"). A byte every few seconds keeps an idle
    # timer happy; it does not keep this rate. 0 turns the check off.
    upload_min_bytes_per_second: int = 64 * 1024
    upload_rate_grace_seconds: float = 10.0
    # Calls one caller (bearer token or client certificate) may have in flight at once,
    # over both lanes; one more is refused with RESOURCE_EXHAUSTED "caller_busy", so
    # one token cannot take every slot. None: half of all admission slots (at least 1);
    # 0: no per-caller cap. Callers without credentials (loopback) share one count.
    max_calls_per_token: int | None = None
    # Server-side ceilings applied on top of the policy: clients can lower, not raise.
    max_pixels: int | None = None
    policy_file: str | None = None
    # Per-call policy overrides are refused unless the operator enables them; when
    # enabled, only overrides that make scrubbing stricter are accepted (deid.server.convert).
    allow_policy_overrides: bool = False
    # Pseudonymisation key: a file, else $DEID_KEY / $DEID_KEY_FILE, else refuse to
    # start unless ephemeral_key (random per process start: pseudonyms not reproducible).
    key_file: str | None = None
    ephemeral_key: bool = False
    # TLS: server certificate and key; with client_ca_file, clients must present a
    # certificate signed by it (mutual TLS).
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    tls_client_ca_file: str | None = None
    # Bearer tokens (one per line) required in "authorization: Bearer <token>".
    token_file: str | None = None
    # Plain-text gRPC on a non-loopback address needs this flag (and logs a warning).
    allow_insecure: bool = False
    temp_dir: str | None = None
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert_file)

    @property
    def mtls(self) -> bool:
        return bool(self.tls_cert_file and self.tls_client_ca_file)

    def validate(self) -> None:
        """Raise InputError for a configuration that must not start."""
        check_types(self)
        if self.upload_min_bytes_per_second < 0 or self.upload_rate_grace_seconds < 0:
            raise InputError("upload_min_bytes_per_second and upload_rate_grace_seconds must be >= 0",
                             reason="bad_config")
        if self.max_calls_per_token is not None and self.max_calls_per_token < 0:
            raise InputError("max_calls_per_token must be >= 0", reason="bad_config")
        if self.text_workers < 1 or self.file_workers < 1:
            raise InputError("text_workers and file_workers must be at least 1", reason="bad_config")
        if self.text_queue_per_worker < 1 or self.file_queue_per_worker < 1:
            raise InputError("text/file_queue_per_worker must be at least 1", reason="bad_config")
        if not 0 <= self.file_worker_nice <= 19:
            raise InputError("file_worker_nice must be in 0..19", reason="bad_config")
        if self.response_chunk_bytes > self.max_message_bytes - 64 * 1024:
            raise InputError("response_chunk_bytes must be below max_message_bytes", reason="bad_config")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise InputError("tls_cert_file and tls_key_file go together", reason="bad_config")
        if self.tls_client_ca_file and not self.tls_cert_file:
            raise InputError("mutual TLS needs tls_cert_file and tls_key_file", reason="bad_config")
        if self.health_address and not is_loopback(self.health_address):
            raise InputError("health_address must be a loopback address", reason="bad_config")
        if not self.tls and not is_loopback(self.address) and not self.allow_insecure:
            raise InputError(
                "refusing plain-text gRPC on a non-loopback address: configure TLS "
                "(--tls-cert/--tls-key) or pass --allow-insecure",
                reason="bad_config",
            )


def check_types(cfg: ServerConfig) -> None:
    """Strict types: ``allow_insecure: "false"`` (a string) is an error, not truthy."""
    hints = typing.get_type_hints(ServerConfig)
    for f in dataclasses.fields(ServerConfig):
        value = getattr(cfg, f.name)
        if not _type_ok(hints[f.name], value):
            raise InputError(f"server config {f.name} has the wrong type ({type(value).__name__})",
                             reason="bad_config")


def _type_ok(tp: Any, value: Any) -> bool:
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return any(_type_ok(arg, value) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if tp is str:
        return isinstance(value, str)
    return False


def is_loopback(address: str) -> bool:
    """True for ``localhost:P``, ``127.x.y.z:P``, ``[::1]:P`` and unix sockets."""
    if address.startswith("unix:"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name or 0.0.0.0 / [::]: listens beyond this machine


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deid serve",
        description="Run the deid gRPC service (deid.v1.Deid, health, reflection).",
    )
    p.add_argument("--config", help="YAML file with server settings (field names as below, with _)")
    p.add_argument("--address", help="listen address host:port (default 127.0.0.1:50051)")
    p.add_argument("--port", type=int, help="shorthand for --address 127.0.0.1:PORT")
    p.add_argument("--health-address", help="extra plain-text loopback port for health checks only")
    p.add_argument("--text-workers", type=int, help="worker processes for ScrubText (default: cores/4, at least 1)")
    p.add_argument("--file-workers", type=int, help="worker processes for images, DICOM, cases (default: the other cores)")
    p.add_argument("--queue-per-worker", type=int, help="sets both --text-queue-per-worker and --file-queue-per-worker")
    p.add_argument("--text-queue-per-worker", type=int, help="text calls admitted per worker (default 2)")
    p.add_argument("--file-queue-per-worker", type=int, help="file calls admitted per worker (default 2)")
    p.add_argument("--worker-max-calls", type=int, help="recycle a worker after N calls (default 0: never)")
    p.add_argument("--file-worker-nice", type=int, help="CPU niceness of file workers (default 10)")
    p.add_argument("--max-message-bytes", type=int)
    p.add_argument("--max-upload-bytes", type=int)
    p.add_argument("--max-pixels", type=int, help="ceiling for policy image.max_pixels")
    p.add_argument("--max-call-seconds", type=float)
    p.add_argument("--upload-idle-seconds", type=float, help="abandon an upload stalled this long (default 30)")
    p.add_argument("--upload-min-bytes-per-second", type=int,
                   help="abandon an upload slower than this on average, after the grace period (default 65536)")
    p.add_argument("--upload-rate-grace-seconds", type=float, help="grace period of the upload rate check (10)")
    p.add_argument("--max-calls-per-token", type=int,
                   help="calls one token / client certificate may have in flight (default: half the slots)")
    p.add_argument("--grace-seconds", type=float, help="SIGTERM grace period for in-flight calls")
    p.add_argument("--policy", dest="policy_file", help="base policy YAML file")
    p.add_argument("--allow-policy-overrides", dest="allow_policy_overrides", action="store_const", const=True,
                   help="accept per-call policy overrides that make scrubbing stricter (default: refuse)")
    p.add_argument("--no-policy-overrides", dest="allow_policy_overrides", action="store_const", const=False,
                   help="refuse calls that carry policy overrides (INVALID_ARGUMENT)")
    p.add_argument("--key-file", help="pseudonymisation key file (else $DEID_KEY or $DEID_KEY_FILE)")
    p.add_argument("--ephemeral-key", action="store_const", const=True,
                   help="random key for this process: pseudonyms differ between runs and replicas")
    p.add_argument("--tls-cert", dest="tls_cert_file")
    p.add_argument("--tls-key", dest="tls_key_file")
    p.add_argument("--tls-client-ca", dest="tls_client_ca_file", help="require client certificates (mTLS)")
    p.add_argument("--token-file", help=f"bearer tokens, one per line (or ${TOKENS_ENV_VAR})")
    p.add_argument("--allow-insecure", action="store_const", const=True,
                   help="allow plain-text gRPC on a non-loopback address (logs a warning)")
    p.add_argument("--temp-dir")
    p.add_argument("--log-level")
    p.add_argument("--log-json", action="store_const", const=True)
    return p


def load_config(argv: list[str] | None) -> ServerConfig:
    """Parse flags (and the ``--config`` YAML file) into a validated ServerConfig."""
    args = build_parser().parse_args(argv)
    values: dict[str, Any] = {}
    if args.config:
        try:
            raw = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read server config: {type(exc).__name__}", reason="bad_config") from None
        if not isinstance(raw, dict):
            raise InputError("the server config must be a mapping", reason="bad_config")
        known = {f.name for f in dataclasses.fields(ServerConfig)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InputError(f"unknown server config keys: {', '.join(unknown)}", reason="bad_config")
        values.update(raw)
    for f in dataclasses.fields(ServerConfig):
        v = getattr(args, f.name, None)
        if v is not None:
            values[f.name] = v
    if args.queue_per_worker is not None:
        for name in ("text_queue_per_worker", "file_queue_per_worker"):
            if getattr(args, name) is None:
                values[name] = args.queue_per_worker
    if args.port is not None:
        values["address"] = f"127.0.0.1:{args.port}"
    cfg = ServerConfig(**values)
    cfg.validate()
    return cfg
