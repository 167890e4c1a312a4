"""Connection limits: per client address, and for the whole process (new connections wait in the backlog)."""
from __future__ import annotations

import socket
import ssl

import pytest

from support import http1
from support.tools import curl
from support.worlds import HOST_A


def test_connections_over_the_per_client_limit_are_closed_before_tls(start_server, world):
    server = start_server(world, "--max-connections-per-client", "3")
    held = [http1.tls_connect(server.port, HOST_A, world.ca_path) for _ in range(3)]
    try:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            http1.tls_connect(server.port, HOST_A, world.ca_path, timeout=5).close()
        held.pop().close()
        # The slot is free again once the server has seen the close.
        for _ in range(50):
            try:
                http1.tls_connect(server.port, HOST_A, world.ca_path, timeout=5).close()
                break
            except (ssl.SSLError, ConnectionError, OSError):
                pass
        else:
            pytest.fail("a freed per-client slot was never reused")
    finally:
        for sock in held:
            sock.close()


def test_at_the_connection_limit_new_connections_wait_and_are_served_later(start_server, world):
    server = start_server(world, "--max-connections", "2")
    held = [http1.tls_connect(server.port, HOST_A, world.ca_path) for _ in range(2)]
    try:
        waiting = http1.tcp_connect(server.port, timeout=1)
        context = http1.client_context(world.ca_path)
        # The kernel completes the TCP handshake, but nobody accepts it: no ServerHello arrives.
        with pytest.raises((socket.timeout, TimeoutError)):
            context.wrap_socket(waiting, server_hostname=HOST_A)
        waiting.close()
        held.pop().close()
        assert curl(server.port, HOST_A, world.ca_path).status == 200
        assert server.is_running()
    finally:
        for sock in held:
            sock.close()
