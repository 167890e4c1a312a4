"""Built-in ACME renewal end to end, with pebble issuing one-minute certificates: each is replaced before it
expires while senders keep fetching, and a domain whose policy went is not renewed."""
from __future__ import annotations

import time

from support.acme import (fetch, make_world, order_lines, pebble, pebble_root, served_leaf,  # noqa: F401
                          start_acme_server, wait_until_served)
from support.health import read_status

LIFETIME = 60  # seconds: renewed once a third remains, up to a tenth earlier (jitter), so 34 to 40 s in
RENEWAL_LATEST = LIFETIME - LIFETIME // 3  # seconds after notBefore by which every renewal has started
SETTLE = 5  # seconds an order takes at most here, after it starts: a bound, not a speed requirement


def test_certificates_are_renewed_before_they_expire_and_not_for_a_removed_domain(tmp_path, ca, pebble,
                                                                                   start_server):
    world = make_world(tmp_path / "world", ca, ["kept.test", "gone.test"])
    acme = pebble(validity=LIFETIME)
    for domain in ("kept.test", "gone.test"):
        acme.add_a(f"mta-sts.{domain}")
    server = start_acme_server(start_server, world, acme)
    root = pebble_root(acme, tmp_path)
    for domain in ("kept.test", "gone.test"):
        wait_until_served(server, root, domain)
    first = served_leaf(server, root, "kept.test")
    gone_issued = served_leaf(server, root, "gone.test").not_valid_before_utc.timestamp()

    (world.policies_dir / "gone.test.txt").unlink()
    deadline = time.monotonic() + 10
    while any(entry["domain"] == "gone.test" for entry in read_status(server.state_dir)["domains"]):
        assert time.monotonic() < deadline, "gone.test still in status.json 10 s after its policy went"
        time.sleep(0.1)
    gone_orders = len(order_lines(server, "gone.test"))

    # Senders keep fetching the whole time; the first failure fails the test.
    fetches, renewed = 0, None
    expiry = first.not_valid_after_utc.timestamp()
    while renewed is None:
        result = fetch(server, root, "kept.test")
        assert result.returncode == 0, \
            f"fetch {fetches + 1} failed {expiry - time.time():.0f} s before expiry: {result.stderr!r}\n{server.log_tail()}"
        fetches += 1
        leaf = served_leaf(server, root, "kept.test")
        if leaf.serial_number != first.serial_number:
            renewed = leaf
        assert time.time() < expiry, f"mta-sts.kept.test not renewed before it expired\n{server.log_tail()}"
        time.sleep(0.3)
    assert renewed.not_valid_before_utc >= first.not_valid_before_utc
    assert renewed.not_valid_after_utc > first.not_valid_after_utc
    print(f"renewed {expiry - time.time():.0f} s before expiry; {fetches} fetches, none failed")

    # gone.test would have been renewed by now had it still been wanted.
    time.sleep(max(gone_issued + RENEWAL_LATEST + SETTLE - time.time(), 0))
    assert len(order_lines(server, "gone.test")) == gone_orders, "mta-sts.gone.test was renewed after its policy went"
    assert all(entry["domain"] != "gone.test" for entry in read_status(server.state_dir)["domains"])
