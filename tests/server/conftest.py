"""Fixtures for the gRPC service: a real server on a loopback port, real worker processes.

One in-process server for the session (token auth on, small message size so that
streaming is exercised with small files); other tests start their own (TLS) or run
``python -m deid.server`` in a subprocess.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
from grpc_helpers import KEY, MAX_MESSAGE, ROOT, TOKEN, KiB, _Collect

sys.path.insert(0, str(ROOT / "scripts"))
import gen_protos  # noqa: E402

assert gen_protos.generate() == 0, "cannot generate the gRPC stubs"

from deid.client import DeidClient  # noqa: E402
from deid.server.app import DeidServer  # noqa: E402
from deid.server.config import ServerConfig  # noqa: E402


@pytest.fixture(scope="session")
def server_logs() -> Iterator[_Collect]:
    """Every log line of the in-process server (main process) during the session."""
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    for name in ("server", "deid"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(scope="session")
def server(server_logs: _Collect, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeidServer]:
    cfg = ServerConfig(
        address="127.0.0.1:0",
        text_workers=1,
        file_workers=1,
        text_queue_per_worker=2,
        file_queue_per_worker=2,
        max_message_bytes=MAX_MESSAGE,
        response_chunk_bytes=64 * KiB,
        max_upload_bytes=8 * 1024 * KiB,
        spool_bytes=128 * KiB,  # spool uploads and outputs to files above this: exercised
        grace_seconds=5,
        upload_idle_seconds=3,
        temp_dir=str(tmp_path_factory.mktemp("server-tmp")),
        log_level="DEBUG",
        # Tests below send stricter overrides and exercise one token's calls filling a
        # lane; the defaults (overrides off, a per-token cap) have their own tests.
        allow_policy_overrides=True,
        max_calls_per_token=0,
    )
    srv = DeidServer(cfg, key=KEY, tokens=[TOKEN.encode()])
    srv.start()
    yield srv
    srv.stop(5)


@pytest.fixture(scope="session")
def address(server: DeidServer) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture(scope="session")
def client(address: str) -> Iterator[DeidClient]:
    c = DeidClient(address, token=TOKEN, chunk_bytes=64 * KiB, max_message_bytes=MAX_MESSAGE,
                   timeout=120, retries=20)
    yield c
    c.close()


@pytest.fixture(scope="session")
def stubs_pb2():
    from deid.server.stubs import load

    return load()
