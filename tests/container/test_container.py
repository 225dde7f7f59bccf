"""The service image, run as hospital IT would run it, checked from the host.

The container gets no network (``--network none``), a read-only root file system with a
tmpfs on /tmp, and its key, bearer token and TLS material mounted read-only. From the
host, through a loopback port (see container_helpers), the test waits for the gRPC
health check to say SERVING, scrubs a text, a photo and a DICOM from ``sample_cases/``
with ``deid.client.DeidClient``, checks the outputs and that nothing was written to the
container's file system, then sends SIGTERM during a call and checks that the call
finishes and the container exits cleanly within the grace period.

Runs with ``DEID_CONTAINER_TEST=1``: ``make container-test`` sets it, after ``make image``
(``.ci/run`` does both after ``make test``); there a missing podman, image or root is a
failure. Otherwise (a plain ``make test``) it is skipped with that reason, so an image
built from older code is never tested by accident. ``DEID_IMAGE`` names another image.
Prints the image size, the cold start to SERVING and the time from SIGTERM to exit.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
import time
import uuid

import pytest
from container_helpers import (
    REPO,
    forwarded_port,
    give_to_container_user,
    podman,
    podman_problem,
    write_tls,
)

IMAGE = os.environ.get("DEID_IMAGE", "localhost/deid:latest")
REQUIRED = os.environ.get("DEID_CONTAINER_TEST") == "1"
GRACE_S = 20
SERVING_WITHIN_S = 240
SAMPLES = REPO / "sample_cases"
TEXT = SAMPLES / "case_01_ultrasound" / "history.txt"
PHOTO = SAMPLES / "case_04_wound_photo" / "IMG_20240312_094100_martha.jpg"
DICOM = SAMPLES / "case_02_chest_xray" / "IM0001"
CLIP = SAMPLES / "case_01_ultrasound" / "HOPE_MARTHA_US_20240312.dcm"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    problem = podman_problem(IMAGE) if REQUIRED else (
        "runs in `make container-test` after `make image` (DEID_CONTAINER_TEST=1; .ci/run does both)")
    if problem:
        if REQUIRED:
            pytest.fail(f"container test required (DEID_CONTAINER_TEST=1) but cannot run: {problem}")
        pytest.skip(f"container test: {problem}")

    secrets_dir = tmp_path_factory.mktemp("secrets")
    crt, _ = write_tls(secrets_dir)
    root_cert = crt.read_bytes()
    token = secrets.token_urlsafe(24)
    (secrets_dir / "key").write_text(os.urandom(32).hex() + "\n", encoding="ascii")
    (secrets_dir / "tokens").write_text(token + "\n", encoding="ascii")
    give_to_container_user(secrets_dir)

    name = f"deid-test-{uuid.uuid4().hex[:8]}"
    t0 = time.monotonic()
    podman(
        "run", "-d", "--name", name, "--network", "none", "--read-only",
        "--tmpfs", "/tmp:rw,nosuid,nodev,size=512m,mode=1777",
        "-v", f"{secrets_dir}:/run/secrets/deid:ro", "--stop-timeout", str(GRACE_S + 20),
        IMAGE,
        "--tls-cert", "/run/secrets/deid/tls.crt", "--tls-key", "/run/secrets/deid/tls.key",
        "--key-file", "/run/secrets/deid/key", "--token-file", "/run/secrets/deid/tokens",
        "--text-workers", "1", "--file-workers", "1", "--grace-seconds", str(GRACE_S),
    )
    try:
        with forwarded_port(name, 50051) as port:
            serving_s = _wait_serving(port, root_cert, name, t0)
            yield {"name": name, "port": port, "root_cert": root_cert, "token": token,
                   "serving_s": serving_s}
    finally:
        logs = podman("logs", name, check=False).stderr
        podman("rm", "--force", "--time", "0", name, check=False)
        if os.environ.get("DEID_CONTAINER_LOGS") == "1":
            print(logs)


def _wait_serving(port: int, root_cert: bytes, name: str, t0: float) -> float:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    creds = grpc.ssl_channel_credentials(root_certificates=root_cert)
    with grpc.secure_channel(f"127.0.0.1:{port}", creds) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                status = stub.Check(health_pb2.HealthCheckRequest(), timeout=2).status
                if status == health_pb2.HealthCheckResponse.SERVING:
                    return time.monotonic() - t0
            except grpc.RpcError:
                pass
            state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
            if state != "running":
                pytest.fail(f"the container stopped before SERVING ({state}):\n"
                            + podman("logs", name, check=False).stderr[-3000:])
            if time.monotonic() - t0 > SERVING_WITHIN_S:
                pytest.fail(f"not SERVING after {SERVING_WITHIN_S} s")
            time.sleep(0.5)


def _client(service: dict):  # type: ignore[no-untyped-def]
    from deid.client import DeidClient

    return DeidClient(f"127.0.0.1:{service['port']}", token=service["token"], root_cert=service["root_cert"],
                      timeout=180)


def test_scrubs_text_photo_and_dicom_through_the_loopback_port(service: dict) -> None:
    import pydicom
    from PIL import Image

    original = pydicom.dcmread(DICOM)
    with _client(service) as client:
        text = client.scrub_text(TEXT.read_text(encoding="utf-8"))
        photo = client.scrub_image(PHOTO)
        dicom = client.scrub_dicom(DICOM)

    for value in ("Martha", "Hope", "4471923", "555-0142", "martha.hope61", "Okafor", "Birch Lane"):
        assert value not in text.text
    assert "gallbladder" in text.text  # the clinical content stays
    assert text.report.counts_by_kind()

    img = Image.open(io.BytesIO(photo.data))
    img.load()
    assert img.size == (photo.width, photo.height) == Image.open(PHOTO).size
    assert not img.getexif() and "martha" not in photo.data.lower().decode("latin-1")

    out = pydicom.dcmread(io.BytesIO(dicom.data))
    assert str(out.PatientName) != str(original.PatientName)
    assert out.get("PatientID", "") != original.PatientID
    assert out.SOPInstanceUID != original.SOPInstanceUID
    assert out.pixel_array.shape == original.pixel_array.shape
    raw = dicom.data
    for element in ("PatientName", "PatientID", "InstitutionName"):
        value = str(original.get(element, "") or "")
        if len(value) > 3:
            assert value.encode() not in raw


def test_image_healthcheck_passes_without_tls_material(service: dict) -> None:
    # The Dockerfile's HEALTHCHECK probes the plain-text health port on 127.0.0.1:50052
    # inside the container: no certificate or token needed, no network needed.
    probe = podman("healthcheck", "run", service["name"], check=False)
    assert probe.returncode == 0, probe.stdout + probe.stderr


def test_wrote_nothing_outside_its_temp_dir(service: dict) -> None:
    # The root file system is read-only (a write would have failed the scrubs above);
    # podman diff lists every change to the container's layer. The only one allowed is
    # podman's own: the mount points it makes in /etc for hostname and resolv.conf (a
    # container that only sleeps shows the same "C /etc").
    lines = podman("diff", service["name"]).stdout.splitlines()
    changes = {tuple(line.split(maxsplit=1)) for line in lines if line.strip()}
    assert changes <= {("C", "/etc")}, changes
    probe = podman("exec", service["name"], "python", "-c",
                   "import pathlib; pathlib.Path('/home/deid/x').write_text('x')", check=False)
    assert probe.returncode != 0 and "Read-only file system" in probe.stderr


def test_sigterm_drains_in_flight_call_then_exits_within_grace(service: dict) -> None:
    from deid.client import CaseInput

    # A whole case (text, photo, the ultrasound, the CT series): seconds of work, so it is
    # still running when SIGTERM comes.
    parts = [CaseInput(TEXT.read_text(encoding="utf-8"), kind="text", id="text:0"),
             CaseInput(PHOTO, kind="image", id="image:0"), CaseInput(CLIP, kind="dicom", id="dicom:0")]
    parts += [CaseInput(p, kind="dicom", id=f"dicom:{i}")
              for i, p in enumerate(sorted((SAMPLES / "case_03_ct_series").glob("*.dcm")), 1)]
    results: dict[str, object] = {}

    def call() -> None:
        try:
            with _client(service) as client:
                results["ok"] = client.scrub_case(parts)
        except Exception as exc:  # noqa: BLE001 - asserted below
            results["error"] = exc

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive(), "the case finished before SIGTERM: the drain was not exercised"
    t0 = time.monotonic()
    podman("kill", "--signal", "TERM", service["name"])
    exit_code = int(podman("wait", service["name"], timeout=GRACE_S + 60).stdout.strip().splitlines()[-1])
    drained_s = time.monotonic() - t0
    worker.join(timeout=60)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    print(f"\ncontainer figures: image {IMAGE} {size / 1e6:.0f} MB; cold start to SERVING "
          f"{service['serving_s']:.1f} s; SIGTERM to exit {drained_s:.1f} s (grace {GRACE_S} s, "
          f"a {len(parts)}-part case in flight)")
    assert exit_code == 0
    assert drained_s < GRACE_S + 10
    assert "error" not in results, results.get("error")
    case = results["ok"]
    assert [p.id for p in case.parts] == [p.id for p in parts]  # type: ignore[attr-defined]
    assert not any(p.withheld for p in case.parts)  # type: ignore[attr-defined]
    # The server logged the signal first and the case's completion after it.
    logs = podman("logs", service["name"], check=False).stderr
    signal_at = logs.find("received SIGTERM")
    done_at = logs.find("method=/deid.v1.Deid/ScrubCase status=OK")
    assert 0 <= signal_at < done_at, logs[-2000:]
