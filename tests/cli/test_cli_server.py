"""`deid scrub --server`: the same batch through a real gRPC server on loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_cases import PLANTED, make_text_cases, read_manifest

from deid.cli.main import EXIT_OK, main

REPO = Path(__file__).resolve().parents[2]
TOKEN = "cli-server-test-token"


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory):
    sys.path.insert(0, str(REPO / "scripts"))
    gen_protos = pytest.importorskip("gen_protos")
    assert gen_protos.generate() == 0
    app = pytest.importorskip("deid.server.app")
    from deid.server.config import ServerConfig

    cfg = ServerConfig(address="127.0.0.1:0", text_workers=1, file_workers=1,
                       temp_dir=str(tmp_path_factory.mktemp("srv")))
    srv = app.DeidServer(cfg, key=b"server-side-key-0123456789abcdef", tokens=[TOKEN.encode()])
    srv.start()
    yield f"127.0.0.1:{srv.port}"
    srv.stop(5)


def test_scrub_through_the_server(tmp_path: Path, key_env: str, address: str, monkeypatch, capsys):
    monkeypatch.setenv("DEID_TOKEN", TOKEN)
    src = make_text_cases(tmp_path / "src", 2)
    out = tmp_path / "out"
    rc = main(["scrub", str(src), str(out), "--server", address, "--workers", "2", "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == EXIT_OK and summary["scrubbed"] == 4
    manifest = read_manifest(out / "manifest.jsonl")
    assert len(manifest) == 4 and all(e["status"] == "scrubbed" for e in manifest)
    for e in manifest:
        text = (out / e["output"]).read_text()
        assert PLANTED["name"] not in text and PLANTED["phone"] not in text
        assert "quartermaine" not in e["output"].lower()


def test_wrong_token_withholds_and_says_why(tmp_path: Path, key_env: str, address: str, monkeypatch, capsys):
    monkeypatch.setenv("DEID_TOKEN", "wrong-token")
    from deid.batch import worker

    worker._client.cache_clear()
    src = make_text_cases(tmp_path / "src", 1)
    rc = main(["scrub", str(src), str(tmp_path / "out"), "--server", address, "--json"])
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    worker._client.cache_clear()
    assert rc == 3 and summary["withheld"] == 2 and summary["scrubbed"] == 0
    assert not any((tmp_path / "out").glob("case-*/*"))
