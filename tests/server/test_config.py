"""Server configuration: flags, YAML, refusals."""

from __future__ import annotations

import pytest

from deid.core.errors import InputError
from deid.server.config import ServerConfig, is_loopback, load_config


def test_loopback_detection():
    for a in ("127.0.0.1:1", "localhost:1", "[::1]:1", "127.3.2.1:5", "unix:/tmp/s"):
        assert is_loopback(a), a
    for a in ("0.0.0.0:1", "[::]:1", "10.0.0.5:1", "deid.example.org:443"):
        assert not is_loopback(a), a


def test_flags_and_yaml(tmp_path):
    cfg_file = tmp_path / "server.yaml"
    cfg_file.write_text("file_workers: 3\ntext_queue_per_worker: 5\ngrace_seconds: 7\n")
    cfg = load_config(["--config", str(cfg_file), "--file-workers", "2", "--port", "6000"])
    assert cfg.file_workers == 2  # flags win
    assert cfg.text_queue_per_worker == 5 and cfg.grace_seconds == 7
    assert cfg.address == "127.0.0.1:6000"
    cfg = load_config(["--queue-per-worker", "3", "--file-queue-per-worker", "1"])
    assert (cfg.text_queue_per_worker, cfg.file_queue_per_worker) == (3, 1)


def test_unknown_yaml_key_refused(tmp_path):
    cfg_file = tmp_path / "server.yaml"
    cfg_file.write_text("file_wrokers: 3\n")
    with pytest.raises(InputError, match="unknown server config keys"):
        load_config(["--config", str(cfg_file)])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"address": "0.0.0.0:50051"},  # plain text beyond loopback
        {"tls_cert_file": "a.pem"},  # cert without key
        {"tls_client_ca_file": "ca.pem"},  # mTLS without a server cert
        {"text_workers": 0},
        {"health_address": "0.0.0.0:50052"},
        {"max_message_bytes": 1024, "response_chunk_bytes": 1024},
    ],
)
def test_refused_configurations(kwargs):
    with pytest.raises(InputError):
        ServerConfig(**kwargs).validate()


def test_insecure_non_loopback_allowed_only_by_flag():
    ServerConfig(address="0.0.0.0:50051", allow_insecure=True).validate()
    ServerConfig(address="0.0.0.0:50051", tls_cert_file="c", tls_key_file="k").validate()


@pytest.mark.parametrize(
    "yaml_text",
    [
        'address: "0.0.0.0:50051"\nallow_insecure: "false"\n',  # the probe: a string, not a bool
        "allow_insecure: 1\n",
        'file_workers: "3"\n',
        "file_workers: 2.5\n",
        "max_call_seconds: .nan\n",
        'allow_policy_overrides: "no"\n',
        "token_file: [a, b]\n",
    ],
)
def test_yaml_types_are_strict(tmp_path, yaml_text):
    cfg_file = tmp_path / "server.yaml"
    cfg_file.write_text(yaml_text)
    with pytest.raises(InputError) as err:
        load_config(["--config", str(cfg_file)])
    assert err.value.reason == "bad_config"


def test_policy_overrides_are_off_by_default():
    assert ServerConfig().allow_policy_overrides is False
    assert load_config([]).allow_policy_overrides is False
    assert load_config(["--allow-policy-overrides"]).allow_policy_overrides is True
