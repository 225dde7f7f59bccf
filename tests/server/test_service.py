"""Every RPC end to end through the generated stubs and the client, on the real server."""

from __future__ import annotations

import io

import grpc
import pytest
from grpc_helpers import (
    MAX_MESSAGE,
    TOKEN,
    assert_not_in_logs,
    clinical_text,
    dicom_bytes,
    module_available,
    png_bytes,
)

from deid.client import CaseInput, DeidClient
from deid.core.errors import InputError, LimitExceeded, WithheldError

pytestmark = pytest.mark.timeout(300)

NAME = "Zebadiah Quillfeather"
MRN = "48213377"
PHONE = "555-867-5309"


def test_scrub_text_removes_planted_phi(client, server_logs):
    result = client.scrub_text(clinical_text(NAME, f"MRN {MRN}"), case_id="case-1")
    assert NAME not in result.text
    assert "Quillfeather" not in result.text
    assert MRN not in result.text
    assert PHONE not in result.text
    counts = result.report.counts_by_kind()
    assert counts.get("PERSON", 0) >= 1
    assert result.report.input_kind == "text"
    assert result.report.outcome == "scrubbed"
    assert all(f.span is not None for f in result.report.findings)
    assert_not_in_logs(server_logs, NAME, "Quillfeather", MRN, PHONE)


def test_scrub_text_raw_stub_and_report_has_no_values(address, stubs_pb2):
    pb2, pb2_grpc = stubs_pb2
    with grpc.insecure_channel(address) as channel:
        stub = pb2_grpc.DeidStub(channel)
        resp = stub.ScrubText(
            pb2.ScrubTextRequest(text=clinical_text(NAME), policy='{"text": {"operator": "tag"}}'),
            metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=120,
        )
    assert NAME not in resp.text
    wire = resp.report.SerializeToString()
    assert NAME.encode() not in wire and b"Quillfeather" not in wire
    assert resp.report.counts_by_kind["PERSON"] >= 1


def test_same_key_same_pseudonyms(client):
    text = clinical_text(NAME)
    a = client.scrub_text(text, {"text": {"operator": "surrogate"}}, case_id="c7")
    b = client.scrub_text(text, {"text": {"operator": "surrogate"}}, case_id="c7")
    assert a.text == b.text
    assert NAME not in a.text


def test_bad_policy_is_invalid_argument(client):
    with pytest.raises(InputError) as err:
        client.scrub_text("hello", {"text": {"no_such_key": 1}})
    assert err.value.reason == "bad_policy"
    with pytest.raises(InputError):
        client.scrub_text("hello", "[not, a, mapping]")


def test_text_over_limit_is_resource_exhausted(client):
    with pytest.raises(LimitExceeded) as err:
        client.scrub_text(clinical_text(NAME), {"text": {"max_chars": 20}})
    assert NAME not in str(err.value)


def test_client_cannot_raise_server_limits(client):
    # Raising max_chars above the server's ceiling is refused: overrides may only make
    # scrubbing stricter (lower limits), never looser.
    with pytest.raises(InputError) as err:
        client.scrub_text("Seen today.", {"text": {"max_chars": 10**12}})
    assert err.value.reason == "override_not_stricter"


@pytest.mark.skipif(not module_available("deid.image"), reason="deid.image not built yet")
def test_scrub_image_roundtrip(client, server_logs):
    data = png_bytes(320, 240, label=NAME)
    result = client.scrub_image(data, output_format="PNG")
    assert result.format == "PNG"
    assert (result.width, result.height) == (320, 240)
    from PIL import Image

    with Image.open(io.BytesIO(result.data)) as img:
        assert img.size == (320, 240)
    assert result.report.input_kind == "image"
    assert_not_in_logs(server_logs, NAME, "Quillfeather")


@pytest.mark.skipif(not module_available("deid.image"), reason="deid.image not built yet")
def test_image_over_pixel_limit_is_resource_exhausted(client):
    with pytest.raises(LimitExceeded):
        client.scrub_image(png_bytes(320, 240), {"image": {"max_pixels": 10_000}})


@pytest.mark.skipif(not module_available("deid.image"), reason="deid.image not built yet")
def test_scrub_image_larger_than_max_message_streams(client, server):
    data = png_bytes(640, 480, noise=True)
    assert len(data) > MAX_MESSAGE  # one message could not carry it
    result = client.scrub_image(io.BytesIO(data), output_format="PNG")
    assert (result.width, result.height) == (640, 480)
    assert len(result.data) > MAX_MESSAGE  # and it came back in chunks too


@pytest.mark.skipif(not module_available("deid.dicom"), reason="deid.dicom not built yet")
def test_scrub_dicom_larger_than_max_message(client, server, server_logs):
    import pydicom

    src = dicom_bytes(frames=40, rows=64, cols=64)  # ~330 KB > 256 KiB
    assert len(src.data) > MAX_MESSAGE
    result = client.scrub_dicom(src.data)
    assert b"Quillfeather" not in result.data and src.patient_id.encode() not in result.data
    ds = pydicom.dcmread(io.BytesIO(result.data))
    assert ds.SOPInstanceUID == result.sop_instance_uid
    assert result.sop_instance_uid.startswith("2.25.")
    assert ds.Rows == 64 and int(ds.NumberOfFrames) == 40
    assert result.report.input_kind == "dicom"
    assert_not_in_logs(server_logs, "Quillfeather", src.patient_id)


@pytest.mark.skipif(not module_available("deid.dicom"), reason="deid.dicom not built yet")
def test_truncated_dicom_is_withheld(client):
    src = dicom_bytes(frames=2)
    # FAILED_PRECONDITION on the wire, with the library's reason code.
    with pytest.raises(WithheldError) as err:
        client.scrub_dicom(src.data[: len(src.data) // 2])
    assert "Quillfeather" not in str(err.value)
    assert err.value.reason


@pytest.mark.skipif(not module_available("deid.case"), reason="deid.case not built yet")
def test_scrub_case_name_from_dicom_removed_from_text(client, server_logs):
    # A surname that NER alone would not call a name: learnt from the DICOM header.
    src = dicom_bytes(name="Lighthouse^Wren", patient_id="PID55510021")
    text = "Wren Lighthouse, the patient, came in with a painful wound. Lighthouse was reviewed."
    result = client.scrub_case(
        [CaseInput(text, kind="text", id="t0"), CaseInput(src.data, kind="dicom", id="d0")],
        case_id="case-42",
    )
    by_id = {p.id: p for p in result.parts}
    assert set(by_id) == {"t0", "d0"}
    assert by_id["t0"].text is not None and "Lighthouse" not in by_id["t0"].text
    assert by_id["d0"].data is not None and b"Lighthouse" not in by_id["d0"].data
    # Output facts travel in PartOutput.info; names come from pseudonyms / new UIDs.
    assert by_id["d0"].info["sop_instance_uid"].startswith("2.25.")
    assert by_id["d0"].info["size"] == len(by_id["d0"].data)
    assert by_id["d0"].name.startswith(by_id["d0"].info["sop_instance_uid"])
    assert "Lighthouse" not in by_id["t0"].name
    assert result.report.input_kind == "case"
    assert len(result.report.parts) == 2
    assert_not_in_logs(server_logs, "Lighthouse", "PID55510021")


def test_unknown_method_kinds_rejected_by_client():
    with pytest.raises(InputError):
        DeidClient("127.0.0.1:1").scrub_case([CaseInput(b"x", kind="video")])
