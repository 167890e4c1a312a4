"""Least privilege: root is refused unless asked for, and --user drops to that user after binding."""
from __future__ import annotations

import os
import subprocess

import pytest

from support.server import ServerProcess
from support.tools import curl
from support.worlds import HOST_A

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to test dropping it")


def test_running_as_root_without_user_or_allow_root_is_refused(binary, world, tmp_path):
    result = subprocess.run([binary, "serve", "--listen", "127.0.0.1:0", "--policies", world.policies_dir,
                             "--certs", world.certs_dir, "--state-dir", tmp_path / "state"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "refusing to run as root" in result.stderr and "--user" in result.stderr


def test_user_flag_drops_root_after_binding_and_still_serves(binary, world, tmp_path):
    server = ServerProcess(binary, tmp_path / "server", world.policies_dir, world.certs_dir,
                           extra_args=["--user", "nobody"]).wait_ready()
    try:
        status = f"/proc/{server.process.pid}/status"
        fields = dict(line.split(":", 1) for line in open(status).read().splitlines())
        uids = fields["Uid"].split()
        gids = fields["Gid"].split()
        assert set(uids) == {str(65534)}, uids
        assert set(gids) == {str(65534)}, gids
        assert fields["Groups"].strip() == "", fields["Groups"]
        assert "dropped privileges" in server.log_text()
        assert curl(server.port, HOST_A, world.ca_path).status == 200
    finally:
        server.stop()
