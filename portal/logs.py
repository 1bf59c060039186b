"""Log output of every `portal` command: LOG_LEVEL and LOG_FORMAT (text, or one JSON object a line)
for the portal's loggers and uvicorn's, with secrets and single-use link tokens taken out of every
line at every level, tracebacks included."""

import json
import logging
import re
import sys
from datetime import UTC, datetime

from pydantic import SecretStr
from starlette.routing import BaseRoute, Mount

REDACTED = "[redacted]"
# Loggers that follow LOG_LEVEL. Everything else (SQLAlchemy logs statements with their values at
# INFO, httpcore logs headers at DEBUG) stays at WARNING or above.
OURS = ("portal", "uvicorn", "uvicorn.error", "uvicorn.access")
# Their INFO lines say which URL was called and how it answered; stripe-python's DEBUG lines carry
# every request body (full SSNs, tax ids, account numbers) and every response body (client
# secrets), so these never go below INFO.
REQUEST_LINES = ("stripe", "httpx")
# Secrets with a recognisable shape, whoever logs them: Stripe secret and restricted keys, webhook
# signing secrets, the client secrets of account sessions and payment intents.
SECRET_SHAPES = re.compile(r"\b(?:sk|rk)_(?:test|live)_\w+|\bwhsec_[\w+/=]+|\b\w+_secret_\w+")
# A query parameter whose name says it carries a token.
TOKEN_QUERY = re.compile(r"([?&][^=&\s\"']*token[^=&\s\"']*=)[^&#\s\"']+", re.IGNORECASE)
SEGMENT = r"[^/?#\s\"']+"
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
SHORTEST_SECRET = 8  # shorter values (test settings) would redact ordinary words


def route_table(routes: list[BaseRoute], prefix: str = ""):
    """Every route and mount, through nested Mounts, as (full path template, route)."""
    for route in routes:
        path = prefix + route.path
        yield path, route
        if isinstance(route, Mount):
            yield from route_table(route.routes, path)


def link_token_paths(routes: list[BaseRoute]) -> list[re.Pattern]:
    """A pattern per route whose path carries a token (mailed links), matching such a path in a
    log line with the token as group `token`."""
    patterns = []
    for path, route in route_table(routes):
        if isinstance(route, Mount) or not any("token" in name for name in PARAMETER.findall(path)):
            continue
        pieces, end = [], 0
        for parameter in PARAMETER.finditer(path):
            pieces.append(re.escape(path[end:parameter.start()]))
            pieces.append(f"(?P<token>{SEGMENT})" if parameter.group(1) == "token" else SEGMENT)
            end = parameter.end()
        pieces.append(re.escape(path[end:]))
        patterns.append(re.compile("".join(pieces) + r"(?=[/?#\s\"']|$)"))
    return patterns


def secret_values(settings) -> list[str]:
    """Every secret setting's value (SecretStr fields, alone or in lists)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, SecretStr) and len(item.get_secret_value()) >= SHORTEST_SECRET:
                values.append(item.get_secret_value())
    return values


class Redactor:
    def __init__(self, secrets: list[str] = (), link_paths: list[re.Pattern] = ()):
        self.secrets = sorted(set(secrets), key=len, reverse=True)
        self.link_paths = list(link_paths)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = SECRET_SHAPES.sub(REDACTED, text)
        text = TOKEN_QUERY.sub(lambda found: found.group(1) + REDACTED, text)
        for pattern in self.link_paths:
            text = pattern.sub(_without_token, text)
        return text


def _without_token(found: re.Match) -> str:
    start, end = found.span("token")
    return found.group(0)[: start - found.start()] + REDACTED + found.group(0)[end - found.start():]


class Formatter(logging.Formatter):
    """Text or JSON lines, redacted after formatting so nothing (arguments, tracebacks) escapes."""

    def __init__(self, redact: Redactor, json_lines: bool):
        super().__init__("%(levelname)s %(name)s: %(message)s")  # the collector adds the time
        self.redact, self.json_lines = redact, json_lines

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self._json(record) if self.json_lines else super().format(record))

    def _json(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            line.update(zip(("client", "method", "path", "http_version", "status"), record.args))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(settings, routes: list[BaseRoute] = ()) -> None:
    """Send every log line to stderr through one redacting handler. `routes` (the app's) teaches
    it which path segments are link tokens; `portal serve` passes them once the app is built."""
    level = logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Formatter(Redactor(secret_values(settings), link_token_paths(routes)),
                                   json_lines=settings.log_format == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)  # Python's warnings become log lines too (JSON ones with LOG_FORMAT=json)
    for name in OURS:
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate = [], True  # uvicorn's own configuration would bypass ours
        logger.setLevel(level)
    if not settings.access_log:
        logging.getLogger("uvicorn.access").setLevel(logging.CRITICAL + 1)  # uvicorn's --no-access-log, kept
    for name in REQUEST_LINES:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
