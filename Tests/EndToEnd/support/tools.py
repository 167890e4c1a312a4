"""The real clients: `curl` (HTTP/1.1 or HTTP/2 over TLS) and `openssl s_client`, plus certificate inspection."""
from __future__ import annotations

import dataclasses
import pathlib
import re
import subprocess
import tempfile

from .pki import openssl
from .worlds import POLICY_PATH

CLIENT_TIMEOUT = 15  # seconds; the clients' own limits are shorter, this only bounds a hung process
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----\r?\n?", re.S)


@dataclasses.dataclass
class CurlResult:
    status: int
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes
    stderr: str
    http_version: str = ""  # as curl's %{http_version}: "1.1", "2"

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        assert len(values) <= 1, f"header {name} appears {len(values)} times: {values}"
        return values[0] if values else None


def curl(port: int, host: str, ca_path: pathlib.Path, path: str = POLICY_PATH, *args: str,
         http: str = "1.1") -> CurlResult:
    """`curl --http1.1` (`http="2"`: `--http2`, h2 offered by ALPN) to https://host:port/path with `host`
    resolved to 127.0.0.1 (so SNI = host)."""
    with tempfile.TemporaryDirectory() as scratch:
        header_file, body_file = pathlib.Path(scratch, "headers"), pathlib.Path(scratch, "body")
        argv = ["curl", f"--http{http}", "-sS", "--max-time", "10", "--resolve", f"{host}:{port}:127.0.0.1",
                "--cacert", str(ca_path), "-D", str(header_file), "-o", str(body_file),
                "-w", "%{http_code} %{http_version}", *args, f"https://{host}:{port}{path}"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
        assert result.returncode == 0, f"{argv} failed ({result.returncode}): {result.stderr}"
        blocks = header_file.read_bytes().decode("latin-1").split("\r\n\r\n")
        final = [block for block in blocks if block.strip()][-1]  # after any 1xx interim responses
        status_line, *lines = final.split("\r\n")
        headers = [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]
        body = body_file.read_bytes() if body_file.exists() else b""
        status, version = result.stdout.split()
        return CurlResult(int(status), status_line, headers, body, result.stderr, version)


@dataclasses.dataclass
class SClientResult:
    returncode: int
    output: str  # stdout and stderr, interleaved as openssl wrote them
    certificates: list[bytes]  # PEM, leaf first (`-showcerts`)

    @property
    def handshake_completed(self) -> bool:
        return bool(re.search(r"^New, TLSv1\.[0-3], Cipher is ", self.output, re.M))

    @property
    def protocol(self) -> str | None:
        match = re.search(r"^New, (TLSv1\.[0-3]), Cipher is ", self.output, re.M)
        return match[1] if match else None

    @property
    def alpn(self) -> str | None:
        match = re.search(r"^ALPN protocol: (\S+)$", self.output, re.M)
        return match[1] if match else None

    @property
    def verified(self) -> bool:
        return "Verify return code: 0 (ok)" in self.output

    @property
    def leaf(self) -> "CertificateInfo":
        assert self.certificates, f"no certificate in the s_client output:\n{self.output}"
        return describe_certificate(self.certificates[0])


def s_client(port: int, servername: str | None, ca_path: pathlib.Path, *args: str,
             send: bytes | None = None) -> SClientResult:
    """`openssl s_client -showcerts` to 127.0.0.1:port with SNI `servername` (None: `-noservername`).

    With `send`, those bytes are written after the handshake and s_client reads until the server closes
    (`-ign_eof`; the request should say `Connection: close`); else stdin is /dev/null."""
    sni = ["-servername", servername] if servername is not None else ["-noservername"]
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *sni, "-CAfile", str(ca_path),
            "-showcerts", *(["-ign_eof"] if send is not None else []), *args]
    result = subprocess.run(argv, input=send if send is not None else b"", stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=CLIENT_TIMEOUT)
    return SClientResult(result.returncode, result.stdout.decode("latin-1"), _PEM.findall(result.stdout))


@dataclasses.dataclass
class CertificateInfo:
    subject: str  # RFC 2253, e.g. "CN=mta-sts.a.test,OU=a-certbot-ec,O=mta-sts-host e2e"
    dns_names: list[str]
    key_algorithm: str  # "id-ecPublicKey" or "rsaEncryption"
    key_bits: int

    @property
    def organizational_unit(self) -> str | None:
        match = re.search(r"(?:^|,)OU=([^,]+)", self.subject)
        return match[1] if match else None

    @property
    def key_type(self) -> str:
        return {"id-ecPublicKey": "ec", "rsaEncryption": "rsa"}.get(self.key_algorithm, self.key_algorithm)


def describe_certificate(pem: bytes) -> CertificateInfo:
    with tempfile.NamedTemporaryFile(suffix=".pem") as file:
        file.write(pem)
        file.flush()
        text = openssl("x509", "-in", file.name, "-noout", "-nameopt", "RFC2253", "-text")
    subject = re.search(r"^\s*Subject: (.*)$", text, re.M)[1].strip()
    san = re.search(r"X509v3 Subject Alternative Name:.*?\n\s*(.*)\n", text)
    dns_names = [entry.strip()[4:] for entry in san[1].split(",") if entry.strip().startswith("DNS:")] if san else []
    algorithm = re.search(r"Public Key Algorithm: (\S+)", text)[1]
    bits = int(re.search(r"Public-Key: \((\d+) bit\)", text)[1])
    return CertificateInfo(subject, dns_names, algorithm, bits)
