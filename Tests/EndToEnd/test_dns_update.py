"""`serve --dns-update`: each served id published in `_mta-sts.<domain>` TXT by RFC 2136 dynamic update with
TSIG, against a real BIND (support/bind.py) primary for the zone `test`.

| domain      | certificate          | policy        | zone before the server starts                       |
|-------------|----------------------|---------------|-----------------------------------------------------|
| one.test    | ECDSA `one/one.crt`  | one.test.txt  | `_mta-sts.one`: a stale v=STSv1 record and "keep me" |
| two.test    | RSA `two/two.crt`    | two.test.txt  | nothing                                             |

The 1,000-domain test makes its own world (support/worlds.py `build_scale_world`) and a zone without records.

The timing tests print what they measure (run with `-s` to see it).
"""
from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from support import bind as bind_support
from support import health
from support.health import ONE, TWO, policy_text
from support.http1 import Connection, request, tls_connect
from support.worlds import POLICY_PATH, World, build_scale_world

PUBLISH_WITHIN = 10.0  # seconds from start or an edit to the id in DNS: a bound, not a speed requirement
OTHER_TEXT = "keep me"


@pytest.fixture
def named(tmp_path):
    server = bind_support.Bind(tmp_path / "named", records=[
        '_mta-sts.one IN TXT "v=STSv1; id=stale"',
        f'_mta-sts.one IN TXT "{OTHER_TEXT}"',
    ])
    yield server
    server.stop()


@pytest.fixture
def world(tmp_path, ca) -> World:
    return health.build_healthy_world(tmp_path / "world", ca)


def update_flags(named: bind_support.Bind, *extra: str) -> list[str]:
    return ["--dns-update", named.address, "--dns-update-key", str(named.key_path), "--admin", "127.0.0.1:0",
            "--log-format", "json", *extra]


def expected_ids(binary, world: World) -> dict[str, str]:
    """What `mta-sts-host dns` says each domain's id is, from the policy files as they are now."""
    result = subprocess.run([str(binary), "dns", "--policies", str(world.policies_dir), "--format", "json"],
                            capture_output=True, text=True)
    return {record["domain"]: record["id"] for record in json.loads(result.stdout)}


def fetch(server, world: World, domain: str) -> bytes | None:
    """The policy body a new connection gets; None when the answer is not a 200."""
    connection = Connection(tls_connect(server.port, "mta-sts." + domain, world.ca_path))
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with connection:
        response = connection.exchange(request("GET", POLICY_PATH, "mta-sts." + domain))
        return response.body if response.status == 200 else None


def wait_until(condition, what: str, timeout: float = PUBLISH_WITHIN, server=None, named=None) -> float:
    """Seconds until `condition()` held."""
    started = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            logs = (server.log_tail() if server else "") + "\n" + (named.log_tail() if named else "")
            pytest.fail(f"not within {timeout} s: {what}\n{logs}")
        time.sleep(0.01)
    return time.monotonic() - started


def dns_update_status(server, domain: str) -> dict:
    return health.domain_status(server.state_dir, domain).get("dns_update", {})


def test_start_publishes_every_domain_replacing_only_the_stsv1_record(start_server, world, named, binary):
    server = start_server(world, *update_flags(named))
    ids = expected_ids(binary, world)
    wait_until(lambda: named.sts_ids() == ids, f"ids {ids} in DNS", server=server, named=named)
    # The stale v=STSv1 record is gone, the other TXT record at the name untouched.
    assert named.txt(f"_mta-sts.{ONE}") == sorted([OTHER_TEXT, f"v=STSv1; id={ids[ONE]}"])
    assert named.txt(f"_mta-sts.{TWO}") == [f"v=STSv1; id={ids[TWO]}"]
    wait_until(lambda: dns_update_status(server, ONE).get("published_id") == ids[ONE], "published_id in status.json",
               server=server)
    assert "pending_id" not in dns_update_status(server, ONE)
    samples = health.samples_when(server, lambda found: health.metric(
        found, "mta_sts_dns_updates_total", result="published") >= 2)
    assert health.metric(samples, "mta_sts_dns_updates_total", result="published") == 2
    assert health.metric(samples, "mta_sts_dns_updates_total", result="failed") == 0


def test_a_policy_edit_is_served_then_published(start_server, world, named, binary):
    server = start_server(world, *update_flags(named))
    ids = expected_ids(binary, world)
    wait_until(lambda: named.sts_ids() == ids, "the ids at start", server=server, named=named)
    text, body = policy_text(ONE, mode="testing")
    edited = time.monotonic()
    (world.policies_dir / f"{ONE}.txt").write_bytes(text)
    new_id = expected_ids(binary, world)[ONE]
    assert new_id != ids[ONE]
    record = f"v=STSv1; id={new_id}"
    # The moment DNS first answers with the new id, a sender that fetches gets the new policy.
    wait_until(lambda: record in named.txt(f"_mta-sts.{ONE}"), f"{record} in DNS", server=server, named=named)
    elapsed = time.monotonic() - edited
    assert fetch(server, world, ONE) == body
    assert named.txt(f"_mta-sts.{ONE}") == sorted([OTHER_TEXT, record])
    assert named.sts_ids()[TWO] == ids[TWO]
    print(f"\none domain: policy edit -> new id answering in DNS: {elapsed:.3f} s")


def test_a_wrong_key_is_retried_and_shown_while_serving_goes_on(start_server, world, named, tmp_path, binary):
    wrong_key = tmp_path / "wrong.key"
    wrong_key.write_text(bind_support.tsig_keygen())  # the same key name, another secret
    wrong_key.chmod(0o644)
    server = start_server(world, "--dns-update", named.address, "--dns-update-key", str(wrong_key),
                          "--admin", "127.0.0.1:0")
    assert server.wait_for_log("can be read by every user")
    # The first attempt fails at once, the second after the 10 s back-off.
    wait_until(lambda: dns_update_status(server, ONE).get("failures", 0) >= 2, "a retry that failed again",
               timeout=30, server=server, named=named)
    status = dns_update_status(server, ONE)
    assert "NOTAUTH" in status["last_error"] and "BADSIG" in status["last_error"], status
    assert status["published_id"] is None and status["pending_id"] and status["next_attempt"] > time.time()
    assert named.txt(f"_mta-sts.{ONE}") == sorted([OTHER_TEXT, "v=STSv1; id=stale"])
    assert fetch(server, world, ONE) == policy_text(ONE)[1]
    samples = health.samples_when(server, lambda found: health.metric(
        found, "mta_sts_dns_updates_total", result="failed") >= 4)
    assert health.metric(samples, "mta_sts_dns_updates_total", result="failed") >= 4  # two domains, twice
    assert "NOTAUTH" in server.log_text()
    table = health.status_command(binary, server.state_dir).stdout
    assert f"{ONE}: DNS update of id={status['pending_id']} failed" in table and "BADSIG" in table, table


def test_the_dns_server_down_then_back(start_server, world, named, binary):
    server = start_server(world, *update_flags(named))
    ids = expected_ids(binary, world)
    wait_until(lambda: named.sts_ids() == ids, "the ids at start", server=server, named=named)
    named.stop()
    (world.policies_dir / f"{TWO}.txt").write_bytes(policy_text(TWO, mode="testing")[0])
    new_id = expected_ids(binary, world)[TWO]
    wait_until(lambda: dns_update_status(server, TWO).get("failures", 0) >= 1, "a failed update", server=server)
    assert dns_update_status(server, TWO)["pending_id"] == new_id
    named.start()
    wait_until(lambda: named.sts_ids().get(TWO) == new_id, "the new id once the server is back", timeout=30,
               server=server, named=named)
    wait_until(lambda: dns_update_status(server, TWO).get("failures") == 0, "failures cleared", server=server)


def test_dns_update_once_from_the_command_line(world, named, binary):
    command = [str(binary), "dns", "--policies", str(world.policies_dir), "--update", named.address,
               "--dns-update-key", str(named.key_path)]
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "UPDATE" in dry.stdout and "_mta-sts.one.test." in dry.stdout
    assert named.sts_ids() == {ONE: "stale"}
    ids = expected_ids(binary, world)
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"_mta-sts.{ONE}: published id={ids[ONE]}, replacing 1 v=STSv1 record" in done.stdout
    assert named.sts_ids() == ids
    again = subprocess.run(command, capture_output=True, text=True)
    assert f"_mta-sts.{TWO}: already id={ids[TWO]}" in again.stdout


def test_a_thousand_domains_changed_at_once_are_published_in_bounded_time(start_server, tmp_path, ca, binary):
    world = build_scale_world(tmp_path / "scale", ca)
    named = bind_support.Bind(tmp_path / "named")
    try:
        started = time.monotonic()
        server = start_server(world, *update_flags(named, "--dns-update-zone", "test"))
        ids = expected_ids(binary, world)
        assert len(ids) == 1001
        wait_until(lambda: named.sts_ids() == ids, "1,001 ids at start", timeout=120, server=server, named=named)
        at_start = time.monotonic() - started
        for path in world.policies_dir.glob("*.scale.test.txt"):
            path.write_bytes(path.read_bytes().replace(b"max_age: ", b"max_age: 1"))
        edited = time.monotonic()
        new_ids = expected_ids(binary, world)
        assert sum(new_ids[domain] != ids[domain] for domain in ids) == 1000
        wait_until(lambda: named.sts_ids() == new_ids, "1,000 new ids", timeout=120, server=server, named=named)
        elapsed = time.monotonic() - edited
        print(f"\n1,001 domains: start -> every id in DNS: {at_start:.1f} s; "
              f"1,000 policies edited at once -> every new id answering in DNS: {elapsed:.1f} s")
        samples = health.metric_samples(server)
        assert health.metric(samples, "mta_sts_dns_updates_total", result="failed") == 0
    finally:
        named.stop()


@pytest.mark.parametrize("remove", [False, True])
def test_a_removed_policy_leaves_its_record_unless_removal_is_asked_for(start_server, world, named, binary, remove):
    flags = update_flags(named, *(["--dns-update-remove"] if remove else []))
    server = start_server(world, *flags)
    ids = expected_ids(binary, world)
    wait_until(lambda: named.sts_ids() == ids, "the ids at start", server=server, named=named)
    (world.policies_dir / f"{TWO}.txt").unlink()
    if remove:
        wait_until(lambda: TWO not in named.sts_ids(), "the record removed", server=server, named=named)
        assert named.txt(f"_mta-sts.{ONE}") == sorted([OTHER_TEXT, f"v=STSv1; id={ids[ONE]}"])
    else:
        assert server.wait_for_log(f"{TWO} is no longer served; its _mta-sts TXT record is left in place"), \
            server.log_tail()
        assert named.sts_ids() == ids
    # Counted once the answer is back, a moment after DNS shows the change.
    samples = health.samples_when(server, lambda found: health.metric(
        found, "mta_sts_dns_updates_total", result="removed") >= (1 if remove else 0))
    assert health.metric(samples, "mta_sts_dns_updates_total", result="removed") == (1 if remove else 0)
