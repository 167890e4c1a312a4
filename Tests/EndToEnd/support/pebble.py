"""Let's Encrypt's ACME test server for the ACME tests: `pebble` with `pebble-challtestsrv` as its DNS (and as the
server's `--resolver`), both from Debian's `pebble` package, on free loopback ports.

Pebble validates TLS-ALPN-01 by connecting to `tlsPort` on the address its DNS gives for the name: the tests set
`tlsPort` to the server's own port and give each `mta-sts.<domain>` an A record (127.0.0.1) with `add_a`.
"""
from __future__ import annotations

import json
import os
import pathlib
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

from . import pki

START_TIMEOUT = 15.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Pebble:
    """`pebble` and `pebble-challtestsrv`, stopped by `stop`. `validity`: certificateValidityPeriod in seconds."""

    def __init__(self, directory: pathlib.Path, ca: pki.CertificateAuthority, tls_port: int, *,
                 validity: int | None = None, nonce_reject: int | None = None):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.ca = ca
        self.tls_port = tls_port
        self.dns_port = free_port(socket.SOCK_DGRAM)
        self.challenge_management_port = free_port()
        self.port = free_port()
        self.management_port = free_port()
        leaf = ca.issue("pebble-localhost", ["localhost"], days=7)
        (directory / "cert.pem").write_bytes(leaf.cert_pem)
        (directory / "key.pem").write_bytes(leaf.key_pem)
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.management_port}",
            "certificate": str(directory / "cert.pem"), "privateKey": str(directory / "key.pem"),
            "httpPort": free_port(), "tlsPort": tls_port, "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}
        if validity is not None:
            config["pebble"]["certificateValidityPeriod"] = validity
        (directory / "pebble.json").write_text(json.dumps(config))
        self.dns = subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", "", "-defaultIPv6", "", "-dns01", f"127.0.0.1:{self.dns_port}",
             "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", f"127.0.0.1:{self.challenge_management_port}"],
            stdout=open(directory / "challtestsrv.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        self.process: subprocess.Popen | None = None
        self._nonce_reject = nonce_reject
        self.start()
        self._wait(lambda: self._challenge_post("/clear-txt", {"host": "nothing.test."}), "pebble-challtestsrv")

    @property
    def directory_url(self) -> str:
        return f"https://localhost:{self.port}/dir"

    @property
    def resolver(self) -> str:
        return f"127.0.0.1:{self.dns_port}"

    def server_flags(self) -> list[str]:
        """The `serve` flags that point the server at this pebble."""
        return ["--acme-directory", self.directory_url, "--acme-trust", str(self.ca.cert_path),
                "--resolver", self.resolver]

    def start(self) -> None:
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        if self._nonce_reject is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = str(self._nonce_reject)
        self.process = subprocess.Popen(
            ["pebble", "-config", str(self.directory / "pebble.json"), "-dnsserver", self.resolver],
            stdout=open(self.directory / "pebble.log", "ab"), stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        self._wait(lambda: self._get(self.directory_url), "pebble")

    def stop_pebble(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)

    def stop(self) -> None:
        self.stop_pebble()
        if self.dns.poll() is None:
            self.dns.terminate()
            self.dns.wait(5)

    def add_a(self, host: str, address: str = "127.0.0.1") -> None:
        assert self._challenge_post("/add-a", {"host": host + ".", "addresses": [address]})

    def clear_a(self, host: str) -> None:
        assert self._challenge_post("/clear-a", {"host": host + "."})

    def root_pem(self) -> bytes:
        """The root pebble made for this run (its issuing chain ends there): what a sender would trust."""
        return self._get(f"https://localhost:{self.management_port}/roots/0")

    def log(self) -> str:
        return (self.directory / "pebble.log").read_text(errors="replace")

    def orders_created(self) -> int:
        """New orders pebble accepted, counted from its log (one `Added order` line each; its "There are now N"
        lines also count accounts and authorizations)."""
        return self.log().count("Added order")

    def accounts_created(self) -> int:
        """Accounts pebble registered: a known key asking again gets its account back without a new line."""
        return self.log().count(" accounts in memory")

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.cert_path))

    def _get(self, url: str) -> bytes:
        with urllib.request.urlopen(url, context=self._context(), timeout=5) as answer:
            return answer.read()

    def _challenge_post(self, path: str, body: dict) -> bool:
        request = urllib.request.Request(f"http://127.0.0.1:{self.challenge_management_port}{path}",
                                         data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status == 200

    def _wait(self, probe, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                probe()
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{what} did not start within {START_TIMEOUT} s\n{self.log()[-3000:]}")
                time.sleep(0.1)
