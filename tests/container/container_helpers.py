"""Helpers for the container test: podman with the project's settings, TLS material, and
a loopback port forwarded into a container that runs with ``--network none``.

Why a forwarder: podman cannot publish a port of a ``--network none`` container, and
the network modes that can publish (slirp4netns, bridge) also give the container a
route out (slirp4netns even with ``outbound_addr=127.0.0.1`` reaches the host's own
addresses; an ``--internal`` bridge does not publish ports). The container must show
that it needs no network, so it gets none; the test (root) opens 127.0.0.1:PORT on the
host and connects, from a thread that joined the container's network namespace, to the
server's port inside it: the same path `-p 127.0.0.1:PORT:50051` takes, without a way out.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import ipaddress
import os
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTAINERS_CONF = REPO / "scripts" / "container" / "containers.conf"
CLONE_NEWNET = 0x40000000


def podman_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(CONTAINERS_CONF))
    return env


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], env=podman_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, check=check, timeout=timeout)


def podman_problem(image: str) -> str | None:
    """Why this test cannot run here (None when it can)."""
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman buildah mmdebstrap runc)"
    try:
        info = podman("info", check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"podman does not answer ({type(exc).__name__})"
    if info.returncode != 0:
        return "podman info failed: " + info.stderr.strip()[-300:]
    if podman("image", "exists", image, check=False).returncode != 0:
        return f"the image {image} is not built: run `make image`"
    if os.geteuid() != 0:
        return "the --network none port forwarder joins the container's network namespace: run as root"
    return None


def write_tls(folder: Path) -> tuple[Path, Path]:
    """A self-signed server certificate for localhost / 127.0.0.1 (tls.crt, tls.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt, pem = folder / "tls.crt", folder / "tls.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def give_to_container_user(folder: Path, uid: int = 10001) -> None:
    """The image runs as uid 10001: it must be able to read the mounted secrets (0400)."""
    for path in [folder, *folder.iterdir()]:
        os.chown(path, uid, uid)
        path.chmod(0o500 if path.is_dir() else 0o400)


class NetnsForwarder:
    """127.0.0.1:<port> on the host -> 127.0.0.1:<target_port> in another network namespace."""

    def __init__(self, netns: str, target_port: int) -> None:
        self.netns = netns
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._asks: queue.Queue[queue.Queue[socket.socket | None] | None] = queue.Queue()
        self._closed = threading.Event()
        joined: queue.Queue[BaseException | None] = queue.Queue()
        threading.Thread(target=self._dialer, args=(joined,), daemon=True).start()
        error = joined.get(timeout=10)
        if error is not None:
            raise error
        threading.Thread(target=self._acceptor, daemon=True).start()

    def _dialer(self, joined: queue.Queue[BaseException | None]) -> None:
        # setns() moves only the calling thread; sockets it creates live in that namespace.
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(self.netns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns into the container's network namespace failed")
            finally:
                os.close(fd)
        except BaseException as exc:  # noqa: BLE001 - reported to the constructor
            joined.put(exc)
            return
        joined.put(None)
        while True:
            reply = self._asks.get()
            if reply is None:
                return
            try:
                reply.put(socket.create_connection(("127.0.0.1", self.target_port), timeout=5))
            except OSError:
                reply.put(None)

    def _acceptor(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            reply: queue.Queue[socket.socket | None] = queue.Queue()
            self._asks.put(reply)
            upstream = reply.get()
            if upstream is None:  # nothing listens yet: the client sees a reset and retries
                client.close()
                continue
            upstream.settimeout(None)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed.set()
        self._asks.put(None)
        self.listener.close()


@contextlib.contextmanager
def forwarded_port(container: str, target_port: int) -> Iterator[int]:
    pid = podman("inspect", "--format", "{{.State.Pid}}", container).stdout.strip()
    fwd = NetnsForwarder(f"/proc/{pid}/ns/net", target_port)
    try:
        yield fwd.port
    finally:
        fwd.close()
