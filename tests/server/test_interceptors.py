"""Authentication: bearer tokens, TLS and mutual TLS with certificates made here."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_helpers import KEY, TOKEN, clinical_text

from deid.client import AuthenticationError, DeidClient, RemoteError
from deid.server.app import DeidServer
from deid.server.config import ServerConfig
from deid.server.interceptors import TokenAuthInterceptor, load_tokens

pytestmark = pytest.mark.timeout(300)


def test_no_token_is_unauthenticated(address):
    with DeidClient(address, retries=0) as c, pytest.raises(AuthenticationError) as err:
        c.scrub_text("hello")
    assert err.value.reason == "missing_token"


def test_wrong_token_is_unauthenticated(address, stubs_pb2):
    with DeidClient(address, token="not-the-token", retries=0) as c, pytest.raises(AuthenticationError) as err:
        c.scrub_text("hello")
    assert err.value.reason == "invalid_token"
    # Streaming methods too, and a token in the wrong scheme.
    pb2, pb2_grpc = stubs_pb2
    with grpc.insecure_channel(address) as ch:
        stub = pb2_grpc.DeidStub(ch)
        with pytest.raises(grpc.RpcError) as rpc:
            list(stub.ScrubDicom(iter([pb2.FileRequest(metadata=pb2.FileMetadata())]),
                                 metadata=(("authorization", f"Basic {TOKEN}"),), timeout=10))
        assert rpc.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_needs_no_token(address):
    with grpc.insecure_channel(address) as ch:
        resp = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert resp.status == health_pb2.HealthCheckResponse.SERVING


def test_token_compare_and_loading(tmp_path):
    f = tmp_path / "tokens"
    f.write_text("# operators\nalpha-token\n\nbeta-token\n")
    tokens = load_tokens(str(f), "gamma-token, ")
    assert tokens == [b"alpha-token", b"beta-token", b"gamma-token"]
    auth = TokenAuthInterceptor(tokens)
    assert auth._valid(b"beta-token") and not auth._valid(b"beta-toke") and not auth._valid(b"")


# ---- TLS ------------------------------------------------------------------------------

def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject_cn, key, issuer_cn=None, issuer_key=None, *, ca=False, san=None):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or subject_cn)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if not ca:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if san else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(obj) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "public_bytes"):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    from cryptography import x509

    d = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _cert("deid test CA", ca_key, ca=True)
    srv_key = _key()
    srv = _cert("localhost", srv_key, "deid test CA", ca_key,
                san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cli_key = _key()
    cli = _cert("hospital-backend", cli_key, "deid test CA", ca_key)
    other_ca_key = _key()
    other_ca = _cert("someone else", other_ca_key, ca=True)
    rogue_key = _key()
    rogue = _cert("rogue", rogue_key, "someone else", other_ca_key)
    files = {"ca": ca, "srv": srv, "srv_key": srv_key, "cli": cli, "cli_key": cli_key,
             "rogue": rogue, "rogue_key": rogue_key, "other_ca": other_ca}
    out = {}
    for name, obj in files.items():
        p = d / f"{name}.pem"
        p.write_bytes(_pem(obj))
        out[name] = p
    return out


def _health_over(channel: grpc.Channel) -> int:
    return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status


def test_tls_server(pki, tmp_path):
    cfg = ServerConfig(address="127.0.0.1:0", tls_cert_file=str(pki["srv"]), tls_key_file=str(pki["srv_key"]),
                       text_workers=1, file_workers=1, temp_dir=str(tmp_path))
    srv = DeidServer(cfg, key=KEY, tokens=[TOKEN.encode()])
    port = srv.start(warm=False)  # the handshake and the health service are what is tested
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=pki["ca"].read_bytes())
        with grpc.secure_channel(f"localhost:{port}", creds) as ch:
            assert _health_over(ch) == health_pb2.HealthCheckResponse.NOT_SERVING  # not warmed
        # A client that does not trust the CA cannot connect.
        wrong = grpc.ssl_channel_credentials(root_certificates=pki["other_ca"].read_bytes())
        with grpc.secure_channel(f"localhost:{port}", wrong) as ch, pytest.raises(grpc.RpcError) as err:
            _health_over(ch)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        # Plain text to a TLS port fails too.
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch, pytest.raises(grpc.RpcError):
            _health_over(ch)
        # Calls before warm-up: UNAVAILABLE (not_ready), after authentication.
        with DeidClient(f"localhost:{port}", root_cert=pki["ca"], token=TOKEN, retries=0) as c:
            with pytest.raises(RemoteError) as rerr:
                c.scrub_text("hello")
            assert rerr.value.code == grpc.StatusCode.UNAVAILABLE and rerr.value.reason == "not_ready"
    finally:
        srv.stop(1)


def test_mutual_tls_server(pki, tmp_path):
    cfg = ServerConfig(address="127.0.0.1:0", tls_cert_file=str(pki["srv"]), tls_key_file=str(pki["srv_key"]),
                       tls_client_ca_file=str(pki["ca"]), text_workers=1, file_workers=1, temp_dir=str(tmp_path))
    srv = DeidServer(cfg, key=KEY)  # mTLS alone authenticates: no tokens
    port = srv.start()
    try:
        target = f"localhost:{port}"
        # Without a client certificate: the handshake fails.
        with DeidClient(target, root_cert=pki["ca"], retries=0) as c, pytest.raises(RemoteError) as err:
            c.scrub_text("hello", timeout=10)
        assert err.value.code == grpc.StatusCode.UNAVAILABLE
        # A certificate from another CA: refused.
        with DeidClient(target, root_cert=pki["ca"], client_cert=pki["rogue"], client_key=pki["rogue_key"],
                        retries=0) as c, pytest.raises(RemoteError):
            c.scrub_text("hello", timeout=10)
        # The right certificate: a real call.
        with DeidClient(target, root_cert=pki["ca"], client_cert=pki["cli"], client_key=pki["cli_key"]) as c:
            result = c.scrub_text(clinical_text("Ottoline Vasquez-Brightwater"))
        assert "Brightwater" not in result.text
    finally:
        srv.stop(1)
