"""Request bodies and query strings in Stripe's bracket notation, and multipart uploads."""

from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request


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


async def decode_request(request: Request) -> dict:
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
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
