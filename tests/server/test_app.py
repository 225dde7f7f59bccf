"""Service behaviour: health, reflection, bad streams, limits, back-pressure, deadlines,
disconnects, and the real ``python -m deid.server`` process shut down with calls in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_helpers import (
    ROOT,
    TOKEN,
    clinical_text,
    dicom_bytes,
    env_without_keys,
    free_port,
    module_available,
    png_bytes,
)

from deid.client import CaseInput, DeidClient

pytestmark = pytest.mark.timeout(300)
AUTH = (("authorization", f"Bearer {TOKEN}"),)
KiB = 1024


def _health(address: str, service: str = "") -> int:
    with grpc.insecure_channel(address) as ch:
        return health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status


def _settled(server, timeout: float = 15.0) -> None:
    """Wait until no call holds a lane slot and the private temp folder is empty."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        readers = [t for t in threading.enumerate() if t.name == "upload-reader"]
        if (server.pools.text.in_flight == 0 and server.pools.files.in_flight == 0
                and not os.listdir(server.temp_dir) and not readers):
            return
        time.sleep(0.1)
    raise AssertionError(
        f"server did not settle: text={server.pools.text.in_flight} files={server.pools.files.in_flight} "
        f"temp={len(os.listdir(server.temp_dir))} "
        f"readers={sum(t.name == 'upload-reader' for t in threading.enumerate())}"
    )


def _assert_healthy(server, address: str, client: DeidClient) -> None:
    _settled(server)
    assert _health(address) == health_pb2.HealthCheckResponse.SERVING
    assert _health(address, "deid.v1.Deid") == health_pb2.HealthCheckResponse.SERVING
    assert client.scrub_text("Seen by Dr. Quillfeather today.").report.outcome == "scrubbed"


def test_health_serving_and_reflection(server, address):
    assert _health(address) == health_pb2.HealthCheckResponse.SERVING
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
        ProtoReflectionDescriptorDatabase,
    )

    with grpc.insecure_channel(address) as ch:
        # Reflection sits behind the token like every non-health method.
        ch = grpc.intercept_channel(ch, _AddAuth())
        db = ProtoReflectionDescriptorDatabase(ch)
        services = set(db.get_services())
        assert {"deid.v1.Deid", "grpc.health.v1.Health"} <= services
        desc = db.FindFileContainingSymbol("deid.v1.Deid")
        assert desc.package == "deid.v1"


class _AddAuth(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    def intercept_unary_unary(self, continuation, details, request):
        return continuation(_Details(details, list(details.metadata or []) + list(AUTH)), request)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(_Details(details, list(details.metadata or []) + list(AUTH)), request_iterator)


class _Details(grpc.ClientCallDetails):
    def __init__(self, d, metadata):
        self.method, self.timeout, self.metadata = d.method, d.timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = d.credentials, d.wait_for_ready, d.compression


def _file_stub(address, stubs_pb2):
    pb2, pb2_grpc = stubs_pb2
    ch = grpc.insecure_channel(address)
    return ch, pb2, pb2_grpc.DeidStub(ch)


def _status(fn) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        fn()
    reason = dict(err.value.trailing_metadata() or ()).get("deid-reason", "")
    return err.value.code(), reason


def test_malformed_chunk_streams_are_invalid_argument(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    with ch:
        # No metadata first.
        code, reason = _status(lambda: list(stub.ScrubImage(iter([pb2.FileRequest(data=b"abc")]),
                                                            metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "malformed_stream")
        # Metadata twice.
        reqs = [pb2.FileRequest(metadata=pb2.FileMetadata()), pb2.FileRequest(data=b"x" * 1000),
                pb2.FileRequest(metadata=pb2.FileMetadata())]
        code, reason = _status(lambda: list(stub.ScrubDicom(iter(reqs), metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "malformed_stream")
        # Empty stream, and metadata without data.
        code, _ = _status(lambda: list(stub.ScrubImage(iter([]), metadata=AUTH, timeout=30)))
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        code, reason = _status(lambda: list(stub.ScrubImage(iter([pb2.FileRequest(metadata=pb2.FileMetadata())]),
                                                            metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "empty_input")
        # Case: data before any part; duplicate part ids.
        reqs = [pb2.CaseRequest(metadata=pb2.CaseMetadata(), data=b"hello")]
        code, reason = _status(lambda: list(stub.ScrubCase(iter(reqs), metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "malformed_stream")
        reqs = [pb2.CaseRequest(metadata=pb2.CaseMetadata(), part=pb2.PartStart(id="a"), data=b"hi"),
                pb2.CaseRequest(part=pb2.PartStart(id="a"), data=b"there")]
        code, reason = _status(lambda: list(stub.ScrubCase(iter(reqs), metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "malformed_stream")
    _assert_healthy(server, address, client)


def test_oversized_upload_is_resource_exhausted(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    limit = server.cfg.max_upload_bytes
    with ch:
        # Declared size over the limit: refused before reading data.
        meta = pb2.FileMetadata(size=limit + 1)
        code, reason = _status(lambda: list(stub.ScrubImage(iter([pb2.FileRequest(metadata=meta)]),
                                                            metadata=AUTH, timeout=30)))
        assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "upload_too_large")

        # Undeclared: refused when the running total passes the limit (spooled to disk first).
        def reqs():
            yield pb2.FileRequest(metadata=pb2.FileMetadata())
            block = b"\0" * (128 * KiB)
            for _ in range(limit // len(block) + 2):
                yield pb2.FileRequest(data=block)

        code, reason = _status(lambda: list(stub.ScrubDicom(reqs(), metadata=AUTH, timeout=60)))
        assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "upload_too_large")
    # Nothing spooled is left behind.
    _assert_healthy(server, address, client)


def test_oversized_message_is_refused(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    with ch:
        big = "word " * (server.cfg.max_message_bytes // 5 + 10)
        code, _ = _status(lambda: stub.ScrubText(pb2.ScrubTextRequest(text=big), metadata=AUTH, timeout=30))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    from deid.core.errors import LimitExceeded

    with DeidClient(address, token=TOKEN, max_message_bytes=8 * server.cfg.max_message_bytes) as c:
        with pytest.raises(LimitExceeded) as err:
            c.scrub_text(big)
        assert err.value.reason == "message_too_large"  # not retried as if the server were busy
    _assert_healthy(server, address, client)


def test_client_disconnect_mid_stream(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    gate = threading.Event()
    sent = threading.Event()

    def reqs():
        yield pb2.FileRequest(metadata=pb2.FileMetadata())
        for _ in range(4):  # 256 KiB: past the spool threshold, so a temp file exists
            yield pb2.FileRequest(data=b"\1" * (64 * KiB))
        sent.set()
        gate.wait(30)

    with ch:
        call = stub.ScrubDicom(reqs(), metadata=AUTH, timeout=60)
        assert sent.wait(10)
        time.sleep(0.5)
        assert server.pools.files.in_flight == 1  # admitted and receiving
        call.cancel()
        gate.set()
        with pytest.raises(grpc.RpcError) as err:
            list(call)
        assert err.value.code() == grpc.StatusCode.CANCELLED
    _assert_healthy(server, address, client)


def test_stalled_upload_is_abandoned(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    gate = threading.Event()

    def reqs():
        yield pb2.FileRequest(metadata=pb2.FileMetadata(), data=b"\1" * 1000)
        gate.wait(60)  # the client stalls (no deadline set)

    with ch:
        try:
            code, reason = _status(lambda: list(stub.ScrubImage(reqs(), metadata=AUTH)))
        finally:
            gate.set()
    assert (code, reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "upload_idle_timeout")
    _assert_healthy(server, address, client)


def test_back_pressure_is_resource_exhausted_not_a_queue(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    text = clinical_text(words=1500)
    codes: list[grpc.StatusCode] = []
    reasons: list[str] = []
    lock = threading.Lock()

    def call():
        try:
            stub.ScrubText(pb2.ScrubTextRequest(text=text), metadata=AUTH, timeout=120)
            code, reason = grpc.StatusCode.OK, ""
        except grpc.RpcError as err:
            code = err.code()
            reason = dict(err.trailing_metadata() or ()).get("deid-reason", "")
        with lock:
            codes.append(code)
            reasons.append(reason)

    n = server.pools.text.capacity * 3
    with ch:
        threads = [threading.Thread(target=call) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes.count(grpc.StatusCode.OK) >= 1
    busy = [r for c, r in zip(codes, reasons, strict=True) if c == grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert busy and set(busy) == {"server_busy"}
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    _assert_healthy(server, address, client)


def test_deadline_exceeded_and_work_is_bounded(server, address, client, stubs_pb2):
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    # Several seconds of NER work, under the message limit.
    text = clinical_text(words=30_000)[: server.cfg.max_message_bytes - 1024]
    with ch:
        # Small analysis chunks: the worker's timer gets control back every few words.
        request = pb2.ScrubTextRequest(text=text, policy='{"text": {"chunk_chars": 2000}}')
        code, _ = _status(lambda: stub.ScrubText(request, metadata=AUTH, timeout=1.0))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    # The worker's timer stops the work: its slot frees well before the whole text
    # (five seconds or more of NER on one free core) could have been processed.
    _settled(server, timeout=3.0)
    _assert_healthy(server, address, client)


def test_library_deadline_maps_to_deadline_exceeded(client):
    from deid.core.errors import DeadlineExceeded

    with pytest.raises(DeadlineExceeded):
        client.scrub_text(clinical_text(words=30_000)[:200_000], timeout=1.0)


# ---- the real process ----------------------------------------------------------------

def _wait_serving(address: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early with {proc.returncode}")
        try:
            if _health(address) == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.5)
    raise AssertionError("server did not turn SERVING")


@pytest.mark.slow
def test_subprocess_sigterm_lets_in_flight_calls_finish(tmp_path: Path):
    port, health_port = free_port(), free_port()
    address = f"127.0.0.1:{port}"
    key_file = tmp_path / "key"
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o600)
    log_path = tmp_path / "server.log"
    env = env_without_keys()
    env["DEID_SERVER_TOKENS"] = TOKEN
    with open(log_path, "wb") as log_fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "deid.server", "--port", str(port), "--key-file", str(key_file),
             "--health-address", f"127.0.0.1:{health_port}",
             "--text-workers", "1", "--file-workers", "1", "--queue-per-worker", "4", "--grace-seconds", "60"],
            cwd=ROOT, env=env, stdout=log_fh, stderr=subprocess.STDOUT,
        )
        try:
            _wait_serving(address, proc)
            # The container probe, on the plain-text loopback health port.
            from deid.server.health_probe import main as probe

            assert probe(["--address", f"127.0.0.1:{health_port}"]) == 0
            # Every RPC once with planted values (the whole log is searched below).
            with DeidClient(address, token=TOKEN, timeout=120) as c:
                planted_doc = dicom_bytes(name="Marchbanks^Quentin", patient_id="PID31415926")
                if module_available("deid.dicom"):
                    c.scrub_dicom(planted_doc.data)
                if module_available("deid.image"):
                    c.scrub_image(png_bytes(label="Quentin Marchbanks PID31415926"))
                if module_available("deid.case"):
                    c.scrub_case([CaseInput("Quentin Marchbanks was seen.", kind="text"),
                                  CaseInput(planted_doc.data, kind="dicom")])
            name = "Quentin Marchbanks-Oyelaran"
            text = clinical_text(name=name, words=12_000)  # over a second of work each
            results: list[object] = []

            def call():
                with DeidClient(address, token=TOKEN, retries=0, timeout=120) as c:
                    try:
                        results.append(c.scrub_text(text))
                    except Exception as exc:  # noqa: BLE001 - recorded for the assert
                        results.append(exc)

            threads = [threading.Thread(target=call) for _ in range(3)]
            for t in threads:
                t.start()
            time.sleep(0.8)  # all three admitted; the first is running
            proc.send_signal(signal.SIGTERM)
            for t in threads:
                t.join(120)
            assert proc.wait(90) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert len(results) == 3
    for r in results:
        assert not isinstance(r, Exception), f"in-flight call failed: {type(r).__name__}: {r}"
        assert name not in r.text  # type: ignore[attr-defined]
    logs = log_path.read_text(errors="replace")
    assert "method=/deid.v1.Deid/ScrubText status=OK" in logs
    # The calls really were in flight: they finished after the signal arrived.
    assert logs.index("received SIGTERM") < logs.rindex("method=/deid.v1.Deid/ScrubText status=OK")
    assert "Marchbanks" not in logs and "Quentin" not in logs and "31415926" not in logs
    # The private temp folder is gone.
    assert "shutting down" in logs and "stopped" in logs


def test_main_refuses_without_key(monkeypatch):
    from deid.server.__main__ import main

    for var in ("DEID_KEY", "DEID_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    assert main(["--port", str(free_port())]) == 2


def test_main_refuses_insecure_non_loopback(monkeypatch):
    from deid.server.__main__ import main

    monkeypatch.setenv("DEID_KEY", "ab12cd34" * 8)
    assert main(["--address", f"0.0.0.0:{free_port()}"]) == 2


def test_dead_worker_is_replaced(server, address, client):
    """A worker killed from outside (OOM killer, native crash): NOT_SERVING, then a new
    warmed pool and SERVING again, without restarting the server."""
    pids = server.pools.text.worker_pids()
    assert pids
    os.kill(pids[0], signal.SIGKILL)
    seen_not_serving = False
    end = time.monotonic() + 120
    while time.monotonic() < end:
        status = _health(address)
        if status != health_pb2.HealthCheckResponse.SERVING:
            seen_not_serving = True
        elif seen_not_serving:
            break
        time.sleep(0.2)
    assert seen_not_serving
    assert server.pools.text.worker_pids() and server.pools.text.worker_pids()[0] != pids[0]
    _assert_healthy(server, address, client)


@pytest.mark.skipif(not module_available("deid.dicom"), reason="deid.dicom not built yet")
def test_client_disconnect_while_receiving_output(server, address, client, stubs_pb2):
    """The client goes away half-way through the answer: the spooled output is deleted."""
    ch, pb2, stub = _file_stub(address, stubs_pb2)
    src = dicom_bytes(frames=40)  # output > spool threshold: streamed from a temp file
    reqs = [pb2.FileRequest(metadata=pb2.FileMetadata()),
            *[pb2.FileRequest(data=src.data[i : i + 64 * KiB]) for i in range(0, len(src.data), 64 * KiB)]]
    with ch:
        call = stub.ScrubDicom(iter(reqs), metadata=AUTH, timeout=60)
        first = next(call)
        assert first.HasField("info") and first.info.size > server.cfg.spool_bytes
        call.cancel()
    _assert_healthy(server, address, client)
