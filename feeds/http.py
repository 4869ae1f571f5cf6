"""The HTTP layer every REST-like adapter shares. A ``requests.Session`` is handed in.

What requests alone does not give:

* a **total deadline** per request. ``timeout=(connect, read)`` bounds each socket read, so a
  server trickling a byte every half second keeps a call alive indefinitely. The body is
  streamed in small reads and abandoned once the deadline passes; and a timer shuts the
  request's socket down at the deadline, which also ends a trickle of the status line or
  headers (the session gets a :class:`DeadlineAdapter` that tells the timer which socket);
* a **size cap**: the body is streamed in 64 KiB reads and abandoned past ``max_bytes``, which
  is itself capped at :data:`MAX_BYTES_CAP` (a page is held in memory and parsed into Python
  objects several times its size); an answer over the cap is never retried;
* **retries** with exponential backoff and full jitter on connection errors, timeouts (the
  deadline included), 408, 429 and 5xx; never on other 4xx (the same request gets the same
  answer) nor on a body that is too large or not JSON (deterministic);
* **Retry-After** (429/503, seconds or an HTTP date) is honoured: a short one (up to
  ``retry_after_inline``) is waited out and the request retried; a longer one is not slept on:
  :class:`~feeds.errors.RetryLater` goes up to the runner, which reschedules the feed after the
  delay (capped at ``retry_after_cap``);
* **redaction**: every error text passes :func:`feeds.errors.redact`. Tokens travel in headers.

TLS verification is always on (``verify`` is never set to False here). No Qt.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from feeds.errors import FetchError, Malformed, RetryLater, TooLarge, redact

log = logging.getLogger(__name__)


class RedactingFilter(logging.Filter):
    """Redacts URL query values and credentials from a logger's records. urllib3 logs every
    request line (``"GET /path?query HTTP/1.1" 200``) at DEBUG; ``cockpit -v`` shows them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = redact(record.getMessage())
            record.args = ()
        else:
            record.msg = redact(record.msg)
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
    if not any(isinstance(f, RedactingFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(RedactingFilter())

#: Statuses worth asking again (a timeout, throttling, a server's trouble); any other 4xx is not.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The largest ``max_bytes`` allowed: 256 MiB. A page is held in memory and parsed into Python
#: objects (5-10 times its size), on a PC that also runs the wall; an answer larger than this is
#: a page size that is wrong, not data to load (a 1.7 GB body once took 12.5 GB resident).
MAX_BYTES_CAP = 256 * 1024 * 1024
_local = threading.local()


class _Watch:
    """The connection a request is on, so the deadline timer can shut its socket down."""

    def __init__(self) -> None:
        self.conn: HTTPConnection | None = None
        self.fired = False

    def abort(self) -> None:
        self.fired = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Watched:
    def getresponse(self, *args, **kwargs):  # called as the status line is about to be read
        watch = getattr(_local, "watch", None)
        if watch is not None:
            watch.conn = self
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections the deadline timer can find."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


@dataclass(frozen=True)
class HttpPolicy:
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # seconds for the whole request, body included
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 2  # attempts after the first
    backoff: float = 0.5  # first backoff (s); doubles each retry, full jitter
    backoff_max: float = 8.0
    retry_after_cap: float = 300.0  # never stay away longer than this on a server's say-so
    retry_after_inline: float = 5.0  # a Retry-After up to this is waited out and retried here

    def __post_init__(self) -> None:
        if not 0 <= self.max_bytes <= MAX_BYTES_CAP:
            raise ValueError(f"max_bytes {self.max_bytes} is outside 0..{MAX_BYTES_CAP} "
                             f"(256 MiB, the cap of one answer)")


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes | bytearray  # a bytearray when streamed (no second copy of a large body)
    url: str  # redacted

    def json(self, feed: str) -> Any:
        try:
            return json.loads(self.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            head = self.body[:40].decode("utf-8", "replace")
            raise Malformed(feed, "(body)", f"not JSON ({type(exc).__name__}; starts "
                                            f"{head!r})") from None
        except RecursionError:
            raise Malformed(feed, "(body)", "JSON nested too deeply to read") from None


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None  # not negative, not NaN
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class HttpClient:
    session: requests.Session
    feed: str
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    secrets: tuple[str, ...] = ()
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        for prefix in ("http://", "https://"):
            if not isinstance(self.session.get_adapter(prefix), DeadlineAdapter):
                self.session.mount(prefix, DeadlineAdapter())

    def redact(self, text: object) -> str:
        return redact(text, self.secrets)

    def get(self, url: str, *, params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
            headers: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
            method: str = "GET", json_body: Any = None, ok: Iterable[int] = (200,)) -> Response:
        """One request with retries. ``headers`` may be a function, called per attempt (a
        signature carries a fresh timestamp and nonce each time)."""
        ok = frozenset(ok)
        last: Exception | None = None
        told: float | None = None  # the wait a server's Retry-After asked for, if it did
        for attempt in range(self.policy.retries + 1):
            if attempt:
                cap = min(self.policy.backoff_max, self.policy.backoff * 2 ** (attempt - 1))
                delay = told if told is not None else self.rng.uniform(0, cap)
                log.info("feed %s: retry %d in %.2f s after %s", self.feed, attempt, delay, last)
                self.sleep(delay)
            told = None
            hdrs = headers() if callable(headers) else dict(headers or {})
            try:
                resp = self._once(method, url, params, hdrs, json_body)
            except TooLarge:
                raise  # the same body again would be over the cap again
            except FetchError as exc:
                last = exc
                continue
            if resp.status in ok:
                return resp
            said = self.redact(resp.body[:160].decode("utf-8", "replace")).strip()
            message = f"feed {self.feed}: HTTP {resp.status} from {resp.url}" + (
                f": {said}" if said else "")
            if resp.status in (429, 503):
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                if wait is not None:
                    if wait > self.policy.retry_after_inline or attempt == self.policy.retries:
                        raise RetryLater(f"{message} (Retry-After {wait:.0f} s)",
                                         min(wait, self.policy.retry_after_cap))
                    told = wait  # short: wait it out here and ask again
            if resp.status in RETRY_STATUSES:
                last = FetchError(message)
                continue
            raise FetchError(message)  # 4xx: the same request would get the same answer
        assert last is not None
        raise FetchError(f"{last} (after {self.policy.retries + 1} attempts)")

    def _once(self, method: str, url: str, params: Any, headers: Mapping[str, str],
              json_body: Any) -> Response:
        watch = _Watch()
        timer = threading.Timer(self.policy.deadline, watch.abort)
        timer.daemon = True
        _local.watch = watch
        timer.start()
        try:
            return self._exchange(method, url, params, headers, json_body, watch)
        finally:
            timer.cancel()
            _local.watch = None

    def _exchange(self, method: str, url: str, params: Any, headers: Mapping[str, str],
                  json_body: Any, watch: _Watch) -> Response:
        p = self.policy
        deadline = time.monotonic() + p.deadline
        late = f"feed {self.feed}: {{}} not complete within the {p.deadline:g} s deadline"
        try:
            resp = self.session.request(method, url, params=params, headers=headers,
                                        json=json_body, stream=True, verify=True,
                                        timeout=(p.connect_timeout, p.read_timeout),
                                        allow_redirects=False)
        except requests.RequestException as exc:
            if watch.fired:
                raise FetchError(self.redact(late.format(url))) from None
            raise FetchError(self.redact(f"feed {self.feed}: {type(exc).__name__}: {exc}")) from None
        shown = self.redact(resp.url)
        body = bytearray()
        size = 0
        try:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > p.max_bytes:
                raise TooLarge(f"feed {self.feed}: {shown} announces {declared} bytes, "
                               f"over the cap of {p.max_bytes} (not downloaded)")
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(f"feed {self.feed}: {shown} not complete within the "
                                     f"{p.deadline:g} s deadline ({size} bytes read)")
                chunk = resp.raw.read1(65536, decode_content=True)
                if watch.fired:  # the timer cut the socket: what came is not the whole body
                    raise FetchError(late.format(shown) + f" ({size} bytes read)")
                if not chunk:
                    break
                size += len(chunk)
                if size > p.max_bytes:
                    raise TooLarge(f"feed {self.feed}: {shown} body over the cap of "
                                   f"{p.max_bytes} bytes (abandoned after {size} bytes)")
                body += chunk
        except requests.RequestException as exc:
            raise FetchError(self.redact(f"feed {self.feed}: {type(exc).__name__}: {exc}")) from None
        except Exception as exc:  # urllib3 protocol errors, resets mid-body
            if isinstance(exc, FetchError):
                raise
            if watch.fired:
                raise FetchError(late.format(shown) + f" ({size} bytes read)") from None
            raise FetchError(self.redact(
                f"feed {self.feed}: {shown}: connection broken ({type(exc).__name__}: {exc})")) from None
        finally:
            resp.close()
        return Response(resp.status_code, resp.headers, body, shown)
