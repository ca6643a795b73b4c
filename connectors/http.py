"""Bounded HTTP GETs for feeds: conditional, time-limited, size-limited, redirects checked hop by hop."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter

from connectors.base import FatalError, RetriableError
from connectors.safety import Resolver, check_url, resolve_addresses

USER_AGENT = "strongtie/0.1 (feed poller; +https://github.com/strongtie/strongtie)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0  # a server dribbling bytes cannot hold a worker longer than this
    max_body_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class HttpResponse:
    status: int
    url: str  # the URL that finally answered
    permanent_url: str  # the URL to poll from now on (moves only along 301/308 hops)
    headers: Mapping[str, str]
    body: bytes


class HttpClient:
    """GETs one URL at a time from any number of threads (one shared connection pool)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        limits: HttpLimits = HttpLimits(),
        pool_size: int = 16,
        resolver: Resolver = resolve_addresses,
    ) -> None:
        self.allow_private = allow_private
        self.limits = limits
        self.resolver = resolver
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=max(pool_size, 10), pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = USER_AGENT

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpResponse:
        """GET ``url`` following at most ``max_redirects`` redirects, each hop checked for safety.

        Raises :class:`RetriableError` on timeouts and connection failures and
        :class:`FatalError` for unsafe URLs, redirect loops and bodies over the size limit.
        Any HTTP status is returned, not raised: the caller classifies it.
        """
        deadline = time.monotonic() + self.limits.total_timeout
        current = permanent = url
        still_permanent = True
        for _hop in range(self.limits.max_redirects + 1):
            check_url(current, allow_private=self.allow_private, resolver=self.resolver)
            response = self._send(current, headers, deadline)
            if response.status_code not in REDIRECT_STATUSES or "Location" not in response.headers:
                body = self._read_body(response, current, deadline) if response.status_code == 200 else b""
                return HttpResponse(response.status_code, current, permanent, dict(response.headers), body)
            response.close()
            target = urljoin(current, response.headers["Location"])
            still_permanent = still_permanent and response.status_code in PERMANENT_REDIRECTS
            if still_permanent:
                permanent = target
            current = target
        raise FatalError(f"more than {self.limits.max_redirects} redirects, starting at {url}")

    def _send(self, url: str, headers: Mapping[str, str] | None, deadline: float) -> requests.Response:
        read_timeout = max(0.1, min(self.limits.read_timeout, deadline - time.monotonic()))
        try:
            return self.session.get(
                url,
                headers=dict(headers or {}),
                timeout=(self.limits.connect_timeout, read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout:
            raise RetriableError(f"timed out after {read_timeout:.0f} s waiting for {url}") from None
        except requests.RequestException as exc:
            raise RetriableError(f"could not connect to {url}: {type(exc).__name__}") from None

    def _read_body(self, response: requests.Response, url: str, deadline: float) -> bytes:
        limit = self.limits.max_body_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise FatalError(f"{url} is {int(declared):,} bytes, over the {limit:,}-byte limit for a feed")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise FatalError(f"{url} sent more than the {limit:,}-byte limit for a feed")
                if time.monotonic() > deadline:
                    raise RetriableError(f"{url} took longer than {self.limits.total_timeout:.0f} s to send its body")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise RetriableError(f"reading {url} failed: {type(exc).__name__}") from None
        finally:
            response.close()
        return b"".join(chunks)
