"""What an operator sees of `serve --reports`: the metrics, the last report per domain in /status, the
per-client rate limit, and the `_smtp._tls` record `dns --reports` prints."""
import json
import subprocess
import time

from support.health import admin_get, metric, samples_when
from support.tlsrpt import JSON, fixture, gz, post_curl, report
from support.worlds import HOST_B


def test_metrics_count_reports_by_outcome_and_sessions_by_domain_and_type(start_server, world, tmp_path):
    server = start_server(world, "--reports", str(tmp_path / "reports"), "--admin", "127.0.0.1:0")
    body = gz(fixture("microsoft-shape.json"))
    for _ in range(2):
        assert post_curl(server.port, HOST_B, world.ca_path, body).status == 200
    assert post_curl(server.port, HOST_B, world.ca_path, b"{not json", JSON).status == 400
    found = samples_when(server, lambda found: metric(found, "mta_sts_tlsrpt_reports_total", outcome="rejected",
                                                        reason="bad_json") == 1)
    assert metric(found, "mta_sts_tlsrpt_reports_total", outcome="stored", reason="") == 1
    assert metric(found, "mta_sts_tlsrpt_reports_total", outcome="duplicate", reason="") == 1
    # Counted once although posted twice.
    assert metric(found, "mta_sts_tlsrpt_sessions_total", domain="b.test", result="success", result_type="") == 17
    assert metric(found, "mta_sts_tlsrpt_sessions_total", domain="b.test", result="failure",
                  result_type="certificate-expired") == 3
    assert metric(found, "mta_sts_tlsrpt_sessions_total", domain="b.test", result="failure",
                  result_type="validation-failure") == 1


def test_status_shows_the_last_report_per_domain(start_server, world, tmp_path):
    server = start_server(world, "--reports", str(tmp_path / "reports"), "--admin", "127.0.0.1:0")
    assert post_curl(server.port, HOST_B, world.ca_path, gz(fixture("google-shape.json"))).status == 200
    deadline = time.monotonic() + 5
    while True:
        status = json.loads(admin_get(server, "/status")[2])
        domains = {entry["domain"]: entry for entry in status["domains"]}
        if "last_report" in domains["b.test"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    last = domains["b.test"]["last_report"]
    assert (last["organization"], last["report_id"]) == ("Google Inc.", "2024-03-01T00:00:00Z_b.test")
    assert abs(last["received_at"] - time.time()) < 60
    assert "last_report" not in domains["a.test"]


def test_a_client_over_its_rate_is_answered_429(start_server, world, tmp_path):
    server = start_server(world, "--reports", str(tmp_path / "reports"), "--reports-per-minute", "3")
    statuses = [post_curl(server.port, HOST_B, world.ca_path, report(f"rate-{index}"), JSON).status
                for index in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_dns_with_reports_prints_the_https_rua(binary, world):
    result = subprocess.run([str(binary), "dns", "--policies", str(world.policies_dir), "--reports", "b.test"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert '_smtp._tls.b.test. 3600 IN TXT "v=TLSRPTv1; rua=https://mta-sts.b.test/tlsrpt"' in lines
    assert '; _smtp._tls.b.test. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@b.test"' in lines
    as_json = subprocess.run([str(binary), "dns", "--policies", str(world.policies_dir), "--reports", "--format",
                              "json", "b.test"], capture_output=True, text=True, timeout=30)
    record = json.loads(as_json.stdout)[0]
    assert (record["tlsrpt_name"], record["tlsrpt_value"]) == ("_smtp._tls.b.test",
                                                               "v=TLSRPTv1; rua=https://mta-sts.b.test/tlsrpt")
