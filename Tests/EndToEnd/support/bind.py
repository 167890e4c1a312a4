"""A real authoritative DNS server for the `--dns-update` tests: BIND's `named -g` (Debian `bind9`, installed by
`make deps`) on a free loopback port, in a temporary directory, primary for one zone that accepts RFC 2136 updates
signed with a TSIG key from `tsig-keygen`. `dig` (bind9-dnsutils) reads what it serves."""
from __future__ import annotations

import pathlib
import shutil
import socket
import subprocess
import time

from .pebble import free_port

START_TIMEOUT = 15.0
KEY_NAME = "mta-sts-host"


def free_port_both() -> int:
    """A port free for both TCP and UDP (named listens on both)."""
    while True:
        port = free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def tsig_keygen(name: str = KEY_NAME) -> str:
    """A `key "name" { ... };` statement, as an operator makes it."""
    return subprocess.run(["tsig-keygen", "-a", "hmac-sha256", name], check=True, capture_output=True,
                          text=True).stdout


class Bind:
    """`named -g` primary for `zone`; `records` are zone-file lines added to it. Stopped by `stop`; `start`
    again serves the zone as updated (the journal is kept)."""

    def __init__(self, directory: pathlib.Path, zone: str = "test", records: list[str] | tuple = ()):
        if shutil.which("named") is None:
            raise RuntimeError("named not found: install bind9 (make deps)")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.zone = zone
        self.port = free_port_both()
        self.key_text = tsig_keygen()
        self.key_path = directory / "update.key"
        self.key_path.write_text(self.key_text)
        self.key_path.chmod(0o600)
        zone_lines = [
            "$TTL 300",
            f"@ IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 60",
            f"@ IN NS ns.{zone}.",
            "ns IN A 127.0.0.1",
            *records,
        ]
        (directory / "zone.db").write_text("\n".join(zone_lines) + "\n")
        (directory / "named.conf").write_text(f"""
include "{self.key_path}";
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer {{ 127.0.0.1; }};
}};
controls {{ }};
logging {{ category default {{ default_stderr; }}; category update {{ default_stderr; }}; }};
zone "{zone}" {{
    type primary;
    file "{directory}/zone.db";
    update-policy {{ grant {KEY_NAME} zonesub TXT; }};
}};
""")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> "Bind":
        self.log = open(self.directory / "named.log", "ab")
        self.process = subprocess.Popen(["named", "-g", "-c", str(self.directory / "named.conf")],
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while self.soa_serial() is None:
            assert self.process.poll() is None, f"named exited\n{self.log_tail()}"
            assert time.monotonic() < deadline, f"named did not answer within {START_TIMEOUT} s\n{self.log_tail()}"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join((self.directory / "named.log").read_text(errors="replace").splitlines()[-lines:])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def dig(self, *args: str) -> str:
        return subprocess.run(["dig", "@127.0.0.1", "-p", str(self.port), "+time=1", "+tries=1", *args],
                              capture_output=True, text=True, timeout=10).stdout

    def soa_serial(self) -> int | None:
        for line in self.dig("+short", "SOA", self.zone).splitlines():
            fields = line.split()
            if len(fields) == 7 and fields[2].isdigit():
                return int(fields[2])
        return None

    def txt(self, name: str) -> list[str]:
        """The TXT records at `name`, each one's strings joined."""
        records = []
        for line in self.dig("+short", "TXT", name).splitlines():
            if line.startswith('"'):
                records.append("".join(part for part in line.split('"')[1::2]))
        return sorted(records)

    def sts_ids(self) -> dict[str, str]:
        """Every `_mta-sts.<domain>` TXT of the zone, by a zone transfer: domain -> id."""
        ids = {}
        for line in self.dig("+noall", "+answer", "AXFR", self.zone).splitlines():
            fields = line.split(None, 4)
            if len(fields) == 5 and fields[3] == "TXT" and fields[0].startswith("_mta-sts."):
                text = "".join(fields[4].split('"')[1::2])
                if text.startswith("v=STSv1; id="):
                    ids[fields[0].removeprefix("_mta-sts.").rstrip(".")] = text.removeprefix("v=STSv1; id=")
        return ids
