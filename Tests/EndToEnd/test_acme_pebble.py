"""Built-in ACME (TLS-ALPN-01 on the server's own port) against pebble, Let's Encrypt's test CA: certificates
issued from nothing, reused across restarts, renewed, added and dropped with the policies, refused when DNS points
elsewhere, and never in place of an operator's certificate."""
from __future__ import annotations

import json
import pathlib
import subprocess
import time

import pytest

from support import pki
from support.health import policy_text
from support.pebble import Pebble, free_port
from support.worlds import POLICY_PATH, World

DOMAINS = ("x.test", "y.test", "z.test")
ISSUE_TIMEOUT = 60.0  # seconds for pebble to validate and issue: a bound, not a speed requirement


def make_world(root: pathlib.Path, ca: pki.CertificateAuthority, domains=DOMAINS) -> World:
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.certs_dir.mkdir(parents=True)
    world.policies_dir.mkdir(parents=True)
    for domain in domains:
        world.add_policy(f"{domain}.txt", *policy_text(domain))
    return world


@pytest.fixture
def pebble(tmp_path, ca, request):
    started = []

    def start(**options) -> Pebble:
        instance = Pebble(tmp_path / f"pebble-{len(started)}", ca, free_port(), **options)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def fetch(server, pebble: Pebble, root: pathlib.Path, domain: str) -> subprocess.CompletedProcess:
    """curl as a sender would: SNI mta-sts.<domain>, trusting only pebble's root."""
    host = f"mta-sts.{domain}"
    return subprocess.run(
        ["curl", "-sS", "--max-time", "5", "--cacert", str(root), "--resolve", f"{host}:{server.port}:127.0.0.1",
         f"https://{host}:{server.port}{POLICY_PATH}"], capture_output=True)


def wait_until_served(server, pebble: Pebble, root: pathlib.Path, domain: str, timeout: float = ISSUE_TIMEOUT) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        result = fetch(server, pebble, root, domain)
        if result.returncode == 0:
            return result.stdout
        assert server.is_running(), server.log_tail()
        assert time.monotonic() < deadline, \
            f"mta-sts.{domain} not served with a pebble certificate within {timeout} s: {result.stderr!r}\n{server.log_tail()}"
        time.sleep(0.2)


def pebble_root(pebble: Pebble, directory: pathlib.Path) -> pathlib.Path:
    path = directory / "pebble-root.pem"
    path.write_bytes(pebble.root_pem())
    return path


def test_three_domains_are_issued_from_nothing_and_served(tmp_path, ca, pebble, start_server):
    world = make_world(tmp_path / "world", ca)
    acme = pebble()
    for domain in DOMAINS:
        acme.add_a(f"mta-sts.{domain}")
    started = time.monotonic()
    server = start_server(world, *acme.server_flags(), "--log-level", "info", listen=f"127.0.0.1:{acme.tls_port}")
    root = pebble_root(acme, tmp_path)
    for domain in DOMAINS:
        body = wait_until_served(server, acme, root, domain)
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
