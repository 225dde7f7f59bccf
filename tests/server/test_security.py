"""The security issue's service rows, on the real server on loopback (session fixture).

Rows: 1 policy overrides, 2 case ids and key id, 5 spooled uploads private, 7 slow
uploads and the per-token cap, 9 ``wait_ready``. Limits that the session server sets
loosely for other tests are tightened on the live servicer for one test at a time.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_helpers import KEY, MAX_MESSAGE, TOKEN, KiB, clinical_text

from deid.client import DeidClient, RemoteError
from deid.core.context import key_id
from deid.core.errors import InputError

pytestmark = pytest.mark.timeout(120)
AUTH = (("authorization", f"Bearer {TOKEN}"),)
SECOND_TOKEN = "second-tenant-token-for-tests"
NAME = "Zebadiah Quillfeather"
SURROGATE = {"text": {"operator": "surrogate"}}


@pytest.fixture
def second_client(server, address, monkeypatch) -> Iterator[DeidClient]:
    """A client of another tenant: a second bearer token accepted by the same server."""
    assert server.auth is not None
    monkeypatch.setattr(server.auth, "_tokens", [*server.auth._tokens, SECOND_TOKEN.encode()])
    c = DeidClient(address, token=SECOND_TOKEN, max_message_bytes=MAX_MESSAGE, timeout=120, retries=20)
    yield c
    c.close()


def _status(fn: Any) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as err:
        fn()
    return err.value.code(), dict(err.value.trailing_metadata() or ()).get("deid-reason", "")


# ---- row 1: a caller cannot switch scrubbing off ------------------------------------------

def test_overrides_are_refused_by_default(server, client, monkeypatch):
    monkeypatch.setattr(server.servicer, "cfg", dataclasses.replace(server.cfg, allow_policy_overrides=False))
    probe = {"text": {"keep_kinds": ["PERSON", "DATE", "MRN"], "verify": False}}
    with pytest.raises(InputError) as err:
        client.scrub_text(clinical_text(NAME), probe)
    assert err.value.reason == "overrides_disabled"


def test_loosening_overrides_are_invalid_argument_when_enabled(server, client):
    assert server.servicer.cfg.allow_policy_overrides  # the session server enables them
    for probe in ({"text": {"keep_kinds": ["PERSON", "DATE", "MRN"], "verify": False}},
                  {"text": {"keep_kinds": ["PERSON"]}}, {"text": {"verify": False}}):
        with pytest.raises(InputError) as err:
            client.scrub_text(clinical_text(NAME), probe)
        assert err.value.reason == "override_not_stricter"
        assert NAME not in str(err.value)
    # Stricter is fine: a deny-list may grow.
    out = client.scrub_text("Seen by the Quillfeather team.", {"text": {"deny_list": ["Quillfeather"]}})
    assert "Quillfeather" not in out.text


# ---- row 2: shifts and surrogates cannot be probed ------------------------------------------

def test_case_ids_are_mixed_with_caller_and_key(client, second_client):
    text = f"Patient {NAME} was seen on 03/14/2021 and again on 04/02/2021."
    a1 = client.scrub_text(text, SURROGATE, case_id="case-7f").text
    a2 = client.scrub_text(text, SURROGATE, case_id="case-7f").text
    assert a1 == a2  # one caller continuing one case: consistent across calls
    b = second_client.scrub_text(text, SURROGATE, case_id="case-7f").text
    assert b != a1  # another token holder replaying the case id learns nothing of it
    e1 = client.scrub_text(text, SURROGATE).text
    e2 = client.scrub_text(text, SURROGATE).text
    assert e1 != e2 and a1 not in (e1, e2)  # no case id: a fresh random case per call
    assert NAME not in a1 + b + e1 + e2


def test_report_names_the_key_by_its_fingerprint(client, stubs_pb2):
    r = client.scrub_text("Seen today.")
    assert r.report.key_id == key_id(KEY)
    assert KEY.hex() not in r.report.key_id and r.report.key_id != KEY.decode()


# ---- rows 5 and 7: uploads --------------------------------------------------------------------

def _trickle(pb2: Any, first: list[Any], gate: threading.Event | None = None, *, drip: float = 0.0,
             drips: int = 0) -> Iterator[Any]:
    yield from first
    if gate is not None:
        gate.wait(20)
    for _ in range(drips):
        time.sleep(drip)
        yield pb2.FileRequest(data=b"\0")


def test_slow_upload_is_abandoned(server, address, stubs_pb2, monkeypatch):
    # A byte every 0.3 s keeps the 3 s idle timer of the session server happy for ever.
    monkeypatch.setattr(server.servicer, "upload_min_bytes_per_second", 4096)
    monkeypatch.setattr(server.servicer, "upload_rate_grace_seconds", 0.5)
    pb2, pb2_grpc = stubs_pb2
    with grpc.insecure_channel(address) as ch:
        stub = pb2_grpc.DeidStub(ch)
        reqs = _trickle(pb2, [pb2.FileRequest(metadata=pb2.FileMetadata())], drip=0.3, drips=60)
        t0 = time.monotonic()
        code, reason = _status(lambda: list(stub.ScrubImage(reqs, metadata=AUTH, timeout=60)))
    assert (code, reason) == (grpc.StatusCode.DEADLINE_EXCEEDED, "upload_too_slow")
    assert time.monotonic() - t0 < 8


def test_per_token_cap_and_other_tokens_still_served(server, address, stubs_pb2, second_client, monkeypatch):
    monkeypatch.setattr(server.servicer.callers, "cap", 1)
    pb2, pb2_grpc = stubs_pb2
    gate = threading.Event()
    held: list[Any] = []
    with grpc.insecure_channel(address) as ch:
        stub = pb2_grpc.DeidStub(ch)

        def hold() -> None:
            reqs = _trickle(pb2, [pb2.FileRequest(metadata=pb2.FileMetadata()), pb2.FileRequest(data=b"x" * 100)],
                            gate)
            try:
                list(stub.ScrubImage(reqs, metadata=AUTH, timeout=30))
            except grpc.RpcError as err:
                held.append(err.code())

        t = threading.Thread(target=hold)
        t.start()
        try:
            end = time.monotonic() + 10
            while not server.servicer.callers._counts and time.monotonic() < end:
                time.sleep(0.05)
            assert server.servicer.callers._counts, "the held call never started"
            code, reason = _status(lambda: stub.ScrubText(pb2.ScrubTextRequest(text="Seen today."),
                                                          metadata=AUTH, timeout=30))
            assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "caller_busy")
            # Another token holder is not starved by the first one's calls.
            assert second_client.scrub_text("Seen today.").report.outcome == "scrubbed"
        finally:
            gate.set()
            t.join(30)


def test_spooled_upload_files_are_private(server, address, stubs_pb2):
    pb2, pb2_grpc = stubs_pb2
    gate = threading.Event()
    seen: list[int] = []
    over_spool = [pb2.FileRequest(data=b"\0" * (64 * KiB)) for _ in range(4)]  # 256 KiB > 128 KiB spool
    with grpc.insecure_channel(address) as ch:
        stub = pb2_grpc.DeidStub(ch)
        reqs = _trickle(pb2, [pb2.FileRequest(metadata=pb2.FileMetadata()), *over_spool], gate)
        t = threading.Thread(target=lambda: _status(lambda: list(stub.ScrubDicom(reqs, metadata=AUTH, timeout=30))))
        t.start()
        try:
            end = time.monotonic() + 10
            while not seen and time.monotonic() < end:
                for name in os.listdir(server.temp_dir):
                    seen.append(stat.S_IMODE(os.stat(os.path.join(server.temp_dir, name)).st_mode))
                time.sleep(0.02)
        finally:
            gate.set()
            t.join(30)
    assert seen and all(mode == 0o600 for mode in seen), [oct(m) for m in seen]
    assert stat.S_IMODE(os.stat(server.temp_dir).st_mode) == 0o700


# ---- row 9: ready means SERVING ------------------------------------------------------------------

def test_wait_ready_waits_for_serving(tmp_path):
    from deid.server.app import DeidServer
    from deid.server.config import ServerConfig

    cfg = ServerConfig(address="127.0.0.1:0", text_workers=1, file_workers=1, temp_dir=str(tmp_path))
    srv = DeidServer(cfg, key=KEY)
    srv.start(warm=False)  # bound, answering health with NOT_SERVING, engines not loaded
    try:
        with DeidClient(f"127.0.0.1:{srv.port}", retries=0) as c:
            with pytest.raises(RemoteError) as err:
                c.wait_ready(timeout=1.5)
            assert err.value.reason == "not_serving"
            threading.Timer(0.5, srv._set_health, args=(True,)).start()
            t0 = time.monotonic()
            c.wait_ready(timeout=15)
            assert time.monotonic() - t0 >= 0.3
    finally:
        srv.stop(0)


def test_caller_identity_comes_only_from_checked_credentials():
    from deid.server.service import caller_of

    class Ctx:
        def __init__(self, token: str) -> None:
            self._md = (("authorization", f"Bearer {token}"),)

        def invocation_metadata(self):
            return self._md

        def auth_context(self):
            return {}

    a, b = caller_of(Ctx("tok-a")), caller_of(Ctx("tok-b"))
    assert a != b and a.startswith("token:") and "tok-a" not in a
    # Without token checking, a claimed token is no identity: one shared count.
    assert caller_of(Ctx("tok-a"), tokens=False) == caller_of(Ctx("tok-b"), tokens=False) == "anonymous"
