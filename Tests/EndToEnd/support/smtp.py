"""SMTP servers for the `verify` tests, each bound to its own 127.0.0.N on a port they all share: `verify` takes one
`--smtp-port` for every MX host, and each MX host name resolves (support/dnsauth.py) to the address of one server.
Linux answers on all of 127.0.0.0/8 without configuring an address.

- `Postfix`: a real postfix (Debian `postfix`, installed by `make deps`) run from a directory of its own
  (config_directory, queue_directory, data_directory, its log in `maillog`), with one smtpd listener per
  `Listener`, each offering STARTTLS (`smtpd_tls_security_level = may`) with its own certificate chain. Several
  instances may run at once, each in its own directory.
- `StandInSMTP`: a server in Python for what postfix will not do: advertise no STARTTLS, speak only TLS 1.0, or
  accept a connection and never greet (a sender's timeout).

The `verify` tests never send mail: they say EHLO, STARTTLS, EHLO, QUIT.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time
import warnings

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
SESSION_TIMEOUT = 30.0  # a stand-in drops a client silent this long (a test's stuck client must not hold it forever)


@dataclasses.dataclass(frozen=True)
class Listener:
    """One smtpd: `address` (127.0.0.N) and the PEM files of its certificate: the key, and the chain (leaf first,
    then any intermediates; as postfix's `smtpd_tls_chain_files` takes them)."""

    address: str
    key_path: pathlib.Path
    chain_path: pathlib.Path


class Postfix:
    """`postfix -c <directory>/conf start` with one smtpd per listener on `<listener.address>:<port>`; `stop()`
    stops it and removes the directory.

    The directory is made here, under /tmp with mode 0755, not in pytest's tmp_path: postfix's daemons run as the
    user `postfix`, which cannot reach into root's 0700 pytest directories; and a short path keeps the UNIX socket
    paths under queue_directory within their 108 bytes.

    Why each listener is a `host:port` service in master.cf and `inet_interfaces` is 127.0.0.1: postfix refuses an
    `inet_interfaces` address that no network interface has ("no local interface found for 127.0.0.2"), while
    master binds a service's own host:port as it is.
    """

    def __init__(self, port: int, listeners: list[Listener] | tuple[Listener, ...], *, hostname: str = "mx.test"):
        if shutil.which("postfix") is None:
            raise RuntimeError("postfix not found: install it (make deps)")
        self.port = port
        self.listeners = tuple(listeners)
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="mta-sts-postfix-"))
        self.directory.chmod(0o755)
        self.config_dir = self.directory / "conf"
        self.queue_dir = self.directory / "queue"
        self.data_dir = self.directory / "data"
        self.maillog = self.directory / "maillog"
        for path in (self.config_dir, self.queue_dir, self.data_dir):
            path.mkdir(mode=0o755)
        shutil.chown(self.data_dir, "postfix", "postfix")  # master's lock and the TLS caches: postfix's own
        self._write_main_cf(hostname)
        self._write_master_cf()
        self.master_pid: int | None = None
        self.start()

    def _write_main_cf(self, hostname: str) -> None:
        settings = {
            "compatibility_level": "3.6",
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": hostname,
            "smtpd_banner": "$myhostname ESMTP",
            # Receives nothing: no local delivery, no aliases (Debian's /etc/aliases.db may not exist), no relay.
            "mydestination": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "relay_domains": "",
            # Every connection comes from 127.0.0.1: `verify` over 100 domains must not meet anvil's per-client limit.
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            # No syslog in a container: postfix's own log file (its directory must be allowed by the prefixes).
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.directory,
            "smtpd_tls_security_level": "may",
            "smtpd_tls_loglevel": "1",
        }
        text = "".join(f"{name} = {value}\n" for name, value in settings.items())
        (self.config_dir / "main.cf").write_text(text)

    def _write_master_cf(self) -> None:
        """The listeners, then Debian's default services without chroot (the temporary queue directory holds no
        copy of /etc, and none is needed: nothing is delivered)."""
        lines = []
        for index, listener in enumerate(self.listeners):
            # master.cf's `-o name=value` takes no spaces: the two files joined by a comma alone.
            files = f"{listener.key_path},{listener.chain_path}"
            lines.append(f"{listener.address}:{self.port} inet n - n - - smtpd "
                         f"-o syslog_name=postfix/listener{index} -o smtpd_tls_chain_files={files}")
        lines += [
            "pickup unix n - n 60 1 pickup",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "tlsmgr unix - - n 1000? 1 tlsmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        (self.config_dir / "master.cf").write_text("\n".join(lines) + "\n")

    def _postfix(self, command: str) -> subprocess.CompletedProcess:
        # postfix(1) reports a fatal error to syslog or the maillog file, not to stderr: callers add `log_tail`.
        return subprocess.run(["postfix", "-c", str(self.config_dir), command], capture_output=True, text=True,
                              timeout=START_TIMEOUT)

    def start(self) -> "Postfix":
        # `start` (not `start-fg`): master -w returns once master has initialised, or with its failure.
        result = self._postfix("start")
        if result.returncode != 0:
            raise RuntimeError(f"postfix -c {self.config_dir} start failed ({result.returncode}): "
                               f"{result.stdout}{result.stderr}\n{self.log_tail()}")
        self.master_pid = int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        deadline = time.monotonic() + START_TIMEOUT
        for listener in self.listeners:
            while not _accepts(listener.address, self.port):
                if time.monotonic() > deadline:
                    self.stop(remove=False)
                    raise RuntimeError(f"postfix does not accept on {listener.address}:{self.port}\n{self.log_tail()}")
                time.sleep(0.05)
        return self

    def stop(self, *, remove: bool = True) -> None:
        """`postfix stop` (master ends its children), then waits for master to be gone; SIGKILL to master's own
        process id if it is still there after STOP_TIMEOUT."""
        if self.master_pid is not None and _alive(self.master_pid):
            self._postfix("stop")
            deadline = time.monotonic() + STOP_TIMEOUT
            while _alive(self.master_pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(self.master_pid):
                os.kill(self.master_pid, signal.SIGKILL)
        self.master_pid = None
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)

    def is_running(self) -> bool:
        return self.master_pid is not None and _alive(self.master_pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            tail = self.maillog.read_text(errors="replace").splitlines()[-lines:]
        except FileNotFoundError:
            tail = ["(no maillog)"]
        return f"postfix {self.config_dir} maillog (tail):\n" + "\n".join(tail)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (master is re-parented when `postfix start` returns;
    whoever reaps it may do so a little later)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return True
    except OSError:
        return False


# The stand-in

class StandInSMTP:
    """An SMTP server in threads on `address:port` that greets, answers EHLO (advertising STARTTLS when
    `starttls`), and on STARTTLS hands the connection to `tls_context`; or, with `greet=False`, accepts and then
    says nothing at all. Start with the constructor, stop with `stop()`. Build one with the functions below."""

    def __init__(self, address: str, port: int, *, greet: bool = True, starttls: bool = True,
                 tls_context: ssl.SSLContext | None = None, hostname: str = "stand-in.test"):
        self.address = address
        self.port = port
        self.greet = greet
        self.starttls = starttls
        self.tls_context = tls_context
        self.hostname = hostname
        self.stopping = threading.Event()
        self.sessions: list[list[str]] = []
        """The commands of each session, in order (what the client said), for a test to look at."""
        self._server = _ThreadingServer((address, port), _SMTPHandler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"smtp-stand-in-{address}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # silent sessions look at it between their reads
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def server_context(chain_path: pathlib.Path, key_path: pathlib.Path, *, tls10_only: bool = False) -> ssl.SSLContext:
    """A server context with this certificate chain. `tls10_only`: TLS 1.0 and nothing else, which OpenSSL 3 only
    negotiates at security level 0 (its SHA-1 handshake signatures are refused above it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if tls10_only:
        with warnings.catch_warnings():  # Python deprecates TLS 1.0; making a server that offers it is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT@SECLEVEL=0")
    context.load_cert_chain(chain_path, key_path)
    return context


def no_starttls(address: str, port: int) -> StandInSMTP:
    """Greets and answers EHLO without STARTTLS; a STARTTLS anyway gets 502."""
    return StandInSMTP(address, port, starttls=False)


def tls10_only(address: str, port: int, chain_path: pathlib.Path, key_path: pathlib.Path) -> StandInSMTP:
    """Advertises STARTTLS and then speaks TLS 1.0 only, with a certificate that is otherwise right."""
    return StandInSMTP(address, port, tls_context=server_context(chain_path, key_path, tls10_only=True))


def silent(address: str, port: int) -> StandInSMTP:
    """Accepts TCP connections and never sends a byte: a client waiting for the 220 greeting times out."""
    return StandInSMTP(address, port, greet=False)


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, stand_in: StandInSMTP):
        self.stand_in = stand_in
        super().__init__(address, handler)


class _SMTPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        stand_in: StandInSMTP = self.server.stand_in
        commands: list[str] = []
        stand_in.sessions.append(commands)
        self.sock = self.request
        self.buffer = b""
        try:
            if not stand_in.greet:
                self._hold_silently(stand_in.stopping)
                return
            self.sock.settimeout(SESSION_TIMEOUT)
            self._send(f"220 {stand_in.hostname} ESMTP stand-in")
            in_tls = False
            while (line := self._read_line()) is not None:
                commands.append(line)
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    offer_tls = stand_in.starttls and not in_tls
                    self._send(f"250-{stand_in.hostname}", *(["250-STARTTLS"] if offer_tls else []), "250 8BITMIME")
                elif verb == "HELO":
                    self._send(f"250 {stand_in.hostname}")
                elif verb == "STARTTLS" and stand_in.starttls and not in_tls:
                    self._send("220 2.0.0 Ready to start TLS")
                    # Bytes the client pipelined after STARTTLS are dropped, as RFC 3207 section 4.2 says.
                    self.buffer = b""
                    self.sock = stand_in.tls_context.wrap_socket(self.sock, server_side=True)
                    in_tls = True
                elif verb == "QUIT":
                    self._send("221 2.0.0 Bye")
                    return
                elif verb in ("NOOP", "RSET"):
                    self._send("250 2.0.0 OK")
                else:
                    self._send("502 5.5.1 Command not implemented")
        except (OSError, ssl.SSLError):
            return  # the client went away, or its handshake failed (a TLS 1.2-only client meeting TLS 1.0)

    def _hold_silently(self, stopping: threading.Event) -> None:
        self.sock.settimeout(0.2)
        started = time.monotonic()
        while not stopping.is_set() and time.monotonic() - started < SESSION_TIMEOUT:
            try:
                if not self.sock.recv(4096):
                    return  # the client gave up and closed
            except socket.timeout:
                continue

    def _send(self, *lines: str) -> None:
        self.sock.sendall("".join(line + "\r\n" for line in lines).encode())

    def _read_line(self) -> str | None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("latin-1")
