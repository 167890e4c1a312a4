"""`mta-sts-host reports`: per-domain summaries of the reports `serve --reports` stored, checked against an
independent parse of the same fixture files, the rollout verdict, and `--reindex`."""
import json
import subprocess
import time

import pytest

from conftest import ServerLauncher
from support.tlsrpt import JSON, fixture, fixture_json, gz, post_curl, report
from support.worlds import HOST_B

SAMPLES = ["google-shape.json", "microsoft-shape.json", "mailru-shape.json"]


def run_reports(binary, directory, world, *args):
    result = subprocess.run([str(binary), "reports", "--reports", str(directory), "--policies",
                             str(world.policies_dir), "--since", "100000", *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result


def independent_summary(names, domain):
    """The counts `reports` must print, from the fixture JSON read here with nothing shared with the server."""
    reports, organizations, successful, failed, by_type = 0, set(), 0, 0, {}
    for name in names:
        document = fixture_json(name)
        entries = [entry for entry in document["policies"] if entry["policy"]["policy-domain"] == domain]
        if not entries:
            continue
        reports += 1
        organizations.add(document["organization-name"])
        for entry in entries:
            successful += int(entry["summary"]["total-successful-session-count"])
            failed += int(entry["summary"]["total-failure-session-count"])
            for detail in entry.get("failure-details", []):
                by_type[detail["result-type"]] = by_type.get(detail["result-type"], 0) + detail["failed-session-count"]
    return reports, sorted(organizations), successful, failed, by_type


@pytest.fixture(scope="module")
def stored(binary, world, tmp_path_factory, request):
    launcher = ServerLauncher(binary, tmp_path_factory.mktemp("tlsrpt-reports"))
    request.addfinalizer(launcher.stop_all)
    directory = tmp_path_factory.mktemp("reports")
    server = launcher(world, "--reports", str(directory))
    for name in SAMPLES:
        body = fixture(name)
        assert post_curl(server.port, HOST_B, world.ca_path, gz(body)).status == 200
    return directory


def test_json_summary_matches_an_independent_parse_of_the_samples(binary, world, stored):
    output = json.loads(run_reports(binary, stored, world, "--format", "json", "b.test").stdout)
    assert [entry["domain"] for entry in output] == ["b.test"]
    entry = output[0]
    reports, organizations, successful, failed, by_type = independent_summary(SAMPLES, "b.test")
    assert (entry["reports"], entry["organizations"]) == (reports, organizations)
    assert (entry["successful_sessions"], entry["failed_sessions"]) == (successful, failed)
    assert entry["failures_by_type"] == by_type
    assert entry["mode"] == "testing"
    # Three days of reports, three organizations, and failures enforce would bounce: keep testing, and say why.
    assert entry["verdict"] == "keep-testing"
    reasons = " ".join(entry["verdict_reasons"])
    assert "certificate-expired" in reasons and "validation-failure" in reasons
    assert "x-mailru-handshake-timeout" in reasons  # an unknown type is never dropped, and counts as a bounce
    assert all(seen["current"] for seen in entry["policies_seen"]), entry["policies_seen"]


def test_a_report_for_another_served_domain_is_summarised_under_it(binary, world, stored):
    output = json.loads(run_reports(binary, stored, world, "--format", "json", "c.test").stdout)
    assert (output[0]["domain"], output[0]["reports"], output[0]["successful_sessions"]) == ("c.test", 1, 3)
    assert output[0]["mode"] == "enforce" and output[0]["verdict"] == "healthy"


def test_text_output_explains_each_failure_type(binary, world, stored):
    text = run_reports(binary, stored, world, "b.test").stdout
    assert "b.test: mode testing" in text and "verdict keep-testing" in text
    assert "certificate-expired at backup.relay.b.test" in text and "renew the MX certificate" in text


def test_four_weeks_of_clean_reports_from_two_organizations_is_ready_to_enforce(binary, world, start_server, tmp_path):
    directory = tmp_path / "reports"
    server = start_server(world, "--reports", str(directory))
    for day in range(1, 30):
        for organization in ("Sender One", "Sender Two"):
            body = report(f"{organization}-{day}", organization=organization, day=f"2024-02-{day:02d}")
            assert post_curl(server.port, HOST_B, world.ca_path, body, JSON).status == 200
    output = json.loads(run_reports(binary, directory, world, "--format", "json", "b.test").stdout)
    assert (output[0]["reports"], output[0]["verdict"]) == (58, "ready-to-enforce"), output[0]["verdict_reasons"]
    short = json.loads(run_reports(binary, directory, world, "--format", "json", "--required-days", "40",
                                   "b.test").stdout)
    assert short[0]["verdict"] == "keep-testing" and "of 40 days" in short[0]["verdict_reasons"][0]


def test_reindex_rebuilds_the_index_from_the_files(binary, world, stored):
    before = json.loads(run_reports(binary, stored, world, "--format", "json").stdout)
    (stored / "index.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (stored / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    empty = json.loads(run_reports(binary, stored, world, "--format", "json", "b.test").stdout)
    assert empty[0]["reports"] == 0
    rebuilt = run_reports(binary, stored, world, "--format", "json", "--reindex")
    assert "reindexed" in rebuilt.stderr
    assert json.loads(rebuilt.stdout) == before


def test_a_policy_senders_still_quote_after_a_change_is_named(binary, ca, start_server, tmp_path):
    """`serve --reports` keeps the history of the ids it served; `reports` tells an old one from a foreign one,
    and a report quoting the old one days after the change blocks the verdict (the id was not bumped)."""
    import datetime

    from support import worlds
    world = worlds.build_standard_world(tmp_path / "world", ca)
    directory = tmp_path / "reports"
    server = start_server(world, "--reports", str(directory))
    old_lines = ["version: STSv1", "mode: testing", "mx: mx1.b.test", "mx: *.relay.b.test", "max_age: 86400"]
    assert post_curl(server.port, HOST_B, world.ca_path, report("before", policy_lines=old_lines), JSON).status == 200
    first = json.loads(run_reports(binary, directory, world, "--format", "json", "b.test").stdout)[0]
    old_id = first["policy_id"]
    assert first["policies_seen"][0] | {"reports": 1} == {"id": old_id, "mode": "testing", "reports": 1,
                                                         "last_day": "2024-03-04", "current": True,
                                                         "served_here": True, "replaced_on": None, "stale": False}

    (world.policies_dir / "b.test.txt").write_bytes(b"version: STSv1\nmode: testing\nmx: mx1.b.test\nmax_age: 604800\n")
    deadline = time.monotonic() + 10
    while json.loads(run_reports(binary, directory, world, "--format", "json", "b.test").stdout)[0][
            "policies_seen"][0]["replaced_on"] is None:
        assert time.monotonic() < deadline, "the new policy was not recorded as served"
        time.sleep(0.1)
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).strftime("%Y-%m-%d")
    assert post_curl(server.port, HOST_B, world.ca_path,
                     report("after", policy_lines=old_lines, day=later), JSON).status == 200
    entry = json.loads(run_reports(binary, directory, world, "--format", "json", "b.test").stdout)[0]
    seen = {item["id"]: item for item in entry["policies_seen"]}
    assert seen[old_id]["stale"] and not seen[old_id]["current"] and seen[old_id]["served_here"]
    assert entry["verdict"] == "keep-testing"
    assert any("check that _mta-sts.b.test carries the new id" in reason for reason in entry["verdict_reasons"])
