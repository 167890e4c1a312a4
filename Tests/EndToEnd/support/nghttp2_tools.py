"""nghttp2's command-line clients: `nghttp` (one h2 client, frame by frame with -v) and `h2load` (load).

`nghttp` takes the SNI from the URI's host and has no --resolve: it runs in a private mount namespace
(`unshare -m`) where a temporary hosts file is bind-mounted over /etc/hosts; the real one is never touched.
It verifies the server against OpenSSL's default store, which SSL_CERT_FILE points at the test CA.
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
import shlex
import shutil
import subprocess
import tempfile

from .tools import CLIENT_TIMEOUT

CERTIFICATE_WARNING = "Certificate verification failed"


@dataclasses.dataclass
class ToolResult:
    argv: list[str]
    returncode: int
    output: str  # stdout and stderr, interleaved


def private_hosts_unavailable() -> str | None:
    """Why `nghttp_with_hosts` cannot run here (no nghttp or unshare, or no permission), else None."""
    for tool in ("nghttp", "unshare"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"],
                           capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    if probe.returncode != 0:
        return f"unshare -m with a bind mount is not permitted: {probe.stderr.strip()}"
    return None


def nghttp_with_hosts(hosts: dict[str, str], ca_path: pathlib.Path, *args: str) -> ToolResult:
    """`nghttp ARGS` with /etc/hosts replaced, in its own mount namespace, by `hosts` (name -> address)."""
    with tempfile.TemporaryDirectory() as scratch:
        hosts_file = pathlib.Path(scratch, "hosts")
        hosts_file.write_text("".join(f"{address} {name}\n" for name, address in hosts.items()))
        nghttp = shlex.join(["nghttp", *args])
        script = f"mount --bind {shlex.quote(str(hosts_file))} /etc/hosts && exec {nghttp}"
        argv = ["unshare", "-m", "sh", "-c", script]
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=CLIENT_TIMEOUT,
                                env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "SSL_CERT_FILE": str(ca_path)})
        return ToolResult(argv, result.returncode, result.stdout.decode("latin-1"))


@dataclasses.dataclass
class H2LoadResult(ToolResult):
    @property
    def application_protocol(self) -> str | None:
        match = re.search(r"^Application protocol: (\S+)$", self.output, re.M)
        return match[1] if match else None

    @property
    def requests(self) -> dict[str, int]:
        """The `requests:` line: {"total": 3000, "started": ..., "done": ..., "succeeded": ..., "failed": ...}."""
        line = re.search(r"^requests: (.*)$", self.output, re.M)
        assert line, self.output
        return {name: int(count) for count, name in re.findall(r"(\d+) (\w+)", line[1])}

    @property
    def status_codes(self) -> dict[str, int]:
        """The `status codes:` line: {"2xx": 3000, "3xx": 0, "4xx": 0, "5xx": 0}."""
        line = re.search(r"^status codes: (.*)$", self.output, re.M)
        assert line, self.output
        return {name: int(count) for count, name in re.findall(r"(\d+) (\dxx)", line[1])}


def h2load(port: int, url: str, *args: str) -> H2LoadResult:
    """`h2load ARGS --connect-to=127.0.0.1:PORT URL`: SNI and :authority from `url`, TCP to the server.
    h2load does not verify certificates."""
    argv = ["h2load", *args, f"--connect-to=127.0.0.1:{port}", url]
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=CLIENT_TIMEOUT * 4)
    return H2LoadResult(argv, result.returncode, result.stdout.decode("latin-1"))
