"""Built-in ACME (TLS-ALPN-01 on the server's own port) against pebble, Let's Encrypt's test CA: certificates
issued from nothing, reused across restarts, issued for a domain added while running, never in place of an
operator's certificate, and the TLS-ALPN-01 seam as any other client sees it. Failures: test_acme_pebble_failures.py;
renewal and removal: test_acme_pebble_renewal.py."""
from __future__ import annotations

import json
import ssl
import time

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from support import pki
from support.acme import (fetch, make_world, offered_only_challenge_protocol, order_lines, pebble,  # noqa: F401
                          pebble_root, served_leaf, start_acme_server, wait_for_acme_state, wait_until_served)
from support.health import policy_text
from support.http1 import served_certificate

DOMAINS = ("x.test", "y.test", "z.test")
A_DAY = 86_400


def test_three_domains_are_issued_from_nothing_and_served(tmp_path, ca, pebble, start_server):
    world = make_world(tmp_path / "world", ca, DOMAINS)
    acme = pebble()
    for domain in DOMAINS:
        acme.add_a(f"mta-sts.{domain}")
    started = time.monotonic()
    server = start_acme_server(start_server, world, acme)
    root = pebble_root(acme, tmp_path)
    for domain in DOMAINS:
        body = wait_until_served(server, root, domain)
        assert body == policy_text(domain)[1]
    elapsed = time.monotonic() - started
    print(f"start to the third certificate served: {elapsed:.1f} s")
    status = json.loads((server.state_dir / "status.json").read_text())
    by_domain = {entry["domain"]: entry for entry in status["domains"]}
    for domain in DOMAINS:
        certificates = by_domain[domain]["certificates"]
        assert [c["source"] for c in certificates] == ["acme"], by_domain[domain]
        assert certificates[0]["file"].endswith(f"/acme/certificates/mta-sts.{domain}/fullchain.pem")
    key = server.state_dir / "acme" / "certificates" / f"mta-sts.{DOMAINS[0]}" / "privkey.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (server.state_dir / "acme" / "account.key").stat().st_mode & 0o777 == 0o600
    assert maps(server.process.pid, "libcurl.so"), "the server ordered over HTTPS without loading libcurl?"


def test_libcurl_is_not_loaded_by_a_server_without_acme(server):
    """libcurl and its ~27 libraries are loaded by the first ACME request only (Sources/CCurl): a server without
    --acme-directory does not map them, so it pays neither their start-up nor their memory."""
    assert server.is_running()
    assert maps(server.process.pid, "libssl.so")  # the listing is real: OpenSSL is there
    assert not maps(server.process.pid, "libcurl.so")


def maps(pid: int, library: str) -> bool:
    """Whether a process maps a file whose name starts with `library` (/proc/PID/maps; libcurl.so.4.8.0, say)."""
    with open(f"/proc/{pid}/maps") as mappings:
        return any(line.split()[-1].rsplit("/", 1)[-1].startswith(library) for line in mappings if "/" in line)


def test_a_restart_reuses_the_certificates_and_the_account(tmp_path, ca, pebble, start_server):
    world = make_world(tmp_path / "world", ca, DOMAINS)
    acme = pebble()
    for domain in (*DOMAINS, "w.test"):
        acme.add_a(f"mta-sts.{domain}")
    state = tmp_path / "state"  # shared by both servers: the later --state-dir wins over the launcher's
    first = start_acme_server(start_server, world, acme, "--state-dir", str(state))
    root = pebble_root(acme, tmp_path)
    for domain in DOMAINS:
        wait_until_served(first, root, domain)
    orders, account_key = acme.orders_created(), (state / "acme" / "account.key").read_bytes()
    assert orders == len(DOMAINS), acme.log()[-2000:]
    assert first.stop() == 0

    second = start_acme_server(start_server, world, acme, "--state-dir", str(state))
    for domain in DOMAINS:  # at once: no waiting for anything but the ready file
        result = fetch(second, root, domain)
        assert result.returncode == 0, f"mta-sts.{domain} not served once ready: {result.stderr!r}\n{second.log_tail()}"
    for domain in DOMAINS:
        # The issuer knows the certificate it found and shows its renewal, years away with pebble's default.
        planned = wait_for_acme_state(state, domain, lambda acme_: "next_attempt" in acme_, "a planned renewal",
                                      timeout=10)
        assert planned["failures"] == 0 and planned["next_attempt"] > time.time() + A_DAY, planned
    assert acme.orders_created() == orders, "the restarted server ordered certificates it already had"

    # The account too: an order made now is signed by the same key, so pebble registers no second account.
    world.add_policy("w.test.txt", *policy_text("w.test"))
    wait_until_served(second, root, "w.test")
    assert acme.orders_created() == orders + 1
    assert acme.accounts_created() == 1, acme.log()[-2000:]
    assert (state / "acme" / "account.key").read_bytes() == account_key


def test_a_domain_added_while_running_gets_its_certificate(tmp_path, ca, pebble, start_server):
    world = make_world(tmp_path / "world", ca, ["x.test"])
    acme = pebble()
    for domain in ("x.test", "v.test"):
        acme.add_a(f"mta-sts.{domain}")
    server = start_acme_server(start_server, world, acme)
    root = pebble_root(acme, tmp_path)
    wait_until_served(server, root, "x.test")
    world.add_policy("v.test.txt", *policy_text("v.test"))  # the watcher reloads; nothing else is done
    assert wait_until_served(server, root, "v.test") == policy_text("v.test")[1]
    assert len(order_lines(server, "v.test")) == 1
    assert acme.orders_created() == 2


def test_an_operator_certificate_is_used_instead_of_ordering_one(tmp_path, ca, pebble, start_server):
    world = make_world(tmp_path / "world", ca, ["x.test", "y.test"])
    operator = ca.issue("operator-x", ["mta-sts.x.test"])
    pki.install_named(world.certs_dir / "x", "x", operator)
    acme = pebble()
    for domain in ("x.test", "y.test"):
        acme.add_a(f"mta-sts.{domain}")
    server = start_acme_server(start_server, world, acme)
    wait_until_served(server, pebble_root(acme, tmp_path), "y.test")
    assert served_certificate(server.port, "mta-sts.x.test", ca.cert_path) == operator.cert_der
    assert order_lines(server, "x.test") == [], server.log_tail()
    assert acme.orders_created() == 1
    status = json.loads((server.state_dir / "status.json").read_text())
    by_domain = {entry["domain"]: entry for entry in status["domains"]}
    assert [c["source"] for c in by_domain["x.test"]["certificates"]] == ["file"], by_domain["x.test"]
    assert "acme" not in by_domain["x.test"], by_domain["x.test"]
    assert [c["source"] for c in by_domain["y.test"]["certificates"]] == ["acme"], by_domain["y.test"]


REFUSED_ONCE = "no certificate for this name yet"


def test_acme_tls_1_is_selected_only_for_a_pending_challenge(tmp_path, ca, pebble, start_server):
    """x.test has its certificate; y.test is served but has none (no DNS record, so never ordered)."""
    world = make_world(tmp_path / "world", ca, ["x.test", "y.test"])
    acme = pebble()
    acme.add_a("mta-sts.x.test")
    server = start_acme_server(start_server, world, acme)
    root = pebble_root(acme, tmp_path)
    wait_until_served(server, root, "x.test")
    normal = served_leaf(server, root, "x.test")

    # No challenge is pending for x: a client offering only acme-tls/1 shares no protocol with the server; the
    # handshake goes on without ALPN and gets the ordinary certificate, never a challenge certificate.
    with offered_only_challenge_protocol(server.port, "mta-sts.x.test", root) as sock:
        assert sock.selected_alpn_protocol() is None
        assert sock.getpeercert(binary_form=True) == normal.public_bytes(Encoding.DER)

    for name in ("mta-sts.unknown.test", "mta-sts.y.test"):
        for _ in range(3):
            with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
                offered_only_challenge_protocol(server.port, name, None).close()
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        served_certificate(server.port, "mta-sts.y.test", root)

    # A served name still without a certificate is worth one line to the operator, not one per sender's attempt;
    # a name that is not served at all (anyone may send any SNI) is not logged above debug.
    wait_for_acme_state(server.state_dir, "y.test", lambda state: state.get("failures", 0) >= 1, "the DNS failure")
    assert server.wait_for_log(REFUSED_ONCE)
    refused = [line for line in server.log_text().splitlines() if REFUSED_ONCE in line]
    assert len([line for line in refused if "mta-sts.y.test" in line]) == 1, refused
    # x.test too was refused while its order ran (wait_until_served tried repeatedly): one line at most.
    assert len([line for line in refused if "mta-sts.x.test" in line]) <= 1, refused
    assert "mta-sts.unknown.test" not in server.log_text()
