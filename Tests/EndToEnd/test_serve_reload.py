"""Live reload (inotify and SIGHUP) and graceful shutdown (SIGTERM) of `serve`, with clients fetching meanwhile.

Every test builds its own world (below) in tmp_path, since it changes files, and starts its own server with
`--log-format json` (one object per line: the `reloaded` line is asserted on by its keys); the launcher puts its
`--state-dir` under tmp_path too.

| host                 | certificate (layout under certs/)                              | policy file            |
|----------------------|----------------------------------------------------------------|------------------------|
| mta-sts.rename.test  | `shared/shared.crt`+`.key`, covering rename, inplace, gone, fresh | rename.test.txt     |
| mta-sts.inplace.test | shared                                                         | inplace.test.txt       |
| mta-sts.gone.test    | shared                                                         | gone.test.txt          |
| mta-sts.fresh.test   | shared                                                         | none (tests add it)    |
| mta-sts.certbot.test | certbot `letsencrypt/live/` symlinks into `archive/`           | certbot.test.txt       |
| mta-sts.k8s.test     | Kubernetes secret `k8s/k8s-test/` (`..data` -> `..<timestamp>/`) | k8s.test.txt         |
| mta-sts.late.test    | none (tests add `late/` later)                                 | late.test.txt          |
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from support import h2frames as f
from support import pki
from support.h2client import H2Connection
from support.http1 import ConnectionClosed, Connection, request, served_certificate, tcp_connect, tls_connect
from support.server import ServerProcess
from support.worlds import POLICY_PATH, World, canonical_policy

RENAME, INPLACE, GONE, FRESH = "rename.test", "inplace.test", "gone.test", "fresh.test"
CERTBOT, K8S, LATE = "certbot.test", "k8s.test", "late.test"

OBSERVE_WITHIN = 1.0  # seconds from a file change to a fresh request seeing it (the watcher settles in 250 ms)
POLL_FOR = 3.0  # seconds a probe keeps polling, so that a slow change still gets a latency to report
LOOP_SECONDS = 5.0  # how long the clients fetch while test 1 changes files
PACE = 0.01  # seconds between a loop's requests: steady traffic that leaves the 2 CPUs to the server too
SHUTDOWN_TIMEOUT = 10  # serve's default --shutdown-timeout
SIGNALS_INSTALLED = 0.3  # seconds after the ready file by which the signal handlers are surely in place (see
# test_sigterm_the_moment_the_ready_file_appears_stops_gracefully)


def host(domain: str) -> str:
    return "mta-sts." + domain


def policy_file(mode: str, mx: list[str], max_age: int) -> tuple[bytes, bytes]:
    """(file bytes as an operator writes them, LF lines, the canonical body the server must serve)."""
    text = "".join(f"{line}\n" for line in ["version: STSv1", f"mode: {mode}", *(f"mx: {name}" for name in mx),
                                            f"max_age: {max_age}"])
    return text.encode(), canonical_policy(mode, mx, max_age)


def fingerprint(certificate: bytes) -> str:
    return hashlib.sha256(certificate).hexdigest()[:16]


def build_reload_world(root, ca: pki.CertificateAuthority) -> World:
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.certs_dir.mkdir(parents=True)
    for number, domain in enumerate([RENAME, INPLACE, GONE, CERTBOT, K8S, LATE]):
        world.add_policy(f"{domain}.txt", *policy_file("testing", [f"mx.{domain}"], 86400 + number))
    world.leaves["shared"] = ca.issue("shared", [host(RENAME), host(INPLACE), host(GONE), host(FRESH)])
    pki.install_named(world.certs_dir / "shared", "shared", world.leaves["shared"])
    world.leaves["certbot-1"] = ca.issue("certbot-1", [host(CERTBOT)])
    pki.install_certbot(world.certs_dir / "letsencrypt", world.leaves["certbot-1"], ca)
    world.leaves["k8s-1"] = ca.issue("k8s-1", [host(K8S)])
    pki.install_kubernetes_secret(world.certs_dir / "k8s" / "k8s-test", world.leaves["k8s-1"], atomic_writer=True)
    return world


@pytest.fixture
def world(tmp_path, ca) -> World:
    """This module's world (see the table above), fresh for each test: the tests change it."""
    return build_reload_world(tmp_path / "world", ca)


@pytest.fixture
def serve(start_server, world):
    """`serve(*flags)`: a server for this test's world, logging JSON."""
    def serve(*flags: str):
        return start_server(world, "--log-format", "json", *flags)
    return serve


# observing the server from outside

def connect(port: int, domain: str, ca_path) -> Connection:
    """A new TLS connection for `domain`'s policy host that sends each request at once."""
    connection = Connection(tls_connect(port, host(domain), ca_path))
    # Else Nagle holds the request back until the server's delayed ACK of our Finished, 40 ms later.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def fetch(server, world: World, domain: str) -> tuple[int, bytes]:
    """(status, body) of a GET for the policy on a new HTTP/1.1 connection."""
    with connect(server.port, domain, world.ca_path) as connection:
        response = connection.exchange(request("GET", POLICY_PATH, host(domain)))
        return response.status, response.body


def served(server, world: World, domain: str) -> bytes | None:
    """The policy body a new connection gets; None when the answer is not a 200."""
    status, body = fetch(server, world, domain)
    return body if status == 200 else None


def poll(probe, timeout: float = POLL_FOR) -> float | None:
    """Seconds until `probe()` is true on a fresh try (exceptions count as not yet); None if it never was."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if probe():
                return time.monotonic() - started
        except (OSError, ssl.SSLError, ConnectionClosed):
            pass
        time.sleep(0.01)
    return None


def reloads(server) -> list[dict]:
    return [record for record in server.log_records() if record["message"] == "reloaded"]


def wait_for_reload(server, seen: int, timeout: float = POLL_FOR) -> dict:
    """The reload after the first `seen` ones, waiting for it."""
    deadline = time.monotonic() + timeout
    while len(reloads(server)) <= seen:
        assert time.monotonic() < deadline, f"no reload within {timeout} s\n{server.log_tail()}"
        time.sleep(0.02)
    return reloads(server)[seen]


def messages(server) -> list[str]:
    return [record["message"] for record in server.log_records()]


def status_json(binary, server) -> dict:
    """`mta-sts-host status --format json` for the server's --state-dir."""
    result = subprocess.run([str(binary), "status", "--state-dir", str(server.state_dir), "--format", "json"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def status_of(binary, server, domain: str) -> dict:
    return next(entry for entry in status_json(binary, server)["domains"] if entry["domain"] == domain)


# clients that fetch in a loop

class ClientLoop(threading.Thread):
    """Fetches in a loop until `stop` is set or the server ends the connection.

    `outcomes` holds what each request got, `ending` how the server ended the connection (None: it did not),
    `error` the exception that broke the loop (None: none did)."""

    def __init__(self, server, world: World, stop: threading.Event, name: str):
        super().__init__(name=name, daemon=True)
        self.port, self.ca_path, self.stop = server.port, world.ca_path, stop
        self.outcomes: list[tuple] = []
        self.ending: str | None = None
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.loop()
        except Exception as error:  # noqa: BLE001 - reported by the test, with the loop's name
            self.error = f"{self.name}: {type(error).__name__}: {error}"


class KeepAliveLoop(ClientLoop):
    """HTTP/1.1 on one connection: sequential GETs for one host. An outcome is (status, body)."""

    def __init__(self, server, world: World, stop: threading.Event, domain: str):
        super().__init__(server, world, stop, f"http1 {domain}")
        self.domain, self.host = domain, host(domain)

    def loop(self) -> None:
        with connect(self.port, self.domain, self.ca_path) as connection:
            while not self.stop.is_set():
                if not connection.send_tolerating_close(request("GET", POLICY_PATH, self.host)):
                    self.ending = "closed"
                    return
                try:
                    response = connection.read_response()
                except ConnectionClosed as closed:
                    if not str(closed).startswith("connection closed in the response head") or connection.buffer:
                        raise  # a truncated response
                    self.ending = "closed"  # before the next response began: the request was not taken
                    return
                self.outcomes.append((response.status, response.body))
                if "close" in response.connection_tokens():
                    self.ending = "Connection: close"
                    return
                time.sleep(PACE)


def ends_or_refuses(frame: f.Frame, stream_id: int) -> bool:
    """The frame ends the stream, or is a GOAWAY that leaves it unanswered (a client may retry it elsewhere)."""
    if frame.type == f.GOAWAY:
        return frame.last_stream_id < stream_id
    return frame.stream_id == stream_id and (
        frame.type == f.RST_STREAM or frame.type in (f.DATA, f.HEADERS) and frame.has(f.END_STREAM))


class H2Loop(ClientLoop):
    """HTTP/2 on one connection: one stream after the other for one host. An outcome is (status, body).
    A GOAWAY ends the loop; `closed_after_goaway` says whether the server then closed the connection."""

    def __init__(self, server, world: World, stop: threading.Event, domain: str):
        super().__init__(server, world, stop, f"h2 {domain}")
        self.host = host(domain)
        self.goaway: f.Frame | None = None
        self.closed_after_goaway = False

    def loop(self) -> None:
        with H2Connection.open(self.port, self.host, self.ca_path) as connection:
            connection.handshake()
            assert connection.send(f.window_update(0, 1 << 30))  # the client does no flow control of its own
            stream_id = 1
            while not self.stop.is_set() and connection.goaway() is None:
                assert connection.request(stream_id, self.host, POLICY_PATH), "closed while sending a request"
                last = connection.read_until(lambda frame: ends_or_refuses(frame, stream_id))
                assert last is not None, f"closed with stream {stream_id} open, no GOAWAY: {connection.frames[-6:]}"
                if last.type != f.GOAWAY:
                    response = connection.collected_response(stream_id)
                    self.outcomes.append((response.status, response.body))
                    stream_id += 2
                    time.sleep(PACE)
            self.goaway = connection.goaway()
            if self.goaway is not None:
                self.ending = "GOAWAY"
                self.closed_after_goaway = connection.read_until_closed()


class FreshConnectionLoop(ClientLoop):
    """A new HTTP/1.1 connection per request, cycling over `domains`. An outcome is
    (domain, status, body or None unless 200, fingerprint of the certificate served)."""

    def __init__(self, server, world: World, stop: threading.Event, domains: list[str]):
        super().__init__(server, world, stop, "new connections")
        self.domains = domains

    def loop(self) -> None:
        while not self.stop.is_set():
            for domain in self.domains:
                with connect(self.port, domain, self.ca_path) as connection:
                    certificate = connection.sock.getpeercert(binary_form=True)
                    response = connection.exchange(request("GET", POLICY_PATH, host(domain)))
                self.outcomes.append((domain, response.status, response.body if response.status == 200 else None,
                                      fingerprint(certificate)))
                time.sleep(PACE)


def progress_problems(outcomes: list, progression: list, label: str) -> list[str]:
    """Checks that `outcomes` walk through `progression` in order, never back and never elsewhere."""
    problems, reached = [], 0
    for number, outcome in enumerate(outcomes):
        if outcome not in progression:
            problems.append(f"{label}: request {number} got {outcome!r}, expected one of {progression!r}")
        elif progression.index(outcome) < reached:
            problems.append(f"{label}: request {number} went back to {outcome!r} after {progression[reached]!r}")
        else:
            reached = progression.index(outcome)
    return problems[:5]


# 1. changes while clients fetch

def test_changes_are_served_within_a_second_while_clients_keep_fetching(serve, world):
    server = serve("--max-requests-per-connection", "1000000")
    ca = world.ca
    shared, certbot_1, k8s_1 = (fingerprint(world.leaves[label].cert_der) for label in ("shared", "certbot-1", "k8s-1"))
    old = {domain: world.bodies[host(domain)] for domain in (RENAME, INPLACE, GONE, CERTBOT, K8S)}
    renamed_text, renamed = policy_file("enforce", [f"mx.{RENAME}", f"backup.{RENAME}"], 1209600)
    inplace_text, inplace = policy_file("none", [f"mx.{INPLACE}"], 604800)
    fresh_text, fresh = policy_file("testing", [f"mx.{FRESH}"], 86400)
    certbot_2 = ca.issue("certbot-2", [host(CERTBOT)])
    k8s_2 = ca.issue("k8s-2", [host(K8S)])
    late_1, late_2 = ca.issue("late-1", [host(LATE)]), ca.issue("late-2", [host(LATE)])
    assert served(server, world, RENAME) == old[RENAME]

    stop = threading.Event()
    keep_alive = KeepAliveLoop(server, world, stop, INPLACE)
    keep_alive_gone = KeepAliveLoop(server, world, stop, GONE)
    h2 = H2Loop(server, world, stop, RENAME)
    fresh_connections = FreshConnectionLoop(server, world, stop, [RENAME, INPLACE, GONE, FRESH, CERTBOT, K8S])
    loops = [keep_alive, keep_alive_gone, h2, fresh_connections]
    started = time.monotonic()
    for loop in loops:
        loop.start()
    time.sleep(0.5)

    latencies: dict[str, float | None] = {}

    def change(name: str, action, probe) -> None:
        action()
        latencies[name] = poll(probe)

    def edit_by_rename():
        staged = world.policies_dir / f".{RENAME}.txt.tmp"  # a dotfile: the server ignores it
        staged.write_bytes(renamed_text)
        os.replace(staged, world.policies_dir / f"{RENAME}.txt")

    def edit_in_place():
        with open(world.policies_dir / f"{INPLACE}.txt", "w") as file:
            file.write(inplace_text.decode())

    change("edit by atomic rename", edit_by_rename, lambda: served(server, world, RENAME) == renamed)
    change("edit in place", edit_in_place, lambda: served(server, world, INPLACE) == inplace)
    change("new policy file", lambda: (world.policies_dir / f"{FRESH}.txt").write_bytes(fresh_text),
           lambda: served(server, world, FRESH) == fresh)
    change("policy file deleted", lambda: (world.policies_dir / f"{GONE}.txt").unlink(),
           lambda: fetch(server, world, GONE)[0] == 404)
    change("certbot renewal", lambda: pki.renew_certbot(world.certs_dir / "letsencrypt", certbot_2, ca, 2),
           lambda: served_certificate(server.port, host(CERTBOT), world.ca_path) == certbot_2.cert_der)
    change("Kubernetes ..data swap",
           lambda: pki.swap_kubernetes_secret(world.certs_dir / "k8s" / "k8s-test", k8s_2,
                                              "..2024_01_02_00_00_00.000000002"),
           lambda: served_certificate(server.port, host(K8S), world.ca_path) == k8s_2.cert_der)
    change("certificate in a new subdirectory", lambda: pki.install_named(world.certs_dir / "late", "late", late_1),
           lambda: served_certificate(server.port, host(LATE), world.ca_path) == late_1.cert_der)
    change("certificate replaced in that subdirectory",
           lambda: pki.install_named(world.certs_dir / "late", "late", late_2),
           lambda: served_certificate(server.port, host(LATE), world.ca_path) == late_2.cert_der)
    changes_done = time.monotonic()

    time.sleep(max(0.5, LOOP_SECONDS - (time.monotonic() - started)))
    stop.set()
    for loop in loops:
        loop.join(10)
    print("\nchange-to-served latency (ms): " + ", ".join(
        f"{name}: {'never' if seconds is None else round(seconds * 1000)}" for name, seconds in latencies.items()))
    print(f"requests: {', '.join(f'{loop.name}: {len(loop.outcomes)}' for loop in loops)}; "
          f"changes took {changes_done - started - 0.5:.1f} s")

    assert not any(loop.is_alive() for loop in loops), "a client loop hung"
    assert [loop.error for loop in loops if loop.error] == []
    assert [(loop.name, loop.ending) for loop in loops if loop.ending] == [], "the server ended a connection"
    slow = {name: seconds for name, seconds in latencies.items() if seconds is None or seconds > OBSERVE_WITHIN}
    assert slow == {}, f"changes not served within {OBSERVE_WITHIN} s: {slow}"

    problems = []
    # Connections opened before a change carry on, and their next requests get the new policy.
    problems += progress_problems(keep_alive.outcomes, [(200, old[INPLACE]), (200, inplace)], keep_alive.name)
    problems += progress_problems(h2.outcomes, [(200, old[RENAME]), (200, renamed)], h2.name)
    gone = [(status, body if status == 200 else None) for status, body in keep_alive_gone.outcomes]
    problems += progress_problems(gone, [(200, old[GONE]), (404, None)], keep_alive_gone.name)
    assert (keep_alive.outcomes[-1], gone[-1], h2.outcomes[-1]) == ((200, inplace), (404, None), (200, renamed))
    progressions = {
        RENAME: [(200, old[RENAME], shared), (200, renamed, shared)],
        INPLACE: [(200, old[INPLACE], shared), (200, inplace, shared)],
        GONE: [(200, old[GONE], shared), (404, None, shared)],
        FRESH: [(404, None, shared), (200, fresh, shared)],
        CERTBOT: [(200, old[CERTBOT], certbot_1), (200, old[CERTBOT], fingerprint(certbot_2.cert_der))],
        K8S: [(200, old[K8S], k8s_1), (200, old[K8S], fingerprint(k8s_2.cert_der))],
    }
    for domain, progression in progressions.items():
        outcomes = [outcome[1:] for outcome in fresh_connections.outcomes if outcome[0] == domain]
        assert len(outcomes) >= 5, f"only {len(outcomes)} requests for {domain}"
        assert outcomes[-1] == progression[-1], f"{domain}: the last request got {outcomes[-1]}"
        problems += progress_problems(outcomes, progression, f"{fresh_connections.name} {domain}")
    assert problems == []
    assert min(len(loop.outcomes) for loop in (keep_alive, keep_alive_gone, h2)) >= 50, "the loops hardly fetched"

    summary = {key: ",".join(record[key] for record in reloads(server) if record[key]).split(",")
               for key in ("added", "changed", "removed")}
    assert FRESH in summary["added"] and GONE in summary["removed"], summary
    assert {RENAME, INPLACE} <= set(summary["changed"]), summary
    assert {record["trigger"] for record in reloads(server)} == {"file change"}
    assert not any(message.startswith("reload failed") for message in messages(server))


@pytest.mark.parametrize("protocol", ["http/1.1", "h2"])
def test_keep_alive_connection_gets_the_reloaded_policy_on_its_next_request(serve, world, protocol):
    server = serve()
    text, new_body = policy_file("enforce", [f"mx.{INPLACE}"], 604800)
    if protocol == "h2":
        connection = H2Connection.open(server.port, host(INPLACE), world.ca_path)
        connection.handshake()

        def get(stream_id: int) -> bytes:
            assert connection.request(stream_id, host(INPLACE), POLICY_PATH)
            return connection.response(stream_id).body
    else:
        connection = Connection(tls_connect(server.port, host(INPLACE), world.ca_path))

        def get(stream_id: int) -> bytes:
            return connection.exchange(request("GET", POLICY_PATH, host(INPLACE))).body
    with connection:
        assert get(1) == world.bodies[host(INPLACE)]
        seen = len(reloads(server))
        (world.policies_dir / f"{INPLACE}.txt").write_bytes(text)
        assert wait_for_reload(server, seen)["changed"] == INPLACE
        assert served(server, world, INPLACE) == new_body  # a new connection has it
        assert get(3) == new_body, "the open connection still serves the policy from before the reload"


# 2. an invalid edit keeps the last good policy

def test_invalid_edit_keeps_the_last_good_policy_until_the_file_is_fixed(serve, world, binary):
    server = serve()
    path = world.policies_dir / f"{INPLACE}.txt"
    old_body = world.bodies[host(INPLACE)]
    old_id = status_of(binary, server, INPLACE)["id"]
    assert served(server, world, INPLACE) == old_body

    seen = len(reloads(server))
    path.write_bytes(b"version: STSv1\nmode: bogus\nmx: mx.inplace.test\nmax_age: 86400\n")
    reload = wait_for_reload(server, seen)
    assert (reload["rejected"], reload["changed"], reload["removed"]) == ("1", "", ""), reload
    assert served(server, world, INPLACE) == old_body
    log = messages(server)
    assert any(message.startswith(f"{path}:2:7: error: ") and "bogus" in message for message in log), log
    assert f"keeping the last good policy of {INPLACE} until its file is fixed" in log
    entry = status_of(binary, server, INPLACE)
    assert (entry["id"], entry["mode"], entry["source"]) == (old_id, "testing", str(path))
    assert len(entry["pending_errors"]) == 1 and entry["pending_errors"][0].startswith(f"{path}:2:7: error: "), entry
    assert "pending_errors" not in status_of(binary, server, RENAME)

    fixed_text, fixed_body = policy_file("enforce", [f"mx.{INPLACE}"], 1209600)
    seen = len(reloads(server))
    path.write_bytes(fixed_text)
    latency = poll(lambda: served(server, world, INPLACE) == fixed_body)
    assert latency is not None and latency <= OBSERVE_WITHIN, latency
    assert wait_for_reload(server, seen)["changed"] == INPLACE
    entry = status_of(binary, server, INPLACE)
    assert "pending_errors" not in entry and entry["mode"] == "enforce" and entry["id"] != old_id, entry


# 3. a bad certificate keeps the last good one

@pytest.mark.parametrize("damage", ["garbage certificate", "key of another pair", "half-written certificate"])
def test_damaged_certificate_keeps_the_last_good_one_served(serve, world, damage):
    server = serve()
    certificate, key = world.certs_dir / "shared" / "shared.crt", world.certs_dir / "shared" / "shared.key"
    before = world.leaves["shared"].cert_der
    assert served_certificate(server.port, host(RENAME), world.ca_path) == before

    seen = len(reloads(server))
    if damage == "garbage certificate":
        certificate.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    elif damage == "key of another pair":
        key.write_bytes(pki.generate_key(world.root / "other.key").read_bytes())
    else:
        pem = world.leaves["shared"].cert_pem
        certificate.write_bytes(pem[:len(pem) // 2])
    reload = wait_for_reload(server, seen)
    assert reload["certificates_parsed"] == "1", reload
    assert f"keeping the last good certificate from {certificate} until it is fixed" in messages(server)
    for domain in (RENAME, INPLACE, GONE):
        assert served_certificate(server.port, host(domain), world.ca_path) == before
        assert served(server, world, domain) == world.bodies[host(domain)]


@pytest.mark.parametrize("rewrite", ["same bytes written again", "same bytes, new file renamed over"])
def test_certificate_files_rewritten_with_the_same_bytes_are_not_parsed_again(serve, world, rewrite):
    server = serve()
    certificate, key = world.certs_dir / "shared" / "shared.crt", world.certs_dir / "shared" / "shared.key"
    before = world.leaves["shared"].cert_der
    for path in (certificate, key):
        content = path.read_bytes()
        seen = len(reloads(server))
        if rewrite == "same bytes written again":
            path.write_bytes(content)
        else:
            fresh = world.root / f"fresh-{path.name}"  # outside the watched tree
            fresh.write_bytes(content)
            fresh.chmod(path.stat().st_mode)
            fresh.rename(path)
        reload = wait_for_reload(server, seen)
        assert reload["certificates_parsed"] == "0", (path, reload)
        assert served_certificate(server.port, host(RENAME), world.ca_path) == before
    # A different certificate under the same names is parsed and served.
    seen = len(reloads(server))
    renewed = world.ca.issue("shared-2", [host(RENAME), host(INPLACE), host(GONE), host(FRESH)])
    pki.install_named(world.certs_dir / "shared", "shared", renewed)
    assert poll(lambda: served_certificate(server.port, host(RENAME), world.ca_path) == renewed.cert_der) is not None
    # The "reloaded" line is logged just after the swap that serves it.
    assert poll(lambda: sum(int(reload["certificates_parsed"]) for reload in reloads(server)[seen:]) >= 1) is not None


# 4. SIGHUP, and --no-watch

def test_sighup_without_changes_reloads_and_keeps_serving(serve, world):
    server = serve()
    assert served(server, world, RENAME) == world.bodies[host(RENAME)]
    time.sleep(SIGNALS_INSTALLED)
    server.send_signal(signal.SIGHUP)
    reload = wait_for_reload(server, 0)
    assert {key: reload[key] for key in ("trigger", "added", "changed", "removed", "rejected", "certificates_parsed")} \
        == {"trigger": "SIGHUP", "added": "", "changed": "", "removed": "", "rejected": "0",
            "certificates_parsed": "0"}, reload
    assert int(reload["ms"]) >= 0
    assert server.is_running()
    for domain in (RENAME, CERTBOT, K8S):
        assert served(server, world, domain) == world.bodies[host(domain)]


def test_no_watch_ignores_file_changes_until_sighup(serve, world):
    server = serve("--no-watch")
    text, new_body = policy_file("enforce", [f"mx.{RENAME}"], 604800)
    (world.policies_dir / f"{RENAME}.txt").write_bytes(text)
    time.sleep(1.5)
    assert served(server, world, RENAME) == world.bodies[host(RENAME)]
    assert reloads(server) == []

    server.send_signal(signal.SIGHUP)
    latency = poll(lambda: served(server, world, RENAME) == new_body)
    assert latency is not None and latency <= OBSERVE_WITHIN, latency
    reload = wait_for_reload(server, 0)
    assert (reload["trigger"], reload["changed"]) == ("SIGHUP", RENAME), reload


def test_certificates_changed_beyond_one_batch_follow_in_further_passes(serve, world):
    server = serve("--no-watch", "--reload-certificate-batch", "1")
    time.sleep(SIGNALS_INSTALLED)
    shared_2, certbot_2 = world.ca.issue("shared-2", [host(RENAME)]), world.ca.issue("certbot-2", [host(CERTBOT)])
    pki.install_named(world.certs_dir / "shared", "shared", shared_2)
    pki.renew_certbot(world.certs_dir / "letsencrypt", certbot_2, world.ca, 2)
    server.send_signal(signal.SIGHUP)

    first, second = wait_for_reload(server, 0), wait_for_reload(server, 1)
    passes = [(r["trigger"], r["certificates_parsed"], r["certificates_deferred"]) for r in (first, second)]
    assert passes == [("SIGHUP", "1", "1"), ("next certificate batch", "1", "0")], passes
    assert served_certificate(server.port, host(RENAME), world.ca_path) == shared_2.cert_der
    assert served_certificate(server.port, host(CERTBOT), world.ca_path) == certbot_2.cert_der
    time.sleep(1)
    assert len(reloads(server)) == 2


def test_certificate_batches_end_when_the_pairs_left_keep_failing(serve, world):
    server = serve("--no-watch", "--reload-certificate-batch", "1")
    time.sleep(SIGNALS_INSTALLED)
    garbage = b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    (world.certs_dir / "shared" / "shared.crt").write_bytes(garbage)
    (world.certs_dir / "k8s" / "k8s-test" / "tls.crt").unlink()
    (world.certs_dir / "k8s" / "k8s-test" / "tls.crt").write_bytes(garbage)
    server.send_signal(signal.SIGHUP)

    # Each pass reads one pair not read before in the chain; the third finds none left and is the last.
    wait_for_reload(server, 2)
    time.sleep(1)
    passes = [(r["trigger"], r["certificates_parsed"], r["certificates_deferred"]) for r in reloads(server)]
    assert passes == [("SIGHUP", "1", "1"), ("next certificate batch", "1", "1"),
                      ("next certificate batch", "1", "1")], passes
    assert served_certificate(server.port, host(RENAME), world.ca_path) == world.leaves["shared"].cert_der
    assert served_certificate(server.port, host(K8S), world.ca_path) == world.leaves["k8s-1"].cert_der


# 5, 6. graceful shutdown

def test_sigterm_under_load_finishes_every_request_and_exits_0(serve, world):
    server = serve()
    stop = threading.Event()
    http1_loops = [KeepAliveLoop(server, world, stop, domain) for domain in (RENAME, INPLACE, CERTBOT)]
    h2 = H2Loop(server, world, stop, K8S)
    loops = [*http1_loops, h2]
    for loop in loops:
        loop.start()
    time.sleep(1.0)
    before = [len(loop.outcomes) for loop in loops]
    assert all(count > 0 for count in before), before
    signalled = time.monotonic()
    server.send_signal(signal.SIGTERM)
    try:
        returncode = server.process.wait(SHUTDOWN_TIMEOUT + 5)
    finally:
        stop.set()
    exited_after = time.monotonic() - signalled
    for loop in loops:
        loop.join(10)
    print(f"\nexited {exited_after * 1000:.0f} ms after SIGTERM; requests: "
          + ", ".join(f"{loop.name}: {len(loop.outcomes)} ({loop.ending})" for loop in loops))

    assert returncode == 0, server.log_tail()
    assert exited_after < SHUTDOWN_TIMEOUT, f"exited after {exited_after:.1f} s, at the shutdown timeout"
    assert not any(loop.is_alive() for loop in loops), "a client loop hung"
    assert [loop.error for loop in loops if loop.error] == []
    for loop, domain in zip(loops, (RENAME, INPLACE, CERTBOT, K8S)):
        assert set(loop.outcomes) == {(200, world.bodies[host(domain)])}, loop.name
    assert [loop.ending for loop in http1_loops if loop.ending not in ("Connection: close", "closed")] == []
    assert h2.ending == "GOAWAY" and h2.goaway.error_code == f.NO_ERROR, h2.goaway
    assert h2.closed_after_goaway, "the server kept the h2 connection open after its GOAWAY"
    log = messages(server)
    assert "stopped" in log and "shutdown timeout reached with connections still open; exiting" not in log, log
    with pytest.raises(ConnectionRefusedError):
        tcp_connect(server.port).close()


def test_request_in_progress_at_sigterm_is_answered_with_connection_close(serve, world):
    server = serve("--header-timeout", "30")
    raw = request("GET", POLICY_PATH, host(RENAME))
    with Connection(tls_connect(server.port, host(RENAME), world.ca_path)) as connection:
        connection.send(raw[:20])
        time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert server.is_running(), "exited with a request in progress"
        with pytest.raises(ConnectionRefusedError):
            tcp_connect(server.port).close()
        response = connection.exchange(raw[20:])
        assert (response.status, response.body) == (200, world.bodies[host(RENAME)])
        assert "close" in response.connection_tokens(), response.raw_head
        assert connection.closed_within(5)[0], "not closed after the Connection: close response"
    assert server.process.wait(5) == 0


def test_second_sigterm_exits_at_once_despite_a_request_in_progress(serve, world):
    server = serve("--shutdown-timeout", "30", "--header-timeout", "30")
    with Connection(tls_connect(server.port, host(RENAME), world.ca_path)) as connection:
        connection.send(request("GET", POLICY_PATH, host(RENAME))[:20])  # half a request head
        time.sleep(0.2)
        server.send_signal(signal.SIGTERM)
        assert server.wait_for_log("stopping", timeout=5), server.log_tail()
        time.sleep(0.5)
        assert server.is_running(), "the first SIGTERM did not wait for the request in progress"
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        returncode = server.process.wait(5)
        exited_after = time.monotonic() - signalled
    assert exited_after < 2, f"exited {exited_after:.1f} s after the second SIGTERM"
    assert returncode >= 0, f"killed by signal {-returncode} instead of exiting"
    assert "second stop signal: exiting now" in messages(server)


def test_sigterm_the_moment_the_ready_file_appears_stops_gracefully(binary, world, tmp_path):
    """Scripts (and systemd, Kubernetes) may signal as soon as the server says it is ready."""
    for attempt in range(10):
        server = ServerProcess(binary, tmp_path / f"server-{attempt}", world.policies_dir, world.certs_dir,
                               ["--log-format", "json"])
        try:
            server.wait_ready(interval=0)
            server.send_signal(signal.SIGTERM)
            try:
                outcome = f"exit status {server.process.wait(2)}"
            except subprocess.TimeoutExpired:
                outcome = "still running 2 s later: the SIGTERM was lost"
        finally:
            server.stop()
        assert outcome == "exit status 0", f"attempt {attempt}: {outcome}\n{server.log_tail()}"


def test_an_alias_follows_its_target_when_only_the_target_file_changes(serve, world):
    """A file event names the target, never the alias symlink: the alias must still get the new policy."""
    alias = "alias-of-rename.test"
    (world.policies_dir / f"{alias}.txt").symlink_to(f"{RENAME}.txt")
    world.leaves["alias"] = world.ca.issue("alias", [host(alias)])
    pki.install_named(world.certs_dir / "alias", "alias", world.leaves["alias"])
    server = serve()
    assert served(server, world, alias) == served(server, world, RENAME)

    on_disk, canonical = policy_file("enforce", [f"mx.{RENAME}"], 1_234_567)
    replacement = world.policies_dir / f".{RENAME}.new"
    replacement.write_bytes(on_disk)
    replacement.rename(world.policies_dir / f"{RENAME}.txt")

    assert poll(lambda: served(server, world, RENAME) == canonical) is not None
    assert poll(lambda: served(server, world, alias) == canonical) is not None, "the alias kept the old policy"
