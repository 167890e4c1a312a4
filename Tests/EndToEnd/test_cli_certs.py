"""`mta-sts-host check --certs`: certificate coverage and expiry, on certificates made by the test CA."""
from __future__ import annotations

import re
import subprocess

from support import pki

POLICY = b"version: STSv1\nmode: enforce\nmx: mail.{d}\nmax_age: 604800\n"


def write_policies(directory, *domains):
    directory.mkdir()
    for domain in domains:
        (directory / f"{domain}.txt").write_bytes(POLICY.replace(b"{d}", domain.encode()))


def check(binary, *args):
    return subprocess.run([binary, "check", *map(str, args)], capture_output=True, text=True, timeout=60)


def test_check_reports_a_policy_no_certificate_covers(binary, ca, tmp_path):
    write_policies(tmp_path / "policies", "covered.test", "bare.test")
    certs = tmp_path / "certs"
    pki.install_named(certs, "covered", ca.issue("covered", ["*.covered.test"]))

    result = check(binary, "--policies", tmp_path / "policies", "--certs", certs)

    assert result.returncode == 1, result.stdout
    assert f"{tmp_path}/policies/bare.test.txt: error: no certificate in {certs} covers mta-sts.bare.test" in result.stdout
    assert "covered.test.txt: error" not in result.stdout


def test_check_warns_about_certificates_expiring_within_14_days(binary, ca, tmp_path):
    # The test CA issues 7-day certificates.
    write_policies(tmp_path / "policies", "soon.test")
    certs = tmp_path / "certs"
    cert, _ = pki.install_named(certs, "soon", ca.issue("soon", ["mta-sts.soon.test"]))

    result = check(binary, "--policies", tmp_path / "policies", "--certs", certs)
    assert result.returncode == 0, result.stdout
    days = re.search(rf"^{re.escape(str(cert))}: warning: certificate expires in (\d+) days \(", result.stdout, re.M)
    assert days and int(days.group(1)) <= 7, result.stdout

    strict = check(binary, "--policies", tmp_path / "policies", "--certs", certs, "--strict")
    assert strict.returncode == 1


def test_check_reports_a_certificate_whose_key_does_not_match(binary, ca, tmp_path):
    write_policies(tmp_path / "policies", "good.test")
    certs = tmp_path / "certs"
    pki.install_named(certs, "good", ca.issue("good", ["mta-sts.good.test"]))
    other = ca.issue("other", ["mta-sts.other.test"])
    pki.install_named(certs, "mismatch", ca.issue("mismatch", ["mta-sts.mismatch.test"]), key_pem=other.key_pem)

    result = check(binary, "--policies", tmp_path / "policies", "--certs", certs)

    assert result.returncode == 1
    assert "does not match certificate" in result.stdout and "mismatch.crt" in result.stdout


def test_check_warns_about_a_private_key_other_users_can_read(binary, ca, tmp_path):
    write_policies(tmp_path / "policies", "open.test", "closed.test")
    certs = tmp_path / "certs"
    _, open_key = pki.install_named(certs, "open", ca.issue("open", ["mta-sts.open.test"]))
    _, closed_key = pki.install_named(certs, "closed", ca.issue("closed", ["mta-sts.closed.test"]))
    open_key.chmod(0o644)

    result = check(binary, "--policies", tmp_path / "policies", "--certs", certs)

    assert f"{open_key}: warning: private key is readable by other users\n  fix: chmod 600 {open_key}\n" \
        in result.stdout, result.stdout
    assert str(closed_key) not in result.stdout, result.stdout
