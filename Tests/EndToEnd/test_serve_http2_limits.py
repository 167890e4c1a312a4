"""Per-connection limits of HTTP/2 and its graceful end: streams per connection (stream-id exhaustion), a client
that never reads (back-pressure, then the idle timeout), and SIGTERM (GOAWAY NO_ERROR, exit 0).

Each test starts a server of its own with the flags it needs."""
import os
import signal
import socket
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import pytest

from support import h2frames as f
from support.h2client import H2Connection
from support.http1 import CLOSED_ERRORS, tls_connect
from support.procfs import rss_kib, tcp_connection
from support.tools import curl
from support.worlds import HOST_A, HOST_B, POLICY_PATH

RSS_GROWTH_LIMIT_KIB = 50 * 1024


# stream-id exhaustion: --max-requests-per-connection

def test_goaway_after_max_requests_per_connection_names_the_last_stream(start_server, world):
    """60 requests one after the other on one connection of a server limited to 50: the first 50 are answered,
    the 50th response is followed by GOAWAY(NO_ERROR, last_stream_id=99), the rest get nothing, and the
    connection closes."""
    server = start_server(world, "--max-requests-per-connection", "50")
    with H2Connection.open(server.port, HOST_A, world.ca_path) as connection:
        connection.handshake()
        for number in range(1, 61):
            stream = 2 * number - 1
            sent = connection.request(stream, HOST_A, POLICY_PATH)  # after GOAWAY: refused by a closed socket, or ignored
            if number <= 50:
                assert sent
                response = connection.response(stream)
                assert (response.status, response.body) == (200, world.bodies[HOST_A]), (number, response.status)
        assert connection.read_until_closed(5.0), f"still open after GOAWAY; frames: {connection.frames[-5:]}"
        goaway = connection.goaway()
        assert goaway is not None, f"no GOAWAY after 60 requests; frames: {connection.frames[-5:]}"
        assert (goaway.error_code, goaway.last_stream_id) == (f.NO_ERROR, 99), goaway
        answered = sorted({frame.stream_id for frame in connection.frames_of(f.HEADERS)})
        assert answered == list(range(1, 100, 2)), answered
        assert connection.frames.index(goaway) > connection.frames.index(connection.frames_of(f.HEADERS, 99)[0])
    assert curl(server.port, HOST_A, world.ca_path, http="2").body == world.bodies[HOST_A]  # a new connection is fine


# a client that never reads

REQUESTS_PER_WRITE = 50  # one TLS record each: the server answers a record before it reads the next
MAX_REQUESTS = 200_000  # the most this client sends before it concludes that the server never stops reading
IDLE_TIMEOUT = 2
CLOSE_LIMIT = 15.0  # seconds from the stall to the server's close


def test_client_that_never_reads_is_throttled_then_closed_after_the_idle_timeout(start_server, world):
    """The client opens its flow-control windows wide (so only TCP limits the server), asks for policies in
    writes of 50 requests (never more than 100 streams open on the server's side) and reads nothing. Loopback
    buffers are large (the kernel grows the server's send buffer to a few MiB), so it takes tens of thousands
    of requests before the server's writes block; then it must stop reading (the client's writes stall too),
    keep its memory, keep serving others, and close the connection after --idle-timeout."""
    server = start_server(world, "--idle-timeout", str(IDLE_TIMEOUT), "--max-requests-per-connection", "1000000")
    baseline = rss_kib(server.process.pid)
    with H2Connection.open(server.port, HOST_A, world.ca_path, receive_buffer=4096) as connection:
        connection.handshake({f.SETTINGS_INITIAL_WINDOW_SIZE: 2**31 - 1})
        assert connection.send(f.window_update(0, 2**31 - 1 - 65535))
        writes = (b"".join(f.headers(2 * (first + index) + 1, f.request_block(HOST_A, POLICY_PATH))
                           for index in range(REQUESTS_PER_WRITE))
                  for first in range(0, MAX_REQUESTS, REQUESTS_PER_WRITE))
        started = time.monotonic()
        written, stalled = connection.send_until_blocked(writes)
        stalled_at = time.monotonic()
        server_side = tcp_connection(server.port, connection.local_port)
        client_side = tcp_connection(connection.local_port, server.port)
        print(f"figure: {written * REQUESTS_PER_WRITE} requests written in {stalled_at - started:.2f} s before the "
              f"client's writes stalled; server socket then {server_side}, client socket {client_side}; VmRSS "
              f"{baseline} -> {rss_kib(server.process.pid)} KiB")
        assert stalled, f"{written * REQUESTS_PER_WRITE} requests written without the server ever stopping to read"
        assert server_side is not None and server_side["state"] == "ESTABLISHED", server_side
        unread = server_side["rx_queue"] + client_side["tx_queue"]  # requests the server has not taken
        assert unread > 0 and server_side["tx_queue"] > 0, f"no back-pressure: {server_side}, {client_side}"

        for http in ("2", "1.1"):  # meanwhile, on the same (single) event loop
            result = curl(server.port, HOST_B, world.ca_path, http=http)
            assert (result.status, result.body) == (200, world.bodies[HOST_B])

        peak = baseline
        while (state := tcp_connection(server.port, connection.local_port)) and state["state"] == "ESTABLISHED":
            peak = max(peak, rss_kib(server.process.pid))
            assert time.monotonic() - stalled_at < CLOSE_LIMIT, f"not closed {CLOSE_LIMIT} s after the stall: {state}"
            time.sleep(0.1)
        closed_after = time.monotonic() - stalled_at
        print(f"figure: the server closed it {closed_after:.1f} s after the stall (server socket now {state}); "
              f"peak VmRSS {peak} KiB")
        assert peak - baseline < RSS_GROWTH_LIMIT_KIB, (baseline, peak)
        assert server.is_running(), server.log_tail()
    assert curl(server.port, HOST_A, world.ca_path, http="2").body == world.bodies[HOST_A]


# graceful shutdown

SHUTDOWN_TIMEOUT = 5


class H2LibraryClient:
    """A conforming client on the `h2` package's state machine, for the graceful-shutdown exchange."""

    def __init__(self, sock):
        self.sock = sock
        self.connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                                               header_encoding="utf-8"))
        self.connection.initiate_connection()
        self.flush()

    def flush(self) -> None:
        self.sock.sendall(self.connection.data_to_send())

    def events_until(self, wanted, timeout: float = 5.0) -> list:
        """Events up to and including the first of type `wanted`, or up to the server's close."""
        deadline, events = time.monotonic() + timeout, []
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except CLOSED_ERRORS:
                data = b""
            if not data:
                return events
            for event in self.connection.receive_data(data):
                events.append(event)
                if isinstance(event, h2.events.DataReceived):
                    self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            self.flush()
            if any(isinstance(event, wanted) for event in events):
                return events


def test_sigterm_sends_goaway_no_error_to_an_idle_h2_connection_and_exits_0(start_server, world):
    server = start_server(world, "--shutdown-timeout", str(SHUTDOWN_TIMEOUT))
    with tls_connect(server.port, HOST_A, world.ca_path, alpn=["h2"]) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        client = H2LibraryClient(sock)
        client.connection.send_headers(1, [(":method", "GET"), (":scheme", "https"), (":authority", HOST_A),
                                           (":path", POLICY_PATH)], end_stream=True)
        client.flush()
        events = client.events_until(h2.events.StreamEnded)
        body = b"".join(event.data for event in events if isinstance(event, h2.events.DataReceived))
        assert body == world.bodies[HOST_A], events
        # the session is idle now: no stream open
        signalled = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)
        events = client.events_until(h2.events.ConnectionTerminated)
        terminated = [event for event in events if isinstance(event, h2.events.ConnectionTerminated)]
        assert terminated, f"no GOAWAY after SIGTERM; events: {events}"
        assert terminated[0].error_code == h2.errors.ErrorCodes.NO_ERROR, terminated[0]
        assert terminated[0].last_stream_id == 1, terminated[0]
        print(f"figure: GOAWAY {time.monotonic() - signalled:.2f} s after SIGTERM: {terminated[0]}")
        assert client.events_until(h2.events.Event, timeout=5.0) == [], "more after GOAWAY, or no close"
    try:
        status = server.process.wait(SHUTDOWN_TIMEOUT + 2)
    except Exception:
        pytest.fail(f"still running {SHUTDOWN_TIMEOUT + 2} s after SIGTERM\n{server.log_tail()}")
    print(f"figure: exited with {status} {time.monotonic() - signalled:.2f} s after SIGTERM")
    assert status == 0, server.log_tail()
