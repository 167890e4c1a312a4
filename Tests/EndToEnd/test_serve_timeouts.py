"""Timeouts of `serve`, on a server started with 1-second handshake, header and idle timeouts.

Each test checks that the connection is closed while the client is still waiting (bounded), and that the
server did not close it earlier than the timeout for some other reason (a lower bound, not a speed check)."""
import time

import pytest

from support.http1 import Connection, client_hello, request, tcp_connect, tls_connect
from support.worlds import HOST_A, POLICY_PATH

TIMEOUT = 1  # seconds, for each of the three flags
SLACK = 4.0  # seconds on top of TIMEOUT that the server may take to close
NOT_BEFORE = 0.5  # seconds: closing earlier than this is not the timeout at work


@pytest.fixture(scope="module")
def timeout_server(session_launcher, world):
    return session_launcher(world, "--handshake-timeout", str(TIMEOUT), "--header-timeout", str(TIMEOUT),
                            "--idle-timeout", str(TIMEOUT))


def policy_request() -> bytes:
    return request("GET", POLICY_PATH, HOST_A)


def tls(server, world) -> Connection:
    return Connection(tls_connect(server.port, HOST_A, world.ca_path))


def assert_closed_after_timeout(connection: Connection, started: float) -> bytes:
    closed, received = connection.closed_within(TIMEOUT + SLACK)
    assert closed, f"not closed within {TIMEOUT + SLACK} s; received {received[:80]!r}"
    assert time.monotonic() - started >= NOT_BEFORE, "closed before the timeout could have fired"
    return received


def test_request_head_slower_than_header_timeout_is_closed(timeout_server, world):
    """Slowloris: one byte every 0.3 s. Closed while still sending, at most after a 408."""
    with tls(timeout_server, world) as connection:
        head = policy_request().replace(b"\r\n\r\n", b"\r\nX-Slow: " + b"s" * 100 + b"\r\n\r\n")
        closed, received, elapsed = connection.trickle(head, interval=0.3, give_up_after=TIMEOUT + SLACK)
        assert closed, f"the server still waited for the head after {elapsed:.1f} s"
        assert elapsed >= NOT_BEFORE, f"closed after {elapsed:.1f} s, before the header timeout"
        assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received[:80]


def test_request_head_sent_in_pieces_within_header_timeout_is_answered(timeout_server, world):
    """The control for the slow-head test: pieces are fine as long as the head completes in time."""
    with tls(timeout_server, world) as connection:
        head = policy_request()
        for start in range(0, len(head), 20):
            connection.send(head[start:start + 20])
            time.sleep(0.05)
        response = connection.read_response()
        assert (response.status, response.body) == (200, world.bodies[HOST_A])


def test_idle_keep_alive_connection_is_closed_after_idle_timeout(timeout_server, world):
    with tls(timeout_server, world) as connection:
        assert connection.exchange(policy_request()).status == 200
        time.sleep(TIMEOUT / 4)
        assert connection.exchange(policy_request()).status == 200  # kept alive, not closed at once
        received = assert_closed_after_timeout(connection, time.monotonic())
        assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received[:80]


def test_tcp_connection_sending_nothing_is_closed_after_handshake_timeout(timeout_server):
    with Connection(tcp_connect(timeout_server.port)) as connection:
        assert assert_closed_after_timeout(connection, time.monotonic()) == b""


def test_partial_client_hello_is_closed_after_handshake_timeout(timeout_server):
    hello = client_hello(HOST_A)
    with Connection(tcp_connect(timeout_server.port)) as connection:
        connection.send(hello[:len(hello) // 2])
        assert_closed_after_timeout(connection, time.monotonic())


def test_server_still_serves_after_the_timeouts(timeout_server, world):
    with tls(timeout_server, world) as connection:
        assert connection.exchange(policy_request()).body == world.bodies[HOST_A]
    assert timeout_server.is_running()
