"""external-service: a tiny Flask app that calls counter-service.

GET /        -> 200 "Hello from external-service! The counter is at <n>."
                502 "counter service unreachable at <url>: <reason>" when the
                counter cannot be reached in time or answers badly.
GET /health  -> 200 "ok" (does not touch the counter service)

Configuration (environment, read on every request):
  COUNTER_SERVICE_URL  base URL of counter-service, e.g. http://10.0.0.2:8080
                       ("/get_and_increment_counter" is appended).

Serve it with gunicorn (see start.sh / gunicorn.conf.py), not Flask's dev server.
"""
import os

import requests
from flask import Flask, Response

COUNTER_PATH = "/get_and_increment_counter"
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0

app = Flask(__name__)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def counter_url() -> str:
    base = os.environ.get("COUNTER_SERVICE_URL", "").strip()
    if not base:
        return ""
    if "://" not in base:
        base = "http://" + base
    base = base.rstrip("/")
    return base if base.endswith(COUNTER_PATH) else base + COUNTER_PATH


def _reason(exc: BaseException) -> str:
    """A short, single-line reason for a failed request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connect timed out after {CONNECT_TIMEOUT_S:g}s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no response within {READ_TIMEOUT_S:g}s"
    # Dig the underlying OSError (e.g. "Connection refused") out of urllib3's wrappers.
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        stack.extend([e.__cause__, e.__context__, getattr(e, "reason", None)])
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]


@app.get("/health")
def health() -> Response:
    return _text("ok")


@app.get("/")
def index() -> Response:
    url = counter_url()
    if not url:
        return _text("counter service unreachable at (unset): COUNTER_SERVICE_URL is not set", 502)
    try:
        # No Session/connection pooling and no retries: every call is one
        # fresh GET, so a failure can never increment the counter twice.
        r = requests.get(url, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
    except requests.exceptions.RequestException as exc:
        return _text(f"counter service unreachable at {url}: {_reason(exc)}", 502)
    if r.status_code != 200:
        return _text(f"counter service unreachable at {url}: unexpected HTTP status {r.status_code}", 502)
    body = r.text.strip()
    if not body.isdigit():
        return _text(f"counter service unreachable at {url}: unexpected response body {body[:40]!r}", 502)
    return _text(f"Hello from external-service! The counter is at {int(body)}.")


if __name__ == "__main__":  # pragma: no cover - for quick local debugging only
    raise SystemExit("serve with gunicorn: ./start.sh (see README.md)")
