"""A corpus of hostile and malformed HTTP/1.1 request heads, sent over TLS (ALPN http/1.1) to a server of its own.

Each case has the statuses it may get (None: the server may also just close), and for the statuses that end
the connection (400, 408, 414, 431, 505) the close is checked. Every case carries a distinctive marker that the
response must never echo, and no response may name a server version. test_serve_http1_raw.py holds the basic
framing cases (malformed request lines, a header without a colon, 9 KiB heads, 2.5 KiB request lines, bodies on
GET, no Host); this corpus adds the smuggling and parser-confusion classes around them."""
from __future__ import annotations

import dataclasses
import re

import pytest

from support.http1 import ConnectionClosed, Connection, request, tls_connect
from support.worlds import HOST_A, HOST_B, POLICY_PATH

MARK = "zq8461marker"  # in every request; must never come back
HEADER_TIMEOUT = 2  # seconds: an incomplete head (HTTP/0.9) gets its 408 quickly
CLOSE_WAIT = 5.0  # seconds the server has to close after a response that ends the connection
CLOSING_STATUSES = {400, 408, 414, 431, 505}
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


@dataclasses.dataclass(frozen=True)
class Case:
    raw: bytes
    statuses: frozenset  # of int, and None for "closed without a response"
    policy: bool = False  # a 200 must carry HOST_A's policy


def case(raw: bytes | str, *statuses: int | None, policy: bool = False) -> Case:
    return Case(raw.encode("latin-1") if isinstance(raw, str) else raw, frozenset(statuses), policy)


def head(*lines: str, target: str = POLICY_PATH, method: str = "GET", version: str = "HTTP/1.1",
         end: str = "\r\n") -> str:
    """A request head: request line, `Host: HOST_A`, the marker header, `lines`, each ending with `end`."""
    return end.join([f"{method} {target} {version}", f"Host: {HOST_A}", f"X-Marker: {MARK}", *lines]) + end + end


CORPUS = {
    # Line endings
    "bare-lf-everywhere": case(head(end="\n"), 400),
    "bare-lf-in-one-line": case(f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {HOST_A}\r\nX-Marker: {MARK}\nX-B: b\r\n\r\n", 400),
    "bare-cr-in-one-line": case(f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {HOST_A}\r\nX-Marker: {MARK}\rX-B: b\r\n\r\n", 400),
    "bare-lf-request-line": case(f"GET {POLICY_PATH} HTTP/1.1\nHost: {HOST_A}\r\nX-Marker: {MARK}\r\n\r\n", 400),
    # obs-fold: a continuation line after a field (the first-line case is in test_serve_http1_raw.py)
    "obs-fold-space": case(head(f"X-Folded: a", f"  {MARK}"), 400),
    "obs-fold-tab": case(head(f"X-Folded: a", f"\t{MARK}"), 400),
    # NUL and other control bytes
    "nul-in-value": case(head(f"X-Nul: a\x00{MARK}"), 400),
    "nul-in-name": case(head(f"X-N\x00ul: {MARK}"), 400),
    "nul-in-target": case(head(target=f"{POLICY_PATH}\x00{MARK}"), 400),
    "del-in-value": case(head(f"X-Del: \x7f{MARK}"), 400),
    "control-in-value": case(head(f"X-Esc: \x1b[31m{MARK}"), 400),
    "high-bytes-in-target": case(head(target=f"/\xff\xfe{MARK}"), 400),
    # Content-Length: the request-smuggling class
    "content-length-huge": case(head("Content-Length: 99999999999999999999999999"), 400),
    "content-length-int64-overflow": case(head("Content-Length: 9223372036854775808"), 400),
    "content-length-negative": case(head("Content-Length: -1"), 400),
    "content-length-plus-sign": case(head("Content-Length: +5"), 400),
    "content-length-hex": case(head("Content-Length: 0x10"), 400),
    "content-length-conflicting": case(head("Content-Length: 5", "Content-Length: 6") + "hello", 400),
    "content-length-list": case(head("Content-Length: 5, 6") + "hello", 400),
    "content-length-and-chunked": case(head("Content-Length: 5", "Transfer-Encoding: chunked") + "0\r\n\r\n", 400),
    "transfer-encoding-obfuscated": case(head("Transfer-Encoding: xchunked") + "0\r\n\r\n", 400),
    "space-before-colon": case(head("Content-Length : 5") + "hello", 400),
    "empty-field-name": case(head(f": {MARK}"), 400),
    # Host
    "duplicate-host-same": case(head(f"Host: {HOST_A}"), 400),
    "duplicate-host-other": case(head(f"Host: {HOST_B}"), 400),
    "host-with-path": case(f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {HOST_A}/{MARK}\r\n\r\n", 400),
    "host-with-userinfo": case(f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {MARK}@{HOST_A}\r\n\r\n", 400),
    # Request targets
    "absolute-form": case(head(target=f"https://{HOST_A}{POLICY_PATH}"), 200, policy=True),
    "absolute-form-other-host": case(head(target=f"https://{HOST_B}{POLICY_PATH}?{MARK}"), 421, 400),
    "asterisk-form-options": case(head(method="OPTIONS", target="*"), 405, 400),
    "asterisk-form-get": case(head(target="*"), 400),
    "dot-dot-segment": case(head(target=f"/.well-known/../.well-known/mta-sts.txt?{MARK}"), 404),
    "dot-dot-above-root": case(head(target=f"/../../../etc/passwd?{MARK}"), 404),
    "dot-segment": case(head(target=f"/.well-known/./mta-sts.txt?{MARK}"), 404),
    "percent-encoded-dash": case(head(target=f"/.well-known/mta%2Dsts.txt?{MARK}"), 404),
    "percent-encoded-slash": case(head(target=f"/.well-known%2Fmta-sts.txt?{MARK}"), 404),
    "percent-encoded-dot-dot": case(head(target=f"/%2e%2e/%2E%2E/etc/passwd?{MARK}"), 404),
    "double-slash": case(head(target=f"//.well-known/mta-sts.txt?{MARK}"), 404),
    "backslash": case(head(target=f"/.well-known\\mta-sts.txt?{MARK}"), 404, 400),
    # Methods and versions
    "method-with-parenthesis": case(head(method="G(T"), 400),
    "method-with-semicolon": case(head(method="GET;"), 400),
    "method-quoted": case(head(method='"GET"'), 400),
    "method-with-at": case(head(method=f"GET@{MARK}"), 400),
    "tab-separated-request-line": case(f"GET\t{POLICY_PATH}\tHTTP/1.1\r\nHost: {HOST_A}\r\nX-Marker: {MARK}\r\n\r\n", 400),
    "double-space-request-line": case(f"GET  {POLICY_PATH} HTTP/1.1\r\nHost: {HOST_A}\r\nX-Marker: {MARK}\r\n\r\n", 400),
    "lowercase-version": case(head(version="http/1.1"), 400),
    "http-2.0-request-line": case(head(version="HTTP/2.0"), 505),
    "http-9.9": case(head(version="HTTP/9.9"), 505),
    "http2-preface": case(H2_PREFACE + f"{MARK}".encode(), 505, None),
    "http-0.9": case(f"GET /{MARK}\r\n", 400, 408, None),
    # Sizes
    "header-value-64-kib": case(head(f"X-Big: {MARK}" + "b" * 65536), 431),
    "200-small-headers": case(head(*(f"X-H{n}: {n}" for n in range(200))), 200, policy=True),
    "200-headers-over-8-kib": case(head(*(f"X-H{n}: {MARK}{'h' * 40}" for n in range(200))), 431),
}


KNOWN_BUGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def hostile_server(session_launcher, world):
    """A server of its own (a crash here does not take other tests with it), quick to time out a head."""
    return session_launcher(world, "--header-timeout", str(HEADER_TIMEOUT))


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])) if name in KNOWN_BUGS else name
    for name in CORPUS])
def test_malformed_head_gets_its_status_and_no_echo(hostile_server, world, name):
    expected = CORPUS[name]
    with Connection(tls_connect(hostile_server.port, HOST_A, world.ca_path, alpn=["http/1.1"])) as connection:
        assert connection.sock.selected_alpn_protocol() == "http/1.1"
        connection.send_tolerating_close(expected.raw)
        connection.sock.settimeout(HEADER_TIMEOUT + CLOSE_WAIT)
        try:
            response = connection.read_response()
        except ConnectionClosed:
            assert None in expected.statuses, f"closed without a response; expected {set(expected.statuses)}"
            assert MARK.encode() not in connection.buffer
            return
        everything = response.raw_head + response.body
        assert response.status in expected.statuses, (response.status, response.raw_head)
        assert MARK.encode() not in everything, f"the response echoes the request: {everything[:200]!r}"
        assert_no_server_version(response)
        if expected.policy:
            assert response.body == world.bodies[HOST_A]
        if response.status in CLOSING_STATUSES:
            closed, extra = connection.closed_within(CLOSE_WAIT)
            assert closed, f"still open after a {response.status}"
            assert MARK.encode() not in extra


def assert_no_server_version(response) -> None:
    for value in response.all("Server"):
        assert not re.search(r"[0-9/]", value), f"Server header names a version: {value!r}"


def test_server_survives_the_whole_corpus(hostile_server, world):
    """Runs after the table (pytest keeps file order): the server is up and serves the policy."""
    assert hostile_server.is_running(), hostile_server.log_tail()
    with Connection(tls_connect(hostile_server.port, HOST_A, world.ca_path)) as connection:
        response = connection.exchange(request("GET", POLICY_PATH, HOST_A))
        assert (response.status, response.body) == (200, world.bodies[HOST_A])
        assert_no_server_version(response)
