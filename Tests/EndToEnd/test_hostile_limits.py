"""Running out of file descriptors: a server started with RLIMIT_NOFILE 64 gets 150 connections that each sent a
ClientHello (so TCP_DEFER_ACCEPT hands them over at once) and then read nothing.

While its descriptors are exhausted and the rest wait in the listen backlog, the server must stay up, must not
spin on the ready listening socket (accepting pauses 100 ms on EMFILE), and must log "cannot accept connections"
once per 10 s, not once per connection. Once the clients go away, it serves again."""
from __future__ import annotations

import time

import pytest

from support import procfs
from support.http1 import client_hello, tcp_connect
from support.tools import curl
from support.worlds import HOST_A

NOFILE = 64
EXTRA_CONNECTIONS = 150
HANDSHAKE_TIMEOUT = 60  # seconds: the accepted connections hold their descriptors for the whole test
CPU_WINDOW = 2.0  # seconds of sampling while the backlog is full
CPU_LIMIT = 0.5  # of one core, at most
EXHAUSTED_LOG = "cannot accept connections"
MAX_LOG_LINES = 2  # one per 10 s of exhaustion; the test keeps it up for less than 10 s
RECOVERY_LIMIT = 15.0  # seconds for the first successful fetch after the clients left


@pytest.fixture
def exhausted_server(start_server, world):
    """A server with NOFILE descriptors, all in use, and connections waiting in its backlog."""
    server = start_server(world, "--handshake-timeout", str(HANDSHAKE_TIMEOUT), nofile=NOFILE)
    pid = server.process.pid
    idle_descriptors = procfs.open_descriptors(pid)
    hello = client_hello(HOST_A)
    clients = []
    try:
        for _ in range(EXTRA_CONNECTIONS):
            sock = tcp_connect(server.port)
            sock.sendall(hello)
            clients.append(sock)
        assert server.wait_for_log(EXHAUSTED_LOG, timeout=10), \
            f"no {EXHAUSTED_LOG!r} after {EXTRA_CONNECTIONS} connections\n{server.log_tail()}"
        print(f"\ndescriptors: {idle_descriptors} open when idle, {procfs.open_descriptors(pid)} of {NOFILE} "
              f"with {EXTRA_CONNECTIONS} connections")
        yield server, clients
    finally:
        for sock in clients:
            sock.close()


def test_exhausted_descriptors_neither_crash_nor_spin_and_are_logged_once(exhausted_server, world):
    server, clients = exhausted_server
    pid = server.process.pid
    assert procfs.open_descriptors(pid) >= NOFILE - 2, "the server never ran out of descriptors"

    before, started = procfs.cpu_seconds(pid), time.monotonic()
    time.sleep(CPU_WINDOW)
    cpu = (procfs.cpu_seconds(pid) - before) / (time.monotonic() - started)
    lines = server.log_text().count(EXHAUSTED_LOG)
    print(f"CPU while exhausted: {cpu * 100:.1f}% of a core over {CPU_WINDOW:.0f} s; "
          f"{lines} {EXHAUSTED_LOG!r} log line(s)")
    assert server.is_running(), server.log_tail()
    assert cpu < CPU_LIMIT, f"the server used {cpu * 100:.0f}% of a core with its descriptors exhausted"
    assert 1 <= lines <= MAX_LOG_LINES, f"{lines} exhaustion log lines\n{server.log_tail()}"

    for sock in clients:
        sock.close()
    clients.clear()
    deadline, failure = time.monotonic() + RECOVERY_LIMIT, None
    while time.monotonic() < deadline:
        try:
            result = curl(server.port, HOST_A, world.ca_path)
            assert (result.status, result.body) == (200, world.bodies[HOST_A])
            break
        except AssertionError as error:
            failure = error
            time.sleep(0.5)
    else:
        pytest.fail(f"no successful fetch within {RECOVERY_LIMIT} s after the clients left: {failure}\n"
                    f"{server.log_tail()}")
    print(f"recovered: fetch served, {procfs.open_descriptors(pid)} descriptors open")
    assert server.is_running()
    assert server.log_text().count(EXHAUSTED_LOG) <= MAX_LOG_LINES
