"""The admin endpoint (`--admin`): health, readiness, status JSON, and Prometheus metrics that move with traffic.

The metrics text is parsed with prometheus_client's own parser, not with string matching."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support import http1
from support.tools import curl
from support.worlds import HOST_A, HOST_B, HOST_UNKNOWN


@pytest.fixture
def admin_server(start_server, world):
    server = start_server(world, "--admin", "127.0.0.1:0")
    assert len(server.addresses) == 2, server.ready_text
    return server


def admin_get(server, path):
    host, port = server.addresses[1]
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=5) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def samples(server):
    status, content_type, body = admin_get(server, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_and_readiness_answer_on_the_admin_address_only(admin_server, world):
    assert admin_get(admin_server, "/healthz")[0] == 200
    assert admin_get(admin_server, "/readyz")[:1] == (200,)
    assert admin_get(admin_server, "/nope")[0] == 404
    # The public TLS listener does not serve admin paths.
    assert curl(admin_server.port, HOST_A, world.ca_path, "/healthz").status == 404


def test_status_lists_each_served_domain_with_its_id(admin_server, world):
    status, content_type, body = admin_get(admin_server, "/status")
    assert status == 200 and content_type == "application/json"
    document = json.loads(body)
    by_domain = {entry["domain"]: entry for entry in document["domains"]}
    assert {"a.test", "b.test", "c.test"} <= set(by_domain)
    etag = curl(admin_server.port, HOST_A, world.ca_path).header("ETag")
    assert etag == f'"{by_domain["a.test"]["id"]}"'
    assert by_domain["a.test"]["certificates"], "a.test has a certificate"
    assert by_domain["a.test"]["source"].endswith("a.test.txt")


def test_request_and_handshake_metrics_count_real_traffic(admin_server, world):
    before = samples(admin_server)
    for _ in range(3):
        assert curl(admin_server.port, HOST_A, world.ca_path).status == 200
    assert curl(admin_server.port, HOST_B, world.ca_path, "/missing", http="2").status == 404
    with pytest.raises(Exception):
        http1.tls_connect(admin_server.port, HOST_UNKNOWN, world.ca_path).close()

    after = samples(admin_server)
    assert value(after, "mta_sts_requests_total", protocol="http/1.1", status="200") \
        - value(before, "mta_sts_requests_total", protocol="http/1.1", status="200") == 3
    assert value(after, "mta_sts_requests_total", protocol="h2", status="404") \
        - value(before, "mta_sts_requests_total", protocol="h2", status="404") == 1
    assert value(after, "mta_sts_handshakes_total") - value(before, "mta_sts_handshakes_total") >= 4
    assert value(after, "mta_sts_handshake_failures_total", reason="unknown_sni") \
        - value(before, "mta_sts_handshake_failures_total", reason="unknown_sni") == 1
    assert value(after, "mta_sts_policies_served") == len(list(world.policies_dir.glob("*.txt")))
    assert value(after, "mta_sts_build_info", version=next(
        labels[0][1] for (name, labels) in after if name == "mta_sts_build_info")) == 1


def test_certificate_expiry_is_exported_per_certificate(admin_server, world):
    found = samples(admin_server)
    expiries = {dict(labels)["file"]: seconds for (name, labels), seconds in found.items()
                if name == "mta_sts_certificate_expiry_seconds"}
    assert expiries, "no certificate expiry gauges"
    # The test CA issues 7-day certificates.
    assert all(0 < seconds <= 7 * 86400 for seconds in expiries.values()), expiries


def test_reloads_are_counted(admin_server):
    before = value(samples(admin_server), "mta_sts_reloads_total", result="success")
    os.kill(admin_server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5
    while value(samples(admin_server), "mta_sts_reloads_total", result="success") == before:
        assert time.monotonic() < deadline, "reload not counted"
        time.sleep(0.1)


def test_readiness_turns_503_while_draining(admin_server, world):
    # A request head in progress keeps the server draining, not yet exited.
    slow = http1.tls_connect(admin_server.port, HOST_A, world.ca_path)
    try:
        slow.sendall(b"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: ")
        time.sleep(0.2)
        os.kill(admin_server.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while admin_get(admin_server, "/readyz")[0] != 503:
            assert time.monotonic() < deadline, "/readyz stayed 200 while draining"
            time.sleep(0.05)
        assert admin_get(admin_server, "/healthz")[0] == 200
    finally:
        slow.close()
