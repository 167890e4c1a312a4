"""The ready file: written once the server accepts connections, one `host:port` line per bound address."""
import re
import socket

import pytest

from support.http1 import Connection, request, tls_connect
from support.worlds import HOST_A, POLICY_PATH


def test_ready_file_has_one_ipv4_line_with_the_bound_port(server, world):
    assert re.fullmatch(r"127\.0\.0\.1:[1-9]\d{0,4}\n", server.ready_text), server.ready_text
    with Connection(tls_connect(server.port, HOST_A, world.ca_path)) as connection:
        assert connection.exchange(request("GET", POLICY_PATH, HOST_A)).status == 200


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback here")
def test_ready_file_writes_ipv6_in_brackets_and_serves_there(start_server, world):
    running = start_server(world, listen="[::1]:0")
    assert re.fullmatch(r"\[::1\]:[1-9]\d{0,4}\n", running.ready_text), running.ready_text
    with Connection(tls_connect(running.port, HOST_A, world.ca_path, host="::1")) as connection:
        assert connection.exchange(request("GET", POLICY_PATH, HOST_A)).body == world.bodies[HOST_A]
