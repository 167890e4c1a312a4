"""What the ACME tests share: a world of policies without certificates, a `pebble` fixture, and the sender's view
(curl trusting only pebble's root) with the waits built on it.

Importing this module into a test file brings the `pebble` fixture with it.
"""
from __future__ import annotations

import json
import pathlib
import re
import ssl
import subprocess
import time

import pytest
from cryptography import x509

from . import pki
from .health import policy_text
from .http1 import tls_connect
from .pebble import Pebble, free_port
from .worlds import POLICY_PATH, World

ISSUE_TIMEOUT = 60.0  # seconds for pebble to validate and issue: a bound, not a speed requirement


def make_world(root: pathlib.Path, ca: pki.CertificateAuthority, domains=()) -> World:
    """Policies for `domains`, an empty certs/: every certificate has to come from ACME."""
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.certs_dir.mkdir(parents=True)
    world.policies_dir.mkdir(parents=True)
    for domain in domains:
        world.add_policy(f"{domain}.txt", *policy_text(domain))
    return world


@pytest.fixture
def pebble(tmp_path, ca):
    """`pebble(**options)` -> a running Pebble (see support/pebble.py), stopped when the test ends."""
    started = []

    def start(**options) -> Pebble:
        instance = Pebble(tmp_path / f"pebble-{len(started)}", ca, free_port(), **options)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def start_acme_server(start_server, world: World, acme: Pebble, *flags: str):
    """A server on pebble's `tlsPort` (pebble validates there), logging each order step."""
    return start_server(world, *acme.server_flags(), "--log-level", "info", *flags,
                        listen=f"127.0.0.1:{acme.tls_port}")


def pebble_root(acme: Pebble, directory: pathlib.Path) -> pathlib.Path:
    """Pebble's root in a file. A restarted pebble makes a new root: keep the file of the one that issued."""
    path = directory / f"pebble-root-{time.monotonic_ns()}.pem"
    path.write_bytes(acme.root_pem())
    return path


def fetch(server, root: pathlib.Path, domain: str, timeout: float = 5.0) -> subprocess.CompletedProcess:
    """curl as a sender would: SNI mta-sts.<domain>, trusting only pebble's root."""
    host = f"mta-sts.{domain}"
    return subprocess.run(
        ["curl", "-sS", "--max-time", str(timeout), "--cacert", str(root),
         "--resolve", f"{host}:{server.port}:127.0.0.1", f"https://{host}:{server.port}{POLICY_PATH}"],
        capture_output=True)


def wait_until_served(server, root: pathlib.Path, domain: str, timeout: float = ISSUE_TIMEOUT) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        result = fetch(server, root, domain)
        if result.returncode == 0:
            return result.stdout
        assert server.is_running(), server.log_tail()
        assert time.monotonic() < deadline, \
            f"mta-sts.{domain} not served with a pebble certificate within {timeout} s: {result.stderr!r}\n{server.log_tail()}"
        time.sleep(0.2)


def served_leaf(server, root: pathlib.Path, domain: str) -> x509.Certificate:
    """The leaf a verified handshake for mta-sts.<domain> gets."""
    with tls_connect(server.port, f"mta-sts.{domain}", root) as sock:
        return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))


def order_lines(server, domain: str) -> list[str]:
    """The server's log lines for each order it placed for mta-sts.<domain> (one `order <url> for` per order)."""
    step = re.compile(rf"acme mta-sts\.{re.escape(domain)}: order \S+ for ")
    return [line for line in server.log_text().splitlines() if step.search(line)]


def acme_state(state_dir: pathlib.Path, domain: str) -> dict | None:
    """The `acme` object of `domain` in status.json (None when it has none, or the domain is not listed yet)."""
    document = json.loads((state_dir / "status.json").read_text())
    entries = [entry for entry in document["domains"] if entry["domain"] == domain]
    assert len(entries) <= 1, f"{domain} listed {len(entries)} times in status.json"
    return entries[0].get("acme") if entries else None


def wait_for_acme_state(state_dir: pathlib.Path, domain: str, condition, what: str,
                        timeout: float = ISSUE_TIMEOUT) -> dict:
    """The `acme` object of `domain` once `condition(acme)` holds (status.json is rewritten when it changes)."""
    deadline = time.monotonic() + timeout
    while True:
        state = acme_state(state_dir, domain)
        if state is not None and condition(state):
            return state
        assert time.monotonic() < deadline, f"status.json never showed {what} for {domain} within {timeout} s: {state}"
        time.sleep(0.1)


def offered_only_challenge_protocol(port: int, sni: str, root: pathlib.Path | None) -> ssl.SSLSocket:
    """A handshake whose ClientHello offers `acme-tls/1` and nothing else, as the CA's validation does."""
    return tls_connect(port, sni, root, alpn=["acme-tls/1"])
