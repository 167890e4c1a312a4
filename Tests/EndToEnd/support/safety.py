"""What the operator-safety tests (test_safety_*.py) share: a small world where every domain is served, the text
log's `reloaded` lines, the server's inotify watches from /proc, the admin endpoint's metrics, and `status`.

Every wait here is bounded; none asserts on speed beyond "within a few seconds".
"""
from __future__ import annotations

import os
import pathlib
import re
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from . import pki
from .http1 import Connection, ConnectionClosed, request, tls_connect
from .server import ServerProcess
from .worlds import POLICY_PATH, World, canonical_policy

CLIENT_TIMEOUT = 10  # seconds; bounds a hung CLI run, never expected to be reached


def host(domain: str) -> str:
    return "mta-sts." + domain


def policy_file(mode: str, mx: list[str], max_age: int) -> tuple[bytes, bytes]:
    """(the file as an operator writes it, LF lines; the canonical body the server must serve)."""
    text = "".join(f"{line}\n" for line in ["version: STSv1", f"mode: {mode}", *(f"mx: {name}" for name in mx),
                                            f"max_age: {max_age}"])
    return text.encode(), canonical_policy(mode, mx, max_age)


def issue(ca: pki.CertificateAuthority, label: str, dns_names: list[str], days: int = 20) -> pki.Leaf:
    """An ECDSA leaf for `dns_names` valid `days` days: past the 14 days under which the server warns that a
    certificate expires soon (`ca.issue` makes 7-day leaves), within the test root's own 30."""
    work = ca.directory / "safety" / label
    key = pki.generate_key(work / "leaf.key")
    (work / "leaf.cnf").write_text(
        "[v3_leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
        f"subjectAltName = {', '.join(f'DNS:{name}' for name in dns_names)}\n")
    pki.openssl("req", "-new", "-key", key, "-subj", f"/O=mta-sts-host e2e/OU={label}/CN={dns_names[0]}",
                "-out", work / "leaf.csr")
    pki.openssl("x509", "-req", "-in", work / "leaf.csr", "-CA", ca.cert_path, "-CAkey", ca.key_path,
                "-set_serial", str(secrets.randbits(62)), "-days", str(days), "-sha256",
                "-extfile", work / "leaf.cnf", "-extensions", "v3_leaf", "-out", work / "leaf.pem")
    return pki.Leaf(label=label, dns_names=tuple(dns_names), key_type="ec",
                    cert_pem=(work / "leaf.pem").read_bytes(), key_pem=key.read_bytes())


def install_fullchain(directory: pathlib.Path, stem: str, leaf: pki.Leaf, ca: pki.CertificateAuthority) -> None:
    """`<stem>.pem` (leaf then root, as certbot's fullchain.pem) and `<stem>.key`: a complete chain whatever the
    server's trust anchors are, so no domain of a clean world carries a chain warning."""
    pki.install_named(directory, stem, leaf, ".pem")
    (directory / f"{stem}.pem").write_bytes(leaf.cert_pem + ca.cert_pem)


def build_clean_world(root: pathlib.Path, ca: pki.CertificateAuthority, domains: list[str],
                      mode: str = "enforce", policies_dir: pathlib.Path | None = None) -> World:
    """Every domain has a valid policy (max_age two weeks: no warning) and one certificate `certs/site/site.pem`
    (complete chain, 20 days left) covers all of them, so a server for it has nothing to warn about and
    `status --check` passes. `policies_dir` defaults to root/policies."""
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=policies_dir or root / "policies")
    world.certs_dir.mkdir(parents=True)
    for domain in domains:
        world.add_policy(f"{domain}.txt", *policy_file(mode, [f"mx.{domain}"], 1209600))
    world.leaves["site"] = issue(ca, "site", [host(domain) for domain in domains])
    install_fullchain(world.certs_dir / "site", "site", world.leaves["site"], ca)
    return world


# serving

def fetch(server: ServerProcess, world: World, domain: str) -> tuple[int, bytes]:
    """(status, body) of a GET for `domain`'s policy on a new HTTP/1.1 connection."""
    with Connection(tls_connect(server.port, host(domain), world.ca_path)) as connection:
        response = connection.exchange(request("GET", POLICY_PATH, host(domain)))
        return response.status, response.body


def served(server: ServerProcess, world: World, domain: str) -> bytes | None:
    """The policy body a new connection gets; None when the answer is not a 200."""
    status, body = fetch(server, world, domain)
    return body if status == 200 else None


def poll(probe, timeout: float = 5.0, interval: float = 0.05) -> bool:
    """True once `probe()` is true (client errors count as not yet); False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if probe():
                return True
        except (OSError, ssl.SSLError, ConnectionClosed):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# the text log

def log_lines(server: ServerProcess) -> list[str]:
    """Complete lines of a `--log-format text` log (a line still being written is left for later)."""
    return server.log_text().rpartition("\n")[0].splitlines()


def is_reload_line(line: str) -> bool:
    """The notice a full or partial reload logs: message `reloaded`, with its trigger among the fields."""
    return re.search(r"\breloaded\b", line) is not None and "trigger=" in line


def reload_lines(server: ServerProcess) -> list[str]:
    return [line for line in log_lines(server) if is_reload_line(line)]


def wait_for_reload(server: ServerProcess, seen: int, timeout: float = 5.0) -> str | None:
    """The first reload line after the first `seen` ones; None if none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        lines = reload_lines(server)
        if len(lines) > seen:
            return lines[seen]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def wait_until_quiet(server: ServerProcess, quiet: float = 0.75, timeout: float = 5.0) -> int:
    """Waits until no reload line has been added for `quiet` seconds; returns how many there are then."""
    deadline = time.monotonic() + timeout
    count, since = len(reload_lines(server)), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(reload_lines(server))
        if now != count:
            count, since = now, time.monotonic()
    return count


# inotify, from /proc

_WATCH = re.compile(r"^inotify wd:\S+ ino:([0-9a-f]+) sdev:([0-9a-f]+) ", re.M)


def inotify_watches(pid: int) -> list[tuple[int, int, int]]:
    """Every inotify watch `pid` holds, over all its inotify descriptors, as (inode, device major, minor) of the
    watched file or directory. /proc/PID/fdinfo shows the kernel's device number: major << 20 | minor."""
    watches = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:inotify":
                continue
            info = pathlib.Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
        except OSError:  # closed meanwhile
            continue
        for inode, device in _WATCH.findall(info):
            watches.append((int(inode, 16), int(device, 16) >> 20, int(device, 16) & 0xFFFFF))
    return watches


def identity(path: pathlib.Path | str) -> tuple[int, int, int]:
    """(inode, device major, minor) of `path` itself (a symlink is not followed), as `inotify_watches` has them."""
    status = os.lstat(path)
    return status.st_ino, os.major(status.st_dev), os.minor(status.st_dev)


def tree_and_ancestors(root: pathlib.Path) -> set[tuple[int, int, int]]:
    """What a watcher of directories below `root` may hold: everything in the tree (symlinks not followed) and
    every directory above it up to / (a watcher may watch parents to see a root being replaced)."""
    found = {identity(parent) for parent in [root, *root.parents]}
    for directory, names, files in os.walk(root):
        for name in names + files:
            try:
                found.add(identity(pathlib.Path(directory, name)))
            except FileNotFoundError:
                pass
    return found


# the admin endpoint

def admin_url(server: ServerProcess, path: str) -> str:
    """The URL of `path` on the admin address: the second line of the ready file (`--admin` after --listen)."""
    assert len(server.addresses) == 2, f"no admin address in the ready file: {server.ready_text!r}"
    address, port = server.addresses[1]
    return f"http://{address}:{port}{path}"


def admin_get(server: ServerProcess, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(admin_url(server, path), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def metric_families(server: ServerProcess) -> list:
    status, body = admin_get(server, "/metrics")
    assert status == 200, status
    return list(text_string_to_metric_families(body.decode()))


def metric(server: ServerProcess, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with exactly `labels`; None when the server exports no such sample."""
    for family in metric_families(server):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


# the CLI

def run_cli(binary: pathlib.Path, *args: str | os.PathLike,
            cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.abspath(binary), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=CLIENT_TIMEOUT)


def run_cli_bytes(binary: pathlib.Path, *args: str | os.PathLike) -> subprocess.CompletedProcess:
    """As `run_cli`, keeping stdout and stderr as bytes (to look for raw control characters)."""
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, timeout=CLIENT_TIMEOUT)
