"""One polite, retrying HTTP session for every connector, and one way to turn a response into
JSON or a clear typed error.

Why: public APIs (KvK, CBS, PDOK) rate-limit, have bad days (5xx), and sometimes answer an HTML
error page with status 200. Each connector must fail with a one-line message that names the URL
and never the API key, instead of a traceback or silently empty data.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from regionomie import __version__ as _pkg_version

log = logging.getLogger(__name__)

RETRY_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
DEFAULT_USER_AGENT = (
    f"regionomie/{_pkg_version} (+https://github.com/regionomie/regionomie; open-data research)"
)
_SNIPPET_BYTES = 80
DEFAULT_MAX_RESPONSE_MB = 100
# Headers that carry credentials besides Authorization (which requests strips by itself): they
# never follow a redirect to another host, nor from https to http.
SENSITIVE_HEADERS: tuple[str, ...] = (
    "apikey",
    "x-api-key",
    "ocp-apim-subscription-key",
    "proxy-authorization",
    "cookie",
)


def max_response_bytes() -> int:
    """Byte cap on one HTTP response body (after gzip/deflate decoding):
    REGIONOMIE_HTTP_MAX_MB, default 100 MB."""
    raw = os.environ.get("REGIONOMIE_HTTP_MAX_MB", "").strip()
    try:
        mb = float(raw) if raw else float(DEFAULT_MAX_RESPONSE_MB)
    except ValueError:
        raise ValueError(f"REGIONOMIE_HTTP_MAX_MB={raw!r} is not a number") from None
    if mb <= 0:
        raise ValueError("REGIONOMIE_HTTP_MAX_MB must be positive")
    return int(mb * 1024 * 1024)


def is_local_host(url: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: the only hosts a keyed API may be reached over plain
    http (local test servers)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_https_for_key(base_url: str, what: str) -> None:
    """Refuse a plain-http base URL for an API that sends a key, unless it is local."""
    scheme = urlsplit(base_url).scheme.lower()
    if scheme == "https" or (scheme == "http" and is_local_host(base_url)):
        return
    raise ValueError(
        f"{what} must be an https:// URL (got {scheme or 'no scheme'}://): the API key would "
        "travel unencrypted; plain http is only accepted for localhost test servers"
    )


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), pa.hostname, pa.port or _default_port(pa.scheme)) == (
        pb.scheme.lower(),
        pb.hostname,
        pb.port or _default_port(pb.scheme),
    )


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())


class ConnectorError(Exception):
    """Base of every connector error. `url` is the request URL (never contains a key)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class AuthError(ConnectorError):
    """401/403: the API key is wrong, expired or missing."""


class NotFound(ConnectorError):
    """404. `code` carries the provider's error code when given (KvK: IPD5200 = nothing found)."""

    def __init__(
        self, message: str, *, url: str = "", status: int | None = 404, code: str | None = None
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.code = code


class UpstreamError(ConnectorError):
    """The service is down, overloaded or unreachable (5xx/429 after retries, network errors)."""


class ConnectorTimeout(UpstreamError):
    """Connect or read timeout (after retries)."""


class BadResponse(ConnectorError):
    """The body is not the JSON we asked for (HTML error page, truncated or malformed JSON) or
    the request was refused as malformed (other 4xx)."""


class _CappedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is capped, so a server asking for an hour does not
    hang a pipeline run; the cap is `backoff_max`."""

    def get_retry_after(self, response: Any) -> float | None:  # type: ignore[override]
        value = super().get_retry_after(response)
        if value is None:
            return None
        return min(value, float(self.backoff_max))


class PoliteSession(requests.Session):
    """requests.Session with a default (connect, read) timeout and a minimum interval between
    requests (a client-side rate limit shared by all threads using this session)."""

    def __init__(self, *, timeout: tuple[float, float], min_interval: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._last_request = 0.0

    def _wait_turn(self) -> None:
        if self.min_interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            wait = self._last_request + self.min_interval - now
            if wait > 0:
                time.sleep(wait)
            self._last_request = time.monotonic()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        self._wait_turn()
        return super().request(method, url, *args, **kwargs)

    def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
        """requests strips only Authorization on a redirect to another host; an `apikey`
        header would follow it. Strip every credential header whenever requests would strip
        Authorization (other host, or https -> http)."""
        super().rebuild_auth(prepared_request, response)
        if self.should_strip_auth(response.request.url, prepared_request.url):
            for name in list(prepared_request.headers):
                if name.lower() in SENSITIVE_HEADERS:
                    del prepared_request.headers[name]


def make_session(
    *,
    retries: int = 5,
    backoff_factor: float = 1.0,
    backoff_max: float = 60.0,
    connect_timeout: float = 5.0,
    read_timeout: float = 60.0,
    min_interval: float = 0.2,
    user_agent: str = DEFAULT_USER_AGENT,
    headers: Mapping[str, str] | None = None,
) -> PoliteSession:
    """A session that retries 429/500/502/503/504 and network errors on GET with exponential
    backoff (backoff_factor * 2**n, at most backoff_max), honours Retry-After (capped at
    backoff_max), times out per (connect, read) and waits min_interval seconds between requests.
    Tests pass backoff_factor=0 and min_interval=0 to stay fast."""
    session = PoliteSession(timeout=(connect_timeout, read_timeout), min_interval=min_interval)
    retry = _CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = requests.adapters.HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    if headers:
        session.headers.update(headers)
    return session


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret in text by '***' (providers sometimes echo the key back)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def snippet(body: bytes | str, limit: int = _SNIPPET_BYTES) -> str:
    """First bytes of a body as a one-line printable string, for error messages."""
    if isinstance(body, bytes):
        body = body[:limit].decode("utf-8", errors="replace")
    text = " ".join(body[:limit].split())
    return repr(text)


def _provider_error(body: bytes) -> tuple[str | None, str | None]:
    """(code, description) from a KvK-style {"fout": [{"code", "omschrijving"}]} body."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if isinstance(data, dict):
        fout = data.get("fout")
        if isinstance(fout, list) and fout and isinstance(fout[0], dict):
            code = fout[0].get("code")
            text = fout[0].get("omschrijving")
            return (str(code) if code else None), (" ".join(str(text).split()) if text else None)
        # OData v4 {"error": {...}}, OData v3 {"odata.error": {"code", "message": {"value"}}}
        err = data.get("error") or data.get("odata.error")
        if isinstance(err, dict):
            msg = err.get("message")
            if isinstance(msg, dict):  # OData v3: {"message": {"lang", "value"}}
                msg = msg.get("value")
            return (str(err.get("code")) if err.get("code") else None), (
                " ".join(str(msg).split()) if msg else None
            )
    return None, None


def check_response(resp: requests.Response, secrets: Iterable[str | None] = ()) -> None:
    """Raise the typed error matching a non-2xx response; return quietly on 2xx."""
    status = resp.status_code
    if 200 <= status < 300:
        return
    secrets = tuple(secrets)
    url = redact(resp.url, secrets)
    code, text = _provider_error(resp.content)
    detail = f" ({code}: {text})" if code and text else (f" ({text})" if text else "")
    detail = redact(detail, secrets)
    if status in (401, 403):
        raise AuthError(f"HTTP {status} from {url}: bad or missing API key", url=url, status=status)
    if status == 404:
        raise NotFound(f"HTTP 404 from {url}: not found{detail}", url=url, code=code)
    if status == 429:
        raise UpstreamError(
            f"HTTP 429 from {url}: still rate limited after retries", url=url, status=status
        )
    if status >= 500:
        raise UpstreamError(
            f"HTTP {status} from {url}: service unavailable after retries{detail}",
            url=url,
            status=status,
        )
    raise BadResponse(f"HTTP {status} from {url}: request refused{detail}", url=url, status=status)


def parse_json(resp: requests.Response, secrets: Iterable[str | None] = ()) -> Any:
    """Body as JSON, or BadResponse naming the URL and the first bytes (HTML page, garbage)."""
    secrets = tuple(secrets)
    url = redact(resp.url, secrets)
    body = resp.content
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    head = body.lstrip()[:1]
    if not body.strip():
        raise BadResponse(f"empty body from {url} (HTTP {resp.status_code})", url=url)
    if "html" in ctype or head == b"<":
        raise BadResponse(
            f"expected JSON from {url} but got {ctype or 'no content type'}: "
            f"{redact(snippet(body), secrets)}",
            url=url,
            status=resp.status_code,
        )
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" at char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadResponse(
            f"malformed JSON from {url}{where}: {redact(snippet(body), secrets)}",
            url=url,
            status=resp.status_code,
        ) from None


def _read_capped(resp: requests.Response, cap: int, secrets: tuple[str | None, ...]) -> None:
    """Read the (decoded) body into resp.content, at most `cap` bytes; a bigger body (also one
    that only inflates past the cap through gzip) is refused as BadResponse."""
    url = redact(resp.url, secrets)
    declared = resp.headers.get("Content-Length", "")
    mb = cap / 1024 / 1024
    if declared.isdigit() and int(declared) > cap and not resp.headers.get("Content-Encoding"):
        raise BadResponse(
            f"response from {url} is {int(declared):,} bytes, over the {mb:g} MB cap "
            "(REGIONOMIE_HTTP_MAX_MB)",
            url=url,
            status=resp.status_code,
        )
    body = bytearray()
    for chunk in resp.iter_content(chunk_size=1 << 16):
        body += chunk
        if len(body) > cap:
            raise BadResponse(
                f"response from {url} exceeds the {mb:g} MB cap (REGIONOMIE_HTTP_MAX_MB); "
                "not read further",
                url=url,
                status=resp.status_code,
            )
    resp._content = bytes(body)  # what requests itself sets when it reads a body
    resp._content_consumed = True


def get_json(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str | None] = (),
) -> Any:
    """GET url and return its JSON, translating every failure into a ConnectorError whose
    message is one line, names the URL and never contains a secret."""
    secrets = tuple(secrets)
    safe_url = redact(url, secrets)
    log.debug("GET %s params=%s", safe_url, redact(str(dict(params or {})), secrets))
    cap = max_response_bytes()
    try:
        resp = session.get(url, params=params, headers=dict(headers or {}), stream=True)
        try:
            _read_capped(resp, cap, secrets)
        finally:
            resp.close()
    except requests.exceptions.Timeout as exc:
        kind = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read"
        raise ConnectorTimeout(f"{kind} timeout from {safe_url}", url=safe_url) from None
    except requests.exceptions.ConnectionError as exc:
        first = exc.args[0] if exc.args else None
        # while the body streams, requests wraps urllib3's ReadTimeoutError itself
        reason = first if isinstance(first, ReadTimeoutError) else getattr(first, "reason", None)
        # NewConnectionError (refused, DNS) subclasses ConnectTimeoutError in urllib3 2.x
        timed_out = isinstance(reason, ReadTimeoutError | ConnectTimeoutError)
        if timed_out and not isinstance(reason, NewConnectionError):
            kind = "read" if isinstance(reason, ReadTimeoutError) else "connect"
            raise ConnectorTimeout(
                f"{kind} timeout from {safe_url} after retries", url=safe_url
            ) from None
        raise UpstreamError(
            f"cannot reach {safe_url}: {type(reason or exc).__name__}", url=safe_url
        ) from None
    except requests.exceptions.RetryError:
        raise UpstreamError(f"{safe_url} kept failing after retries", url=safe_url) from None
    except requests.exceptions.RequestException as exc:
        raise UpstreamError(
            f"request to {safe_url} failed: {type(exc).__name__}", url=safe_url
        ) from None
    check_response(resp, secrets)
    return parse_json(resp, secrets)
