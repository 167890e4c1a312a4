"""A policy host that is wrong on purpose, for the `verify` tests: an HTTPS server in Python threads on its own
127.0.0.N, on the same port as the project's server (on 127.0.0.1), answering every request with one fixed
`Response` and presenting a given certificate chain.

Why not the project's server: it is right by design. It never redirects, and it refuses to serve a certificate that
is expired or whose chain it finds incomplete; senders (and `verify`) must still be tested against hosts that do.
`mta-sts.<domain>` resolves (support/dnsauth.py) to the stand-in's address.
"""
from __future__ import annotations

import dataclasses
import http.server
import pathlib
import socketserver
import ssl
import sys
import threading

HANDSHAKE_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @classmethod
    def redirect(cls, status: int, location: str) -> "Response":
        return cls(status, (("Location", location), ("Content-Type", "text/html")),
                   b"<a href=\"%s\">moved</a>\n" % location.encode())

    @classmethod
    def policy(cls, body: bytes, content_type: str = "text/plain") -> "Response":
        return cls(200, (("Content-Type", content_type),), body)


class HTTPSStandIn:
    """Serves `response` over HTTPS (HTTP/1.1, TLS 1.2 or later) on `address:port` with the certificates in
    `chain_path` (leaf first, then what the test wants sent: an intermediate, or nothing) and `key_path`. Start
    with the constructor, stop with `stop()`. `requests` records (Host, path) of each request."""

    def __init__(self, address: str, port: int, chain_path: pathlib.Path, key_path: pathlib.Path,
                 response: Response):
        self.address = address
        self.port = port
        self.response = response
        self.requests: list[tuple[str | None, str]] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.set_alpn_protocols(["http/1.1"])
        self.context.load_cert_chain(chain_path, key_path)
        self._server = _Server((address, port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"https-stand-in-{address}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, stand_in: HTTPSStandIn):
        self.stand_in = stand_in
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], OSError):  # ssl.SSLError too: a client that refused the certificate
            return  # is what several tests expect, not an error of the stand-in
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stand-in"

    def setup(self):
        # The TLS handshake happens here, in the connection's own thread: done in accept() instead, one client
        # that never finishes its handshake would stall every other.
        self.request.settimeout(HANDSHAKE_TIMEOUT)
        self.request = self.server.stand_in.context.wrap_socket(self.request, server_side=True)
        super().setup()

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        stand_in: HTTPSStandIn = self.server.stand_in
        stand_in.requests.append((self.headers.get("Host"), self.path))
        response = stand_in.response
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)
        self.close_connection = True

    def log_message(self, format, *args):
        pass  # pytest would show it as noise; `requests` keeps what matters
