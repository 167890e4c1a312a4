"""HTTP semantics of `serve` as curl sees them (`--http1.1`, SNI = the URL's host, verified against the test CA).

curl sends `Host: <host>:<port>`, so every test here also checks that a port in the Host header is accepted."""
import re

import pytest

from support.checks import assert_recent_http_date
from support.tools import curl
from support.worlds import HOST_A, HOST_B, HOST_C, HOST_NOPOLICY, POLICY_PATH

HOSTS_WITH_POLICIES = [HOST_A, HOST_B, HOST_C]


@pytest.mark.parametrize("host", HOSTS_WITH_POLICIES)
def test_get_policy_returns_the_canonical_policy_of_the_sni_host(server, world, host):
    result = curl(server.port, host, world.ca_path)
    assert result.status == 200, result.status_line
    assert result.body == world.bodies[host]


def test_policy_is_served_canonicalized_not_as_written_on_disk(server, world):
    """a.test.txt has LF line ends and an unknown key; c.test.txt has `max_age` before the `mx` lines."""
    for host, file_name in ((HOST_A, "a.test.txt"), (HOST_C, "c.test.txt")):
        on_disk = (world.policies_dir / file_name).read_bytes()
        body = curl(server.port, host, world.ca_path).body
        assert body != on_disk and body == world.bodies[host]
        assert b"extension_key" not in body


def test_policy_response_has_the_documented_headers(server, world):
    result = curl(server.port, HOST_A, world.ca_path)
    assert result.status_line.startswith("HTTP/1.1 200")
    assert result.header("Content-Type") == "text/plain; charset=utf-8"
    assert result.header("Content-Length") == str(len(world.bodies[HOST_A]))
    assert result.header("Cache-Control") == "no-cache"
    assert re.fullmatch(r'"[\x21\x23-\x7e]+"', result.header("ETag") or ""), result.header("ETag")
    assert_recent_http_date(result.header("Date"))
    assert not re.search(r"\d", result.header("Server") or ""), f"Server header shows a version: {result.header('Server')}"


def test_query_string_is_ignored(server, world):
    result = curl(server.port, HOST_B, world.ca_path, POLICY_PATH + "?cache-buster=1&x=y")
    assert (result.status, result.body) == (200, world.bodies[HOST_B])


def test_if_none_match_with_the_current_etag_gets_304_without_body(server, world):
    etag = curl(server.port, HOST_A, world.ca_path).header("ETag")
    result = curl(server.port, HOST_A, world.ca_path, POLICY_PATH, "-H", f"If-None-Match: {etag}")
    assert result.status == 304, result.status_line
    assert result.body == b""


def test_if_none_match_with_another_etag_gets_the_policy(server, world):
    result = curl(server.port, HOST_A, world.ca_path, POLICY_PATH, "-H", 'If-None-Match: "not-the-etag"')
    assert (result.status, result.body) == (200, world.bodies[HOST_A])


def test_each_policy_has_its_own_etag(server, world):
    etags = {host: curl(server.port, host, world.ca_path).header("ETag") for host in HOSTS_WITH_POLICIES}
    assert len(set(etags.values())) == len(HOSTS_WITH_POLICIES), etags


def test_head_has_the_get_headers_and_no_body(server, world):
    get = curl(server.port, HOST_C, world.ca_path)
    head = curl(server.port, HOST_C, world.ca_path, POLICY_PATH, "--head")
    assert head.status == 200, head.status_line
    for name in ("Content-Type", "Content-Length", "Cache-Control", "ETag"):
        assert head.header(name) == get.header(name), name
    assert head.header("Content-Length") == str(len(world.bodies[HOST_C]))


@pytest.mark.parametrize("path", ["/", "/.well-known/", "/.well-known/mta-sts.txt.bak", "/robots.txt",
                                  "/.well-known/mta-sts.txt/x"])
def test_other_paths_get_404(server, world, path):
    result = curl(server.port, HOST_A, world.ca_path, path)
    assert result.status == 404, result.status_line
    assert world.bodies[HOST_A] not in result.body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_get_405_with_allow(server, world, method):
    result = curl(server.port, HOST_A, world.ca_path, POLICY_PATH, "-X", method)
    assert result.status == 405, result.status_line
    assert result.header("Allow") == "GET, HEAD"
    assert world.bodies[HOST_A] not in result.body


def test_host_header_naming_another_host_than_sni_gets_421(server, world):
    result = curl(server.port, HOST_A, world.ca_path, POLICY_PATH, "-H", f"Host: {HOST_B}")
    assert result.status == 421, result.status_line
    assert world.bodies[HOST_A] not in result.body and world.bodies[HOST_B] not in result.body


def test_host_with_certificate_but_no_policy_gets_404(server, world):
    result = curl(server.port, HOST_NOPOLICY, world.ca_path)
    assert result.status == 404, result.status_line
    assert b"STSv1" not in result.body
