"""Reading what a request sends: ids in paths, forms, whole numbers. Malformed input is the
sender's fault, so it ends here as a 4xx that says what was wrong, never as a 500 further in."""

from portal.i18n import gettext as _
import json
from collections.abc import Callable

from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

# Our ids are INTEGER columns: PostgreSQL's is 32-bit (SQLite's 64), so a larger number would make
# the database raise instead of finding nothing.
MAX_ID = 2**31 - 1


def digits_up_to(limit: int) -> str:
    """A regex matching the decimal numbers 0..limit (leading zeros allowed), and nothing larger."""
    text = str(limit)
    # Fewer digits than the limit, or as many and below it at the first digit that differs.
    alternatives = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for at, digit in enumerate(text):
        if digit != "0":
            alternatives.append(text[:at] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{len(text) - at - 1}}}" if at < len(text) - 1 else ""))
    alternatives.append(text)
    return "0*(?:" + "|".join(alternatives) + ")"


class DatabaseId(Convertor[int]):
    """`{name:int}` in a route: an id the database can hold. A larger number matches no route (404),
    because Starlette turns a convertor's exception into a 500."""

    regex = digits_up_to(MAX_ID)

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        assert 0 <= value <= MAX_ID, "An id is between 0 and the database's largest integer"
        return str(value)


# Starlette compiles a route's path when the Route is built, at import, with the convertors known
# then: every module that declares routes imports portal.web, which imports this module first.
register_url_convertor("int", DatabaseId())


def whole_number(text: object, *, maximum: int = MAX_ID) -> int | None:
    """ "42" -> 42; None for anything else: signs, spaces, non-ASCII digits ("²", "٣"), or above maximum."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text.lstrip("0")) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def no_files(name: str) -> bool:
    return False


async def read_form(request: Request, *, is_file: Callable[[str], bool] = no_files) -> FormData:
    """The submitted form, refusing with a 400 what our pages never send: a file where a text field
    is expected, text where a file is expected. Handlers can then treat every other value as a str."""
    form = await request.form()
    for name, value in form.multi_items():
        expects_file = is_file(name)
        if isinstance(value, UploadFile) and not expects_file:
            raise HTTPException(400, _("The field “%(name)s” takes text, but a file was sent.", name=name[:60]))
        if expects_file and not isinstance(value, UploadFile):
            raise HTTPException(400, _("The field “%(name)s” takes a file, but text was sent.", name=name[:60]))
    return form


async def read_json_object(request: Request) -> dict:
    """A script's JSON body, which must be an object; anything else is a 400."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, _("The request body is not JSON.")) from None
    if not isinstance(body, dict):
        raise HTTPException(400, _("The request body must be a JSON object."))
    return body
