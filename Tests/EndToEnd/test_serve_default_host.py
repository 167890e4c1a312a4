"""`--default-host H`: a client without SNI gets H's certificate, and its requests are routed by Host."""
import pytest

from support.http1 import Connection, request, tls_connect
from support.tools import s_client
from support.worlds import HOST_A, HOST_B, HOST_C, POLICY_PATH


@pytest.fixture(scope="module")
def default_host_server(session_launcher, world):
    return session_launcher(world, "--default-host", HOST_A)


def fetch_without_sni(server, world, host_header: str):
    with Connection(tls_connect(server.port, None, world.ca_path)) as connection:
        return connection.exchange(request("GET", POLICY_PATH, host_header))


def test_no_sni_gets_the_default_host_certificate(default_host_server, world):
    result = s_client(default_host_server.port, None, world.ca_path)
    assert result.handshake_completed and result.verified, result.output
    assert result.leaf.organizational_unit == "a-certbot-ec" and result.leaf.dns_names == [HOST_A]


def test_no_sni_with_default_host_header_serves_its_policy(default_host_server, world):
    response = fetch_without_sni(default_host_server, world, HOST_A)
    assert (response.status, response.body) == (200, world.bodies[HOST_A])


def test_no_sni_is_routed_by_the_host_header(default_host_server, world):
    response = fetch_without_sni(default_host_server, world, HOST_C)
    assert (response.status, response.body) == (200, world.bodies[HOST_C])


def test_sni_still_selects_certificate_and_policy_when_default_host_is_set(default_host_server, world):
    result = s_client(default_host_server.port, HOST_B, world.ca_path)
    assert result.leaf.organizational_unit == "b-wildcard-ec", result.output
    with Connection(tls_connect(default_host_server.port, HOST_B, world.ca_path)) as connection:
        assert connection.exchange(request("GET", POLICY_PATH, HOST_B)).body == world.bodies[HOST_B]
