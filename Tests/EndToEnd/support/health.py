"""A server's health as an operator's monitoring sees it: `/metrics` on the admin address (parsed with
prometheus_client's own parser), status.json in its --state-dir, and `mta-sts-host status --check`.

`build_healthy_world` makes a world whose health starts clean, so that a test that breaks something sees the
health change because of it: certificates valid for 20 days (no "expires in N days" warning, which starts at 14),
policies without warnings even under --strict.

| host             | certificate (under certs/)              | policy file  |
|------------------|-----------------------------------------|--------------|
| mta-sts.one.test | ECDSA `one/one.crt`+`.key`              | one.test.txt |
| mta-sts.two.test | RSA-2048 `two/two.crt`+`.key`           | two.test.txt |
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from . import pki
from .server import ServerProcess
from .worlds import World, canonical_policy

ONE, TWO = "one.test", "two.test"
HEALTHY_DAYS = 20  # over the 14 days under which a certificate is reported as expiring
WAIT = 5.0  # seconds any wait below gives the server: a bound, not a speed requirement


def policy_text(domain: str, mode: str = "enforce", mx: tuple[str, ...] = (),
                max_age: int = 1209600) -> tuple[bytes, bytes]:
    """(file bytes, LF lines, without any warning; the canonical body the server must serve)."""
    mx = mx or (f"mx.{domain}",)
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {name}" for name in mx), f"max_age: {max_age}"]
    return "".join(f"{line}\n" for line in lines).encode(), canonical_policy(mode, list(mx), max_age)


def add_domain(world: World, domain: str, key_type: str = "ec", *, days: int = HEALTHY_DAYS) -> pki.Leaf:
    """A policy for `domain` and a certificate for `mta-sts.<domain>` in `certs/<first label>/`."""
    world.add_policy(f"{domain}.txt", *policy_text(domain))
    stem = domain.split(".")[0]
    leaf = world.leaves[stem] = world.ca.issue(f"{stem}-{key_type}", [f"mta-sts.{domain}"], key_type, days=days)
    pki.install_named(world.certs_dir / stem, stem, leaf)
    return leaf


def build_healthy_world(root: pathlib.Path, ca: pki.CertificateAuthority) -> World:
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.certs_dir.mkdir(parents=True)
    world.policies_dir.mkdir(parents=True)
    add_domain(world, ONE, "ec")
    add_domain(world, TWO, "rsa")
    return world


# the admin address (`--admin 127.0.0.1:0`: the ready file's second line)

def admin_get(server: ServerProcess, path: str) -> tuple[int, str | None, bytes]:
    assert len(server.addresses) == 2, f"started without --admin? ready file: {server.ready_text!r}"
    host, port = server.addresses[1]
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=5) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def metric_samples(server: ServerProcess) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted label items) -> value, for every sample on /metrics."""
    status, content_type, body = admin_get(server, "/metrics")
    assert status == 200 and content_type.startswith("text/plain"), (status, content_type)
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def samples_when(server: ServerProcess, condition, timeout: float = WAIT) -> dict[tuple[str, tuple], float]:
    """The samples once `condition(samples)` holds, else the last ones after `timeout`: the server updates its
    metrics just after a load (and after writing the ready file), not with it."""
    deadline = time.monotonic() + timeout
    while True:
        found = metric_samples(server)
        if condition(found) or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


def metric(found: dict, name: str, **labels: str) -> float:
    """The sample with exactly these labels; 0 when the server does not export it."""
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def series(found: dict, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample named `name`: (labels, value)."""
    return [(dict(labels), value) for (sample, labels), value in found.items() if sample == name]


def reload_count(server: ServerProcess) -> float:
    """Reloads of any result (`mta_sts_reloads_total`, summed over its `result` label)."""
    return sum(value for _, value in series(metric_samples(server), "mta_sts_reloads_total"))


def wait_for_reload_after(server: ServerProcess, before: float, what: str, timeout: float = WAIT) -> None:
    """Waits until a reload beyond the `before` counted ones has finished (whatever its result)."""
    deadline = time.monotonic() + timeout
    while reload_count(server) <= before:
        assert server.is_running(), f"the server exited after {what}\n{server.log_tail()}"
        assert time.monotonic() < deadline, f"no reload within {timeout} s after {what}\n{server.log_tail()}"
        time.sleep(0.05)


# status.json and `mta-sts-host status`

def status_file(state_dir: pathlib.Path) -> pathlib.Path:
    return state_dir / "status.json"


def read_status(state_dir: pathlib.Path, timeout: float = WAIT) -> dict:
    """status.json once it exists and parses (it is replaced atomically, so a parse error means a torn write)."""
    deadline = time.monotonic() + timeout
    while not status_file(state_dir).exists():
        assert time.monotonic() < deadline, f"no {status_file(state_dir)} within {timeout} s"
        time.sleep(0.05)
    return json.loads(status_file(state_dir).read_text())


def domain_status(state_dir: pathlib.Path, domain: str) -> dict:
    entries = [entry for entry in read_status(state_dir)["domains"] if entry["domain"] == domain]
    assert len(entries) == 1, f"{domain} is listed {len(entries)} times in status.json"
    return entries[0]


def domain_state_when(state_dir: pathlib.Path, domain: str, expected: str, timeout: float = WAIT) -> str | None:
    """The `state` of `domain` in status.json once it is `expected`, else the last one after `timeout` (the file
    is rewritten just after a load)."""
    deadline = time.monotonic() + timeout
    while True:
        state = domain_status(state_dir, domain).get("state")
        if state == expected or time.monotonic() >= deadline:
            return state
        time.sleep(0.05)


def status_command(binary: pathlib.Path, state_dir: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "status", "--state-dir", str(state_dir), *args],
                          capture_output=True, text=True, timeout=10)


def status_check(binary: pathlib.Path, state_dir: pathlib.Path, expected: int,
                 timeout: float = WAIT) -> subprocess.CompletedProcess:
    """`status --check`, repeated until it exits `expected` or `timeout` passes (the server rewrites its status
    file just after a load); the last run either way."""
    deadline = time.monotonic() + timeout
    while True:
        result = status_command(binary, state_dir, "--check")
        if result.returncode == expected or time.monotonic() >= deadline:
            return result
        time.sleep(0.1)


NOBODY = 65534  # the uid and gid of `nobody` / `nogroup`


def keys_readable_by_nobody(world: World) -> None:
    """Gives every file under certs/ to nobody, as an operator does for the service user: a server run with
    `--user nobody` can then read its keys again on a reload."""
    for path in world.certs_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.chown(path, NOBODY, NOBODY)
