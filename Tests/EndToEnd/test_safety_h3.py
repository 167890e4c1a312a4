"""Operator safety (issue #20): the admin port under idle connections, control characters in text logs, signals
from the first instant of `serve`, and `dns` with a bad policy among good ones."""
from __future__ import annotations

import collections
import fcntl
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

from support.server import ServerProcess
from support.tools import curl
from support.worlds import HOST_A, World

IDLE_ADMIN_CONNECTIONS = 300
HEALTH_POLLS = 20
HEALTH_BUDGET = 2.0  # seconds each /healthz may take while the idle connections stay open
SIGNAL_DELAYS_MS = (0, 1, 5, 10, 20, 50)
SIGNAL_REPEATS = 3
GOOD = b"version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 604800\n"


# admin port

def healthz(host: str, port: int, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one `GET /healthz` on a new connection."""
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.settimeout(max(0.01, timeout - (time.monotonic() - started)))
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, time.monotonic() - started


def test_healthz_answers_while_300_idle_connections_hold_the_admin_port(start_server, world):
    server = start_server(world, "--admin", "127.0.0.1:0")
    host, port = server.addresses[1]
    idle = []
    try:
        for _ in range(IDLE_ADMIN_CONNECTIONS):
            idle.append(socket.create_connection((host, port), timeout=5))
        timings = []
        for attempt in range(HEALTH_POLLS):
            try:
                status, seconds = healthz(host, port, HEALTH_BUDGET)
            except OSError as error:  # timeout or reset
                status, seconds = f"{type(error).__name__}: {error}", HEALTH_BUDGET
            timings.append(seconds)
            assert status == 200 and seconds < HEALTH_BUDGET, \
                f"poll {attempt}: {status} after {seconds:.2f} s\n{server.log_tail()}"
            # More idle connections keep arriving between polls.
            idle.extend(socket.create_connection((host, port), timeout=5) for _ in range(10))
        print(f"\n/healthz with {len(idle)} idle admin connections opened: slowest {max(timings) * 1000:.0f} ms")
    finally:
        for connection in idle:
            connection.close()
    assert server.is_running()


def test_an_admin_connection_without_a_request_head_is_closed_within_seconds(start_server, world):
    server = start_server(world, "--admin", "127.0.0.1:0")
    with socket.create_connection(server.addresses[1], timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head that never ends
        started = time.monotonic()
        assert connection.recv(4096) == b"", "the server answered an incomplete head"
        waited = time.monotonic() - started
    assert 1.5 < waited < 4, f"closed after {waited:.2f} s"


# text logs

def test_a_newline_in_a_policy_file_name_cannot_forge_a_log_line(start_server, ca, tmp_path):
    world = World(root=tmp_path, ca=ca, certs_dir=tmp_path / "certs", policies_dir=tmp_path / "policies")
    world.certs_dir.mkdir()
    world.policies_dir.mkdir()
    (world.policies_dir / "evil\nforged line.txt").write_bytes(GOOD)
    (world.policies_dir / "tab\tand\x1bescape.test.txt").write_bytes(GOOD)
    server = start_server(world, "--log-format", "text", "--log-level", "info")
    server.send_signal(signal.SIGHUP)  # the reload logs the names again
    assert server.wait_for_log("trigger=SIGHUP"), server.log_tail()
    log = server.log_text()
    assert "evil\\nforged line" in log, log
    assert "tab\\tand\\x1bescape.test" in log, log
    assert [line for line in log.splitlines() if line.startswith("forged line")] == []
    assert "\x1b" not in log and "\t" not in log and "\r" not in log
    # Nothing changed: the reload line leaves the empty fields out.
    [reloaded] = [line for line in log.splitlines() if "trigger=SIGHUP" in line]
    assert not any(f" {field}=" in reloaded for field in ("added", "changed", "removed")), reloaded


# signals from the first instant

def blocked_signals(pid: int) -> int:
    """The mask of signals blocked by the process's main thread (0 when it cannot be read)."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigBlk:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return 0


def signal_early(binary, world, directory, signum, delay_ms) -> tuple[ServerProcess, bool]:
    """Starts `serve`, sends `signum` `delay_ms` after Popen returns; True when the process had blocked the signal by
    then (before that, the dynamic loader is still loading the Swift libraries and no code of ours has run)."""
    server = ServerProcess(binary, directory, world.policies_dir, world.certs_dir, ["--log-format", "text"])
    if delay_ms:
        time.sleep(delay_ms / 1000)
    blocked = bool(blocked_signals(server.process.pid) & (1 << (signum - 1)))
    server.send_signal(signum)
    return server, blocked


def report(name: str, outcomes: dict) -> None:
    print(f"\n{name}: " + "; ".join(f"{delay} ms: {dict(counts)}" for delay, counts in outcomes.items()))


def test_sighup_at_any_moment_of_start_up_reloads_once_and_keeps_serving(binary, world, tmp_path):
    outcomes = collections.defaultdict(collections.Counter)
    for delay in SIGNAL_DELAYS_MS:
        for attempt in range(SIGNAL_REPEATS):
            server, blocked = signal_early(binary, world, tmp_path / f"hup-{delay}-{attempt}", signal.SIGHUP, delay)
            try:
                try:
                    server.wait_ready()
                except AssertionError:
                    if server.process.returncode == -signal.SIGHUP and not blocked:
                        outcomes[delay]["killed in the dynamic loader"] += 1
                        continue
                    raise
                assert curl(server.port, HOST_A, world.ca_path).status == 200
                assert server.wait_for_log("trigger=SIGHUP"), f"{delay} ms: no reload\n{server.log_tail()}"
                time.sleep(0.3)
                reloads = server.log_text().count("trigger=SIGHUP")
                assert reloads == 1, f"{delay} ms: {reloads} reloads for one SIGHUP\n{server.log_tail()}"
                assert server.is_running()
                outcomes[delay]["served and reloaded once"] += 1
            finally:
                server.stop()
    report("SIGHUP during start-up", outcomes)
    # Where code of ours runs, the signal was never fatal (above); past the loader, every start survived.
    assert sum(counts["served and reloaded once"] for counts in outcomes.values()) >= SIGNAL_REPEATS


def test_sigterm_at_any_moment_of_start_up_exits_0(binary, world, tmp_path):
    outcomes = collections.defaultdict(collections.Counter)
    for delay in SIGNAL_DELAYS_MS:
        for attempt in range(SIGNAL_REPEATS):
            server, blocked = signal_early(binary, world, tmp_path / f"term-{delay}-{attempt}", signal.SIGTERM, delay)
            try:
                returncode = server.process.wait(20)
            except subprocess.TimeoutExpired:
                returncode = "still running 20 s later: the SIGTERM was lost"
            finally:
                server.stop()
            if returncode == -signal.SIGTERM and not blocked:
                outcomes[delay]["killed in the dynamic loader"] += 1
                continue
            assert returncode == 0, f"{delay} ms (blocked: {blocked}): {returncode}\n{server.log_tail()}"
            outcomes[delay]["exit 0"] += 1
    report("SIGTERM during start-up", outcomes)
    assert sum(counts["exit 0"] for counts in outcomes.values()) >= SIGNAL_REPEATS


STOP_AND_RELOAD = (1 << (signal.SIGHUP - 1)) | (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))


def stalled_at_first_write(binary, *args: str) -> tuple[subprocess.Popen, int]:
    """Runs the binary with a full pipe as stdout, so it stops in its first write(2) (here: the help text, before
    any signal handling of `serve` is set up); returns the process and the pipe's read end."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    os.write(write_end, b"x" * fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ))
    process = subprocess.Popen([binary, *args], stdout=write_end, stderr=subprocess.DEVNULL)
    os.close(write_end)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "pipe_write" not in pathlib.Path(f"/proc/{process.pid}/wchan").read_text():
        time.sleep(0.01)
    return process, read_end


def drain(read_end: int) -> None:
    while os.read(read_end, 65536):
        pass
    os.close(read_end)


def test_serve_blocks_its_signals_before_any_code_of_its_own_runs(binary):
    process, read_end = stalled_at_first_write(binary, "serve", "--help")
    try:
        assert blocked_signals(process.pid) & STOP_AND_RELOAD == STOP_AND_RELOAD
        process.send_signal(signal.SIGTERM)  # stays pending: no default action, so the help is still printed
        time.sleep(0.2)
        assert process.poll() is None
    finally:
        drain(read_end)
    assert process.wait(10) == 0


def test_other_subcommands_keep_the_default_signal_actions(binary):
    """Only `serve` blocks its signals: Ctrl-C must stop `check` or `dns` at once."""
    process, read_end = stalled_at_first_write(binary, "check", "--help")
    try:
        assert blocked_signals(process.pid) & STOP_AND_RELOAD == 0
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == -signal.SIGINT
    finally:
        drain(read_end)


def pending_at_exec(binary, directory: pathlib.Path, signum: int) -> pathlib.Path:
    """A launcher that execs the binary with `signum` blocked and pending (a pending signal survives exec), as
    if it had arrived before the server could act on it; the server keeps the launcher's process id."""
    directory.mkdir(parents=True, exist_ok=True)
    launcher = directory / f"pending-{signal.Signals(signum).name}"
    launcher.write_text(f"""#!{sys.executable}
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {{{int(signum)}}})
os.kill(os.getpid(), {int(signum)})
os.execv({str(binary)!r}, [{str(binary)!r}, *sys.argv[1:]])
""")
    launcher.chmod(0o755)
    return launcher


def test_a_sighup_pending_at_exec_is_one_reload_after_start(binary, world, tmp_path):
    """Deterministic form of a SIGHUP during start-up: setting SIG_IGN would have discarded it."""
    server = ServerProcess(pending_at_exec(binary, tmp_path, signal.SIGHUP), tmp_path / "server", world.policies_dir,
                           world.certs_dir, ["--log-format", "text"])
    try:
        server.wait_ready()
        assert server.wait_for_log("trigger=SIGHUP"), server.log_tail()
        time.sleep(0.3)
        assert server.log_text().count("trigger=SIGHUP") == 1, server.log_tail()
        assert curl(server.port, HOST_A, world.ca_path).status == 200
    finally:
        assert server.stop() == 0


def test_a_sigterm_pending_at_exec_stops_cleanly_after_start(binary, world, tmp_path):
    server = ServerProcess(pending_at_exec(binary, tmp_path, signal.SIGTERM), tmp_path / "server", world.policies_dir,
                           world.certs_dir, ["--log-format", "text"])
    try:
        returncode = server.process.wait(20)
    except subprocess.TimeoutExpired:
        returncode = "still running 20 s later: the SIGTERM was lost"
    finally:
        server.stop()
    assert returncode == 0, server.log_tail()
    assert "stopped" in server.log_text()


# small ones

@pytest.fixture
def run(binary):
    def run(*args) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=60)
    return run


def test_dns_prints_the_valid_records_and_exits_1_when_one_policy_is_bad(run, tmp_path):
    directory = tmp_path / "policies"
    directory.mkdir()
    for domain in ("a.example", "b.example"):
        (directory / f"{domain}.txt").write_bytes(GOOD)
    (directory / "bad.example.txt").write_bytes(GOOD.replace(b"mode: testing", b"mode: enforced"))

    everything = run("dns", "--policies", directory)
    assert everything.returncode == 1, everything.stderr
    records = [line.split()[0] for line in everything.stdout.splitlines() if line.startswith("_mta-sts.")]
    assert records == ["_mta-sts.a.example.", "_mta-sts.b.example."]
    assert f"skipped {directory}/bad.example.txt" in everything.stderr

    as_json = run("dns", "--policies", directory, "--format", "json")
    assert as_json.returncode == 1
    assert [record["domain"] for record in json.loads(as_json.stdout)] == ["a.example", "b.example"]

    named = run("dns", "--policies", directory, "b.example", "bad.example")
    assert named.returncode == 1
    assert [line.split()[0] for line in named.stdout.splitlines() if line.startswith("_mta-sts.")] \
        == ["_mta-sts.b.example."]
    assert f"error: no valid policy for bad.example: {directory}/bad.example.txt has errors" in named.stderr


def test_check_names_the_nearest_mode_and_warns_about_txt_txt(run, tmp_path):
    directory = tmp_path / "policies"
    directory.mkdir()
    (directory / "a.example.txt").write_bytes(GOOD.replace(b"mode: testing", b"mode: enforced"))
    (directory / "b.example.txt.txt").write_bytes(GOOD)
    result = run("check", "--policies", directory)
    assert result.returncode == 1
    assert 'fix: did you mean enforce? write "mode: enforce"' in result.stdout
    assert f"{directory}/b.example.txt.txt: warning: file name ends in .txt.txt" in result.stdout
    assert "fix: rename it to b.example.txt" in result.stdout
