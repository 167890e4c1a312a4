"""Slow clients by the thousand: 2,000 TCP connections that send nothing, 2,000 that send half a ClientHello and
stall, and 2,000 TLS connections that trickle a request head one byte a second, all open at once against a
server with 3-second handshake and header timeouts, while a legitimate client (curl) keeps fetching the policy.

What the server controls is asserted: every legitimate fetch succeeds; every slow connection is closed by its
timeout (the 408 of a timed-out head is allowed, nothing else); the resident memory returns near its baseline
once they are gone. TCP_DEFER_ACCEPT lets the kernel hold a silent connection for about a second before the
server ever sees it, so those get that window on top of their timeout.
"""
from __future__ import annotations

import asyncio
import dataclasses
import resource
import ssl
import statistics
import threading
import time

import pytest

from support import procfs
from support.http1 import client_context, client_hello, request
from support.tools import curl
from support.worlds import HOST_A, POLICY_PATH

pytestmark = pytest.mark.long

PER_KIND = 2000
HANDSHAKE_TIMEOUT, HEADER_TIMEOUT, IDLE_TIMEOUT = 3, 3, 5  # seconds, the server's flags
SWEEP = 1.0  # seconds at most between a deadline and the server's sweep that acts on it
DEFER_WINDOW = 4.0  # seconds the kernel may hold a silent connection (TCP_DEFER_ACCEPT, a SYN-ACK retransmit)
SLACK = 5.0  # seconds on top, for a loaded 2-core machine
NOT_BEFORE = 1.0  # seconds: a close earlier than this is not a timeout at work
OPENING_LIMIT = 30.0  # seconds to open all 6,000 connections
RSS_MARGIN_KIB = 20 * 1024
NOFILE = 16384  # descriptors for the test process and for the server: 6,000 connections and some
CONCURRENT_CONNECTS = 200  # TCP connects in flight at once (SYN bursts stay well under the listen backlog)
CONCURRENT_HANDSHAKES = 50  # TLS handshakes in flight at once (the client's CPU is the bottleneck)
FETCH_PAUSE = 0.1  # seconds between legitimate fetches

BOUND = {  # seconds from the moment a connection went quiet to the server's close, at most
    "silent": HANDSHAKE_TIMEOUT + DEFER_WINDOW + SWEEP + SLACK,
    "half-hello": HANDSHAKE_TIMEOUT + SWEEP + SLACK,
    "trickle": HEADER_TIMEOUT + SWEEP + SLACK,
}


@dataclasses.dataclass
class SlowConnection:
    kind: str
    opened: bool = False
    open_error: str = ""
    quiet_at: float = 0.0  # monotonic time the connection went quiet (connected / hello sent / handshake done)
    closed_after: float | None = None  # seconds from quiet_at to EOF or reset; None: still open at the end
    how: str = ""  # "eof" or "reset"
    received: bytes = b""
    bytes_sent: int = 0


@pytest.fixture(scope="module")
def many_descriptors():
    """Raises this process's RLIMIT_NOFILE to NOFILE for the module, and restores the soft limit afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, NOFILE), max(hard, NOFILE)))
    except (ValueError, OSError) as error:
        pytest.skip(f"cannot raise RLIMIT_NOFILE to {NOFILE} (soft {soft}, hard {hard}): {error}")
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, max(hard, NOFILE)))


class LegitimateClient(threading.Thread):
    """Fetches the policy with curl (HTTP/1.1, a new TLS connection each time) until stopped; records the
    latency of each fetch and any failure, and samples the server's RSS between fetches."""

    def __init__(self, server, world):
        super().__init__(daemon=True)
        self.server, self.world = server, world
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.peak_rss_kib = 0
        self.peak_descriptors = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                result = curl(self.server.port, HOST_A, self.world.ca_path)
                if (result.status, result.body) != (200, self.world.bodies[HOST_A]):
                    self.failures.append(f"status {result.status}, body {result.body[:60]!r}")
            except Exception as error:  # collected: one report shows how many fetches failed, and how
                self.failures.append(repr(error))
            self.latencies.append(time.monotonic() - started)
            self.sample()
            self.stopping.wait(FETCH_PAUSE)

    def sample(self) -> None:
        try:
            self.peak_rss_kib = max(self.peak_rss_kib, procfs.rss_kib(self.server.process.pid))
            self.peak_descriptors = max(self.peak_descriptors, procfs.open_descriptors(self.server.process.pid))
        except (FileNotFoundError, ProcessLookupError):
            pass

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)


async def wait_for_close(reader: asyncio.StreamReader, connection: SlowConnection, limit: float) -> None:
    """Reads until the server closes (EOF or reset) or `limit` seconds pass; records when and how."""
    try:
        async with asyncio.timeout(limit):
            while True:
                try:
                    data = await reader.read(4096)
                except (ConnectionResetError, BrokenPipeError):
                    connection.how = "reset"
                    break
                except ssl.SSLError as error:  # a TCP close without close_notify, or an alert
                    connection.how = f"tls:{error.reason}"
                    break
                if not data:
                    connection.how = "eof"
                    break
                connection.received += data
    except TimeoutError:
        return
    connection.closed_after = time.monotonic() - connection.quiet_at


async def silent(port: int, connection: SlowConnection, gate: asyncio.Semaphore) -> None:
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    connection.opened, connection.quiet_at = True, time.monotonic()
    try:
        await wait_for_close(reader, connection, BOUND["silent"] + OPENING_LIMIT)
    finally:
        writer.transport.abort()


async def half_hello(port: int, connection: SlowConnection, gate: asyncio.Semaphore, hello: bytes) -> None:
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(hello[:len(hello) // 2])
    connection.bytes_sent = len(hello) // 2
    connection.opened, connection.quiet_at = True, time.monotonic()
    try:
        await wait_for_close(reader, connection, BOUND["half-hello"] + OPENING_LIMIT)
    finally:
        writer.transport.abort()


async def trickle(port: int, connection: SlowConnection, gate: asyncio.Semaphore, context: ssl.SSLContext,
                  head: bytes) -> None:
    """Completes the handshake, then sends `head` one byte a second until the server closes."""
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=HOST_A,
                                                       ssl_handshake_timeout=OPENING_LIMIT)
    connection.opened, connection.quiet_at = True, time.monotonic()
    closing = asyncio.ensure_future(wait_for_close(reader, connection, BOUND["trickle"] + OPENING_LIMIT))
    try:
        for byte in head:
            writer.write(bytes([byte]))
            connection.bytes_sent += 1
            await asyncio.wait([closing], timeout=1.0)
            if closing.done() or writer.transport.is_closing():
                break
        await closing
    finally:
        closing.cancel()
        writer.transport.abort()


async def open_and_watch(port: int, world) -> list[SlowConnection]:
    context = client_context(world.ca_path)
    hello = client_hello(HOST_A)
    # A head that cannot complete within the bound at one byte a second.
    head = request("GET", POLICY_PATH, HOST_A, headers=[("X-Slow", "s" * 200)])
    assert len(head) > 4 * BOUND["trickle"]
    connects, handshakes = asyncio.Semaphore(CONCURRENT_CONNECTS), asyncio.Semaphore(CONCURRENT_HANDSHAKES)
    connections, tasks = [], []
    for number in range(PER_KIND):  # interleaved, so that each kind meets the others
        for kind in ("silent", "half-hello", "trickle"):
            connection = SlowConnection(kind)
            connections.append(connection)
            if kind == "silent":
                coroutine = silent(port, connection, connects)
            elif kind == "half-hello":
                coroutine = half_hello(port, connection, connects, hello)
            else:
                coroutine = trickle(port, connection, handshakes, context, head)
            tasks.append(asyncio.ensure_future(coroutine))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for connection, result in zip(connections, results):
        if isinstance(result, BaseException):
            connection.open_error = connection.open_error or repr(result)
    return connections


def summarize(connections: list[SlowConnection]) -> dict[str, dict]:
    summary = {}
    for kind in BOUND:
        mine = [connection for connection in connections if connection.kind == kind]
        times = sorted(c.closed_after for c in mine if c.closed_after is not None)
        summary[kind] = {
            "opened": sum(c.opened for c in mine),
            "open_errors": [c.open_error for c in mine if not c.opened][:3],
            "eof": sum(c.how == "eof" for c in mine),
            "reset_or_tls": sum(c.how not in ("", "eof") for c in mine),
            "still_open": sum(c.opened and c.closed_after is None for c in mine),
            "late": sum(t > BOUND[kind] for t in times),
            "early": sum(t < NOT_BEFORE for t in times),
            "close_s": (times[0], statistics.median(times), times[-1]) if times else None,
            "unexpected_bytes": [c.received[:40] for c in mine
                                 if c.received and not c.received.startswith(b"HTTP/1.1 408 ")][:3],
            "got_408": sum(c.received.startswith(b"HTTP/1.1 408 ") for c in mine),
        }
    return summary


def settled_rss(pid: int, target_kib: int, limit: float = 10.0) -> int:
    """The server's RSS once it is at or under `target_kib`, else the last sample after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        rss = procfs.rss_kib(pid)
        if rss <= target_kib or time.monotonic() >= deadline:
            return rss
        time.sleep(0.5)


@dataclasses.dataclass
class Run:
    """What one hostile run measured; the tests below judge it."""
    server: object
    summary: dict[str, dict]
    latencies: list[float]
    failures: list[str]
    baseline_kib: int
    peak_kib: int
    after_kib: int


@pytest.fixture(scope="module")
def hostile_run(session_launcher, world, many_descriptors) -> Run:
    """One run: a server of its own, 20 warm-up fetches, the baseline RSS, then the 6,000 slow connections
    with the legitimate client fetching throughout, then the RSS once they are all closed."""
    started = time.monotonic()
    server = session_launcher(world, "--handshake-timeout", str(HANDSHAKE_TIMEOUT), "--header-timeout",
                              str(HEADER_TIMEOUT), "--idle-timeout", str(IDLE_TIMEOUT), nofile=NOFILE)
    pid = server.process.pid
    idle_latencies = []
    for _ in range(20):  # warm up (TLS contexts, the catalog, allocator arenas) and time fetches on a quiet server
        fetch_started = time.monotonic()
        assert curl(server.port, HOST_A, world.ca_path).status == 200
        idle_latencies.append(time.monotonic() - fetch_started)
    baseline_kib = procfs.rss_kib(pid)

    legitimate = LegitimateClient(server, world)
    legitimate.start()
    try:
        connections = asyncio.run(open_and_watch(server.port, world))
    finally:
        legitimate.stop()
    slow_done = time.monotonic()
    after_kib = settled_rss(pid, baseline_kib + RSS_MARGIN_KIB)
    run = Run(server, summarize(connections), sorted(legitimate.latencies), legitimate.failures, baseline_kib,
              legitimate.peak_rss_kib, after_kib)

    print(f"\nslow clients: {3 * PER_KIND} connections, the last closed {slow_done - started:.1f} s after the "
          f"server started (timeouts: handshake {HANDSHAKE_TIMEOUT} s, header {HEADER_TIMEOUT} s, idle "
          f"{IDLE_TIMEOUT} s)")
    for kind, figures in run.summary.items():
        close_s = figures["close_s"]
        print(f"  {kind:10} opened {figures['opened']:5}  eof {figures['eof']:5}  reset/tls "
              f"{figures['reset_or_tls']:4}  still open {figures['still_open']:3}  408s {figures['got_408']:5}  "
              f"closed after min/median/max "
              + (f"{close_s[0]:.1f}/{close_s[1]:.1f}/{close_s[2]:.1f} s" if close_s else "-")
              + f" (bound {BOUND[kind]:.0f} s)")
    if run.latencies:
        print(f"  legitimate curl fetches: {len(run.latencies)}, failures {len(run.failures)}, latency median "
              f"{statistics.median(run.latencies) * 1000:.0f} ms, max {run.latencies[-1] * 1000:.0f} ms "
              f"(curl's process start included; {statistics.median(idle_latencies) * 1000:.0f} ms on the quiet "
              f"server)")
    print(f"  server RSS: baseline {baseline_kib / 1024:.1f} MiB, peak {run.peak_kib / 1024:.1f} MiB, after "
          f"{after_kib / 1024:.1f} MiB; peak open descriptors {legitimate.peak_descriptors}")
    return run


def test_every_legitimate_fetch_succeeds_among_six_thousand_slow_clients(hostile_run, world):
    assert hostile_run.server.is_running(), hostile_run.server.log_tail()
    assert not hostile_run.failures, \
        f"{len(hostile_run.failures)} of {len(hostile_run.latencies)} fetches failed: {hostile_run.failures[:5]}"
    assert len(hostile_run.latencies) >= 20, "too few legitimate fetches to say anything"
    assert curl(hostile_run.server.port, HOST_A, world.ca_path).body == world.bodies[HOST_A]


@pytest.mark.parametrize("kind", BOUND)
def test_every_slow_connection_is_closed_by_its_timeout(hostile_run, kind):
    figures = hostile_run.summary[kind]
    assert figures["opened"] == PER_KIND, figures
    assert figures["still_open"] == 0, figures
    assert figures["late"] == 0, f"closed later than {BOUND[kind]} s: {figures}"
    assert figures["early"] == 0, f"closed sooner than {NOT_BEFORE} s: {figures}"
    assert not figures["unexpected_bytes"], figures  # nothing but a 408, if anything
    if kind == "trickle":
        assert figures["got_408"] == PER_KIND, figures


def test_resident_memory_returns_near_its_baseline_after_the_slow_clients(hostile_run):
    assert hostile_run.after_kib <= hostile_run.baseline_kib + RSS_MARGIN_KIB, \
        f"RSS {hostile_run.after_kib} KiB after the slow clients left; baseline {hostile_run.baseline_kib} KiB, " \
        f"peak {hostile_run.peak_kib} KiB"
