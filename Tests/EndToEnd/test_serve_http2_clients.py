"""HTTP/2 of `serve` as real h2 clients see it: curl --http2, nghttp -v, h2load, and ALPN choosing h2 or HTTP/1.1
on the same port. The routes are those of HTTP/1.1 (test_serve_http_curl.py), now over h2."""
import re

import pytest

from support import h2frames as f
from support.checks import assert_recent_http_date
from support.h2client import H2Connection
from support.http1 import Connection, request, tls_connect
from support.nghttp2_tools import CERTIFICATE_WARNING, h2load, nghttp_with_hosts, private_hosts_unavailable
from support.tools import curl, s_client
from support.worlds import HOST_A, HOST_B, HOST_C, HOST_NOPOLICY, POLICY_PATH

HOSTS_WITH_POLICIES = [HOST_A, HOST_B, HOST_C]
OUR_SETTINGS = {"MAX_CONCURRENT_STREAMS(0x03)": "100", "INITIAL_WINDOW_SIZE(0x04)": "16384",
                "MAX_HEADER_LIST_SIZE(0x06)": "16384", "ENABLE_PUSH(0x02)": "0"}


def curl2(server, world, host: str, path: str = POLICY_PATH, *args: str):
    result = curl(server.port, host, world.ca_path, path, *args, http="2")
    assert result.http_version == "2", f"curl --http2 spoke HTTP/{result.http_version}: {result.status_line}"
    return result


# curl --http2

@pytest.mark.parametrize("host", HOSTS_WITH_POLICIES)
def test_curl_http2_gets_the_policy_of_each_host_with_its_headers(server, world, host):
    result = curl2(server, world, host)
    assert result.status_line.startswith("HTTP/2 200"), result.status_line
    assert result.body == world.bodies[host]
    assert result.header("content-type") == "text/plain; charset=utf-8"
    assert result.header("content-length") == str(len(world.bodies[host]))
    assert result.header("cache-control") == "no-cache"
    assert re.fullmatch(r'"[\x21\x23-\x7e]+"', result.header("etag") or ""), result.header("etag")
    assert_recent_http_date(result.header("date"))
    assert result.header("connection") is None  # connection-specific fields are malformed in h2


@pytest.mark.parametrize("host", HOSTS_WITH_POLICIES)
def test_etag_over_h2_is_the_etag_over_http1(server, world, host):
    assert curl2(server, world, host).header("etag") == curl(server.port, host, world.ca_path).header("etag")


def test_curl_http2_reports_http_version_2_and_http1_reports_1_1(server, world):
    """The `-w %{http_version}` check on its own, as an operator would run it."""
    assert curl(server.port, HOST_A, world.ca_path, POLICY_PATH, http="2").http_version == "2"
    assert curl(server.port, HOST_A, world.ca_path, POLICY_PATH).http_version == "1.1"


def test_h2_if_none_match_with_the_current_etag_gets_304_without_body(server, world):
    etag = curl2(server, world, HOST_B).header("etag")
    result = curl2(server, world, HOST_B, POLICY_PATH, "-H", f"If-None-Match: {etag}")
    assert result.status == 304 and result.body == b"", result.status_line
    assert result.header("etag") == etag
    assert result.header("content-length") is None


def test_h2_head_has_the_get_headers(server, world):
    get = curl2(server, world, HOST_C)
    head = curl2(server, world, HOST_C, POLICY_PATH, "--head")
    assert head.status == 200, head.status_line  # (curl --head writes the head as the output: no body check)
    for name in ("content-type", "content-length", "cache-control", "etag"):
        assert head.header(name) == get.header(name), name


@pytest.mark.parametrize("path", ["/", "/robots.txt", "/.well-known/mta-sts.txt/x"])
def test_h2_other_paths_get_404(server, world, path):
    result = curl2(server, world, HOST_A, path)
    assert result.status == 404, result.status_line
    assert b"STSv1" not in result.body


def test_h2_host_with_certificate_but_no_policy_gets_404(server, world):
    result = curl2(server, world, HOST_NOPOLICY)
    assert result.status == 404 and b"STSv1" not in result.body, result.status_line


@pytest.mark.parametrize("method", ["POST", "DELETE", "OPTIONS"])
def test_h2_other_methods_get_405_with_allow(server, world, method):
    result = curl2(server, world, HOST_A, POLICY_PATH, "-X", method)
    assert result.status == 405, result.status_line
    assert result.header("allow") == "GET, HEAD"
    assert b"STSv1" not in result.body


def test_h2_authority_naming_another_host_than_sni_gets_421(server, world):
    """curl sends a `Host` option as :authority over h2."""
    result = curl2(server, world, HOST_A, POLICY_PATH, "-H", f"Host: {HOST_B}")
    assert result.status == 421, result.status_line
    assert world.bodies[HOST_A] not in result.body and world.bodies[HOST_B] not in result.body


def test_h2_request_with_a_body_gets_400(server, world):
    result = curl2(server, world, HOST_A, POLICY_PATH, "-X", "GET", "--data-binary", "x=1")
    assert result.status == 400, result.status_line
    assert b"STSv1" not in result.body


# the frames themselves (raw h2 client)

def test_raw_h2_exchange_frames(server, world):
    """Server SETTINGS first; the response is one HEADERS (END_HEADERS, lower-case fields) then DATA with
    END_STREAM carrying exactly the policy; a body sent with GET gets 400; the connection stays usable."""
    with H2Connection.open(server.port, HOST_A, world.ca_path) as h2:
        server_settings = h2.handshake()
        assert server_settings.stream_id == 0 and server_settings.settings == {
            f.SETTINGS_MAX_CONCURRENT_STREAMS: 100, f.SETTINGS_INITIAL_WINDOW_SIZE: 16384,
            f.SETTINGS_MAX_HEADER_LIST_SIZE: 16384, f.SETTINGS_ENABLE_PUSH: 0}
        assert h2.request(1, HOST_A, POLICY_PATH)
        response = h2.response(1)
        assert (response.status, response.body) == (200, world.bodies[HOST_A])
        assert all(name == name.lower() for name, _ in response.headers), response.headers
        headers_frames, data_frames = h2.frames_of(f.HEADERS, 1), h2.frames_of(f.DATA, 1)
        assert len(headers_frames) == 1 and headers_frames[0].has(f.END_HEADERS)
        assert not headers_frames[0].has(f.END_STREAM) and data_frames[-1].has(f.END_STREAM)

        assert h2.send(f.headers(3, f.request_block(HOST_A, POLICY_PATH), end_stream=False)
                       + f.data(3, b"x=1", end_stream=True))
        assert h2.response(3).status == 400
        assert h2.request(5, HOST_A, POLICY_PATH, "HEAD")  # method as a literal: not in the static table
        head = h2.response(5)
        assert (head.status, head.body, head.header("content-length")) == (200, b"", str(len(world.bodies[HOST_A])))
        assert h2.goaway() is None


# nghttp

@pytest.fixture(scope="module")
def nghttp_hosts():
    reason = private_hosts_unavailable()
    if reason:
        pytest.skip(reason)
    return {host: "127.0.0.1" for host in HOSTS_WITH_POLICIES}


def settings_block(output: str, direction: str) -> dict[str, str]:
    """The entries of the first non-ACK SETTINGS frame nghttp logged as `recv` or `send`."""
    match = re.search(rf"{direction} SETTINGS frame <length=\d+, flags=0x00, stream_id=0>\n\s+\(niv=\d+\)\n"
                      r"((?:\s+\[SETTINGS_\S+\):\d+\]\n)*)", output)
    assert match, f"no {direction} SETTINGS frame in:\n{output}"
    return dict(re.findall(r"\[SETTINGS_(\S+\)):(\d+)\]", match[1]))


def test_nghttp_verbose_sees_our_settings_a_200_and_closes_cleanly(server, world, nghttp_hosts):
    result = nghttp_with_hosts(nghttp_hosts, world.ca_path, "-nv", f"https://{HOST_A}:{server.port}{POLICY_PATH}")
    assert result.returncode == 0, result.output
    assert "The negotiated protocol: h2" in result.output
    assert CERTIFICATE_WARNING not in result.output, result.output
    assert settings_block(result.output, "recv") == OUR_SETTINGS
    assert re.search(r"recv \(stream_id=\d+\) :status: 200\n", result.output), result.output
    assert re.search(r"recv DATA frame <length=%d, flags=0x01," % len(world.bodies[HOST_A]), result.output)
    assert re.search(r"send GOAWAY frame .*\n\s+\(last_stream_id=0, error_code=NO_ERROR\(0x00\)", result.output)
    assert "recv GOAWAY" not in result.output and "RST_STREAM" not in result.output, result.output


@pytest.mark.parametrize("host", HOSTS_WITH_POLICIES)
def test_nghttp_downloads_each_policy(server, world, nghttp_hosts, host):
    result = nghttp_with_hosts(nghttp_hosts, world.ca_path, f"https://{host}:{server.port}{POLICY_PATH}")
    assert result.returncode == 0, result.output
    assert result.output.encode("latin-1") == world.bodies[host]


# h2load

def test_h2load_3000_requests_on_10_connections_all_succeed(server, world):
    result = h2load(server.port, f"https://{HOST_A}{POLICY_PATH}", "-n", "3000", "-c", "10", "-m", "100")
    assert result.returncode == 0, result.output
    assert result.application_protocol == "h2", result.output
    assert result.requests == {"total": 3000, "started": 3000, "done": 3000, "succeeded": 3000, "failed": 0,
                               "errored": 0, "timeout": 0}, result.output
    assert result.status_codes == {"2xx": 3000, "3xx": 0, "4xx": 0, "5xx": 0}, result.output
    assert server.is_running()


# ALPN

def test_alpn_http11_only_gets_http11_on_the_same_port_s_client(server, world):
    result = s_client(server.port, HOST_A, world.ca_path, "-alpn", "http/1.1",
                      send=request("GET", POLICY_PATH, HOST_A, headers=[("Connection", "close")]))
    assert result.alpn == "http/1.1", result.output
    assert "HTTP/1.1 200 " in result.output and world.bodies[HOST_A].decode() in result.output


@pytest.mark.parametrize("offer, selected", [(["http/1.1"], "http/1.1"), (None, None)], ids=["http1.1-only", "no-alpn"])
def test_client_without_h2_in_alpn_speaks_http11(server, world, offer, selected):
    with Connection(tls_connect(server.port, HOST_B, world.ca_path, alpn=offer)) as connection:
        assert connection.sock.selected_alpn_protocol() == selected
        response = connection.exchange(request("GET", POLICY_PATH, HOST_B))
        assert (response.version, response.status, response.body) == ("HTTP/1.1", 200, world.bodies[HOST_B])


def test_alpn_offering_h2_and_http11_selects_h2_and_the_server_speaks_first(server, world):
    sock = tls_connect(server.port, HOST_A, world.ca_path, alpn=["h2", "http/1.1"])
    assert sock.selected_alpn_protocol() == "h2"
    with H2Connection(sock) as h2:
        first = h2.next_frame()  # before we send anything: the server's SETTINGS (RFC 9113 §3.4)
        assert first is not None and first.type == f.SETTINGS and not first.has(f.ACK), first
        assert h2.send(f.PREFACE + f.settings() + f.settings(ack=True)) and h2.request(1, HOST_A, POLICY_PATH)
        assert h2.response(1).body == world.bodies[HOST_A]


def test_alpn_h2_s_client(server, world):
    result = s_client(server.port, HOST_A, world.ca_path, "-alpn", "h2,http/1.1")
    assert result.alpn == "h2", result.output


@pytest.mark.parametrize("host, sigalgs, label", [
    (HOST_A, None, "a-certbot-ec"),
    (HOST_B, None, "b-wildcard-ec"),  # *.b.test
    (HOST_C, "rsa_pss_rsae_sha256", "c-rsa"),  # the RSA and the ECDSA certificate of one host
    (HOST_C, "ecdsa_secp256r1_sha256", "c-ec"),
])
def test_h2_is_negotiated_and_serves_with_each_certificate(server, world, host, sigalgs, label):
    """A whole h2 exchange through s_client: preface, SETTINGS, GET, GOAWAY; the server answers and closes."""
    exchange = (f.PREFACE + f.settings() + f.headers(1, f.request_block(host, POLICY_PATH)) + f.goaway(0))
    result = s_client(server.port, host, world.ca_path, "-alpn", "h2",
                      *(["-sigalgs", sigalgs] if sigalgs else []), send=exchange)
    assert result.alpn == "h2" and result.verified, result.output
    assert result.leaf.organizational_unit == label
    assert world.bodies[host].decode() in result.output, result.output
