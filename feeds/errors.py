"""What can go wrong with a feed, as exceptions whose text is safe to log and show.

Every message is redacted before it is stored (:func:`redact`): query values and user info are
cut out of URLs, and any secret a feed registered is replaced by ``***``. urllib3's messages
and the text of a ``requests.ConnectionError`` carry the whole URL, so nothing from the
network reaches a log line or the wall without passing through here. No Qt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Every pattern is linear in its input: each may start only where a run of its characters
# starts (the look-behind) and scans no further than the next character that ends it, so no
# two attempts scan the same run (a 65 KB run of letters took 7 s with an unanchored scheme).
# user:password@ in a URL
_USERINFO = re.compile(r"(?<![a-zA-Z0-9+.-])(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]+@")
# the value of a query parameter, in absolute and relative URLs alike (?a=1&b=2)
_QUERY_VALUE = re.compile(r"(?P<lead>[?&][^=&?\s'\"()<>#]+=)[^&\s'\"()<>#]+")
# Authorization-like header values that may be echoed in an error
_AUTH = re.compile(r"(?i)(?P<lead>(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{4,}")


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL query values, URL user info, bearer/basic credentials and the given
    ``secrets`` (non-empty strings of 3+ characters) replaced by ``***``."""
    out = str(text)
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        out = out.replace(secret, "***")
    out = _USERINFO.sub(r"\g<scheme>***@", out)
    out = _QUERY_VALUE.sub(r"\g<lead>***", out)
    return _AUTH.sub(r"\g<lead>***", out)


class FeedError(Exception):
    """A feed attempt failed; ``str()`` is already redacted and fit for the wall."""

    partial = False


class FetchError(FeedError):
    """The source could not be read (connection, timeout, deadline, size cap, HTTP status)."""


class TooLarge(FetchError):
    """The answer was over the feed's size cap. Deterministic, so never retried: the same body
    would be downloaded again up to the cap, for nothing."""


class Incomplete(FeedError):
    """A paged load was proven incomplete (a page repeated, the cursor stood still, fewer
    distinct records than the total) and the feed is configured to fail rather than be
    partial (``paging.on_incomplete = "fail"``). The pages before stay cached."""


class Malformed(FeedError):
    """The source answered with something we refuse: not JSON, wrong shape, missing or wrong
    fields, absurd values. Names the feed and the field."""

    def __init__(self, feed: str, field: str, reason: str) -> None:
        self.feed, self.field, self.reason = feed, field, reason
        super().__init__(f"feed {feed}: {field}: {reason}")


class RetryLater(FeedError):
    """The source asked us to come back later (HTTP 429/503 with Retry-After). The runner
    reschedules the feed after ``delay_s`` instead of sleeping a worker."""

    def __init__(self, message: str, delay_s: float) -> None:
        self.delay_s = delay_s
        super().__init__(message)
