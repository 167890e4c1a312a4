"""Bytes that are not TLS on the port: the connection is closed, the server stays up and keeps serving."""
import random
import socket
import struct

import pytest

from support.http1 import Connection, client_hello, request, tcp_connect, tls_connect
from support.worlds import HOST_A, POLICY_PATH

NOT_TLS = {
    "plain-http": request("GET", "/", HOST_A),
    "plain-http-policy": request("GET", POLICY_PATH, HOST_A),
    "random-bytes": b"\x00" + random.Random(8461).randbytes(4095),
    "bogus-handshake-record": b"\x16\x03\x01\x00\x40" + b"\xff" * 64,
    "sslv2-compatible-hello": bytes.fromhex("802e 01 0301 0015 0000 0010" "010080 020080 030080 040080 060040 0700c0 000035")
    + b"\x5a" * 16,
}


@pytest.fixture(scope="module")
def abused_server(session_launcher, world):
    """A server of its own, so that a crash here does not take the other tests with it."""
    return session_launcher(world)


@pytest.mark.parametrize("payload", NOT_TLS.values(), ids=NOT_TLS.keys())
def test_non_tls_bytes_are_closed_and_the_server_keeps_serving(abused_server, world, payload):
    with Connection(tcp_connect(abused_server.port)) as connection:
        connection.send_tolerating_close(payload)
        closed, received = connection.closed_within(5.0)
        assert closed, "the server kept a non-TLS connection open"
        assert b"STSv1" not in received
        assert not received.startswith(b"HTTP/"), f"answered non-TLS bytes in plain HTTP: {received[:80]!r}"
    assert_still_serves(abused_server, world)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_client_hello_then_close_is_closed_at_once(abused_server, world, fraction):
    """Part of a real ClientHello, then FIN: closed on the EOF, long before the 10 s handshake timeout."""
    hello = client_hello(HOST_A)
    with Connection(tcp_connect(abused_server.port)) as connection:
        connection.send(hello[:int(len(hello) * fraction)])
        connection.sock.shutdown(socket.SHUT_WR)
        closed, received = connection.closed_within(3.0)
        assert closed, "the server kept a half-closed, truncated handshake open"
        assert not received.startswith(b"HTTP/")
    assert_still_serves(abused_server, world)


def test_client_that_resets_mid_handshake_does_not_disturb_the_server(abused_server, world):
    raw = tcp_connect(abused_server.port)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello cut short, then RST
    raw.close()
    assert_still_serves(abused_server, world)


def assert_still_serves(server, world) -> None:
    assert server.is_running(), server.log_tail()
    with Connection(tls_connect(server.port, HOST_A, world.ca_path)) as connection:
        assert connection.exchange(request("GET", POLICY_PATH, HOST_A)).body == world.bodies[HOST_A]
