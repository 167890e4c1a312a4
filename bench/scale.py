#!/usr/bin/env python3
"""Scale and reload figures for mta-sts-host with N domains (default 10,000), one certificate per domain.

Measures: start-up to the first 200 (and to the last domain's 200), RSS and PSS idle, the latency from a
policy file's atomic rename to the new body being served (inotify watcher), a full reload (every policy
rewritten and every certificate file touched) with a client fetching over keep-alive meanwhile (failed requests
counted), and a mass re-issue (every certificate and key replaced by a new pair from another CA, then one SIGHUP) with the
peak RSS it costs, in one pass and in batches of 5,000. Certificates are issued once by the server itself (`serve --self-signed`). Loopback only; every
wait is bounded. Usage: bench/scale.py [N]   (BIN=path/to/mta-sts-host, default .build/release/mta-sts-host)
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = os.environ.get("BIN", str(ROOT / ".build/release/mta-sts-host"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
POLICY = "version: STSv1\nmode: {mode}\nmx: mx.{domain}\nmax_age: {age}\n"


def domain(index: int) -> str:
    return f"d{index:05d}.scale.test"


def write_policy(directory: pathlib.Path, index: int, mode: str = "enforce", age: int = 604800) -> None:
    temporary = directory / f".{domain(index)}.tmp"
    temporary.write_text(POLICY.format(mode=mode, domain=domain(index), age=age))
    temporary.rename(directory / f"{domain(index)}.txt")


class Server:
    def __init__(self, work: pathlib.Path, *args: str):
        self.ready = work / "ready"
        self.ready.unlink(missing_ok=True)
        self.log = open(work / "server.log", "ab")
        self.started = time.monotonic()
        self.process = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--ready-file", str(self.ready),
                                         "--workers", "1", "--allow-root", "--state-dir", str(work / "state"), *args],
                                        stdout=self.log, stderr=self.log)

    def port(self, timeout: float = 600) -> int:
        deadline = time.monotonic() + timeout
        while not self.ready.exists() or not self.ready.read_text().endswith("\n"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start (exit {self.process.poll()})")
            time.sleep(0.005)
        return int(self.ready.read_text().split()[0].rsplit(":", 1)[1])

    def memory_kib(self) -> tuple[int, int]:
        rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{self.process.pid}/status").read())[1])
        pss = int(re.search(r"^Pss:\s+(\d+)", open(f"/proc/{self.process.pid}/smaps_rollup").read(), re.M)[1])
        return rss, pss

    def peak_rss_kib(self) -> int:
        """VmHWM: the highest RSS since the process started."""
        return int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{self.process.pid}/status").read())[1])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)


def fetch(context: ssl.SSLContext, port: int, host: str, sock: ssl.SSLSocket | None = None) -> tuple[int, bytes, ssl.SSLSocket]:
    """One GET over `sock` (or a new connection); returns status, body and the socket for reuse."""
    if sock is None:
        sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=host)
    sock.sendall(f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head)[1])
    while len(body) < length:
        body += sock.recv(65536)
    if b"\r\nConnection: close" in head:
        # --max-requests-per-connection reached: the server closes, the next request opens a new connection.
        sock.close()
        sock = None
    return int(head.split()[1]), body, sock


def wait_for_body(context, port, host, needle: bytes, timeout: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            status, body, sock = fetch(context, port, host)
            if sock:
                sock.close()
            if status == 200 and needle in body:
                return time.monotonic() - started
        except (OSError, ssl.SSLError):
            pass
        time.sleep(0.002)
    raise SystemExit(f"{host} never served {needle!r}")


def place(source: pathlib.Path, certs: pathlib.Path) -> None:
    """Copies every file of `source` over its namesake in `certs`, each by an atomic rename."""
    for path in source.iterdir():
        staged = certs / f".{path.name}.new"
        shutil.copy2(path, staged)
        os.replace(staged, certs / path.name)


def main() -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"scale-{N}-"))
    policies = work / "policies"
    policies.mkdir()
    for index in range(N):
        write_policy(policies, index)
    print(f"# mta-sts-host with {N} domains ({BIN})")

    issuing = Server(work, "--policies", str(policies), "--certs", str(work / "none"), "--self-signed", "--no-watch")
    issuing.port()
    print(f"issue {N} certificates with --self-signed (one-off): {time.monotonic() - issuing.started:.1f} s")
    issuing.stop()

    certs = work / "state" / "certs"
    context = ssl.create_default_context(cafile=str(work / "state" / "ca" / "ca.pem"))
    first, last = f"mta-sts.{domain(0)}", f"mta-sts.{domain(N - 1)}"
    server = Server(work, "--policies", str(policies), "--certs", str(certs))
    port = server.port()
    wait_for_body(context, port, last, b"STSv1")
    print(f"start-up to the last domain's first 200: {time.monotonic() - server.started:.2f} s")
    time.sleep(1)
    rss, pss = server.memory_kib()
    print(f"idle memory: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB; peak RSS so far {server.peak_rss_kib() / 1024:.1f} MiB")

    # One policy renamed into place: the watcher's debounce (250 ms) dominates.
    latencies = []
    for attempt in range(5):
        started = time.monotonic()
        write_policy(policies, 0, mode="testing", age=700000 + attempt)
        latencies.append(time.monotonic() - started + wait_for_body(context, port, first, f"max_age: {700000 + attempt}".encode()))
        time.sleep(0.5)
    print(f"one policy renamed -> new body served: median {sorted(latencies)[2] * 1000:.0f} ms "
          f"(min {min(latencies) * 1000:.0f}, max {max(latencies) * 1000:.0f}) over 5")

    # Everything changed while a client fetches over keep-alive.
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    failures: dict[str, int] = {}

    def client() -> None:
        sock = None
        while not stop.is_set():
            try:
                status, _, sock = fetch(context, port, last, sock)
                counts["ok" if status == 200 else "failed"] += 1
                if status != 200:
                    failures[f"status {status}"] = failures.get(f"status {status}", 0) + 1
            except (OSError, ssl.SSLError) as error:
                counts["failed"] += 1
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                sock = None

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    for index in range(N):
        write_policy(policies, index, mode="testing", age=900000)
    for path in certs.iterdir():
        os.utime(path)
    written = time.monotonic() - started
    served = wait_for_body(context, port, last, b"max_age: 900000", timeout=120)
    time.sleep(1.5)
    stop.set()
    thread.join()
    reloads = re.findall(rb"certificates_parsed=(\d+).*?ms=(\d+).*?reloaded", (work / "server.log").read_bytes())
    print(f"full reload (all {N} policies rewritten, all certificate files touched; writing took {written:.1f} s): "
          f"last domain served {served:.2f} s after the writes ended")
    print("reload log lines since start (certificates parsed, ms): "
          + ", ".join(f"({int(parsed)}, {int(ms)})" for parsed, ms in reloads[-4:]))
    print(f"client during the full reload: {counts['ok']} requests OK, {counts['failed']} failed {failures or ''}")
    rss, pss = server.memory_kib()
    print(f"memory after reloads: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB")
    # Right after a full reload both snapshots may still be alive (the old one until every loop has swapped and
    # the report is logged); the settled figure is what the process keeps.
    time.sleep(10)
    rss, pss = server.memory_kib()
    print(f"memory 10 s later: RSS {rss / 1024:.1f} MiB, PSS {pss / 1024:.1f} MiB; "
          f"peak RSS so far {server.peak_rss_kib() / 1024:.1f} MiB")

    server.stop()

    # Every pair replaced by a new one (a mass re-issue, from a second CA) and one SIGHUP: the old set serves until
    # the new one is parsed, so this is the reload that costs the most memory. Once in one pass, once in batches.
    second = work / "second"
    second.mkdir()
    issuing = Server(second, "--policies", str(policies), "--certs", str(second / "none"), "--self-signed", "--no-watch")
    issuing.port()
    issuing.stop()
    sets = {"a": work / "set-a", "b": second / "state" / "certs"}
    shutil.copytree(certs, sets["a"], symlinks=True)
    for batch, old, new in (("0", "a", "b"), ("5000", "b", "a")):
        place(sets[old], certs)
        run = work / f"reissue-{batch}"
        run.mkdir()
        server = Server(run, "--policies", str(policies), "--certs", str(certs), "--no-watch",
                        "--reload-certificate-batch", batch)
        server.port()
        time.sleep(1)
        idle, _ = server.memory_kib()
        place(sets[new], certs)
        started = time.monotonic()
        server.process.send_signal(signal.SIGHUP)
        deadline = started + 600
        while time.monotonic() < deadline:
            log = (run / "server.log").read_bytes()
            parsed = sum(int(n) for n in re.findall(rb"certificates_parsed=(\d+)", log))
            if parsed >= N and b"certificates_deferred=0" in log:
                break
            time.sleep(0.05)
        passes = len(re.findall(rb"certificates_parsed=", (run / "server.log").read_bytes()))
        took = time.monotonic() - started
        time.sleep(10)
        rss, _ = server.memory_kib()
        print(f"mass re-issue, all {N} pairs replaced then SIGHUP, --reload-certificate-batch {batch}: {parsed} parsed "
              f"in {passes} pass(es), {took:.1f} s; RSS before {idle / 1024:.1f} MiB, peak {server.peak_rss_kib() / 1024:.1f} "
              f"MiB, 10 s after {rss / 1024:.1f} MiB")
        server.stop()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
