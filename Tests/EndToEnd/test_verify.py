"""`mta-sts-host verify` and `serve --verify-every`: a live deployment checked the way senders see it, against a
local one (support/verify_lab.py): a DNS server answering from the test's data, this project's server and
stand-ins as policy hosts, two real postfix instances and stand-ins as MX hosts.

Each scenario below is one mail domain with one thing wrong (or nothing). Each test asserts the status of the
check the scenario breaks AND of every other row (`assert_checks`), so a check that fails for the wrong reason, or
a broken part that leaks into other checks, shows up.

The timing test prints what it measures (run with `-s` to see it).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from support import health, pki
from support.dnsauth import Fault
from support.health import policy_text
from support.server import serve_usage_error
from support.verify_lab import (CHECKS, HOST_EXPIRED, HOST_NO_INTERMEDIATE, HOST_WITH_INTERMEDIATE,
                                HOST_WRONG_NAME, MX1, MX2, MX_EXPIRED, MX_EXPIRING, MX_NO_STARTTLS, MX_REFUSED,
                                MX_SILENT, MX_TLS10, MX_WRONG_NAME, RELAY_MX, REDIRECT_301,
                                REDIRECT_302, SERVER_EXPIRING, STATUSES, VALID_DAYS, Scenario, VerifyLab, VerifyRun,
                                local_ids)
from support.worlds import World

STALE_ID = "20200101000000"
TIMEOUT = "2"  # --timeout for the tests that wait on something silent: small, so they end quickly

GOOD = Scenario("good.test")
STALE_ID_DOMAIN = Scenario("stale-id.test", sts_records=((f"v=STSv1; id={STALE_ID}",),))
SCENARIOS = [
    GOOD,
    STALE_ID_DOMAIN,
    # The first record right, the second stale: RFC 8461 3.1 says senders treat two records as none.
    Scenario("two-txt.test", sts_records=(("v=STSv1; id={id}",), (f"v=STSv1; id={STALE_ID}",))),
    Scenario("bad-id.test", sts_records=(("v=STSv1; id=not_an_id!",),)),
    # Records a reader must put together: a record of two strings, and one behind a CNAME.
    Scenario("split-txt.test", sts_records=(("v=STSv1; ", "id={id}"),),
             tlsrpt=("v=TLSRPTv1; ", "rua=mailto:tlsrpt@split-txt.test")),
    Scenario("cname.test", sts_cname=True),
    Scenario("mx-missing.test", policy_mx=(MX1,)),
    # `*.mail.test` covers mx1.mail.test, not a.relay.mail.test (two labels down); that MX's certificate is
    # `*.relay.mail.test`, which does cover it, so only the coverage fails.
    Scenario("shallow.test", policy_mx=("*.mail.test",), mx=(MX1, RELAY_MX)),
    Scenario("unused-entry.test", policy_mx=(MX1, MX2, "old.mail.test")),
    Scenario("no-tlsrpt.test", tlsrpt=()),
    Scenario("differs.test"),
    Scenario("redirect-301.test", policy_host=REDIRECT_301),
    Scenario("redirect-302.test", policy_host=REDIRECT_302),
    Scenario("host-expired.test", policy_host=HOST_EXPIRED),
    Scenario("host-wrong-name.test", policy_host=HOST_WRONG_NAME),
    Scenario("host-no-intermediate.test", policy_host=HOST_NO_INTERMEDIATE),
    Scenario("host-with-intermediate.test", policy_host=HOST_WITH_INTERMEDIATE),
    Scenario("host-expiring.test", policy_host=SERVER_EXPIRING),
    # The MX cases: the good mx1.mail.test first, then the broken one, both in the policy.
    *(Scenario(f"{name}.test", policy_mx=(MX1, host), mx=(MX1, host)) for name, host in [
        ("mx-no-starttls", MX_NO_STARTTLS), ("mx-tls10", MX_TLS10), ("mx-wrong-name", MX_WRONG_NAME),
        ("mx-expired", MX_EXPIRED), ("mx-expiring", MX_EXPIRING), ("mx-silent", MX_SILENT),
        ("mx-refused", MX_REFUSED)]),
    Scenario("dns-nxdomain.test", sts_records=()),
    Scenario("dns-servfail.test", sts_fault=Fault.SERVFAIL),
    Scenario("dns-timeout.test", sts_fault=Fault.TIMEOUT),
]
BY_DOMAIN = {scenario.domain: scenario for scenario in SCENARIOS}
NOT_PASS = {"fail", "skip"}  # what a check may say when what it compares is missing or ambiguous


@pytest.fixture(scope="module")
def lab(binary, ca, tmp_path_factory) -> VerifyLab:
    running = VerifyLab(tmp_path_factory.mktemp("verify-lab"), ca, binary, SCENARIOS)
    yield running
    running.stop()


def assert_checks(run: VerifyRun, domain: str, changed: dict | None = None) -> None:
    """Every row of `domain` is the healthy one (Scenario.healthy) except those in `changed`, (check, target) ->
    a status or a set of statuses allowed; exactly these rows, no others."""
    expected = BY_DOMAIN[domain].healthy()
    for key, status in (changed or {}).items():
        expected[key] = {status} if isinstance(status, str) else set(status)
    found = run.statuses(domain)
    assert set(found) == set(expected), (f"rows of {domain}: missing {sorted(set(expected) - set(found))}, "
                                         f"unexpected {sorted(set(found) - set(expected))}\n{run.describe()}")
    wrong = {key: (status, sorted(expected[key])) for key, status in found.items() if status not in expected[key]}
    assert not wrong, f"{domain}: (check, target): (status, expected) {wrong}\n{run.describe()}"


def exits(run: VerifyRun, code: int) -> None:
    assert run.returncode == code, f"expected exit {code}\n{run.describe()}"


def sts(domain: str) -> str:
    return f"_mta-sts.{domain}"


def url(domain: str) -> str:
    return BY_DOMAIN[domain].policy_url


# everything right, and the output formats

def test_everything_right_passes_every_check(lab):
    run = lab.verify(GOOD.domain)
    exits(run, 0)
    assert_checks(run, GOOD.domain)
    assert {row["check"] for row in run.checks(GOOD.domain)} == set(CHECKS)


def test_text_output_has_one_line_per_check(lab):
    checks = lab.verify(GOOD.domain).checks(GOOD.domain)
    run = lab.verify(GOOD.domain, output="text")
    exits(run, 0)
    lines = run.stdout.splitlines()
    for check in checks:
        matching = [line for line in lines if check["check"] in line and f" {check['target']}" in line]
        assert len(matching) == 1, f"{check}: lines {matching}\n{run.describe()}"
        assert "pass" in matching[0], run.describe()
    assert sum(any(f" {name} " in line for name in CHECKS) for line in lines) == len(checks), run.describe()


def test_json_document_shape(lab):
    run = lab.verify(GOOD.domain, STALE_ID_DOMAIN.domain)
    exits(run, 1)
    document = run.document
    assert list(document) == ["domains"], run.describe()
    assert sorted(entry["domain"] for entry in document["domains"]) == [GOOD.domain, STALE_ID_DOMAIN.domain]
    for entry in document["domains"]:
        assert set(entry) == {"domain", "checks"}, entry
        assert entry["checks"], entry
        for check in entry["checks"]:
            assert set(check) == {"check", "target", "status", "message"}, check
            assert all(isinstance(value, str) for value in check.values()), check
            assert check["check"] in CHECKS and check["status"] in STATUSES, check
            assert check["target"] and not check["target"].endswith("."), check
            if check["status"] in ("warn", "fail"):
                assert check["message"], f"a {check['status']} without a message: {check}"


def test_no_domain_argument_verifies_every_local_policy(lab, tmp_path):
    policies = tmp_path / "policies"
    policies.mkdir()
    for domain in (GOOD.domain, STALE_ID_DOMAIN.domain):
        shutil.copy(lab.world.policies_dir / f"{domain}.txt", policies)
    run = lab.verify(policies=policies)
    exits(run, 1)
    assert sorted(entry["domain"] for entry in run.document["domains"]) == [GOOD.domain, STALE_ID_DOMAIN.domain]
    assert_checks(run, GOOD.domain)
    assert_checks(run, STALE_ID_DOMAIN.domain, {("dns-id", sts(STALE_ID_DOMAIN.domain)): "fail"})


# DNS: the _mta-sts record

def test_stale_dns_id_fails_and_gives_the_record_to_publish(lab):
    domain = STALE_ID_DOMAIN.domain
    run = lab.verify(domain)
    exits(run, 1)
    assert_checks(run, domain, {("dns-id", sts(domain)): "fail"})
    assert f"v=STSv1; id={lab.ids[domain]}" in run.message(domain, "dns-id", sts(domain)), run.describe()


def test_two_sts_records_fail(lab):
    run = lab.verify("two-txt.test")
    exits(run, 1)
    assert_checks(run, "two-txt.test", {("dns-txt", sts("two-txt.test")): "fail",
                                        ("dns-id", sts("two-txt.test")): NOT_PASS})


def test_malformed_id_fails(lab):
    run = lab.verify("bad-id.test")
    exits(run, 1)
    assert_checks(run, "bad-id.test", {("dns-txt", sts("bad-id.test")): "fail",
                                       ("dns-id", sts("bad-id.test")): NOT_PASS})


@pytest.mark.parametrize("domain", ["split-txt.test", "cname.test"])
def test_records_split_in_strings_or_behind_a_cname_pass(lab, domain):
    run = lab.verify(domain)
    exits(run, 0)
    assert_checks(run, domain)


@pytest.mark.parametrize("domain, word, flags", [
    ("dns-nxdomain.test", "NXDOMAIN", ()),
    ("dns-servfail.test", "SERVFAIL", ()),
    ("dns-timeout.test", "timed out", ("--timeout", "1")),
])
def test_dns_failures_fail_dns_txt_and_name_the_cause(lab, domain, word, flags):
    run = lab.verify(*flags, domain)
    exits(run, 1)
    assert_checks(run, domain, {("dns-txt", sts(domain)): "fail", ("dns-id", sts(domain)): NOT_PASS})
    assert word in run.message(domain, "dns-txt", sts(domain)), run.describe()


def test_no_local_policy_skips_dns_id(lab, tmp_path):
    empty = tmp_path / "no-policies"
    empty.mkdir()
    run = lab.verify(GOOD.domain, policies=empty)
    exits(run, 0)
    assert_checks(run, GOOD.domain, {("dns-id", sts(GOOD.domain)): "skip"})


def test_missing_tlsrpt_record_warns(lab):
    run = lab.verify("no-tlsrpt.test")
    exits(run, 0)
    assert_checks(run, "no-tlsrpt.test", {("tlsrpt", "_smtp._tls.no-tlsrpt.test"): "warn"})


# the policy's mx patterns and the live MX records

def test_mx_the_policy_lacks_fails_coverage(lab):
    run = lab.verify("mx-missing.test")
    exits(run, 1)
    assert_checks(run, "mx-missing.test", {("mx-coverage", MX2): "fail"})


def test_wildcard_covers_one_label_only(lab):
    run = lab.verify("shallow.test")
    exits(run, 1)
    assert_checks(run, "shallow.test", {("mx-coverage", RELAY_MX): "fail"})


def test_policy_entry_no_mx_uses_warns_and_fails_only_when_strict(lab):
    domain = "unused-entry.test"
    changed = {("mx-coverage", "old.mail.test"): "warn"}
    run = lab.verify(domain)
    exits(run, 0)
    assert_checks(run, domain, changed)
    strict = lab.verify("--strict", domain)
    exits(strict, 1)
    assert_checks(strict, domain, changed)


# the policy host

@pytest.mark.parametrize("domain", ["redirect-301.test", "redirect-302.test"])
def test_redirecting_policy_host_fails_fetch(lab, domain):
    run = lab.verify(domain)
    exits(run, 1)
    assert_checks(run, domain, {("policy-fetch", url(domain)): "fail", ("policy-syntax", url(domain)): "skip"})


@pytest.mark.parametrize("domain", ["host-expired.test", "host-wrong-name.test", "host-no-intermediate.test"])
def test_policy_host_certificate_not_verified_fails_fetch(lab, domain):
    run = lab.verify(domain)
    exits(run, 1)
    assert_checks(run, domain, {("policy-fetch", url(domain)): "fail", ("policy-syntax", url(domain)): "skip"})


def test_policy_host_sending_its_intermediate_passes(lab):
    """The control for the missing intermediate: the same stand-in with the chain complete."""
    run = lab.verify("host-with-intermediate.test")
    exits(run, 0)
    assert_checks(run, "host-with-intermediate.test")


def test_policy_host_certificate_expiring_soon_warns(lab):
    run = lab.verify("host-expiring.test")
    exits(run, 0)
    assert_checks(run, "host-expiring.test", {("policy-fetch", url("host-expiring.test")): "warn"})


def test_served_policy_differing_from_the_local_file(lab, tmp_path):
    """The operator edited the policy but the server still serves the old one, and DNS has the old id."""
    domain = "differs.test"
    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / f"{domain}.txt").write_bytes(policy_text(domain, mode="testing")[0])
    run = lab.verify(domain, policies=edited)
    exits(run, 1)
    assert_checks(run, domain, {("dns-id", sts(domain)): "fail", ("policy-syntax", url(domain)): {"warn", "fail"}})
    assert "differs from the local file" in run.message(domain, "policy-syntax", url(domain)), run.describe()


# the MX hosts

@pytest.mark.parametrize("domain, host", [
    ("mx-no-starttls.test", MX_NO_STARTTLS),
    ("mx-tls10.test", MX_TLS10),
    ("mx-wrong-name.test", MX_WRONG_NAME),
    ("mx-expired.test", MX_EXPIRED),
])
def test_mx_tls_failures(lab, domain, host):
    run = lab.verify(domain)
    exits(run, 1)
    assert_checks(run, domain, {("mx-tls", host): "fail"})


def test_mx_certificate_expiring_soon_warns(lab):
    run = lab.verify("mx-expiring.test")
    exits(run, 0)
    assert_checks(run, "mx-expiring.test", {("mx-tls", MX_EXPIRING): "warn"})


def test_silent_mx_times_out_while_the_other_mx_passes(lab):
    domain = "mx-silent.test"
    started = time.monotonic()
    run = lab.verify("--timeout", TIMEOUT, domain)
    elapsed = time.monotonic() - started
    exits(run, 1)
    assert_checks(run, domain, {("mx-tls", MX_SILENT): "fail"})
    assert "timed out" in run.message(domain, "mx-tls", MX_SILENT), run.describe()
    print(f"verify with one silent MX, --timeout {TIMEOUT}: {elapsed:.1f} s")


def test_refused_mx_fails_while_the_other_mx_passes(lab):
    domain = "mx-refused.test"
    run = lab.verify("--timeout", TIMEOUT, domain)
    exits(run, 1)
    assert_checks(run, domain, {("mx-tls", MX_REFUSED): "fail"})
    assert run.message(domain, "mx-tls", MX_REFUSED), run.describe()


# serve --verify-every

def test_serve_verifies_in_the_background(lab, start_server, tmp_path):
    policies = tmp_path / "policies"
    policies.mkdir()
    for domain in (GOOD.domain, STALE_ID_DOMAIN.domain):
        shutil.copy(lab.world.policies_dir / f"{domain}.txt", policies)
    world = World(root=tmp_path, ca=lab.ca, certs_dir=lab.world.certs_dir, policies_dir=policies)
    started = time.time()
    server = start_server(world, "--admin", "127.0.0.1:0", "--verify-every", "1s", *lab.server_flags())

    def verified(samples) -> bool:
        domains = {labels.get("domain") for labels, _ in health.series(samples, "mta_sts_verify_status")}
        return {GOOD.domain, STALE_ID_DOMAIN.domain} <= domains
    samples = health.samples_when(server, verified, timeout=30)
    statuses = {(labels["domain"], labels["check"]): value
                for labels, value in health.series(samples, "mta_sts_verify_status")}
    expected = {(domain, check): 1.0 for domain in (GOOD.domain, STALE_ID_DOMAIN.domain) for check in CHECKS}
    expected[(STALE_ID_DOMAIN.domain, "dns-id")] = 0.0
    assert statuses == expected, f"{statuses}\n{server.log_tail()}"
    last_runs = [value for _, value in health.series(samples, "mta_sts_verify_last_run_timestamp_seconds")]
    assert last_runs and max(last_runs) >= started - 1, last_runs

    first = _verify_status(server)
    for domain, verify in first.items():
        assert verify["checked_at"] >= started - 1, first
        assert {check["check"] for check in verify["checks"]} == set(CHECKS), verify
        for check in verify["checks"]:
            assert set(check) == {"check", "target", "status", "message"} and check["status"] in STATUSES, check
    rows = {(check["check"], check["target"]): check["status"] for check in first[STALE_ID_DOMAIN.domain]["checks"]}
    assert rows[("dns-id", sts(STALE_ID_DOMAIN.domain))] == "fail", first
    assert all(check["status"] == "pass" for check in first[GOOD.domain]["checks"]), first

    # `status` (status.json) names the failing check and its message; the passing ones are not listed.
    table = health.status_command(lab.binary, server.state_dir).stdout
    failing = [line for line in table.splitlines() if ": verify " in line]
    assert len(failing) == 1, table
    assert failing[0].startswith(f"{STALE_ID_DOMAIN.domain}: verify dns-id {sts(STALE_ID_DOMAIN.domain)} failed "), table
    assert "v=STSv1; id=" in failing[0], table

    # Every second: a later look sees a later run.
    deadline = time.monotonic() + 15
    while _verify_status(server)[GOOD.domain]["checked_at"] <= first[GOOD.domain]["checked_at"]:
        assert time.monotonic() < deadline, f"no second run within 15 s\n{server.log_tail()}"
        time.sleep(0.2)


def _verify_status(server) -> dict[str, dict]:
    """domain -> the `verify` object of its /status entry (only the domains that have one)."""
    status, _, body = health.admin_get(server, "/status")
    assert status == 200, body
    return {entry["domain"]: entry["verify"] for entry in json.loads(body)["domains"] if "verify" in entry}


# scale

BULK_DOMAINS = 100
BULK_POLICY_SERVER = "127.0.0.2"  # the lab's server has 127.0.0.1 on the same port


@pytest.mark.long
def test_verify_100_domains_with_two_mx_each(lab, start_server, tmp_path, ca, binary):
    """100 domains, each with mx1.mail.test and mx2.mail.test (both postfix), and their own policy host: a
    second server of this project on 127.0.0.2 with one certificate for all 100 names."""
    world = World(root=tmp_path, ca=ca, certs_dir=tmp_path / "certs", policies_dir=tmp_path / "policies")
    domains = [f"bulk-{index:03d}.test" for index in range(BULK_DOMAINS)]
    for domain in domains:
        world.add_policy(f"{domain}.txt", *policy_text(domain, mx=(MX1, MX2)))
    leaf = ca.issue("verify-bulk", [f"mta-sts.{domain}" for domain in domains], days=VALID_DAYS)
    pki.install_named(world.certs_dir, "bulk", leaf)
    ids = local_ids(binary, world.policies_dir)
    for domain in domains:
        lab.dns.add_txt(sts(domain), f"v=STSv1; id={ids[domain]}")
        lab.dns.add_mx(domain, 10, MX1)
        lab.dns.add_mx(domain, 20, MX2)
        lab.dns.add_a(f"mta-sts.{domain}", BULK_POLICY_SERVER)
        lab.dns.add_txt(f"_smtp._tls.{domain}", f"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}")
    start_server(world, listen=f"{BULK_POLICY_SERVER}:{lab.https_port}")

    started = time.monotonic()
    run = lab.verify(policies=world.policies_dir)
    elapsed = time.monotonic() - started
    exits(run, 0)
    assert sorted(entry["domain"] for entry in run.document["domains"]) == domains
    for domain in domains:
        found = run.statuses(domain)
        assert len(found) == 9 and set(found.values()) == {"pass"}, f"{domain}: {found}\n{run.describe()}"
    print(f"verify over {BULK_DOMAINS} domains with 2 MX each: {elapsed:.2f} s wall")


# usage errors

@pytest.mark.parametrize("flags, expected", [
    (["--verify-every", "0"], "--verify-every"),
    (["--verify-every", "5x"], "--verify-every"),
    (["--verify-smtp-port", "2525"], "need --verify-every"),
    (["--verify-every", "1m", "--verify-timeout", "0"], "at least 1 second"),
    (["--verify-every", "1m", "--resolver", "dns.example"], "not an IP address"),
])
def test_serve_verify_flags_are_checked_before_anything_starts(binary, tmp_path, flags, expected):
    stderr = serve_usage_error(binary, tmp_path, *flags)
    assert expected in stderr, stderr


@pytest.mark.parametrize("flags, status, expected", [
    (["--timeout", "0", "example.com"], 64, "--timeout must be at least 1 second"),
    (["--resolver", "resolver.example", "example.com"], 64, "not an IP address"),
    (["--ca-file", "/nonexistent.pem", "example.com"], 2, "/nonexistent.pem"),
    ([], 2, "no domains"),
])
def test_verify_usage_errors_name_the_fix(binary, tmp_path, flags, status, expected):
    result = subprocess.run([str(binary), "verify", "--policies", str(tmp_path), *flags],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == status, result
    assert expected in result.stderr, result.stderr
    assert result.stdout == ""
