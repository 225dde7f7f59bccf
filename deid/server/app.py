"""Assembling and running the server: credentials, interceptors, health, reflection, shutdown.

Start-up order: bind the port and answer health checks (NOT_SERVING) at once, warm every
worker process (models loaded once per process), then turn SERVING. A monitor keeps the
health status in step with the worker lanes (a lane rebuilding after a crashed worker
is NOT_SERVING until warm again). On stop (SIGTERM): NOT_SERVING, refuse new calls, let
in-flight calls finish within the grace period, stop the workers, delete the private
temporary folder.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from deid.core.context import key_id, load_key_file, load_key_from_env
from deid.core.errors import InputError
from deid.core.policy import Policy
from deid.server.config import TOKENS_ENV_VAR, ServerConfig, is_loopback
from deid.server.interceptors import AccessLogInterceptor, TokenAuthInterceptor, load_tokens
from deid.server.pool import WorkerPools
from deid.server.service import DeidServicer, pb2, pb2_grpc

log = logging.getLogger(__name__)

SERVICE_NAME: str = pb2.DESCRIPTOR.services_by_name["Deid"].full_name


def resolve_key(cfg: ServerConfig) -> bytes:
    """The pseudonymisation key: file, then $DEID_KEY / $DEID_KEY_FILE, else refuse.

    Replicas must share it to produce the same pseudonyms, UIDs and date shifts.
    """
    if cfg.key_file:
        return load_key_file(cfg.key_file)
    key = load_key_from_env()  # decoded and checked (>= 32 bytes, no passphrase)
    if key is not None:
        return key
    if cfg.ephemeral_key:
        log.warning("using an ephemeral key: pseudonyms differ between restarts and replicas")
        return secrets.token_bytes(32)
    raise InputError(
        "no pseudonymisation key: use --key-file, $DEID_KEY or $DEID_KEY_FILE "
        "(or --ephemeral-key for a throw-away key)",
        reason="missing_key",
    )


def base_policy(cfg: ServerConfig) -> Policy:
    policy = Policy.from_yaml(cfg.policy_file) if cfg.policy_file else Policy()
    if cfg.max_pixels is not None and cfg.max_pixels < policy.image.max_pixels:
        policy = dataclasses.replace(policy, image=dataclasses.replace(policy.image, max_pixels=cfg.max_pixels))
    return policy


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def server_credentials(cfg: ServerConfig) -> grpc.ServerCredentials | None:
    if not cfg.tls:
        return None
    assert cfg.tls_cert_file and cfg.tls_key_file
    client_ca = _read(cfg.tls_client_ca_file) if cfg.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [(_read(cfg.tls_key_file), _read(cfg.tls_cert_file))],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )


class DeidServer:
    """One running service. ``start()`` returns the bound port; ``stop()`` is graceful."""

    def __init__(self, cfg: ServerConfig, *, key: bytes, tokens: list[bytes] | None = None,
                 policy: Policy | None = None) -> None:
        self.cfg = cfg
        self._key = key
        self._tokens = tokens or []
        self._policy = policy or base_policy(cfg)
        self.port = 0
        self._stopped = threading.Event()
        self._temp_dir = tempfile.mkdtemp(prefix="deid-server-", dir=cfg.temp_dir)  # mode 0700
        self.pools = WorkerPools(
            key=key, text_workers=cfg.text_workers, file_workers=cfg.file_workers,
            text_queue_per_worker=cfg.text_queue_per_worker, file_queue_per_worker=cfg.file_queue_per_worker,
            temp_dir=self._temp_dir, spool_bytes=cfg.spool_bytes, log_level=cfg.log_level,
            file_worker_nice=cfg.file_worker_nice, worker_max_calls=cfg.worker_max_calls,
        )
        self.health = health.HealthServicer(
            experimental_non_blocking=True,
            experimental_thread_pool=cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="health"),
        )
        interceptors: list[grpc.ServerInterceptor] = [AccessLogInterceptor()]
        self.auth: TokenAuthInterceptor | None = None
        if self._tokens:
            self.auth = TokenAuthInterceptor(self._tokens)
            interceptors.append(self.auth)
        # Admission control lives in the lanes (RESOURCE_EXHAUSTED "server_busy"); this
        # cap only bounds threads: beyond it gRPC itself answers RESOURCE_EXHAUSTED.
        self._threads = cf.ThreadPoolExecutor(max_workers=cfg.grpc_threads, thread_name_prefix="rpc")
        self.server = grpc.server(
            self._threads,
            interceptors=interceptors,
            maximum_concurrent_rpcs=cfg.grpc_threads,
            options=[
                ("grpc.max_receive_message_length", cfg.max_message_bytes),
                ("grpc.max_send_message_length", cfg.max_message_bytes),
                # One process owns the port: a second server on it must fail, not share.
                ("grpc.so_reuseport", 0),
                ("grpc.keepalive_time_ms", 60_000),
                ("grpc.http2.max_pings_without_data", 0),
            ],
        )
        self.key_id = key_id(key)
        self.servicer = DeidServicer(cfg, self.pools, self._policy, self._temp_dir, key_id=self.key_id,
                                     tokens=bool(self._tokens))
        pb2_grpc.add_DeidServicer_to_server(self.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
            self.server,
        )
        self._set_health(False)
        self.health_server: grpc.Server | None = None
        if cfg.health_address:
            self.health_server = grpc.server(cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="probe"),
                                             options=[("grpc.so_reuseport", 0)])
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self.health_server)

    @property
    def temp_dir(self) -> str:
        return self._temp_dir

    def _set_health(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def _bind(self) -> int:
        creds = server_credentials(self.cfg)
        if creds is not None:
            port = self.server.add_secure_port(self.cfg.address, creds)
        else:
            if not is_loopback(self.cfg.address):
                log.warning("SERVING PLAIN-TEXT gRPC ON A NON-LOOPBACK ADDRESS (--allow-insecure): "
                            "requests carry PHI; use TLS outside a trusted network")
            port = self.server.add_insecure_port(self.cfg.address)
        if not port:
            raise OSError(f"cannot bind {self.cfg.address}")
        return port

    def start(self, *, warm: bool = True) -> int:
        """Bind and start answering (NOT_SERVING), then warm the workers (blocking)."""
        if not self._tokens and not self.cfg.mtls and not is_loopback(self.cfg.address):
            log.warning("no authentication configured (no tokens, no mTLS) on a non-loopback address")
        self.port = self._bind()
        if self.health_server is not None:
            assert self.cfg.health_address
            self.health_server.add_insecure_port(self.cfg.health_address)
            self.health_server.start()
        self.server.start()
        log.info("listening on %s (port %d, tls=%s, mtls=%s, auth=%s, key id %s)", self.cfg.address, self.port,
                 self.cfg.tls, self.cfg.mtls, "token" if self._tokens else "none", self.key_id)
        if warm:
            self.warm()
        return self.port

    def warm(self) -> None:
        self.pools.warm()
        self._set_health(True)
        threading.Thread(target=self._monitor, name="health-monitor", daemon=True).start()
        log.info("SERVING")

    def _monitor(self) -> None:
        serving = True
        while not self._stopped.wait(1.0):
            self.pools.check()
            ready = self.pools.ready
            if ready != serving:
                self._set_health(ready)
                serving = ready

    def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING, refuse new calls, let in-flight calls finish within ``grace`` s."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.cfg.grace_seconds if grace is None else grace
        log.info("shutting down (grace %.0f s)", grace)
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self.health_server is not None:
            self.health_server.stop(0)
        self.pools.shutdown(timeout=10.0)
        self._threads.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._temp_dir, ignore_errors=True)
        log.info("stopped")

    def wait(self) -> None:
        self.server.wait_for_termination()


def build_server(cfg: ServerConfig) -> DeidServer:
    """A DeidServer from configuration: key and tokens resolved, policy loaded."""
    key = resolve_key(cfg)
    tokens = load_tokens(cfg.token_file, os.environ.get(TOKENS_ENV_VAR))
    if tokens and not cfg.tls and not is_loopback(cfg.address):
        log.warning("bearer tokens over plain-text gRPC can be read on the network: configure TLS")
    return DeidServer(cfg, key=key, tokens=tokens)
