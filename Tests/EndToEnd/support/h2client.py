"""A raw HTTP/2 client over Python `ssl`: exact frames out (support/h2frames.py), frames in, parsed and kept.

It does only what a test asks: no flow control, no automatic replies except the SETTINGS ACK in `handshake`.
Response header blocks are decoded with `hpack` (installed with `h2`) in the order they arrive, so the dynamic
table stays in step with the server's encoder. Every read has a deadline; a closed connection is `None`, not an
exception.
"""
from __future__ import annotations

import dataclasses
import pathlib
import socket
import ssl
import time

import hpack

from . import h2frames as f
from .http1 import CLOSED_ERRORS, TIMEOUT, SocketClient, client_context, tcp_connect

PADDED, PRIORITY_FLAG = 0x8, 0x20


@dataclasses.dataclass
class H2Response:
    stream_id: int
    status: int
    headers: list[tuple[str, str]]  # without :status
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        assert len(values) <= 1, f"header {name} appears {len(values)} times: {values}"
        return values[0] if values else None


class StreamReset(Exception):
    def __init__(self, frame: f.Frame):
        super().__init__(f"stream {frame.stream_id} reset: {frame!r}")
        self.frame = frame


class H2Connection(SocketClient):
    """One TLS connection that negotiated h2 by ALPN. `frames` holds every frame received, in order."""

    def __init__(self, sock: ssl.SSLSocket):
        assert sock.selected_alpn_protocol() == "h2", f"ALPN selected {sock.selected_alpn_protocol()!r}, not h2"
        super().__init__(sock)
        self.buffer = b""
        self.frames: list[f.Frame] = []
        self.closed = False
        self.decoder = hpack.Decoder()
        self._open_block: tuple[f.Frame, bytes] | None = None  # HEADERS waiting for CONTINUATIONs, its fragment

    @classmethod
    def open(cls, port: int, host: str, ca_path: pathlib.Path | None, *, timeout: float = TIMEOUT,
             receive_buffer: int | None = None) -> "H2Connection":
        """Connects to 127.0.0.1:port with SNI `host`, offering only h2. With `receive_buffer`, SO_RCVBUF is set
        before connecting (so the advertised TCP window stays small)."""
        if receive_buffer is None:
            raw = tcp_connect(port, timeout=timeout)
        else:
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            raw.settimeout(timeout)
            raw.connect(("127.0.0.1", port))
        try:
            return cls(client_context(ca_path, alpn=["h2"]).wrap_socket(raw, server_hostname=host))
        except BaseException:
            raw.close()
            raise

    @property
    def local_port(self) -> int:
        return self.sock.getsockname()[1]

    # sending

    def send(self, data: bytes) -> bool:
        """Sends `data`; False if the server had closed the connection meanwhile."""
        return self.send_tolerating_close(data)

    def handshake(self, settings: dict[int, int] | None = None) -> f.Frame:
        """Preface and our SETTINGS; waits for the server's SETTINGS, acknowledges it and returns it."""
        assert self.send(f.PREFACE + f.settings(settings)), "closed before the preface was sent"
        server_settings = self.read_until(lambda frame: frame.type == f.SETTINGS and not frame.has(f.ACK))
        assert server_settings is not None, f"closed before the server's SETTINGS; got {self.frames}"
        assert self.send(f.settings(ack=True))
        return server_settings

    def request(self, stream_id: int, authority: str, path: str, method: str = "GET", **options) -> bool:
        return self.send(f.headers(stream_id, f.request_block(authority, path, method), **options))

    def flood(self, data: bytes, *, chunk: int = 16384, stop_at_goaway: bool = True) -> int:
        """Sends `data` in chunks, reading what the server has sent after each one (so that its replies never
        fill the buffers both ways). Stops early at the server's close, or its GOAWAY; returns the bytes sent."""
        sent = 0
        while sent < len(data):
            if self.closed or (stop_at_goaway and self.goaway() is not None):
                break
            if not self.send(data[sent:sent + chunk]):
                break
            sent += min(chunk, len(data) - sent)
            self.read_available()
        return sent

    def send_until_blocked(self, pieces, stall: float = 1.0) -> tuple[int, bool]:
        """Sends each of `pieces` (an iterable of bytes) without reading anything, until one cannot be written
        for `stall` seconds. Returns (pieces written completely, whether sending stalled). A stalled connection
        is left unusable for sending (a record may be half written)."""
        self.sock.settimeout(stall)
        written = 0
        try:
            for piece in pieces:
                self.sock.sendall(piece)
                written += 1
        except (TimeoutError, socket.timeout):
            return written, True
        except CLOSED_ERRORS:
            self.closed = True
        return written, False

    # receiving

    def _fill(self, timeout: float) -> bool:
        """Reads more bytes; False at EOF or reset. Raises TimeoutError after `timeout`."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, socket.timeout):
            raise TimeoutError(f"no frame within {timeout:.1f} s; frames so far: {self.frames[-8:]}") from None
        except CLOSED_ERRORS:
            chunk = b""
        except ssl.SSLError as error:  # a truncated record or an alert from a closing server
            if not any(word in (error.reason or "") for word in ("ALERT", "EOF")):
                raise
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        return True

    def next_frame(self, timeout: float = TIMEOUT) -> f.Frame | None:
        """The next frame (header blocks decoded); None once the server has closed the connection."""
        deadline = time.monotonic() + timeout
        while True:
            frame, self.buffer = f.parse(self.buffer)
            if frame is not None:
                self._decode(frame)
                self.frames.append(frame)
                return frame
            if self.closed or not self._fill(deadline - time.monotonic()):
                return None

    def read_until(self, predicate, timeout: float = TIMEOUT) -> f.Frame | None:
        """Reads until a frame satisfies `predicate` and returns it; None if the server closes first.
        Raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next_frame(deadline - time.monotonic())
            if frame is None or predicate(frame):
                return frame

    def read_available(self) -> None:
        """Reads the frames that have already arrived, without waiting."""
        try:
            while not self.closed and self.next_frame(0.001) is not None:
                pass
        except TimeoutError:
            pass

    def read_until_closed(self, timeout: float = TIMEOUT) -> bool:
        """Reads every frame until the server closes; False if it is still open after `timeout`."""
        try:
            self.read_until(lambda frame: False, timeout)
        except TimeoutError:
            return False
        return True

    def goaway(self) -> f.Frame | None:
        """The first GOAWAY received so far."""
        return next((frame for frame in self.frames if frame.type == f.GOAWAY), None)

    def wait_for_goaway(self, timeout: float = TIMEOUT) -> f.Frame | None:
        """The server's GOAWAY (read until it arrives); None if it closed without one."""
        return self.goaway() or self.read_until(lambda frame: frame.type == f.GOAWAY, timeout)

    def frames_of(self, frame_type: int, stream_id: int | None = None) -> list[f.Frame]:
        return [frame for frame in self.frames
                if frame.type == frame_type and (stream_id is None or frame.stream_id == stream_id)]

    def response(self, stream_id: int, timeout: float = TIMEOUT) -> H2Response:
        """Reads until `stream_id` ends; raises StreamReset for its RST_STREAM, AssertionError if the connection
        closes first. Frames that arrived before are taken into account."""
        def finished(frame: f.Frame) -> bool:
            return frame.stream_id == stream_id and (frame.type == f.RST_STREAM or frame.has(f.END_STREAM)
                                                     and frame.type in (f.DATA, f.HEADERS))
        if not any(finished(frame) for frame in self.frames):
            ended = self.read_until(finished, timeout)
            assert ended is not None, f"closed before stream {stream_id} ended; frames: {self.frames[-8:]}"
        return self.collected_response(stream_id)

    def collected_response(self, stream_id: int) -> H2Response:
        """The response on `stream_id` from the frames received so far (it must have ended)."""
        on_stream = [frame for frame in self.frames if frame.stream_id == stream_id]
        for frame in on_stream:
            if frame.type == f.RST_STREAM:
                raise StreamReset(frame)
        blocks = [frame.headers for frame in on_stream if frame.type == f.HEADERS]
        assert blocks, f"no HEADERS on stream {stream_id}: {on_stream}"
        fields = blocks[0]
        assert fields[0][0] == ":status", fields
        body = b"".join(_unpadded(frame) for frame in on_stream if frame.type == f.DATA)
        return H2Response(stream_id, int(fields[0][1]), fields[1:], body)

    def _decode(self, frame: f.Frame) -> None:
        if frame.type == f.HEADERS:
            frame.headers = []
            if frame.has(f.END_HEADERS):
                frame.headers = self._decode_block(_header_fragment(frame))
            else:
                self._open_block = (frame, _header_fragment(frame))
        elif frame.type == f.CONTINUATION and self._open_block is not None:
            headers_frame, fragment = self._open_block
            self._open_block = (headers_frame, fragment + frame.payload)
            if frame.has(f.END_HEADERS):
                headers_frame.headers = self._decode_block(fragment + frame.payload)
                self._open_block = None

    def _decode_block(self, block: bytes) -> list[tuple[str, str]]:
        return [(str(name), str(value)) for name, value in self.decoder.decode(block, raw=False)]


def _unpadded(frame: f.Frame) -> bytes:
    if not frame.has(PADDED):
        return frame.payload
    return frame.payload[1:len(frame.payload) - frame.payload[0]]


def _header_fragment(frame: f.Frame) -> bytes:
    payload = _unpadded(frame)
    return payload[5:] if frame.has(PRIORITY_FLAG) else payload
