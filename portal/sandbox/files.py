"""File uploads: `POST /v1/files` (multipart, on the SDK's `files` base address), retrieve, list.

Stripe decides a file's type from its bytes, not from the part's Content-Type (the SDK always
sends application/octet-stream), and each purpose has its own accepted types, size limit and
lifetime (docs.stripe.com/file-upload). A file belongs to whoever uploaded it: the platform,
or the connected account named in `Stripe-Account`. Stripe's test file tokens
(`file_identity_document_success` / `_failure`) are known files that nobody uploaded.
"""

import base64
import struct

import stripe
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal.sandbox.errors import StripeError, invalid_request, resource_missing
from portal.sandbox.protocol import (
    Call,
    Endpoint,
    UploadedFile,
    authenticate,
    check_account,
    error_response,
    list_response,
    new_request_id,
)

MB = 1024 * 1024
DAY = 24 * 3600
# Identity and verification document images must be smaller than 8,000px by 8,000px.
MAX_IMAGE_SIDE = 8000
IMAGE_LIMITED = ("identity_document", "additional_verification")


class Purpose:
    def __init__(self, types: tuple[str, ...], max_size: int, lifetime: int | None, downloadable: bool):
        self.types, self.max_size, self.lifetime, self.downloadable = types, max_size, lifetime, downloadable


# docs.stripe.com/file-upload: supported types, maximum size, expiry, downloadable.
PURPOSES = {
    "account_requirement": Purpose(("pdf", "jpg", "png"), 64 * MB, None, False),
    "additional_verification": Purpose(("pdf", "jpg", "png"), 16 * MB, None, False),
    "business_icon": Purpose(("jpg", "png", "gif"), MB // 2, None, True),
    "business_logo": Purpose(("jpg", "png", "gif"), MB // 2, None, True),
    "customer_signature": Purpose(("jpg", "png"), 4 * MB, 7 * DAY, True),
    "dispute_evidence": Purpose(("pdf", "jpg", "png"), 5 * MB, 270 * DAY, True),
    "identity_document": Purpose(("pdf", "jpg", "png"), 32 * MB, None, False),
}

# Purposes whose files can be attached to a person or company as a verification document.
DOCUMENT_PURPOSES = ("identity_document", "additional_verification", "account_requirement")

MIME_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)

TEST_TOKENS = ("file_identity_document_success", "file_identity_document_failure")
TEST_TOKEN_CREATED = 1546300800  # tokens exist from the start; any fixed past time will do


def sniff(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if content.startswith(magic)), None)


def image_size(kind: str, content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None when not an image."""
    if kind == "png" and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    if kind == "jpg":
        index = 2
        while index + 9 <= len(content):
            if content[index] != 0xFF:
                return None
            marker = content[index + 1]
            # Start-of-frame markers carry the dimensions (C4, C8, CC are other tables).
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", content[index + 5 : index + 9])
                return width, height
            index += 2 + struct.unpack(">H", content[index + 2 : index + 4])[0]
    return None


def _file_object(id: str, created: int, purpose: str, filename: str, size: int, kind: str,
                 url: str | None, expires_at: int | None) -> dict:
    return {
        "id": id,
        "object": "file",
        "created": created,
        "expires_at": expires_at,
        "filename": filename,
        "links": {"object": "list", "data": [], "has_more": False, "url": f"/v1/file_links?file={id}"},
        "purpose": purpose,
        "size": size,
        "title": None,
        "type": kind,
        "url": url,
    }


def test_token(id: str) -> dict | None:
    if id not in TEST_TOKENS:
        return None
    return _file_object(id, TEST_TOKEN_CREATED, "identity_document", id + ".png", 6464, "png", None, None)


def create_file(call: Call) -> dict:
    upload = call.params["file"]
    purpose_name = call.params["purpose"]
    if not isinstance(upload, UploadedFile):
        raise invalid_request(
            "Invalid file: must be uploaded as multipart/form-data, with the file in the `file` part.",
            param="file",
        )
    purpose = PURPOSES.get(purpose_name)
    if purpose is None:
        raise invalid_request(
            f"Invalid purpose: the sandbox accepts uploads for {', '.join(sorted(PURPOSES))}.", param="purpose"
        )
    if (call.params.get("file_link_data") or {}).get("create"):
        raise invalid_request("The sandbox does not create file links.", param="file_link_data[create]")
    content = upload.content
    kind = sniff(content)
    if kind not in purpose.types:
        allowed = ", ".join(MIME_TYPES[t] for t in purpose.types)
        raise invalid_request(
            f"We don't currently support that file type. Try uploading a file with one of the "
            f"following mimetypes: {allowed}",
            param="file",
        )
    if len(content) > purpose.max_size:
        limit = f"{purpose.max_size // MB} MB" if purpose.max_size >= MB else f"{purpose.max_size // 1024} KB"
        raise invalid_request(
            f"The file you uploaded is too large. Files for {purpose_name} can be at most {limit}.",
            param="file",
        )
    size = image_size(kind, content)
    if purpose_name in IMAGE_LIMITED and size and max(size) >= MAX_IMAGE_SIDE:
        raise invalid_request(
            f"Document images must be smaller than {MAX_IMAGE_SIDE}px by {MAX_IMAGE_SIDE}px.", param="file"
        )
    id = call.sandbox.new_id("file")
    created = int(call.sandbox.now())
    url = f"{call.base_url}/v1/files/{id}/contents" if purpose.downloadable else None
    expires_at = created + purpose.lifetime if purpose.lifetime else None
    obj = _file_object(id, created, purpose_name, upload.filename or id, len(content), kind, url, expires_at)
    private = {"content": base64.b64encode(content).decode("ascii")}
    return call.sandbox.store.create(obj, owner=call.account, private=private)


def find(sandbox, id: str, owner: str | None) -> dict | None:
    """The file `id` as `owner` (an acct_ id, or None for the platform) sees it."""
    token = test_token(id)
    if token is not None:
        return token
    obj = sandbox.store.get(id, "file")
    if obj is None or sandbox.store.owner(id) != owner:
        return None
    # Past `expires_at` a file "isn't available" any more.
    if obj["expires_at"] is not None and obj["expires_at"] <= sandbox.now():
        return None
    return obj


def attachable(sandbox, id: str, owner: str | None, purposes: tuple[str, ...], param: str) -> dict:
    """The file `id` if `owner` may attach it where `param` wants one of `purposes`, else
    Stripe's error naming `param`: only the owner's own uploads (or the test tokens) qualify.
    """
    obj = find(sandbox, id, owner)
    if obj is None:
        raise resource_missing("file upload", id, param=param)
    if obj["purpose"] not in purposes:
        raise invalid_request(
            f"The file {id} was uploaded with purpose {obj['purpose']}; this needs one of {', '.join(purposes)}.",
            param=param,
        )
    return obj


def document(sandbox, id: str, account: str, param: str) -> dict:
    """A verification document (person or company `verification.document.front`, ...)."""
    return attachable(sandbox, id, account, DOCUMENT_PURPOSES, param)


def evidence(sandbox, id: str, owner: str | None, param: str) -> dict:
    """A file for a dispute's evidence (`evidence[receipt]`, `evidence[uncategorized_file]`, ...)."""
    return attachable(sandbox, id, owner, ("dispute_evidence",), param)


def retrieve_file(call: Call) -> dict:
    obj = find(call.sandbox, call.path["file"], call.account)
    if obj is None:
        raise resource_missing("file", call.path["file"])
    return obj


def list_files(call: Call) -> dict:
    purpose = call.params.get("purpose")
    created = call.params.get("created")
    now = call.sandbox.now()
    objects = [obj for obj in call.sandbox.store.list("file", owner=call.account)
               if obj["expires_at"] is None or obj["expires_at"] > now]
    if purpose:
        objects = [obj for obj in objects if obj["purpose"] == purpose]
    if created is not None:
        objects = [obj for obj in objects if _created_matches(obj["created"], created)]
    return list_response(call, objects, "/v1/files")


CREATED_FILTERS = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


def _created_matches(value: int, created) -> bool:
    if isinstance(created, int):
        return value == created
    return all(CREATED_FILTERS[op](value, bound) for op, bound in created.items())


def contents(sandbox, request: Request) -> Response:
    """The bytes of a downloadable file, for a secret key that can see it (files.stripe.com)."""
    request_id = new_request_id()
    account = request.headers.get("stripe-account") or None
    id = request.path_params["file"]
    try:
        key = authenticate(sandbox, request.headers.get("authorization"))
        check_account(sandbox, key, account)
        obj = find(sandbox, id, account)
        if obj is None or obj["url"] is None:
            raise resource_missing("file", id)
    except StripeError as error:
        return error_response(error, request_id, {"Request-Id": request_id})
    content = base64.b64decode(sandbox.store.private(id)["content"])
    return Response(content, media_type=MIME_TYPES[obj["type"]], headers={"Request-Id": request_id})


def web_routes(sandbox) -> list[Route]:
    async def serve(request: Request) -> Response:
        return await run_in_threadpool(contents, sandbox, request)

    return [Route("/v1/files/{file}/contents", serve, methods=["GET"])]


ROUTES = [
    Endpoint(method="POST", path="/v1/files", handler=create_file, params=stripe.params.FileCreateParams),
    Endpoint(method="GET", path="/v1/files/{file}", handler=retrieve_file, params=stripe.params.FileRetrieveParams),
    Endpoint(method="GET", path="/v1/files", handler=list_files, params=stripe.params.FileListParams),
]
