"""Assertions shared by several test modules."""
from __future__ import annotations

from .server import ServerProcess
from .worlds import World


def assert_skipped_pair_logged(server: ServerProcess, world: World) -> None:
    """The server's log names the skipped pair's certificate or key file (absolute or relative to --certs)."""
    cert, key = (str(path.relative_to(world.certs_dir)) for path in world.skipped_pair)
    assert server.wait_for_log(cert) or server.wait_for_log(key, timeout=0), \
        f"neither {cert} nor {key} in the log\n{server.log_tail()}"
