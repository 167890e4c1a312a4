"""HTTP/2 frames as bytes (RFC 9113 §4.1: 9-byte header + payload) and the few HPACK forms the tests need.

No I/O: `encode`/`parse` and builders for each frame type, a tiny HPACK encoder (static-table indexed fields,
literals with and without indexing, no Huffman) and names for the error codes. Responses are decoded with the
`hpack` package (installed with `h2`) in `h2client`.
"""
from __future__ import annotations

import dataclasses
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADER_SIZE = 9

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
TYPE_NAMES = {DATA: "DATA", HEADERS: "HEADERS", PRIORITY: "PRIORITY", RST_STREAM: "RST_STREAM", SETTINGS: "SETTINGS",
              PUSH_PROMISE: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY", WINDOW_UPDATE: "WINDOW_UPDATE",
              CONTINUATION: "CONTINUATION"}

END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4

SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS = 0x1, 0x2, 0x3
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE = 0x4, 0x5, 0x6

ERROR_NAMES = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
               0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
               0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xa: "CONNECT_ERROR", 0xb: "ENHANCE_YOUR_CALM",
               0xc: "INADEQUATE_SECURITY", 0xd: "HTTP_1_1_REQUIRED"}
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x2, 0x8, 0xb


@dataclasses.dataclass
class Frame:
    type: int
    flags: int
    stream_id: int
    payload: bytes
    headers: list[tuple[str, str]] | None = None
    """For HEADERS (with its CONTINUATIONs): the decoded fields, filled in by the reading client."""

    def __repr__(self) -> str:
        name = TYPE_NAMES.get(self.type, f"type {self.type:#x}")
        extra = ""
        if self.type in (GOAWAY, RST_STREAM):
            extra = f" {error_name(self.error_code)}"
        if self.type == GOAWAY:
            extra += f" last_stream_id={self.last_stream_id}"
        return f"<{name} flags={self.flags:#x} stream={self.stream_id} len={len(self.payload)}{extra}>"

    @property
    def error_code(self) -> int:
        """GOAWAY: the 32 bits after the last stream id; RST_STREAM: its payload."""
        assert self.type in (GOAWAY, RST_STREAM), self
        return struct.unpack("!I", self.payload[4:8] if self.type == GOAWAY else self.payload[:4])[0]

    @property
    def last_stream_id(self) -> int:
        assert self.type == GOAWAY, self
        return struct.unpack("!I", self.payload[:4])[0] & 0x7FFF_FFFF

    @property
    def settings(self) -> dict[int, int]:
        """SETTINGS: identifier -> value, in the order sent (a later duplicate wins, as in RFC 9113 §6.5.3)."""
        assert self.type == SETTINGS, self
        return dict(struct.unpack("!HI", self.payload[at:at + 6]) for at in range(0, len(self.payload), 6))

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code, f"{code:#x}")


def encode(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    assert len(payload) < 1 << 24
    return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", frame_type, flags, stream_id & 0x7FFF_FFFF) + payload


def parse(buffer: bytes) -> tuple[Frame | None, bytes]:
    """The first complete frame in `buffer` and the bytes after it; (None, buffer) while incomplete."""
    if len(buffer) < HEADER_SIZE:
        return None, buffer
    length = int.from_bytes(buffer[:3], "big")
    if len(buffer) < HEADER_SIZE + length:
        return None, buffer
    frame_type, flags, stream_id = struct.unpack("!BBI", buffer[3:HEADER_SIZE])
    end = HEADER_SIZE + length
    return Frame(frame_type, flags, stream_id & 0x7FFF_FFFF, buffer[HEADER_SIZE:end]), buffer[end:]


def settings(values: dict[int, int] | None = None, *, ack: bool = False) -> bytes:
    payload = b"".join(struct.pack("!HI", key, value) for key, value in (values or {}).items())
    return encode(SETTINGS, ACK if ack else 0, 0, payload)


def ping(opaque: bytes = b"\0" * 8, *, ack: bool = False) -> bytes:
    assert len(opaque) == 8
    return encode(PING, ACK if ack else 0, 0, opaque)


def rst_stream(stream_id: int, error_code: int = CANCEL) -> bytes:
    return encode(RST_STREAM, 0, stream_id, struct.pack("!I", error_code))


def goaway(last_stream_id: int = 0, error_code: int = NO_ERROR) -> bytes:
    return encode(GOAWAY, 0, 0, struct.pack("!II", last_stream_id, error_code))


def window_update(stream_id: int, increment: int) -> bytes:
    return encode(WINDOW_UPDATE, 0, stream_id, struct.pack("!I", increment))


def data(stream_id: int, payload: bytes = b"", *, end_stream: bool = False) -> bytes:
    return encode(DATA, END_STREAM if end_stream else 0, stream_id, payload)


def headers(stream_id: int, block: bytes, *, end_stream: bool = True, end_headers: bool = True) -> bytes:
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    return encode(HEADERS, flags, stream_id, block)


def continuation(stream_id: int, block: bytes, *, end_headers: bool = False) -> bytes:
    return encode(CONTINUATION, END_HEADERS if end_headers else 0, stream_id, block)


# HPACK (RFC 7541), just enough to write requests byte by byte.

STATIC_AUTHORITY, STATIC_PATH = 1, 4  # name-only entries of the static table
STATIC_METHOD_GET, STATIC_METHOD_POST, STATIC_SCHEME_HTTPS = 2, 3, 7
FIRST_DYNAMIC_INDEX = 62


def _integer(value: int, prefix_bits: int, first_byte_flags: int) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def _string(text: str | bytes) -> bytes:
    raw = text.encode("latin-1") if isinstance(text, str) else text
    return _integer(len(raw), 7, 0x00) + raw  # H = 0: no Huffman


def indexed(index: int) -> bytes:
    """An indexed field (§6.1): one byte for indexes below 127, e.g. the first dynamic entry (62) is 0xbe."""
    return _integer(index, 7, 0x80)


def literal(name: str | int, value: str | bytes, *, add_to_table: bool = False) -> bytes:
    """A literal field (§6.2.1 with incremental indexing, else §6.2.2 without); `name` a string or a static index."""
    prefix_bits, flags = (6, 0x40) if add_to_table else (4, 0x00)
    if isinstance(name, int):
        return _integer(name, prefix_bits, flags) + _string(value)
    return bytes([flags]) + _string(name) + _string(value)


def request_block(authority: str, path: str, method: str = "GET", extra: list[tuple[str, str]] | tuple = ()) -> bytes:
    """A request header block that leaves the decoder's dynamic table untouched (safe to repeat in any order)."""
    method_field = {"GET": indexed(STATIC_METHOD_GET), "POST": indexed(STATIC_METHOD_POST)}.get(method) \
        or literal(STATIC_METHOD_GET, method)  # the name of entry 2 is :method
    return (method_field + indexed(STATIC_SCHEME_HTTPS) + literal(STATIC_PATH, path)
            + literal(STATIC_AUTHORITY, authority) + b"".join(literal(name, value) for name, value in extra))
