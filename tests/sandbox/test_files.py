"""File uploads through the SDK: purposes, Stripe's type and size limits, who sees which file."""

import io
import struct
import zlib

import httpx
import pytest
import stripe

from tests.sandbox.shapes import assert_stripe_shape

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9 + (
    b"\xff\xc0" + struct.pack(">HBHH", 11, 8, 600, 400) + b"\x01\x01\x11\x00"
) + b"\xff\xd9"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 7)) + chunk(b"IEND", b"")


def upload(client, content: bytes, purpose: str, name: str = "upload.bin", account: str | None = None):
    blob = io.BytesIO(content)
    blob.name = name
    options = {"stripe_account": account} if account else {}
    return client.v1.files.create(params={"purpose": purpose, "file": blob}, options=options)


def create_account(client) -> str:
    return client.v1.accounts.create(params={
        "country": "US",
        "controller": {
            "requirement_collection": "application", "losses": {"payments": "application"},
            "fees": {"payer": "application"}, "stripe_dashboard": {"type": "none"},
        },
    }).id


def test_identity_document_upload_on_a_connected_account(stripe_client, sandbox):
    account = create_account(stripe_client)
    uploaded = upload(stripe_client, png(), "identity_document", "passport.png", account)

    assert_stripe_shape(uploaded.last_response.data)
    assert uploaded.id.startswith("file_")
    assert (uploaded.purpose, uploaded.type, uploaded.filename) == ("identity_document", "png", "passport.png")
    assert uploaded.size == len(png())
    assert abs(uploaded.created - sandbox.now()) <= 2
    # Identity documents never expire and cannot be downloaded.
    assert uploaded.expires_at is None
    assert uploaded.url is None
    assert uploaded.links.data == []


def test_dispute_evidence_expires_and_can_be_downloaded(stripe_client, sandbox_url):
    uploaded = upload(stripe_client, PDF, "dispute_evidence", "receipt.pdf")
    assert uploaded.type == "pdf"
    assert uploaded.expires_at - uploaded.created == 270 * 24 * 3600
    assert uploaded.url == f"{sandbox_url}/v1/files/{uploaded.id}/contents"

    contents = httpx.get(uploaded.url, headers={"Authorization": "Bearer sk_test_sandbox"})
    assert contents.status_code == 200
    assert contents.headers["content-type"] == "application/pdf"
    assert contents.content == PDF
    assert httpx.get(uploaded.url).status_code == 401


def test_type_comes_from_the_bytes_not_the_name(stripe_client):
    assert upload(stripe_client, JPEG, "additional_verification", "scan.pdf").type == "jpg"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        upload(stripe_client, b"GIF89a" + b"\x00" * 32, "identity_document", "id.png")
    assert raised.value.param == "file"
    assert raised.value.user_message.startswith("We don't currently support that file type.")
    assert "application/pdf, image/jpeg, image/png" in raised.value.user_message


def test_business_logo_takes_gif_but_not_pdf(stripe_client):
    assert upload(stripe_client, b"GIF89a" + b"\x00" * 32, "business_logo").type == "gif"
    with pytest.raises(stripe.InvalidRequestError):
        upload(stripe_client, PDF, "business_logo")


def test_each_purpose_has_its_size_limit(stripe_client):
    limit = 5 * 1024 * 1024
    at_limit = PDF + b" " * (limit - len(PDF))
    assert upload(stripe_client, at_limit, "dispute_evidence").size == limit
    with pytest.raises(stripe.InvalidRequestError) as raised:
        upload(stripe_client, at_limit + b" ", "dispute_evidence")
    assert raised.value.param == "file"
    assert "5 MB" in raised.value.user_message
    # The same bytes are fine as an identity document (larger limit).
    assert upload(stripe_client, at_limit + b" ", "identity_document").type == "pdf"


@pytest.mark.parametrize("image", [
    png(8000, 10), JPEG.replace(struct.pack(">HH", 600, 400), struct.pack(">HH", 9000, 400)),
], ids=["png", "jpeg"])
def test_identity_document_images_must_be_under_8000_pixels(stripe_client, image):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        upload(stripe_client, image, "identity_document")
    assert "8000px" in raised.value.user_message


def test_unsupported_purpose_and_missing_file(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        upload(stripe_client, PDF, "pci_document")
    assert raised.value.param == "purpose"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.files.create(params={"purpose": "dispute_evidence"})
    assert raised.value.code == "parameter_missing"
    assert raised.value.param == "file"


def test_a_file_is_seen_only_by_its_owner(stripe_client):
    account, other = create_account(stripe_client), create_account(stripe_client)
    mine = upload(stripe_client, png(), "identity_document", account=account)

    assert stripe_client.v1.files.retrieve(mine.id, options={"stripe_account": account}).id == mine.id
    for options in ({"stripe_account": other}, {}):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.files.retrieve(mine.id, options=options)
        assert raised.value.http_status == 404
        assert raised.value.code == "resource_missing"


def test_list_filters_by_purpose_and_pages(stripe_client):
    first = upload(stripe_client, PDF, "dispute_evidence")
    second = upload(stripe_client, PDF, "dispute_evidence")
    logo = upload(stripe_client, png(), "business_logo")

    assert [f.id for f in stripe_client.v1.files.list().data] == [logo.id, second.id, first.id]
    evidence = stripe_client.v1.files.list(params={"purpose": "dispute_evidence", "limit": 1})
    assert [f.id for f in evidence.data] == [second.id]
    assert evidence.has_more is True
    rest = stripe_client.v1.files.list(params={"purpose": "dispute_evidence", "starting_after": second.id})
    assert [f.id for f in rest.data] == [first.id]
    assert rest.has_more is False


@pytest.mark.parametrize("token", ["file_identity_document_success", "file_identity_document_failure"])
def test_stripe_test_file_tokens_are_known_files(stripe_client, token):
    account = create_account(stripe_client)
    found = stripe_client.v1.files.retrieve(token, options={"stripe_account": account})
    assert_stripe_shape(found.last_response.data)
    assert (found.id, found.purpose) == (token, "identity_document")


def test_an_expired_file_is_no_longer_available(stripe_client, sandbox):
    evidence = upload(stripe_client, PDF, "dispute_evidence")
    document = upload(stripe_client, png(), "identity_document")
    sandbox.advance_clock(evidence.expires_at - sandbox.now())

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.files.retrieve(evidence.id)
    assert raised.value.code == "resource_missing"
    assert [f.id for f in stripe_client.v1.files.list().data] == [document.id]
    assert stripe_client.v1.files.retrieve(document.id).id == document.id
