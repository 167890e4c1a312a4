"""Built-in ACME when things go wrong: a name whose DNS points elsewhere fails its challenge and backs off, a name
without an address is never ordered, and a CA that went away leaves the certificates serving and the retry
planned. Each time `status` says why. And a mistyped ACME flag is a usage error before anything starts."""
from __future__ import annotations

import time

import pytest

from support.acme import (fetch, make_world, order_lines, pebble, pebble_root, start_acme_server,  # noqa: F401
                          wait_for_acme_state, wait_until_served)
from support.health import policy_text, status_command
from support.server import serve_usage_error

FIRST_BACKOFF = 60  # seconds after a first failure (RetryBackoff.first)


def failed(state: dict) -> bool:
    return state.get("failures", 0) >= 1 and "next_attempt" in state


def assert_backing_off(state: dict) -> None:
    """One failure, the next attempt about a minute after it (written when it failed, read a little later)."""
    wait = state["next_attempt"] - time.time()
    assert state["failures"] == 1 and FIRST_BACKOFF - 15 < wait <= FIRST_BACKOFF, state


def test_a_name_pointing_elsewhere_fails_its_challenge_and_backs_off(tmp_path, ca, pebble, binary, start_server):
    world = make_world(tmp_path / "world", ca, ["x.test", "away.test"])
    acme = pebble()
    acme.add_a("mta-sts.x.test")
    acme.add_a("mta-sts.away.test", "127.0.0.2")  # nothing listens there: pebble's validation cannot connect
    server = start_acme_server(start_server, world, acme)
    wait_until_served(server, pebble_root(acme, tmp_path), "x.test")  # one failing name delays no other

    state = wait_for_acme_state(server.state_dir, "away.test", failed, "a failed order")
    assert_backing_off(state)
    # The problem document's type, then its detail: pebble could not reach the address DNS gave.
    assert state["last_error"].startswith("urn:ietf:params:acme:error:"), state
    assert "127.0.0.2" in state["last_error"], state
    assert len(order_lines(server, "away.test")) == 1  # ordered once, then waits
    shown = status_command(binary, server.state_dir)
    assert shown.returncode == 0, shown.stderr
    assert "away.test: certificate order failed 1 time" in shown.stdout, shown.stdout
    assert state["last_error"] in shown.stdout, shown.stdout


def test_a_name_without_an_address_is_not_ordered(tmp_path, ca, pebble, binary, start_server):
    world = make_world(tmp_path / "world", ca, ["x.test", "nowhere.test"])
    acme = pebble()
    acme.add_a("mta-sts.x.test")  # mta-sts.nowhere.test: no record at all
    server = start_acme_server(start_server, world, acme)
    wait_until_served(server, pebble_root(acme, tmp_path), "x.test")

    state = wait_for_acme_state(server.state_dir, "nowhere.test", failed, "a DNS failure")
    assert_backing_off(state)
    assert state["last_error"].startswith("dns: "), state
    assert order_lines(server, "nowhere.test") == []
    assert acme.orders_created() == 1, "an order was placed for a name that does not resolve"
    shown = status_command(binary, server.state_dir)
    assert "nowhere.test: certificate order failed 1 time" in shown.stdout, shown.stdout
    assert state["last_error"] in shown.stdout, shown.stdout


def stop_the_ca_and_order(tmp_path, ca, pebble, start_server):
    """x.test issued, then pebble stopped and w.test added: its order fails. -> (acme, server, pebble's root)."""
    world = make_world(tmp_path / "world", ca, ["x.test"])
    acme = pebble()
    for domain in ("x.test", "w.test"):
        acme.add_a(f"mta-sts.{domain}")
    server = start_acme_server(start_server, world, acme)
    root = pebble_root(acme, tmp_path)
    wait_until_served(server, root, "x.test")
    acme.stop_pebble()
    world.add_policy("w.test.txt", *policy_text("w.test"))
    return acme, server, root


def test_with_the_ca_gone_certificates_keep_serving_and_a_retry_is_planned(tmp_path, ca, pebble, start_server):
    acme, server, root = stop_the_ca_and_order(tmp_path, ca, pebble, start_server)
    state = wait_for_acme_state(server.state_dir, "w.test", failed, "a failed order")
    assert_backing_off(state)
    assert state["last_error"], state
    for _ in range(5):
        result = fetch(server, root, "x.test")
        assert result.returncode == 0, f"x.test stopped being served without its CA: {result.stderr!r}"
    acme.start()  # same ports: the planned retry finds it (waited for in the long test below)
    assert server.is_running()


@pytest.mark.long
def test_with_the_ca_back_the_retry_issues(tmp_path, ca, pebble, start_server):
    """The retry after the first back-off reaches a restarted pebble, which knows neither the account nor its
    nonces: the order must still succeed then, not a back-off later."""
    acme, server, root = stop_the_ca_and_order(tmp_path, ca, pebble, start_server)
    wait_for_acme_state(server.state_dir, "w.test", failed, "a failed order")
    acme.start()
    wait_until_served(server, pebble_root(acme, tmp_path), "w.test", timeout=FIRST_BACKOFF + 30)
    assert fetch(server, root, "x.test").returncode == 0


@pytest.mark.parametrize("flags, expected", [
    (["--acme-directory", "http://acme.example/directory"], "expected an https:// URL"),
    (["--acme-email", "hostmaster@example.com"], "need --acme-directory"),
    (["--resolver", "127.0.0.1:53"], "needs --acme-directory or --verify-every"),
    (["--acme-directory", "https://acme.example/directory", "--resolver", "dns.example:53"], "not an IP address"),
])
def test_acme_flags_are_checked_before_anything_starts(binary, tmp_path, flags, expected):
    """A mistyped ACME flag is a usage error naming the fix, not a server that starts and fails every order."""
    stderr = serve_usage_error(binary, tmp_path, *flags)
    assert expected in stderr, stderr
