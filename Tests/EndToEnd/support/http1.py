"""A raw HTTP/1.1-over-TLS client on Python `ssl`: exact request bytes out, parsed responses in.

Every socket has a timeout; reads never wait longer than that.
"""
from __future__ import annotations

import dataclasses
import pathlib
import socket
import ssl
import time
import typing

TIMEOUT = 5.0
CLOSED_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, ssl.SSLEOFError,
                 ssl.SSLZeroReturnError)


class ConnectionClosed(Exception):
    """The peer closed the connection before a complete response arrived."""


def client_context(ca_path: pathlib.Path | None, *, alpn: list[str] | None = None,
                   check_hostname: bool = True) -> ssl.SSLContext:
    """A client context that trusts only the test CA (or nothing is verified when `ca_path` is None)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_path is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cafile=str(ca_path))
        context.check_hostname = check_hostname
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def tcp_connect(port: int, host: str = "127.0.0.1", timeout: float = TIMEOUT) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


def tls_connect(port: int, sni: str | None, ca_path: pathlib.Path | None, *, host: str = "127.0.0.1",
                alpn: list[str] | None = None, timeout: float = TIMEOUT,
                context: ssl.SSLContext | None = None) -> ssl.SSLSocket:
    """Connects and completes the handshake with SNI `sni` (None: no SNI, the name is then not checked).
    A given `context` (from `client_context`, to share among many connections) overrides ca_path/alpn."""
    context = context or client_context(ca_path, alpn=alpn, check_hostname=sni is not None)
    raw = tcp_connect(port, host, timeout)
    try:
        return context.wrap_socket(raw, server_hostname=sni)
    except BaseException:
        raw.close()
        raise


def served_certificate(port: int, sni: str, ca_path: pathlib.Path) -> bytes:
    """The leaf certificate (DER) a new, verified connection with SNI `sni` gets."""
    with tls_connect(port, sni, ca_path) as sock:
        return sock.getpeercert(binary_form=True)


def client_hello(sni: str) -> bytes:
    """The bytes of a real TLS ClientHello for `sni`, produced without any network I/O."""
    context = client_context(None)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16" and len(hello) > 100, hello[:16]
    return hello


def request(method: str, path: str, host: str | None, *, version: str = "HTTP/1.1",
            headers: list[tuple[str, str]] | tuple = (), body: bytes = b"") -> bytes:
    """The bytes of one request: request line, `Host` (unless None), `headers` in order, blank line, body."""
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclasses.dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes

    def header(self, name: str) -> str | None:
        """The value of the only header `name`; None if absent; fails if it appears more than once."""
        values = self.all(name)
        assert len(values) <= 1, f"header {name} appears {len(values)} times: {values}"
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def connection_tokens(self) -> set[str]:
        return {token.strip().lower() for value in self.all("Connection") for token in value.split(",")}


def _parse_head(head: bytes) -> tuple[str, int, str, list[tuple[str, str]]]:
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = status_line.split(" ", 2)
    assert version in ("HTTP/1.1", "HTTP/1.0"), f"bad status line {status_line!r}"
    assert status.isdigit() and len(status) == 3, f"bad status line {status_line!r}"
    headers = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        assert colon and name and name == name.strip(), f"bad header line {line!r}"
        headers.append((name, value.strip(" \t")))
    return version, int(status), reason[0] if reason else "", headers


class SocketClient:
    """A client socket (TLS or plain TCP) that is closed on leaving a `with` block, and whose sends report a
    server that has already closed instead of raising. Shared by the HTTP/1.1 and HTTP/2 clients."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def send_tolerating_close(self, data: bytes) -> bool:
        """Sends `data`; returns False if the server had already closed (it may answer before reading all)."""
        try:
            self.sock.sendall(data)
            return True
        except CLOSED_ERRORS:
            return False


class Connection(SocketClient):
    """A client connection (TLS or plain TCP) with a read buffer, for sequential or pipelined exchanges."""

    def __init__(self, sock: socket.socket):
        super().__init__(sock)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        """Reads more bytes into the buffer; False at EOF or reset. Raises TimeoutError after the timeout."""
        try:
            data = self.sock.recv(65536)
        except CLOSED_ERRORS:
            return False
        except ssl.SSLError as error:  # a fatal alert or a truncated record from a closing server
            if any(word in (error.reason or "") for word in ("ALERT", "EOF")):
                return False
            raise
        if not data:
            return False
        self.buffer += data
        return True

    def read_response(self, method: str = "GET", *, skip_interim: bool = False) -> Response:
        """Reads one response: `Content-Length`, chunked, or (for a closing response) up to EOF.
        HEAD and 304/204/1xx responses have no body. With `skip_interim`, 1xx responses are skipped."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionClosed(f"connection closed in the response head; got {self.buffer!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        version, status, reason, headers = _parse_head(head)
        response = Response(version, status, reason, headers, b"", head + b"\r\n\r\n")
        if 100 <= status < 200:
            return self.read_response(method, skip_interim=True) if skip_interim else response
        if method == "HEAD" or status in (204, 304):
            return response
        if "chunked" in (response.header("Transfer-Encoding") or "").lower():
            response.body = self._read_chunked()
        elif response.header("Content-Length") is not None:
            response.body = self._read_exactly(int(response.header("Content-Length")))
        else:
            response.body = self.read_until_closed()
        return response

    def _read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise ConnectionClosed(f"connection closed after {len(self.buffer)} of {size} body bytes")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionClosed("connection closed in a chunked body")
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self._read_line().split(b";")[0], 16)
            if size == 0:
                while self._read_line():
                    pass
                return body
            body += self._read_exactly(size)
            assert self._read_line() == b""

    def read_until_closed(self) -> bytes:
        """All bytes up to the server's close; raises TimeoutError if it keeps the connection open."""
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data

    def closed_within(self, seconds: float) -> tuple[bool, bytes]:
        """Waits up to `seconds` for the server to close; returns (closed, bytes received meanwhile)."""
        self.sock.settimeout(seconds)
        try:
            data = self.read_until_closed()
            return True, data
        except (TimeoutError, socket.timeout):
            return False, self.buffer

    def trickle(self, data: bytes, interval: float, give_up_after: float) -> tuple[bool, bytes, float]:
        """Sends `data` one byte every `interval` seconds while the server keeps the connection open, for at
        most `give_up_after` seconds. Returns (the server closed while we were still sending, the bytes it
        sent, seconds from the first byte to the server's first reaction)."""
        start = time.monotonic()
        for byte in data:
            if time.monotonic() - start > give_up_after:
                break
            if self.send_tolerating_close(bytes([byte])):
                self.sock.settimeout(interval)
                try:
                    self._fill()  # data (a 408) or the close: the server reacted
                except (TimeoutError, socket.timeout):
                    continue  # nothing from the server meanwhile: send the next byte
            elapsed = time.monotonic() - start  # the server sent bytes, closed, or refused our byte
            closed, received = self.closed_within(TIMEOUT)
            return closed, received, elapsed
        return False, self.buffer, time.monotonic() - start

    def exchange(self, data: bytes, method: str = "GET") -> Response:
        self.send(data)
        return self.read_response(method)
