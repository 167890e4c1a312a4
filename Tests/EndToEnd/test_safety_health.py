"""Operator safety of health reporting and live edits (issue #20): a policy file is never served half-written, and
status.json, `status --check` and `/metrics` tell the truth about what is served: a dead server, a domain without
certificate, a key that keeps not matching, each host of a certificate, a server that dropped privileges.

Each test names the defect of the issue it covers (#N) and builds its own world (support/health.py: two domains
with healthy certificates, whose `status --check` passes until the test breaks something) under tmp_path.
"""
from __future__ import annotations

import signal
import threading
import time

import pytest

from support import pki
from support.health import (NOBODY, ONE, TWO, WAIT, build_healthy_world, domain_state_when, domain_status,
                            keys_readable_by_nobody, metric, policy_text, read_status, reload_count, samples_when,
                            series, status_check, status_command, status_file, wait_for_reload_after)
from support.http1 import Connection, request, served_certificate, tls_connect
from support.worlds import POLICY_PATH

SIGNALS_INSTALLED = 0.3  # seconds after the ready file by which the signal handlers are surely in place


def host(domain: str) -> str:
    return "mta-sts." + domain


def failures(result) -> list[str]:
    """The `FAIL:` lines of `status --check`, from either stream."""
    return [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("FAIL:")]


def sighup(server) -> None:
    """One SIGHUP, once the server surely handles it, and the reload it starts (seen on /metrics: needs --admin)."""
    time.sleep(SIGNALS_INSTALLED)
    before = reload_count(server)
    server.send_signal(signal.SIGHUP)
    wait_for_reload_after(server, before, "SIGHUP")


# 2. a policy file written line by line

class Fetcher(threading.Thread):
    """GETs one host's policy on a keep-alive connection, back to back, until `stop` is set: `outcomes` holds
    (status, body) of every response, `error` what broke the loop."""

    def __init__(self, server, world, domain: str):
        super().__init__(name=f"fetch {domain}", daemon=True)
        self.server, self.world, self.host = server, world, host(domain)
        self.stop = threading.Event()
        self.outcomes: list[tuple[int, bytes]] = []
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with Connection(tls_connect(self.server.port, self.host, self.world.ca_path)) as connection:
                    while not self.stop.is_set():
                        response = connection.exchange(request("GET", POLICY_PATH, self.host))
                        self.outcomes.append((response.status, response.body))
                        if "close" in response.connection_tokens():
                            break
                        time.sleep(0.005)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = f"{type(error).__name__}: {error}"


def test_2_policy_written_line_by_line_is_never_served_partially(start_server, ca, tmp_path):
    """#2: an editor that writes a policy line by line (open, write a line, flush, 0.3 s pause, ..., close) while a
    client fetches without pause: every response is the complete old policy or the complete new one (whose prefixes
    are valid policies with fewer mx lines), and the new one is served once the file is closed."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world)
    old = world.bodies[host(ONE)]
    text, new = policy_text(ONE, "testing", ("mx1.one.test", "mx2.one.test", "mx3.one.test"), 86400 * 30)
    lines = text.decode().splitlines(keepends=True)
    assert lines[-1].startswith("max_age") and lines[1].startswith("mode")
    # max_age before the mx lines: the file is a valid policy after each of them, but not the one being written.
    lines = [lines[0], lines[1], lines[-1], *lines[2:-1]]

    fetcher = Fetcher(server, world, ONE)
    fetcher.start()
    try:
        with open(world.policies_dir / f"{ONE}.txt", "w") as editor:
            for line in lines:
                editor.write(line)
                editor.flush()
                time.sleep(0.3)
        while_written = len(fetcher.outcomes)
        deadline = time.monotonic() + WAIT
        while not (fetcher.outcomes and fetcher.outcomes[-1] == (200, new)):
            assert fetcher.is_alive() and time.monotonic() < deadline, \
                f"the new policy not served within {WAIT} s of the close ({fetcher.error})"
            time.sleep(0.05)
    finally:
        fetcher.stop.set()
        fetcher.join(5)
    assert fetcher.error is None, fetcher.error
    assert while_written >= 10, f"only {while_written} responses while the file was being written"
    partial = sorted({outcome for outcome in fetcher.outcomes if outcome not in ((200, old), (200, new))})
    assert partial == [], f"{len(fetcher.outcomes)} responses, these neither the old nor the new policy: {partial[:3]}"


# 3. status written by a server that dropped to another user

def test_3_status_of_a_server_run_with_user_nobody_is_written_and_readable(start_server_as_nobody, ca, open_tmp_path,
                                                                           binary):
    """#3: with `--user nobody`, the state directory and status.json belong to nobody, status.json is rewritten
    after a reload (a new policy shows up in it), no `*.tmp` file is left behind, and `status` and
    `status --check` exit 0."""
    world = build_healthy_world(open_tmp_path / "world", ca)
    keys_readable_by_nobody(world)
    started = int(time.time())
    server = start_server_as_nobody(world, "--admin", "127.0.0.1:0", "--no-watch")
    read_status(server.state_dir)  # the first one, written at startup

    world.add_policy("three.test.txt", *policy_text("three.test"))
    pki.install_named(world.certs_dir / "three", "three", ca.issue("three", [host("three.test")], days=20))
    keys_readable_by_nobody(world)
    sighup(server)
    deadline = time.monotonic() + WAIT
    while "three.test" not in {entry["domain"] for entry in read_status(server.state_dir)["domains"]}:
        assert time.monotonic() < deadline, f"status.json not rewritten after the reload\n{server.log_tail()}"
        time.sleep(0.05)

    owners = {path.name: path.stat().st_uid for path in (server.state_dir, status_file(server.state_dir))}
    assert owners == {"state": NOBODY, "status.json": NOBODY}, owners
    assert [path.name for path in server.state_dir.iterdir() if path.name.endswith(".tmp")] == []
    document = read_status(server.state_dir)
    assert document.get("generated_at", 0) >= started and document.get("pid") == server.process.pid, document
    shown = status_command(binary, server.state_dir)
    assert shown.returncode == 0 and "three.test" in shown.stdout, shown.stdout + shown.stderr
    health = status_check(binary, server.state_dir, 0)
    assert health.returncode == 0 and health.stdout.startswith("ok:"), health.stdout + health.stderr


# 4. a domain with a policy but no certificate

def test_4_policy_without_a_certificate_is_reported_unhealthy(start_server, ca, tmp_path, binary):
    """#4: a policy added while running that no certificate covers: status.json gives its domain the state
    `no_certificate`, `status --check` exits 1 with a `FAIL:` line naming it, `mta_sts_domains{state=
    "no_certificate"}` is 1; and `serve --strict` refuses to start with that domain."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world, "--admin", "127.0.0.1:0")
    assert status_check(binary, server.state_dir, 0).returncode == 0, "unhealthy before anything broke"

    before = reload_count(server)
    world.add_policy("bare.test.txt", *policy_text("bare.test"))
    wait_for_reload_after(server, before, "a policy file was added")

    assert domain_state_when(server.state_dir, "bare.test", "no_certificate") == "no_certificate"
    assert domain_status(server.state_dir, ONE).get("state") == "served"
    health = status_check(binary, server.state_dir, 1)
    assert health.returncode == 1 and any("bare.test" in line for line in failures(health)), \
        health.stdout + health.stderr
    found = samples_when(server, lambda found: metric(found, "mta_sts_domains", state="no_certificate") == 1)
    assert metric(found, "mta_sts_domains", state="no_certificate") == 1, series(found, "mta_sts_domains")
    assert metric(found, "mta_sts_domains", state="served") == 2, series(found, "mta_sts_domains")

    with pytest.raises(AssertionError, match=r"(?s)server exited with [1-9]\d* before it was ready.*bare\.test"):
        start_server(world, "--strict")


# 7. a status file left behind by a dead server

def test_7_status_check_fails_once_the_server_was_killed(start_server, ca, tmp_path, binary):
    """#7: `status --check` passes while the server runs, and exits 1 (a `FAIL:` line) once it was SIGKILLed: its
    status.json is still there, fresh, but no process with that pid and start time is."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world)
    health = status_check(binary, server.state_dir, 0)
    assert health.returncode == 0, health.stdout + health.stderr

    server.process.kill()
    server.process.wait(5)
    assert status_file(server.state_dir).exists()

    health = status_command(binary, server.state_dir, "--check")
    assert health.returncode == 1 and failures(health), health.stdout + health.stderr


# 8. a key that keeps not matching its certificate

def test_8_persistent_key_mismatch_shows_in_metrics_and_status_check(start_server, ca, tmp_path, binary):
    """#8: two.key replaced by another key: the last good pair keeps serving, and after a further reload with the
    files still wrong, `mta_sts_certificates_rejected` is at least 1 and `status --check` exits 1."""
    world = build_healthy_world(tmp_path / "world", ca)
    server = start_server(world, "--admin", "127.0.0.1:0", "--no-watch")
    assert status_check(binary, server.state_dir, 0).returncode == 0, "unhealthy before anything broke"

    (world.certs_dir / "two" / "two.key").write_bytes(pki.generate_key(tmp_path / "other.key", "rsa").read_bytes())
    sighup(server)
    assert server.wait_for_log("does not match"), server.log_tail()
    sighup(server)  # nothing changed since: the mismatch persists

    assert served_certificate(server.port, host(TWO), world.ca_path) == world.leaves["two"].cert_der
    found = samples_when(server, lambda found: metric(found, "mta_sts_certificates_rejected") >= 1)
    assert metric(found, "mta_sts_certificates_rejected") >= 1, sorted(name for name, _ in found)
    health = status_check(binary, server.state_dir, 1)
    assert health.returncode == 1 and failures(health), health.stdout + health.stderr


# 9. certificate expiry per host

def test_9_certificate_expiry_has_one_series_per_host_of_a_multi_name_certificate(start_server, ca, tmp_path):
    """#9: a certificate for three hosts gives three `mta_sts_certificate_expiry_seconds` series, labelled with its
    file and each host, all with the same seconds to expiry."""
    world = build_healthy_world(tmp_path / "world", ca)
    names = [host("multi-a.test"), host("multi-b.test"), host("multi-c.test")]
    cert, _ = pki.install_named(world.certs_dir / "multi", "multi", ca.issue("multi", names, days=20))
    server = start_server(world, "--admin", "127.0.0.1:0")

    def of_cert(found) -> dict[str | None, float]:
        """Host label -> seconds, of the series for the multi-name certificate's file."""
        return {labels.get("host"): seconds for labels, seconds in series(found, "mta_sts_certificate_expiry_seconds")
                if labels.get("file") == str(cert)}

    found = samples_when(server, lambda found: len(of_cert(found)) >= len(names))
    expiries = of_cert(found)
    assert set(expiries) == set(names), series(found, "mta_sts_certificate_expiry_seconds")
    assert all(19 * 86400 < seconds <= 20 * 86400 for seconds in expiries.values()), expiries
    assert max(expiries.values()) - min(expiries.values()) <= 1, expiries
