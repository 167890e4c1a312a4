"""Assertions shared by several test modules."""
from __future__ import annotations

import datetime
import email.utils
import re

from .server import ServerProcess
from .worlds import World


def assert_skipped_pair_logged(server: ServerProcess, world: World) -> None:
    """The server's log names the skipped pair's certificate or key file (absolute or relative to --certs)."""
    cert, key = (str(path.relative_to(world.certs_dir)) for path in world.skipped_pair)
    assert server.wait_for_log(cert) or server.wait_for_log(key, timeout=0), \
        f"neither {cert} nor {key} in the log\n{server.log_tail()}"


def assert_recent_http_date(value: str | None) -> None:
    """An IMF-fixdate (RFC 9110 §5.6.7) within a day of now: a sanity check on the clock, not on speed."""
    assert value and re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                                  r" \d{4} \d\d:\d\d:\d\d GMT", value), value
    delta = email.utils.parsedate_to_datetime(value) - datetime.datetime.now(datetime.timezone.utc)
    assert abs(delta) < datetime.timedelta(days=1), value
