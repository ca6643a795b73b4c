"""An IMAP client that connects only to the addresses the host check vetted.

``check_mailbox_host`` resolves the mailbox's host and refuses private or link-local answers; if
the client then resolved the name again, a DNS answer that changed in between (rebinding) could
steer the connection, and the password, to an address that was never checked. These classes take
the vetted addresses and connect to them in order, while TLS (implicit or STARTTLS) still verifies
the server's certificate against the host *name*.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence

import imapclient
from imapclient import imap4, tls


def connect_first(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers; the last error when none does."""
    if not addresses:
        raise OSError("no vetted address to connect to")
    last: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
    raise last  # type: ignore[misc]


class _PinnedTLS(tls.IMAP4_TLS):
    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None, timeout: float | None,
                 *, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)
        super().__init__(host, port, ssl_context, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock = connect_first(self._addresses, self.port, timeout if timeout is not None else self._timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)


class _PinnedPlain(imap4.IMAP4WithTimeout):
    def __init__(self, host: str, port: int, timeout: float | None, *, addresses: Sequence[str]) -> None:
        self._addresses = tuple(addresses)
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return connect_first(self._addresses, self.port, timeout if timeout is not None else self._timeout)


class PinnedIMAPClient(imapclient.IMAPClient):
    """:class:`imapclient.IMAPClient` for ``host`` that connects to ``addresses`` (already vetted)
    instead of resolving ``host``; certificates are still checked against ``host``."""

    def __init__(self, host: str, *, addresses: Sequence[str], **kwargs) -> None:
        self._addresses = tuple(addresses)
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):  # imapclient's hook for building the underlying imaplib connection
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _PinnedTLS(self.host, self.port, self.ssl_context, connect_timeout, addresses=self._addresses)
        return _PinnedPlain(self.host, self.port, connect_timeout, addresses=self._addresses)
