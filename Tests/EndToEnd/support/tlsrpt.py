"""Posting TLS-RPT reports (RFC 8460 §5.4) the way senders do: curl (HTTP/1.1 or h2), the Python h2 library,
and raw HTTP/1.1 for the cases no well-behaved client produces. Plus the fixtures and a gzip bomb made on the fly."""
from __future__ import annotations

import gzip
import json
import pathlib
import socket
import ssl
import tempfile
import zlib

import h2.config
import h2.connection
import h2.events

from .http1 import client_context, tls_connect
from .tools import CurlResult, curl

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "tlsrpt"
REPORT_PATH = "/tlsrpt"
GZIP = "application/tlsrpt+gzip"
JSON = "application/tlsrpt+json"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict:
    return json.loads(fixture(name))


def report(report_id: str, domain: str = "b.test", organization: str = "Example Sender", *,
           successes: int = 10, failures: list[tuple[str, str, int]] = (), day: str = "2024-03-04",
           mode: str = "testing", policy_lines: list[str] | None = None) -> bytes:
    """A minimal valid report; `failures`: (result-type, receiving MX, sessions); `policy_lines`: the
    policy-string (default: a one-MX policy in `mode`)."""
    return json.dumps({
        "organization-name": organization,
        "date-range": {"start-datetime": f"{day}T00:00:00Z", "end-datetime": f"{day}T23:59:59Z"},
        "contact-info": "tlsrpt@sender.example",
        "report-id": report_id,
        "policies": [{
            "policy": {"policy-type": "sts", "policy-domain": domain, "mx-host": [f"mx1.{domain}"],
                       "policy-string": policy_lines or ["version: STSv1", f"mode: {mode}", f"mx: mx1.{domain}",
                                                         "max_age: 86400"]},
            "summary": {"total-successful-session-count": successes,
                        "total-failure-session-count": sum(count for _, _, count in failures)},
            "failure-details": [{"result-type": kind, "receiving-mx-hostname": mx, "failed-session-count": count}
                                for kind, mx, count in failures],
        }],
    }).encode()


def post_curl(port: int, host: str, ca_path: pathlib.Path, body: bytes, content_type: str | None = GZIP, *,
              http: str = "1.1", path: str = REPORT_PATH) -> CurlResult:
    with tempfile.NamedTemporaryFile() as upload:
        upload.write(body)
        upload.flush()
        args = ["-X", "POST", "--data-binary", f"@{upload.name}",
                "-H", f"Content-Type: {content_type}" if content_type else "Content-Type:"]
        return curl(port, host, ca_path, path, *args, http=http)


def post_h2(port: int, host: str, ca_path: pathlib.Path, body: bytes, content_type: str = GZIP,
            timeout: float = 10.0) -> tuple[int, bytes]:
    """One POST over h2 with the `h2` library (flow control honoured); returns (status, body)."""
    sock = tls_connect(port, host, ca_path, alpn=["h2"], timeout=timeout)
    try:
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        connection.initiate_connection()
        stream = connection.get_next_available_stream_id()
        connection.send_headers(stream, [(":method", "POST"), (":path", REPORT_PATH), (":scheme", "https"),
                                         (":authority", host), ("content-type", content_type),
                                         ("content-length", str(len(body)))])
        sock.sendall(connection.data_to_send())
        pending, status, answer, done = body, 0, b"", False
        while not done:
            while pending:
                window = min(connection.local_flow_control_window(stream), connection.max_outbound_frame_size)
                if window <= 0:
                    break
                chunk, pending = pending[:window], pending[window:]
                connection.send_data(stream, chunk, end_stream=not pending)
            sock.sendall(connection.data_to_send())
            data = sock.recv(65536)
            if not data:
                break
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived):
                    answer += event.data
                    connection.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    done = True
            sock.sendall(connection.data_to_send())
        return status, answer
    finally:
        sock.close()


def raw_post(port: int, host: str, ca_path: pathlib.Path, head_fields: dict[str, str], body: bytes = b"",
             timeout: float = 10.0) -> ssl.SSLSocket:
    """Sends a POST head with the given fields and `body` over HTTP/1.1; returns the socket (still open)."""
    sock = tls_connect(port, host, ca_path, alpn=["http/1.1"], timeout=timeout)
    head = f"POST {REPORT_PATH} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head_fields.items())
    sock.sendall(head.encode() + b"\r\n" + body)
    return sock


def read_response(sock: ssl.SSLSocket) -> bytes:
    """Everything the server sends until it closes."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, ssl.SSLError, TimeoutError, socket.timeout):
        pass
    return data


def gzip_bomb(inflated: int = 1 << 30) -> bytes:
    """`inflated` bytes of zeros, gzip-compressed a MiB at a time (never held whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [compressor.compress(zeros) for _ in range(inflated >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def gz(body: bytes) -> bytes:
    return gzip.compress(body)


def stored_files(directory: pathlib.Path) -> list[pathlib.Path]:
    """Report files (not the index, not temporary dot files)."""
    return sorted(path for path in directory.glob("*/*.json") if not path.name.startswith("."))
