"""SIGKILL in the middle of a burst of report posts: after a restart, every report that was answered 200 is there
whole, no temporary file is left, and the index (read here with Python's own sqlite3) agrees with the files."""
import concurrent.futures
import json
import os
import signal
import sqlite3
import ssl
import threading

from support.http1 import client_context, tls_connect
from support.tlsrpt import JSON, REPORT_PATH, report, stored_files
from support.worlds import HOST_B

POSTS = 1000
KILL_AFTER = 300


def post(port, context, body):
    """One POST over its own connection; the status, or None when the server went away first."""
    try:
        sock = tls_connect(port, HOST_B, None, context=context, timeout=10)
    except (OSError, ssl.SSLError):
        return None
    try:
        sock.sendall(f"POST {REPORT_PATH} HTTP/1.1\r\nHost: {HOST_B}\r\nContent-Type: {JSON}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            answer += chunk
        return int(answer.split(b" ")[1])
    except (OSError, ssl.SSLError):
        return None
    finally:
        sock.close()


def test_sigkill_during_a_burst_loses_no_answered_report_and_leaves_no_half_file(start_server, world, tmp_path):
    directory = tmp_path / "reports"
    server = start_server(world, "--reports", str(directory), "--workers", "2")
    context = client_context(world.ca_path)
    bodies = {f"burst-{index}": report(f"burst-{index}", day=f"2024-03-{1 + index % 28:02d}") for index in range(POSTS)}
    answered, lock, killed = set(), threading.Lock(), threading.Event()

    def send(report_id):
        if killed.is_set():
            return None
        status = post(server.port, context, bodies[report_id])
        if status == 200:
            with lock:
                answered.add(report_id)
                if len(answered) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.kill(server.process.pid, signal.SIGKILL)
        return status

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(send, bodies))
    server.process.wait(timeout=10)
    assert killed.is_set() and server.process.returncode == -signal.SIGKILL
    print(f"{len(answered)} reports answered 200 before SIGKILL")

    restarted = start_server(world, "--reports", str(directory))
    assert restarted.is_running()
    everything = list(directory.rglob("*"))
    assert not [path for path in everything if path.name.startswith(".")], "a temporary file was left behind"
    stored = {}
    for path in stored_files(directory):
        document = json.loads(path.read_bytes())  # a half-written file would not parse
        stored[document["report-id"]] = path
        assert path.read_bytes() == bodies[document["report-id"]]
    missing = answered - stored.keys()
    assert not missing, f"answered 200 but not stored: {sorted(missing)[:5]}"

    with sqlite3.connect(directory / "index.sqlite3") as database:
        indexed = {row[0] for row in database.execute("SELECT file FROM reports")}
        ids = {row[0] for row in database.execute("SELECT report_id FROM reports")}
    assert indexed == {str(path.relative_to(directory)) for path in stored.values()}
    assert ids == stored.keys()
