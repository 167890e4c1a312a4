"""Fixtures for the end-to-end tests. Shared: `binary`. For `serve`: the test PKI, the standard world,
a session-wide server and a factory for servers with other flags (each killed in a finalizer)."""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import time

import pytest

from support import pki, worlds
from support.server import ServerProcess

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line("markers", "long: a minute-scale test (hostile traffic, ACME back-off); `make test` skips these, "
                                       "`make test-long` runs only them")


@pytest.fixture(scope="session")
def binary() -> pathlib.Path:
    """The `mta-sts-host` executable: $MTA_STS_HOST_BIN, else <repo>/.build/debug/mta-sts-host."""
    path = pathlib.Path(os.environ.get("MTA_STS_HOST_BIN", REPO_ROOT / ".build" / "debug" / "mta-sts-host"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"no executable at {path}: run `swift build` or set MTA_STS_HOST_BIN")
    return path


@pytest.fixture(scope="session")
def ca(tmp_path_factory) -> pki.CertificateAuthority:
    return pki.CertificateAuthority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session", autouse=True)
def trust_the_test_root(ca):
    """Every process the tests start finds the test root in OpenSSL's default store (SSL_CERT_FILE), as a
    public root would be: the server then sees a leaf it signs directly as a complete chain, and only a leaf
    whose intermediate is missing as incomplete."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(ca.cert_path))
        yield ca.cert_path


@pytest.fixture(scope="session")
def world(tmp_path_factory, ca) -> worlds.World:
    """The standard policies and certificates (see support/worlds.py)."""
    return worlds.build_standard_world(tmp_path_factory.mktemp("world"), ca)


@pytest.fixture(scope="session")
def scale_world(tmp_path_factory, ca) -> worlds.World:
    """1,000 policies, 4 certificates with 250 SANs each, and a mismatched pair."""
    return worlds.build_scale_world(tmp_path_factory.mktemp("scale"), ca)


class ServerLauncher:
    """Starts servers in numbered work directories and stops all of them in `stop_all`."""

    def __init__(self, binary: pathlib.Path, workdir: pathlib.Path):
        self.binary = binary
        self.workdir = workdir
        self.servers: list[ServerProcess] = []

    def __call__(self, world: worlds.World, *extra_args: str, listen: str = "127.0.0.1:0",
                 nofile: int | None = None) -> ServerProcess:
        """`nofile`: the server's RLIMIT_NOFILE (soft and hard), else it inherits the test process's limits."""
        workdir = self.workdir / f"server-{len(self.servers)}"
        binary = self.binary if nofile is None else self._with_nofile(workdir, nofile)
        server = ServerProcess(binary, workdir, world.policies_dir, world.certs_dir, extra_args, listen=listen)
        self.servers.append(server)
        return server.wait_ready()

    def _with_nofile(self, workdir: pathlib.Path, nofile: int) -> pathlib.Path:
        """A script that execs the binary under `prlimit --nofile`: the server keeps the script's process id."""
        workdir.mkdir(parents=True, exist_ok=True)
        script = workdir / "mta-sts-host-nofile"
        script.write_text(f'#!/bin/sh\nexec prlimit --nofile={nofile}:{nofile} -- "{self.binary}" "$@"\n')
        script.chmod(0o755)
        return script

    def stop_all(self) -> list[ServerProcess]:
        """Stops every server; returns those that had exited on their own before (crashed)."""
        crashed = [server for server in self.servers if not server.is_running()]
        for server in self.servers:
            server.stop()
        return crashed


def _launcher(binary, directory, finalizer_owner) -> ServerLauncher:
    launcher = ServerLauncher(binary, directory)
    finalizer_owner.addfinalizer(launcher.stop_all)
    return launcher


@pytest.fixture(scope="session")
def session_launcher(binary, tmp_path_factory, request) -> ServerLauncher:
    return _launcher(binary, tmp_path_factory.mktemp("servers"), request)


@pytest.fixture
def start_server(binary, tmp_path, request) -> ServerLauncher:
    """`start_server(world, *flags)` -> a ready ServerProcess, stopped when the test ends."""
    return _launcher(binary, tmp_path, request)


class UnprivilegedLauncher(ServerLauncher):
    """A ServerLauncher whose servers are started as root with `--user nobody` (they drop to it once bound)."""

    def __call__(self, world: worlds.World, *extra_args: str, **options) -> ServerProcess:
        server = super().__call__(world, "--user", "nobody", *extra_args, **options)
        # The ready file may come just before the drop: wait for it, so that the test acts on an unprivileged server.
        deadline = time.monotonic() + 5
        while _uids(server.process.pid) != {"65534"}:
            assert server.is_running() and time.monotonic() < deadline, \
                f"the server did not drop to nobody within 5 s\n{server.log_tail()}"
            time.sleep(0.01)
        return server


def _uids(pid: int) -> set[str]:
    """The real, effective, saved and filesystem uids of a process."""
    with open(f"/proc/{pid}/status") as status:
        return next(set(line.split()[1:]) for line in status if line.startswith("Uid:"))


@pytest.fixture
def open_tmp_path() -> pathlib.Path:
    """A fresh directory (mode 0755) that the user nobody can reach, unlike tmp_path (root's, mode 0700): for
    the world and state directory of a server that drops to nobody and reads or writes them afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start a server that drops to nobody")
    path = pathlib.Path(tempfile.mkdtemp(prefix="mta-sts-host-e2e-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_server_as_nobody(binary, open_tmp_path, request) -> UnprivilegedLauncher:
    """`start_server_as_nobody(world, *flags)`: like `start_server`, with `--user nobody` and the server's work
    and state directories in `open_tmp_path`."""
    launcher = UnprivilegedLauncher(binary, open_tmp_path / "servers")
    request.addfinalizer(launcher.stop_all)
    return launcher


@pytest.fixture(scope="session")
def server(session_launcher, world) -> ServerProcess:
    """The server most tests share: the standard world, default flags, no --default-host."""
    running = session_launcher(world, "--log-level", "info", "--log-format", "text")
    yield running
    assert running.is_running(), f"the shared server died during the session\n{running.log_tail()}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Appends the log tail of the servers a failing test used to its report."""
    report = yield
    if report.failed:
        used = {}
        for value in getattr(item, "funcargs", {}).values():
            for running in value.servers if isinstance(value, ServerLauncher) else [value]:
                if isinstance(running, ServerProcess):
                    used[id(running)] = running
        for running in used.values():
            report.sections.append((f"server {' '.join(running.argv[1:])}", running.log_tail()))
    return report
