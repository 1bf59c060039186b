"""Request bodies and query strings in Stripe's bracket notation, and multipart uploads."""

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

from portal.sandbox.errors import invalid_request


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


def decode_pairs(pairs) -> dict:
    """`a[b][c]=1`, `expand[]=x`, `items[0][p]=y` -> nested dicts and lists.

    Indexed arrays stay dicts keyed "0", "1"... here; params.py turns them into lists where
    the SDK declares a List, since only the declaration says which is which.
    """
    root: dict = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head] + ([p for p in rest.rstrip("]").split("][")] if rest else [])
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                continue
            following = None if last else parts[i + 1]
            if last:
                node[part] = value
            elif following == "" and i + 1 == len(parts) - 1:
                existing = node.get(part)
                node[part] = (existing if isinstance(existing, list) else []) + [value]
                break
            else:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node = node[part]
    return root


async def decode_request(request: Request, *, json_body: bool = False) -> dict:
    """The query and the body as one dict. v2 bodies are JSON (its GETs keep the query string,
    `include[0]=…`)."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if json_body and request.method in ("POST", "PUT", "PATCH", "DELETE"):
        text = (await request.body()).decode("utf-8", errors="replace").strip()
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            raise invalid_request("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise invalid_request("The request body must be a JSON object.")
        return {**decode_pairs(pairs), **body}
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH"):
        if content_type.startswith("multipart/form-data"):
            form = await request.form()
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    content = await value.read()
                    value = UploadedFile(value.filename or "", value.content_type or "", content)
                pairs.append((key, value))
        else:
            body = (await request.body()).decode("utf-8", errors="replace")
            pairs += parse_qsl(body, keep_blank_values=True)
    return decode_pairs(pairs)
