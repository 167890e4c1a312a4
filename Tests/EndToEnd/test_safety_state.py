"""Issue #20, the server's own state and output: signals during start-up (13), control characters in file
names (15), a state directory that cannot be written (16), idle connections on the admin port (18), and the small
ones (`check` and `dns` advice, `status` without a status file, the `reloaded` line, metric help texts).

Servers log text (the default). Metrics are read from `--admin 127.0.0.1:0` (the ready file's second line) and
parsed with prometheus_client's parser.
"""
from __future__ import annotations

import os
import pathlib
import re
import select
import signal
import socket
import subprocess
import time

import pytest

from support.safety import (admin_get, build_clean_world, metric, metric_families, policy_file, poll, reload_lines,
                            run_cli, run_cli_bytes, served, wait_for_reload)
from support.server import ServerProcess
from support.tools import curl
from support.worlds import HOST_A

ONE, TWO = "one.test", "two.test"
STATUS_RETRY = 10  # seconds between the server's attempts to write a status file it could not write


def status_check(binary, state_dir) -> subprocess.CompletedProcess:
    return run_cli(binary, "status", "--check", "--state-dir", state_dir)


# 13. signals at start-up

@pytest.fixture(scope="module")
def exec_seconds(binary, tmp_path_factory) -> float:
    """How long the binary takes to be running its own code: the median time a short run of it (`status` on a
    missing directory) takes from spawn to exit. Before that the dynamic loader maps and relocates the Swift
    runtime (milliseconds, more on a busy machine), a window in which no program can handle a signal."""
    missing = tmp_path_factory.mktemp("exec") / "missing"
    times = []
    for _ in range(3):
        started = time.monotonic()
        run_cli(binary, "status", "--state-dir", missing)
        times.append(time.monotonic() - started)
    return sorted(times)[1]


@pytest.mark.parametrize("delay_ms", [0, 1, 5, 10])
def test_sighup_right_after_start_is_never_fatal(binary, world, tmp_path, exec_seconds, delay_ms):
    """Defect 13. SIGHUP 0, 1, 5 and 10 ms after the binary is running (see `exec_seconds`), three times each:
    the server never dies of it; it becomes ready, serves a policy (curl, 200), logs a reload for the signal,
    and is still running."""
    for attempt in range(3):
        server = ServerProcess(binary, tmp_path / f"server-{attempt}", world.policies_dir, world.certs_dir)
        try:
            time.sleep(exec_seconds + delay_ms / 1000)
            server.send_signal(signal.SIGHUP)
            server.wait_ready()  # fails at once if the server has exited
            assert curl(server.port, HOST_A, world.ca_path).status == 200
            assert poll(lambda: any("SIGHUP" in line for line in reload_lines(server))), \
                f"attempt {attempt}: no reload for the SIGHUP\n{server.log_tail()}"
            assert server.is_running()
        finally:
            server.stop()


@pytest.mark.parametrize("delay_ms", [0, 1, 5, 10])
def test_sigterm_right_after_start_exits_0(binary, world, tmp_path, exec_seconds, delay_ms):
    """Defect 13. SIGTERM 0, 1, 5 and 10 ms after the binary is running, three times each: a clean exit,
    status 0, never death by the signal."""
    for attempt in range(3):
        server = ServerProcess(binary, tmp_path / f"server-{attempt}", world.policies_dir, world.certs_dir)
        try:
            time.sleep(exec_seconds + delay_ms / 1000)
            server.send_signal(signal.SIGTERM)
            try:
                outcome = f"exit status {server.process.wait(10)}"
            except subprocess.TimeoutExpired:
                outcome = "still running 10 s after SIGTERM"
        finally:
            server.stop()
        assert outcome == "exit status 0", f"attempt {attempt}: {outcome}\n{server.log_tail()}"


# 15. control characters in file names

NEWLINE_NAME = "evil\nforged line.txt"
ESCAPE_NAME = "esc\x1b[31mred.test.txt"


def test_control_characters_in_file_names_are_escaped_in_log_and_status(binary, start_server, ca, tmp_path):
    """Defect 15. Policy files named `evil<LF>forged line.txt` and `esc<ESC>[31mred.test.txt`: the text log and
    `status` text output hold no line starting with `forged line` and no raw ESC byte; the log names the files
    with `\\n` and `\\x1b` escapes."""
    world = build_clean_world(tmp_path / "world", ca, [ONE])
    (world.policies_dir / NEWLINE_NAME).write_bytes(policy_file("testing", ["mx.evil.test"], 1209600)[0])
    (world.policies_dir / ESCAPE_NAME).write_bytes(policy_file("testing", ["mx.esc.test"], 1209600)[0])
    server = start_server(world)
    assert server.wait_for_log("forged line.txt") and server.wait_for_log("[31mred.test.txt"), server.log_tail()

    log = server.log_path.read_bytes()
    assert b"\x1b" not in log, "a raw ESC byte in the log"
    assert not [line for line in log.split(b"\n") if line.startswith(b"forged line")], "a forged log line"
    assert b"evil\\nforged line.txt" in log and b"esc\\x1b[31mred.test.txt" in log, log.decode(errors="replace")

    assert poll(lambda: (server.state_dir / "status.json").exists()), "no status.json"
    status = run_cli_bytes(binary, "status", "--state-dir", server.state_dir)
    output = status.stdout + status.stderr
    assert status.stdout, status.stderr
    assert b"\x1b" not in output, "a raw ESC byte in the status output"
    assert not [line for line in output.split(b"\n") if line.startswith(b"forged line")], output.decode()


# 16. a state directory that cannot be written

@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs for the state directory (unmounted afterwards); skipped where mounting is not allowed."""
    mountpoint = tmp_path / "state"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True, timeout=10)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=10)


def fill(directory: pathlib.Path) -> pathlib.Path:
    """Writes `filler` until the file system is full."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as file:
        try:
            while True:
                file.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == 28, error  # ENOSPC
    return filler


@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_unwritable_state_dir_is_reported_and_retried(binary, start_server, ca, tmp_path, small_tmpfs, trouble):
    """Defect 16. The state directory is a full tmpfs (filled with one big file) or one remounted read-only: the
    log says `cannot write the status file`, `mta_sts_status_file_writable` is 0, no `*.tmp` is left behind and
    `status --check` exits 1. Once there is room again (the file deleted, or remounted read-write) the status file
    is written again within one retry period and `status --check` passes."""
    world = build_clean_world(tmp_path / "world", ca, [ONE])
    state = small_tmpfs
    if trouble == "full":
        filler = fill(state)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(state)], check=True, timeout=10)
    server = start_server(world, "--admin", "127.0.0.1:0", "--state-dir", state)  # the last --state-dir wins
    server.state_dir = state

    assert server.wait_for_log("cannot write the status file"), server.log_tail()
    assert poll(lambda: metric(server, "mta_sts_status_file_writable") == 0), \
        f"mta_sts_status_file_writable is {metric(server, 'mta_sts_status_file_writable')}"
    assert poll(lambda: list(state.glob("*.tmp")) == [], 2.0), f"a temporary file is left: {os.listdir(state)}"
    assert not (state / "status.json").exists(), os.listdir(state)
    assert status_check(binary, state).returncode == 1

    if trouble == "full":
        filler.unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(state)], check=True, timeout=10)
    assert poll(lambda: status_check(binary, state).returncode == 0, STATUS_RETRY + 5, interval=0.25), \
        f"{status_check(binary, state)}\n{server.log_tail()}"
    assert metric(server, "mta_sts_status_file_writable") == 1
    assert list(state.glob("*.tmp")) == []


# 18. idle connections on the admin port

IDLE_CONNECTIONS = 300


def open_idle(address: tuple[str, int]) -> socket.socket:
    """A TCP connection that never sends anything; connecting does not wait for the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.connect_ex(address)
    return sock


def replace_closed(idle: list[socket.socket], address: tuple[str, int]) -> list[socket.socket]:
    """Keeps IDLE_CONNECTIONS open: those the server has closed (readable, then EOF or reset) are replaced."""
    readable, _, _ = select.select(idle, [], [], 0)
    kept = [sock for sock in idle if sock not in readable]
    for sock in readable:
        sock.close()
    return kept + [open_idle(address) for _ in range(len(idle) - len(kept))]


def test_admin_health_answers_while_300_idle_connections_are_open(start_server, world):
    """Defect 18. 300 TCP connections to the admin port that send nothing (topped up as the server closes some):
    `/healthz`, asked 20 times, answers 200 within 2 s every time."""
    server = start_server(world, "--admin", "127.0.0.1:0")
    address = (server.addresses[1][0], server.addresses[1][1])
    idle = [open_idle(address) for _ in range(IDLE_CONNECTIONS)]
    try:
        select.select([], idle, [], 2)  # let the connections complete (not required to go on)
        for attempt in range(20):
            idle = replace_closed(idle, address)
            try:
                status, _ = admin_get(server, "/healthz", timeout=2)
            except OSError as error:
                status = f"{type(error).__name__}: {error}"
            assert status == 200, f"/healthz attempt {attempt} with {len(idle)} idle connections: {status}"
            time.sleep(0.05)
    finally:
        for sock in idle:
            sock.close()
    assert server.is_running()


# the small ones

def policy_dir(root: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    directory = root / "policies"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_bytes(text)
    return directory


def test_check_suggests_enforce_for_mode_enforced(binary, tmp_path):
    """`mode: enforced` is a typo of `enforce`: the fix line under the error suggests `mode: enforce` first."""
    directory = policy_dir(tmp_path, {"typo.example.txt": b"version: STSv1\nmode: enforced\nmx: mx.typo.example\n"
                                                          b"max_age: 1209600\n"})
    result = run_cli(binary, "check", "--policies", directory)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    error = next(index for index, line in enumerate(lines) if line.startswith(f"{directory}/typo.example.txt:2:"))
    fix = lines[error + 1]
    assert fix.startswith("  fix: "), result.stdout
    assert re.search(r'"mode: (\w+)"', fix)[1] == "enforce", fix


def test_check_warns_about_a_doubled_txt_suffix(binary, tmp_path):
    """`x.test.txt.txt` is the policy of the domain `x.test.txt`, almost certainly by mistake: `check` warns
    that it `ends in .txt.txt`."""
    directory = policy_dir(tmp_path, {"x.test.txt.txt": policy_file("testing", ["mx.x.test"], 1209600)[0]})
    result = run_cli(binary, "check", "--policies", directory)
    assert [line for line in result.stdout.splitlines()
            if line.startswith(f"{directory}/x.test.txt.txt") and "warning" in line and "ends in .txt.txt" in line], \
        result.stdout


def test_dns_prints_the_valid_records_when_a_named_domain_is_bad(binary, tmp_path):
    """`dns good.example bad.example` with bad.example's file invalid: good.example's TXT record is printed and
    the exit status is still 1, with the error naming bad.example."""
    good, _ = policy_file("testing", ["mx.good.example"], 1209600)
    directory = policy_dir(tmp_path, {"good.example.txt": good,
                                      "bad.example.txt": b"version: STSv1\nmode: bogus\nmx: mx.bad.example\n"})
    result = run_cli(binary, "dns", "--policies", directory, "good.example", "bad.example")
    assert result.returncode == 1
    assert re.search(r'^_mta-sts\.good\.example\. \d+ IN TXT "v=STSv1; id=\w+"$', result.stdout, re.M), result.stdout
    assert "_mta-sts.bad.example" not in result.stdout
    assert "bad.example" in result.stderr


def test_status_without_a_status_file_exits_1_naming_the_absolute_path(binary, tmp_path):
    """`status --state-dir missing` (relative, no such directory): exit status 1, not the usage error 64, and a
    message with the absolute path it looked at and the `--state-dir` flag to fix."""
    result = run_cli(binary, "status", "--state-dir", "missing", cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, (result.returncode, output)
    assert str(tmp_path / "missing") in output and "--state-dir" in output, output


def test_reloaded_line_leaves_out_empty_change_fields(start_server, ca, tmp_path):
    """The text `reloaded` line lists `changed=one.test` after an edit, and after a SIGHUP that changed nothing
    it has no `added=`, `changed=` or `removed=` with an empty value."""
    world = build_clean_world(tmp_path / "world", ca, [ONE, TWO])
    server = start_server(world)
    text, body = policy_file("testing", [f"mx.{ONE}"], 1209601)
    (world.policies_dir / f"{ONE}.txt").write_bytes(text)
    edit = wait_for_reload(server, 0)
    assert edit is not None and served(server, world, ONE) == body, server.log_tail()
    server.send_signal(signal.SIGHUP)
    hup = wait_for_reload(server, 1)
    assert hup is not None, server.log_tail()

    empty = re.compile(r'\b(added|changed|removed)=(""|(?=\s|$))')
    assert "changed=one.test" in edit, edit
    assert not empty.search(edit), edit
    assert not empty.search(hup), hup


def test_every_metric_family_has_help(start_server, ca, tmp_path):
    """Every family on /metrics has a `# HELP` line (the parser's documentation is empty without one)."""
    world = build_clean_world(tmp_path / "world", ca, [ONE])
    server = start_server(world, "--admin", "127.0.0.1:0")
    families = metric_families(server)
    assert families
    assert [family.name for family in families if not family.documentation] == []
