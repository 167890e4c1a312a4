"""Operator safety of certificates (issue #20): a certificate directory that cannot be read keeps what was served,
and certificates a client would refuse (expired, not yet valid, too weak, leaf not first, an absurd chain) are
not used while the pairs beside them keep serving; an incomplete chain is reported.

Each test names the defect of the issue it covers (#N) and builds its own world (support/health.py, plus what the
test adds) under tmp_path, since it breaks it. Servers log text at the default level (notice: warnings and errors).
The harness makes the test root a trust anchor (SSL_CERT_FILE), so only a leaf issued by an intermediate and stored
without it has an incomplete chain.
"""
from __future__ import annotations

import datetime
import signal
import ssl
import subprocess
import time

import pytest

from support import pki
from support.health import (ONE, TWO, build_healthy_world, keys_readable_by_nobody, metric, policy_text,
                            reload_count, samples_when, status_check, wait_for_reload_after)
from support.http1 import client_context, tls_connect
from support.tools import curl, s_client

SIGNALS_INSTALLED = 0.3  # seconds after the ready file by which the signal handlers are surely in place
NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def host(domain: str) -> str:
    return "mta-sts." + domain


def presented(port: int, sni: str) -> bytes | None:
    """The leaf (DER) a client that verifies nothing gets for `sni`: what the server chose to send, even a
    certificate a real client would refuse. None when the server refuses the handshake."""
    try:
        with tls_connect(port, sni, None) as sock:
            return sock.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError):
        return None


def log_line(server, *needles: str, timeout: float = 5.0) -> str | None:
    """The first log line that contains every one of `needles`, waiting up to `timeout` for it."""
    deadline = time.monotonic() + timeout
    while True:
        for line in server.log_text().splitlines():
            if all(needle in line for needle in needles):
                return line
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def sighup(server) -> None:
    """One SIGHUP, once the server surely handles it, and the reload it starts (seen on /metrics: needs --admin)."""
    time.sleep(SIGNALS_INSTALLED)
    before = reload_count(server)
    server.send_signal(signal.SIGHUP)
    wait_for_reload_after(server, before, "SIGHUP")


def check(binary, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "check", *map(str, args)], capture_output=True, text=True, timeout=60)


# 1. a certificate directory that cannot be read on reload

def assert_every_certificate_kept(server, world, binary) -> None:
    for name, body in world.bodies.items():
        assert curl(server.port, name, world.ca_path).body == body, name
    line = log_line(server, f"cannot read certificate directory {world.certs_dir}")
    assert line is not None, f"no `cannot read certificate directory` line\n{server.log_tail()}"
    assert "keeping 2 certificates from the last good load" in line, line
    def partial(found) -> float:
        return metric(found, "mta_sts_reloads_total", result="partial")
    assert partial(samples_when(server, lambda found: partial(found) >= 1)) >= 1
    health = status_check(binary, server.state_dir, 1)
    assert health.returncode == 1, health.stdout + health.stderr
    assert "FAIL:" in health.stdout + health.stderr, health.stdout + health.stderr


@pytest.mark.parametrize("trigger", ["SIGHUP", "watcher"])
def test_1_certificate_directory_moved_away_keeps_serving_every_certificate(start_server, ca, tmp_path, binary,
                                                                             trigger):
    """#1: `mv certs certs.moved`, then a SIGHUP (or the watcher alone): every domain still answers 200 with its
    certificate, the log says `cannot read certificate directory <certs>`, the reload counts as partial and
    `status --check` fails."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world, "--admin", "127.0.0.1:0", *(["--no-watch"] if trigger == "SIGHUP" else []))
    assert status_check(binary, server.state_dir, 0).returncode == 0, "unhealthy before anything broke"

    if trigger == "SIGHUP":
        world.certs_dir.rename(world.root / "certs.moved")
        sighup(server)
    else:
        time.sleep(SIGNALS_INSTALLED)  # the watches are in place
        before = reload_count(server)
        world.certs_dir.rename(world.root / "certs.moved")
        wait_for_reload_after(server, before, "the certificate directory was moved away")
    assert_every_certificate_kept(server, world, binary)


def test_1_certificate_directory_unreadable_to_the_server_user_keeps_serving(start_server_as_nobody, ca,
                                                                              open_tmp_path, binary):
    """#1: `chmod 000 certs` under a server that dropped to nobody (root would ignore the mode), then SIGHUP: the
    same as a directory moved away: all certificates kept, `cannot read certificate directory`, a partial reload,
    `status --check` fails."""
    world = build_healthy_world(open_tmp_path / "world", ca)
    keys_readable_by_nobody(world)
    server = start_server_as_nobody(world, "--admin", "127.0.0.1:0", "--no-watch")
    assert presented(server.port, host(ONE)) == world.leaves["one"].cert_der

    world.certs_dir.chmod(0o000)
    try:
        sighup(server)
        assert_every_certificate_kept(server, world, binary)
    finally:
        world.certs_dir.chmod(0o755)


def test_1_certificate_directory_replaced_by_an_empty_one_is_honoured_with_a_warning(start_server, ca, tmp_path):
    """#1: an EMPTY but readable certificate directory is what the operator asked for: after SIGHUP the domains are
    no longer served, and a warning says that `2 domains lost their certificate`, naming them."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world, "--admin", "127.0.0.1:0", "--no-watch")
    assert presented(server.port, host(ONE)) == world.leaves["one"].cert_der

    world.certs_dir.rename(world.root / "certs.old")
    world.certs_dir.mkdir()
    sighup(server)

    line = log_line(server, "lost their certificate")
    assert line is not None, f"no `lost their certificate` warning\n{server.log_tail()}"
    assert "2 domains lost their certificate" in line and ONE in line and TWO in line, line
    assert presented(server.port, host(ONE)) is None and presented(server.port, host(TWO)) is None


# 5. expired and not yet valid certificates

def test_5_expired_and_not_yet_valid_certificates_are_not_used(start_server, ca, tmp_path):
    """#5: a host whose only certificate has expired is refused at the handshake (no certificate is sent); a host
    with a valid certificate and a not-yet-valid one (which expires later) is served with the valid one. The log
    names each file: `certificate expired`, `not valid until`."""
    world = build_healthy_world(tmp_path / "world", ca)
    world.add_policy("expired.test.txt", *policy_text("expired.test"))
    expired = ca.issue("expired", [host("expired.test")], not_before=NOW - 30 * DAY, not_after=NOW - DAY)
    expired_cert, _ = pki.install_named(world.certs_dir / "expired", "expired", expired)
    world.add_policy("future.test.txt", *policy_text("future.test"))
    valid = ca.issue("valid-now", [host("future.test")], days=20)
    future = ca.issue("valid-later", [host("future.test")], not_before=NOW + 2 * DAY, not_after=NOW + 60 * DAY)
    pki.install_named(world.certs_dir / "future", "now", valid)
    future_cert, _ = pki.install_named(world.certs_dir / "future", "later", future)

    server = start_server(world)

    assert presented(server.port, host("future.test")) == valid.cert_der, "the not-yet-valid certificate is served"
    assert curl(server.port, host("future.test"), world.ca_path).body == world.bodies[host("future.test")]
    assert presented(server.port, host("expired.test")) is None, "the expired certificate is served"
    assert log_line(server, "certificate expired", str(expired_cert)), server.log_tail()
    assert log_line(server, "not valid until", str(future_cert)), server.log_tail()


# 6. a chain without its intermediate

def test_6_leaf_without_its_intermediate_is_reported_as_an_incomplete_chain(start_server, ca, tmp_path, binary):
    """#6: a certificate file holding only a leaf whose issuer is an intermediate (cert.pem instead of
    fullchain.pem): `serve` still uses it but logs `chain incomplete` naming the file; `check --strict --certs`
    exits 1 and says `use fullchain.pem`. The same files with the intermediate appended pass `check --strict`."""
    world = build_healthy_world(tmp_path / "world", ca)
    intermediate = ca.intermediate("issuing-ca")
    world.add_policy("chain.test.txt", *policy_text("chain.test"))
    leaf = intermediate.issue("chain-leaf-only", [host("chain.test")], days=20)
    cert, _ = pki.install_named(world.certs_dir / "chain", "chain", leaf)

    server = start_server(world)
    assert presented(server.port, host("chain.test")) == leaf.cert_der, "a warning, not a rejection"
    with pytest.raises(ssl.SSLCertVerificationError):  # what a sender that trusts only the root gets
        tls_connect(server.port, host("chain.test"), world.ca_path).close()
    assert log_line(server, "chain incomplete", str(cert)), f"no `chain incomplete` warning naming {cert}\n" \
                                                           f"{server.log_tail()}"
    assert "use fullchain.pem" in server.log_text(), server.log_tail()

    incomplete = check(binary, "--policies", world.policies_dir, "--certs", world.certs_dir, "--strict")
    assert incomplete.returncode == 1, incomplete.stdout
    assert "chain incomplete" in incomplete.stdout and "use fullchain.pem" in incomplete.stdout, incomplete.stdout

    cert.write_bytes(leaf.cert_pem + intermediate.cert_pem)
    complete = check(binary, "--policies", world.policies_dir, "--certs", world.certs_dir, "--strict")
    assert complete.returncode == 0, complete.stdout
    assert "chain incomplete" not in complete.stdout, complete.stdout


# 11. an expired certificate copied over a valid pair

def test_11_expired_certificate_copied_over_a_valid_one_does_not_replace_it(start_server, ca, tmp_path):
    """#11: `cp old-expired.crt one.crt` over a served pair (same key, same file names), then SIGHUP: the certificate
    from before keeps being served (its DER, as a client receives it) and the log says `certificate expired`."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world, "--admin", "127.0.0.1:0", "--no-watch")
    served_before = world.leaves["one"].cert_der
    assert presented(server.port, host(ONE)) == served_before

    expired = ca.issue("one-expired", [host(ONE)], not_before=NOW - 30 * DAY, not_after=NOW - DAY,
                       key_pem=world.leaves["one"].key_pem)
    cert = world.certs_dir / "one" / "one.crt"
    cert.write_bytes(expired.cert_pem)
    sighup(server)

    assert presented(server.port, host(ONE)) == served_before, "the expired certificate replaced the valid one"
    assert curl(server.port, host(ONE), world.ca_path).body == world.bodies[host(ONE)]
    assert log_line(server, "certificate expired", str(cert)), server.log_tail()


# 12. a key too weak for the server's security level

def test_12_rsa_1024_pair_beside_good_pairs_leaves_every_client_served(start_server, ca, tmp_path):
    """#12: an RSA-1024 pair (expiring later, so it would be preferred) beside an ECDSA and an RSA-2048 pair for the
    same host: the log says `security level` naming it, and every client still completes a verified handshake: the
    default one, an RSA-only TLS 1.2 cipher (Python ssl) and RSA-only TLS 1.3 signature algorithms (s_client), both
    getting the RSA-2048 certificate."""
    world = build_healthy_world(tmp_path / "world", ca)
    rsa_2048 = ca.issue("one-rsa-2048", [host(ONE)], "rsa", days=20)
    weak = ca.issue("one-rsa-1024", [host(ONE)], "rsa", days=25, rsa_bits=1024)
    pki.install_named(world.certs_dir / "one", "one-rsa", rsa_2048)
    weak_cert, _ = pki.install_named(world.certs_dir / "one", "one-weak", weak)

    server = start_server(world)

    assert curl(server.port, host(ONE), world.ca_path).body == world.bodies[host(ONE)]
    rsa_only = client_context(world.ca_path)
    rsa_only.maximum_version = ssl.TLSVersion.TLSv1_2
    rsa_only.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    with tls_connect(server.port, host(ONE), None, context=rsa_only) as sock:
        assert sock.getpeercert(binary_form=True) == rsa_2048.cert_der
    tls13 = s_client(server.port, host(ONE), world.ca_path, "-tls1_3",
                     "-sigalgs", "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384")
    assert tls13.handshake_completed and tls13.verified, tls13.output
    assert (tls13.leaf.key_type, tls13.leaf.key_bits) == ("rsa", 2048), tls13.leaf
    assert log_line(server, "security level", str(weak_cert)), server.log_tail()


# 17. chains in the wrong order, and absurd ones

def test_17_chain_stored_intermediate_first_is_reported_as_out_of_order(start_server, ca, tmp_path):
    """#17: a certificate file holding [intermediate, leaf] with the leaf's key: the log says `out of order` and
    `put the leaf first`, naming the file, and never that the key `does not match`."""
    world = build_healthy_world(tmp_path / "world", ca)
    intermediate = ca.intermediate("issuing-ca")
    world.add_policy("order.test.txt", *policy_text("order.test"))
    leaf = intermediate.issue("order-leaf", [host("order.test")], days=20)
    cert, _ = pki.install_named(world.certs_dir / "order", "order", leaf,
                                cert_pem=intermediate.cert_pem + leaf.cert_pem)

    server = start_server(world)

    assert log_line(server, "out of order", str(cert)), f"no `out of order` line naming {cert}\n{server.log_tail()}"
    assert "put the leaf first" in server.log_text(), server.log_tail()
    assert "does not match" not in server.log_text(), server.log_tail()


def test_17_chain_of_800_kb_is_rejected_and_the_other_certificate_serves(start_server, ca, tmp_path):
    """#17: a certificate file of about 800 KB (the leaf, then the root repeated ~1,300 times) beside a normal pair
    for the same host: the log says `chain too large` naming it, and clients connect, verified, with the normal
    certificate (the big one expires later, so it would otherwise be preferred)."""
    world = build_healthy_world(tmp_path / "world", ca)
    big = ca.issue("one-big-chain", [host(ONE)], days=25)
    repeats = 800_000 // len(ca.cert_pem) + 1
    big_cert, _ = pki.install_named(world.certs_dir / "big", "big", big, cert_pem=big.cert_pem + ca.cert_pem * repeats)

    server = start_server(world)

    assert presented(server.port, host(ONE)) == world.leaves["one"].cert_der, "the 800 KB chain is served"
    assert curl(server.port, host(ONE), world.ca_path).body == world.bodies[host(ONE)]
    assert log_line(server, "chain too large", str(big_cert)), server.log_tail()
