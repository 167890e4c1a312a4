"""`serve --reports DIR`: TLS-RPT reports POSTed to /tlsrpt (RFC 8460 §5.4) over HTTP/1.1 and h2, stored once each,
answered 200 only once on disk; every refusal with its status and a short reason."""
import concurrent.futures
import json
import time

import pytest

from conftest import ServerLauncher
from support import procfs
from support.tlsrpt import (GZIP, JSON, fixture, fixture_json, gz, gzip_bomb, post_curl, post_h2, raw_post,
                            read_response, report, stored_files)
from support.tools import curl
from support.worlds import HOST_A, HOST_B, HOST_C, HOST_NOPOLICY


@pytest.fixture(scope="module")
def reports_server(binary, world, tmp_path_factory, request):
    launcher = ServerLauncher(binary, tmp_path_factory.mktemp("tlsrpt"))
    request.addfinalizer(launcher.stop_all)
    directory = tmp_path_factory.mktemp("reports")
    server = launcher(world, "--reports", str(directory), "--header-timeout", "2", "--log-level", "info")
    server.reports = directory
    return server


def test_a_json_report_over_http1_is_stored_as_sent(reports_server, world):
    body = fixture("google-shape.json")
    result = post_curl(reports_server.port, HOST_B, world.ca_path, body, JSON)
    assert (result.status, result.body) == (200, b"200 OK: stored\n"), result.body
    stored = [path for path in stored_files(reports_server.reports) if "Google" in path.name]
    assert [path.parent.name for path in stored] == ["2024-03"]
    assert stored[0].read_bytes() == body


def test_a_gzip_report_over_h2_with_curl_is_stored_decompressed(reports_server, world):
    body = fixture("microsoft-shape.json")
    result = post_curl(reports_server.port, HOST_B, world.ca_path, gz(body), GZIP, http="2")
    assert (result.status, result.http_version) == (200, "2"), result.body
    stored = [path for path in stored_files(reports_server.reports) if "Microsoft" in path.name]
    assert len(stored) == 1 and stored[0].read_bytes() == body


def test_a_gzip_report_over_h2_with_the_python_h2_library(reports_server, world):
    status, answer = post_h2(reports_server.port, HOST_B, world.ca_path, gz(fixture("mailru-shape.json")))
    assert (status, answer) == (200, b"200 OK: stored\n")
    stored = [path for path in stored_files(reports_server.reports) if "Mail.Ru" in path.name]
    assert len(stored) == 1 and b"x-sender-extension" in stored[0].read_bytes()


def test_gzip_is_recognised_by_its_magic_bytes_whatever_the_content_type(reports_server, world):
    result = post_curl(reports_server.port, HOST_B, world.ca_path, gz(report("magic-bytes")), JSON)
    assert result.status == 200, result.body


def test_the_same_report_again_answers_200_and_stores_nothing(reports_server, world):
    body = report("posted-twice")
    first = post_curl(reports_server.port, HOST_B, world.ca_path, body, JSON)
    count = len(stored_files(reports_server.reports))
    again = post_curl(reports_server.port, HOST_B, world.ca_path, gz(body), GZIP, http="2")
    assert (first.status, again.status, again.body) == (200, 200, b"200 OK: already stored\n")
    assert len(stored_files(reports_server.reports)) == count


def test_ten_clients_posting_the_same_report_at_once_store_it_once(reports_server, world):
    body = gz(report("posted-by-ten"))
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda index: post_curl(reports_server.port, HOST_B, world.ca_path, body,
                                                         http="2" if index % 2 else "1.1"), range(10)))
    assert [result.status for result in results] == [200] * 10
    assert sorted(result.body for result in results) == [b"200 OK: already stored\n"] * 9 + [b"200 OK: stored\n"]
    assert len([path for path in stored_files(reports_server.reports) if "posted-by-ten" in path.name]) == 1


def test_any_served_policy_host_takes_reports_for_any_served_domain(reports_server, world):
    """One shared rua URL for all domains of a provider: the report's domain need not be the host's."""
    result = post_curl(reports_server.port, HOST_A, world.ca_path, report("shared-url", domain="c.test"), JSON)
    assert result.status == 200, result.body


def test_the_rfc_example_for_a_domain_not_served_here_is_403(reports_server, world):
    result = post_curl(reports_server.port, HOST_B, world.ca_path, fixture("rfc8460-example.json"), JSON)
    assert result.status == 403 and b"served" in result.body
    example = fixture_json("rfc8460-example.json")
    example["policies"][0]["policy"]["policy-domain"] = "b.test"
    accepted = post_curl(reports_server.port, HOST_B, world.ca_path, gz(json.dumps(example).encode()))
    assert accepted.status == 200, accepted.body


def test_a_host_without_a_policy_has_no_report_route(reports_server, world):
    result = post_curl(reports_server.port, HOST_NOPOLICY, world.ca_path, report("no-route"), JSON)
    assert result.status == 404


@pytest.mark.parametrize("http", ["1.1", "2"])
def test_get_on_the_report_path_is_405_naming_post(reports_server, world, http):
    result = curl(reports_server.port, HOST_B, world.ca_path, "/tlsrpt", http=http)
    assert result.status == 405 and result.header("Allow") == "POST"


@pytest.mark.parametrize("body, reason", [
    (gz(report("truncated"))[:-12], b"bad gzip"),
    (b"\x1f\x8b\x08\x00garbage-after-the-magic", b"bad gzip"),
    (b'{"organization-name": "x", ', b"bad JSON"),
    (b'{"hello": "world"}', b"not a TLS-RPT report"),
    (b'[1, 2, 3]', b"not a TLS-RPT report"),
])
def test_bad_bodies_are_400_with_a_short_reason(reports_server, world, body, reason):
    result = post_curl(reports_server.port, HOST_B, world.ca_path, body, GZIP)
    assert result.status == 400 and reason in result.body, result.body


def test_another_media_type_is_415(reports_server, world):
    result = post_curl(reports_server.port, HOST_B, world.ca_path, report("media"), "image/png")
    assert result.status == 415


def test_a_chunked_body_is_asked_for_a_length(reports_server, world):
    sock = raw_post(reports_server.port, HOST_B, world.ca_path, {"Transfer-Encoding": "chunked",
                                                                  "Content-Type": JSON})
    assert read_response(sock).startswith(b"HTTP/1.1 411 ")


def test_a_100_mb_body_is_refused_413_from_its_length_without_reading_it(reports_server, world):
    sock = raw_post(reports_server.port, HOST_B, world.ca_path,
                    {"Content-Length": str(100 << 20), "Content-Type": GZIP}, b"\x1f\x8b" + bytes(1000))
    started = time.monotonic()
    answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in answer
    assert time.monotonic() - started < 2


def test_a_100_mb_body_over_h2_is_refused_413_and_its_stream_reset(reports_server, world):
    started = time.monotonic()
    status, _ = post_h2(reports_server.port, HOST_B, world.ca_path, bytes(100 << 20))
    assert status == 413
    assert time.monotonic() - started < 5


def test_a_gzip_bomb_is_413_and_costs_bounded_memory(reports_server, world):
    bomb = gzip_bomb()
    assert len(bomb) < 1 << 20  # within the compressed limit: the inflation cap is what stops it
    before = procfs.rss_kib(reports_server.process.pid)
    result = post_curl(reports_server.port, HOST_B, world.ca_path, bomb, GZIP)
    peak = procfs.peak_rss_kib(reports_server.process.pid)
    assert result.status == 413 and b"inflates past" in result.body
    # The cap (16 MiB) and the body (1 MiB) held a few times over, not the gigabyte.
    assert peak - before < 96 * 1024, (before, peak)


def test_a_slow_body_is_cut_by_the_header_timeout(reports_server, world):
    body = report("slow")
    sock = raw_post(reports_server.port, HOST_B, world.ca_path,
                    {"Content-Length": str(len(body)), "Content-Type": JSON}, body[:10])
    started = time.monotonic()
    answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert 1 < time.monotonic() - started < 5
