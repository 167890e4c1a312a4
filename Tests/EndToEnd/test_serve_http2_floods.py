"""Hostile HTTP/2 clients, frame by frame (support/h2frames.py): rapid reset, CONTINUATION flood, SETTINGS, PING
and empty DATA floods, HPACK bomb. Each attacker must be cut off (GOAWAY, RST_STREAM or a close) within a
bounded time, while the server stays up, stays small and keeps serving curl.

The server has its own process here (module scope), so that a crash does not take other tests with it. Figures
(frames before GOAWAY, resident memory) are printed: `pytest -rP` shows them."""
import collections
import dataclasses
import time

import pytest

from support import h2frames as f
from support.h2client import H2Connection, StreamReset
from support.procfs import rss_kib
from support.tools import curl
from support.worlds import HOST_A, HOST_B, POLICY_PATH

REACTION = 5.0  # seconds the server has to cut an attacker off once the flood is sent
RSS_GROWTH_LIMIT_KIB = 50 * 1024  # generous: the floods below must not cost more than this, in all
CONTROL_FRAMES_PER_SECOND = 50  # the server's documented budget (SETTINGS, PING, ..., empty DATA)
MAX_CONTINUATIONS = 8


@pytest.fixture(scope="module")
def attacked(session_launcher, world):
    """(server, its VmRSS in KiB after a warm-up exchange over h2 and HTTP/1.1)."""
    server = session_launcher(world)
    assert curl(server.port, HOST_A, world.ca_path, http="2").status == 200
    assert curl(server.port, HOST_A, world.ca_path).status == 200
    return server, rss_kib(server.process.pid)


@dataclasses.dataclass
class Attack:
    h2: H2Connection  # every frame the server sent is in h2.frames
    sent: int  # bytes of the flood written before the server's GOAWAY or close
    closed: bool  # the server closed the connection within REACTION seconds of the flood
    seconds: float  # from the first flood byte to the close (or to giving up)

    @property
    def goaway(self) -> f.Frame | None:
        return self.h2.goaway()

    def count(self, frame_type: int, stream_id: int | None = None, flag: int = 0) -> int:
        return sum(1 for frame in self.h2.frames_of(frame_type, stream_id) if frame.flags & flag == flag)

    def summary(self) -> str:
        kinds = collections.Counter(f.TYPE_NAMES.get(frame.type, frame.type) for frame in self.h2.frames)
        return (f"sent {self.sent} bytes, received {dict(kinds)}, GOAWAY {self.goaway!r}, "
                f"{'closed' if self.closed else 'still open'} after {self.seconds:.2f} s")


@pytest.fixture
def attack(attacked, world):
    """`attack(name, frames, write_size)`: connects with h2, completes the preface and SETTINGS exchange, sends
    `frames` in writes of `write_size` bytes (one TLS record each), reading in between; stops at the server's
    GOAWAY or close, then reads until the server closes. Afterwards the server must be unharmed."""
    server, baseline = attacked
    opened = []

    def run(name: str, frames: bytes, write_size: int = 16384) -> Attack:
        h2 = H2Connection.open(server.port, HOST_A, world.ca_path)
        opened.append(h2)
        h2.handshake()
        started = time.monotonic()
        sent = h2.flood(frames, chunk=write_size)
        closed = h2.read_until_closed(REACTION)
        result = Attack(h2, sent, closed, time.monotonic() - started)
        print(f"figure: {name}: {result.summary()}")
        return result

    yield run
    for h2 in opened:
        h2.close()
    assert_unharmed(server, world, baseline)


def assert_unharmed(server, world, baseline_kib: int) -> None:
    assert server.is_running(), f"the server died\n{server.log_tail()}"
    rss = rss_kib(server.process.pid)
    print(f"figure: VmRSS {baseline_kib} KiB before the attacks, {rss} KiB now")
    assert rss - baseline_kib < RSS_GROWTH_LIMIT_KIB, f"VmRSS grew from {baseline_kib} to {rss} KiB"
    for http in ("2", "1.1"):
        result = curl(server.port, HOST_B, world.ca_path, http=http)
        assert (result.status, result.body) == (200, world.bodies[HOST_B]), (http, result.status_line)


def pseudo_headers(host: str = HOST_A, path: str = POLICY_PATH) -> bytes:
    return f.request_block(host, path)


# rapid reset (CVE-2023-44487)

def test_rapid_reset_of_1000_requests_gets_goaway(attack):
    """1,000 x (HEADERS GET + RST_STREAM CANCEL) in a row. nghttp2's reset budget (burst 200, 33/s) or the control
    frame budget (50/s) ends the connection after about 50 resets, well before the 1,000th stream."""
    streams = range(1, 2001, 2)
    result = attack("rapid reset", b"".join(f.headers(stream, pseudo_headers()) + f.rst_stream(stream, f.CANCEL)
                                            for stream in streams))
    goaway = result.goaway
    assert goaway is not None, result.summary()
    assert goaway.error_code in (f.ENHANCE_YOUR_CALM, f.INTERNAL_ERROR), goaway
    assert goaway.last_stream_id < 2 * 300, f"the server accepted {goaway.last_stream_id // 2 + 1} streams: {goaway}"
    assert result.closed, result.summary()


# CONTINUATION flood (CVE-2024-27316, CVE-2024-28182)

def continued_request(continuations: int, *, ends: bool = True) -> bytes:
    """HEADERS on stream 1 (pseudo-headers, no END_HEADERS) and `continuations` CONTINUATION frames of one 45-byte
    field each; with `ends`, the last one ends the block. Decoded, 8 of them are far under the 16 KiB limit."""
    frames = [f.headers(1, pseudo_headers(), end_headers=False)]
    frames += [f.continuation(1, f.literal(f"x-c{index:03d}", "v" * 40), end_headers=ends and index == continuations - 1)
               for index in range(continuations)]
    return b"".join(frames)


def test_continuation_flood_closes_the_connection(attack):
    """HEADERS without END_HEADERS, then 500 CONTINUATION frames that never end the block."""
    result = attack("CONTINUATION flood", continued_request(500, ends=False))
    assert result.closed, result.summary()
    assert result.count(f.HEADERS, 1) == 0, "the flooded request was answered"
    assert result.goaway is None or result.goaway.error_code != f.NO_ERROR, result.goaway


@pytest.mark.parametrize("continuations, answered", [(MAX_CONTINUATIONS, True), (MAX_CONTINUATIONS + 1, False)])
def test_continuation_limit_is_8_per_header_block(attacked, world, continuations, answered):
    """The edge of the limit: 8 CONTINUATIONs are a request like any other, the 9th is a connection error."""
    server, _ = attacked
    with H2Connection.open(server.port, HOST_A, world.ca_path) as h2:
        h2.handshake()
        assert h2.send(continued_request(continuations))
        if answered:
            response = h2.response(1)
            assert (response.status, response.body) == (200, world.bodies[HOST_A])
        else:
            assert h2.read_until_closed(REACTION), "still open after 9 CONTINUATION frames"
            assert not h2.frames_of(f.HEADERS, 1), "the request with 9 CONTINUATIONs was answered"


# control frame floods: SETTINGS, PING, empty DATA

FLOODS = {
    "settings": lambda: b"".join(f.settings() for _ in range(1000)),
    "ping": lambda: b"".join(f.ping(index.to_bytes(8, "big")) for index in range(1000)),
    "empty-data": lambda: (f.headers(1, pseudo_headers(), end_stream=False)
                           + b"".join(f.data(1) for _ in range(5000))),
}
ACKNOWLEDGEMENT = {"settings": f.SETTINGS, "ping": f.PING}

@pytest.mark.parametrize("kind", FLOODS)
def test_control_frame_flood_is_cut_off_quickly(attack, kind):
    """Whatever the reason given: closed within REACTION seconds, after fewer acknowledgements than the budget."""
    result = attack(f"{kind} flood", FLOODS[kind]())
    assert result.closed, result.summary()
    if kind in ACKNOWLEDGEMENT:
        assert result.count(ACKNOWLEDGEMENT[kind], 0, f.ACK) <= CONTROL_FRAMES_PER_SECOND, result.summary()
    else:
        assert result.count(f.HEADERS, 1) == 0, "the flooded request was answered"


@pytest.mark.parametrize("kind", [
    "settings",
    "ping",
    "empty-data",
])
def test_control_frame_flood_gets_goaway_enhance_your_calm(attack, kind):
    """The flood as an attacker sends it: 16 KiB writes, i.e. about 1,800 SETTINGS or 960 PING per TLS record."""
    result = attack(f"{kind} flood in 16 KiB writes", FLOODS[kind]())
    assert result.goaway is not None, f"closed without GOAWAY: {result.summary()}"
    assert result.goaway.error_code == f.ENHANCE_YOUR_CALM, result.goaway


@pytest.mark.parametrize("kind, frame_size", [("settings", f.HEADER_SIZE), ("ping", f.HEADER_SIZE + 8)])
def test_control_frames_over_the_budget_in_small_writes_get_goaway(attack, kind, frame_size):
    """The same floods in writes of 50 frames (each TLS record answered before the next is read): the 50/s
    budget ends them with GOAWAY(ENHANCE_YOUR_CALM), after at most a budget of acknowledgements."""
    result = attack(f"{kind} flood in 50-frame writes", FLOODS[kind](), write_size=50 * frame_size)
    assert result.goaway is not None and result.goaway.error_code == f.ENHANCE_YOUR_CALM, result.summary()
    assert result.count(ACKNOWLEDGEMENT[kind], 0, f.ACK) <= CONTROL_FRAMES_PER_SECOND, result.summary()
    assert result.closed, result.summary()


def test_control_frames_under_the_per_second_budget_are_all_answered(attacked, world):
    """The budget (50 a second) is per second, not per connection: 3 bursts of 40 PINGs, 1.1 s apart (120 in
    all), are all acknowledged and the connection stays open."""
    server, _ = attacked
    with H2Connection.open(server.port, HOST_A, world.ca_path) as h2:
        h2.handshake()
        for burst in range(3):
            if burst:
                time.sleep(1.1)
            assert h2.send(b"".join(f.ping(bytes([burst, index]) + bytes(6)) for index in range(40)))
            h2.read_until(lambda frame: frame.type == f.PING and frame.payload == bytes([burst, 39]) + bytes(6))
        acks = [frame for frame in h2.frames_of(f.PING, 0) if frame.has(f.ACK)]
        assert len(acks) == 120 and h2.goaway() is None, (len(acks), h2.goaway())
        assert h2.request(1, HOST_A, POLICY_PATH) and h2.response(1).status == 200


# HPACK bomb

BOMB_VALUE_SIZE = 4000  # one dynamic-table entry of 6 + 4000 + 32 = 4,038 bytes: fits the 4,096-byte table
BOMB_REFERENCES = 1000  # one byte each on the wire, 4,038 bytes each decoded: about 4 MB per request


def bomb_connection(server, world) -> H2Connection:
    """A connection whose first request (answered) left `x-bomb: <4000 bytes>` in the server's dynamic table."""
    h2 = H2Connection.open(server.port, HOST_A, world.ca_path)
    h2.handshake()
    assert h2.send(f.headers(1, pseudo_headers() + f.literal("x-bomb", "b" * BOMB_VALUE_SIZE, add_to_table=True)))
    assert h2.response(1).status == 200
    return h2


def bomb(stream_id: int) -> bytes:
    return f.headers(stream_id, pseudo_headers() + f.indexed(f.FIRST_DYNAMIC_INDEX) * BOMB_REFERENCES)


def test_hpack_bomb_resets_the_stream_and_the_connection_carries_on(attacked, world):
    server, baseline = attacked
    with bomb_connection(server, world) as h2:
        assert h2.send(bomb(3))
        with pytest.raises(StreamReset) as reset:
            h2.response(3)
        print(f"figure: HPACK bomb ({len(bomb(3))} bytes on the wire): {reset.value.frame!r}")
        assert not h2.frames_of(f.HEADERS, 3), "the bomb was answered"
        assert h2.request(5, HOST_A, POLICY_PATH)  # HPACK state intact: the next request decodes
        assert h2.response(5).body == world.bodies[HOST_A]
        assert h2.goaway() is None
    assert_unharmed(server, world, baseline)


def test_more_than_10_hpack_bombs_get_goaway(attacked, world):
    server, baseline = attacked
    with bomb_connection(server, world) as h2:
        streams = list(range(3, 3 + 2 * 11, 2))
        for stream in streams[:10]:
            assert h2.send(bomb(stream))
            with pytest.raises(StreamReset):
                h2.response(stream)
        h2.send(bomb(streams[10]))
        goaway = h2.wait_for_goaway(REACTION)
        assert goaway is not None and goaway.error_code == f.ENHANCE_YOUR_CALM, h2.frames[-3:]
        assert h2.read_until_closed(REACTION)
        assert not any(h2.frames_of(f.HEADERS, stream) for stream in streams)
    assert_unharmed(server, world, baseline)
