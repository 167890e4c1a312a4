"""Running the real `mta-sts-host serve` on port 0: start, wait for the ready file, read the port, stop."""
from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import time

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
_READY_LINE = re.compile(r"^(?P<host>\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")


def parse_ready_file(text: str) -> list[tuple[str, int]]:
    """`127.0.0.1:41234\\n[::1]:41235\\n` -> [("127.0.0.1", 41234), ("::1", 41235)]; raises on any other form."""
    if not text.endswith("\n"):
        raise ValueError(f"ready file does not end with a newline: {text!r}")
    addresses = []
    for line in text.splitlines():
        match = _READY_LINE.match(line)
        if not match or not 0 < int(match["port"]) < 65536:
            raise ValueError(f"ready file line is not host:port: {line!r}")
        addresses.append((match["host"].strip("[]"), int(match["port"])))
    return addresses


class ServerProcess:
    """One `mta-sts-host serve` process. Its stderr (the log) goes to `log_path`."""

    def __init__(self, binary: pathlib.Path, workdir: pathlib.Path, policies: pathlib.Path,
                 certs: pathlib.Path, extra_args: list[str] | tuple[str, ...] = (),
                 listen: str = "127.0.0.1:0"):
        workdir.mkdir(parents=True, exist_ok=True)
        self.ready_path = workdir / "ready"
        self.log_path = workdir / "stderr.log"
        self.state_dir = workdir / "state"  # --state-dir: status.json
        self.argv = [str(binary), "serve", "--listen", listen, "--policies", str(policies),
                     "--certs", str(certs), "--ready-file", str(self.ready_path), "--workers", "1",
                     "--state-dir", str(self.state_dir), "--allow-root",
                     *map(str, extra_args)]
        self.addresses: list[tuple[str, int]] = []
        self.ready_text = ""
        with open(self.log_path, "wb") as log, open(workdir / "stdout.log", "wb") as out:
            self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=log,
                                            start_new_session=True)

    @property
    def host(self) -> str:
        return self.addresses[0][0]

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    def wait_ready(self, timeout: float = READY_TIMEOUT, interval: float = 0.02) -> "ServerProcess":
        """Waits until the ready file holds complete lines, looking every `interval` seconds (0: without pause,
        to act the moment it appears); fails early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode} before it was ready\n"
                                     f"argv: {self.argv}\n{self.log_tail()}")
            try:
                text = self.ready_path.read_text()
            except FileNotFoundError:
                text = ""
            if text.endswith("\n"):
                self.ready_text = text
                self.addresses = parse_ready_file(text)
                return self
            time.sleep(interval)
        self.stop()
        raise AssertionError(f"server did not write {self.ready_path} within {timeout} s\n"
                             f"argv: {self.argv}\n{self.log_tail()}")

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return "server stderr (tail):\n" + "\n".join(tail)

    def wait_for_log(self, needle: str, timeout: float = 5.0) -> bool:
        """True once `needle` appears in the log (logs may be flushed a little after the event)."""
        deadline = time.monotonic() + timeout
        while True:
            if needle in self.log_text():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def log_records(self) -> list[dict]:
        """The log as objects, for a server started with `--log-format json` (one object per line)."""
        complete = self.log_text().rpartition("\n")[0]  # a line still being written is left for later
        return [json.loads(line) for line in complete.splitlines() if line.startswith("{")]

    def send_signal(self, signum: int) -> None:
        """Signals the server process alone (`stop` signals its whole process group)."""
        self.process.send_signal(signum)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; returns the exit status (None if it could not be reaped)."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                try:
                    self.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    return None
        return self.process.returncode

    def _signal(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)  # its own session: children, if any, go too
        except ProcessLookupError:
            pass


def serve_usage_error(binary: pathlib.Path, tmp_path: pathlib.Path, *flags: str) -> str:
    """Runs `serve` with `flags` on empty directories, expecting a usage error (exit 64) before anything starts
    (no state directory made); returns its stderr."""
    result = subprocess.run([str(binary), "serve", "--policies", str(tmp_path), "--certs", str(tmp_path),
                             "--state-dir", str(tmp_path / "state"), "--allow-root", *flags],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 64, result
    assert not (tmp_path / "state").exists()
    return result.stderr
