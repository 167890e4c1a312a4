"""HTTP/1.1 framing and limits of `serve`, with exact request bytes over a raw TLS connection (Python `ssl`)."""
import time

import pytest

from support.http1 import Connection, request, tls_connect
from support.worlds import HOST_A, HOST_B, POLICY_PATH

CLOSE_WAIT = 5.0  # seconds the server has to close after a response that ends the connection


@pytest.fixture
def connect(server, world):
    """`connect(host=HOST_A)` -> a Connection over TLS with SNI `host`, closed after the test."""
    opened = []

    def open_connection(host: str = HOST_A) -> Connection:
        opened.append(Connection(tls_connect(server.port, host, world.ca_path)))
        return opened[-1]

    yield open_connection
    for connection in opened:
        connection.close()


def get(host: str = HOST_A, path: str = POLICY_PATH, **options) -> bytes:
    return request("GET", path, host, **options)


def assert_closed(connection: Connection) -> None:
    closed, extra = connection.closed_within(CLOSE_WAIT)
    assert closed and extra == b"", f"connection still open (or more bytes: {extra[:80]!r})"


def server_still_reads(connection: Connection) -> bool:
    """After the server closed TLS: whether its socket still takes bytes (a lingering close, which discards them)
    or is closed (the kernel answers the first bytes with a reset, which fails the second send)."""
    raw = connection.sock.unwrap()  # may or may not send our close_notify: the sends below decide
    connection.sock = raw
    try:
        raw.sendall(b"after close")
        time.sleep(0.3)
        raw.sendall(b"after the reset")
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def test_ten_pipelined_requests_in_one_write_get_ten_responses_in_order(connect, world):
    policy = world.bodies[HOST_A]
    exchanges = [("GET", POLICY_PATH, 200, policy), ("HEAD", POLICY_PATH, 200, b""), ("GET", "/", 404, None),
                 ("GET", POLICY_PATH + "?n=4", 200, policy), ("POST", POLICY_PATH, 405, None),
                 ("GET", POLICY_PATH, 200, policy), ("OPTIONS", POLICY_PATH, 405, None),
                 ("HEAD", "/missing", 404, b""), ("GET", "/missing", 404, None), ("GET", POLICY_PATH, 200, policy)]
    connection = connect()
    connection.send(b"".join(request(method, path, HOST_A) for method, path, _, _ in exchanges))
    for number, (method, path, status, body) in enumerate(exchanges):
        response = connection.read_response(method)
        assert response.status == status, (number, method, path, response.raw_head)
        if body is not None:
            assert response.body == body, (number, method, path)
    assert connection.exchange(get()).body == policy  # still open afterwards


def test_head_response_has_no_body_and_the_get_headers(connect):
    connection = connect()
    connection.send(request("HEAD", POLICY_PATH, HOST_A) + get())
    head, following = connection.read_response("HEAD"), connection.read_response("GET")
    assert (head.status, following.status) == (200, 200)  # a body after HEAD would break the second parse
    for name in ("Content-Type", "Content-Length", "Cache-Control", "ETag"):
        assert head.header(name) == following.header(name), name


@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET " + POLICY_PATH.encode() + b"\r\nHost: " + HOST_A.encode() + b"\r\n\r\n",    # no HTTP version
    b"GET\r\nHost: " + HOST_A.encode() + b"\r\n\r\n",
    b"\x00\x01\x02 / HTTP/1.1\r\nHost: " + HOST_A.encode() + b"\r\n\r\n",
], ids=["one-token", "no-version", "method-only", "binary-method"])
def test_malformed_request_line_gets_400_and_close(connect, raw):
    connection = connect()
    assert connection.exchange(raw).status == 400
    assert_closed(connection)


@pytest.mark.parametrize("header_line", ["X-No-Colon", "Bad Name: x", " X-Folded-First-Line: x"],
                         ids=["no-colon", "space-in-name", "leading-space"])
def test_malformed_header_gets_400_and_close(connect, header_line):
    """The leading-space case is obs-fold right after the request line, which RFC 9112 §2.2 says to reject."""
    raw = f"GET {POLICY_PATH} HTTP/1.1\r\n{header_line}\r\nHost: {HOST_A}\r\n\r\n".encode()
    connection = connect()
    assert connection.exchange(raw).status == 400
    assert_closed(connection)


def padded_request(head_size: int, *, headers: int = 1) -> bytes:
    """A valid GET of the policy whose head (up to and including the blank line) is `head_size` bytes,
    padded with `headers` X-Padding-N headers."""
    base = len(get())
    overhead = sum(len(f"X-Padding-{n}: \r\n") for n in range(headers))
    fill, rest = divmod(head_size - base - overhead, headers)
    padding = [(f"X-Padding-{n}", "p" * (fill + (rest if n == 0 else 0))) for n in range(headers)]
    raw = get(headers=padding)
    assert len(raw) == head_size
    return raw


@pytest.mark.parametrize("headers", [1, 90], ids=["one-big-header", "many-headers"])
def test_request_head_over_8_kib_gets_431(connect, headers):
    connection = connect()
    connection.send_tolerating_close(padded_request(9 * 1024, headers=headers))
    assert connection.read_response().status == 431


def test_request_head_under_8_kib_is_served(connect, world):
    assert connect().exchange(padded_request(7 * 1024, headers=10)).body == world.bodies[HOST_A]


def test_request_line_over_2_kib_gets_414(connect):
    target = POLICY_PATH + "?q=" + "x" * 2560
    connection = connect()
    connection.send_tolerating_close(get(path=target))
    assert connection.read_response().status == 414


def test_request_line_under_2_kib_is_served(connect, world):
    target = POLICY_PATH + "?q=" + "x" * 1900
    assert connect().exchange(get(path=target)).body == world.bodies[HOST_A]


@pytest.mark.parametrize("headers, body", [
    ([("Content-Length", "5")], b"hello"),
    ([("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n"),
], ids=["content-length", "chunked"])
def test_get_with_a_body_gets_400_and_close(connect, headers, body):
    connection = connect()
    assert connection.exchange(get(headers=headers, body=body)).status == 400
    assert_closed(connection)


def test_http11_without_host_gets_400(connect):
    assert connect().exchange(get(host=None)).status == 400


def test_http10_without_keep_alive_is_answered_then_closed(connect, world):
    connection = connect()
    response = connection.exchange(get(version="HTTP/1.0"))
    assert (response.status, response.body) == (200, world.bodies[HOST_A])
    assert "keep-alive" not in response.connection_tokens()
    assert_closed(connection)


def test_http10_without_host_is_routed_by_sni(connect, world):
    connection = connect(HOST_B)
    assert connection.exchange(get(host=None, version="HTTP/1.0")).body == world.bodies[HOST_B]


def test_http10_with_keep_alive_keeps_the_connection_open(connect, world):
    connection = connect()
    keep_alive = get(version="HTTP/1.0", headers=[("Connection", "keep-alive")])
    first = connection.exchange(keep_alive)
    assert (first.status, first.body) == (200, world.bodies[HOST_A])
    assert "keep-alive" in first.connection_tokens(), first.raw_head
    assert connection.exchange(keep_alive).body == world.bodies[HOST_A]


def test_http11_keeps_the_connection_open_by_default(connect, world):
    connection = connect()
    for _ in range(3):
        response = connection.exchange(get())
        assert (response.status, response.body) == (200, world.bodies[HOST_A])
        assert "close" not in response.connection_tokens()


def test_connection_close_is_answered_with_connection_close_then_closed(connect, world):
    connection = connect()
    response = connection.exchange(get(headers=[("Connection", "close")]))
    assert (response.status, response.body) == (200, world.bodies[HOST_A])
    assert "close" in response.connection_tokens(), response.raw_head
    assert_closed(connection)


def test_a_whole_request_with_connection_close_closes_the_socket_without_lingering(connect, world):
    connection = connect()
    response = connection.exchange(get(headers=[("Connection", "close")]))
    assert (response.status, response.body) == (200, world.bodies[HOST_A])
    assert_closed(connection)
    assert not server_still_reads(connection)


@pytest.mark.parametrize("after", [get(), b"GET /next HTTP/1.1\r\n"], ids=["whole-request", "partial-request"])
def test_bytes_after_a_closing_request_make_the_server_linger_so_its_response_is_not_reset(connect, world, after):
    connection = connect()
    connection.send(get(headers=[("Connection", "close")]) + after)
    response = connection.read_response()
    assert (response.status, response.body) == (200, world.bodies[HOST_A])
    assert_closed(connection)
    assert server_still_reads(connection)


def test_a_malformed_request_makes_the_server_linger_after_its_400(connect):
    connection = connect()
    connection.send(b"GARBAGE\r\n\r\n")
    assert connection.read_response().status == 400
    assert_closed(connection)
    assert server_still_reads(connection)


def test_expect_100_continue_on_get_without_body_is_answered(connect, world):
    connection = connect()
    connection.send(get(headers=[("Expect", "100-continue")]))
    response = connection.read_response(skip_interim=True)
    assert (response.status, response.body) == (200, world.bodies[HOST_A])
