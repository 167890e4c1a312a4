"""Issue #20, watching: roots followed by path (10), no reload loop from the state directory and no walk out of
a root through a directory symlink (14), and the warning when an enforced policy's file is deleted.

Each test builds a clean world in tmp_path (support/safety.py: every domain served by one certificate) and
changes it the way an operator or a deploy tool does, with the real commands (`rm -rf`, `ln -s`, `mv -T`).
Servers log text (the default) unless a test needs whole records; `reloaded` lines are counted in the log.
"""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from support.http1 import served_certificate
from support.safety import (build_clean_world, host, identity, inotify_watches, install_fullchain, issue, log_lines,
                            policy_file, poll, reload_lines, served, tree_and_ancestors, wait_for_reload,
                            wait_until_quiet)

ONE, TWO = "one.test", "two.test"
REACT_WITHIN = 5.0  # seconds for the server to see a change by itself (it settles in about a quarter of that)


def sh(command: str, cwd) -> None:
    """One shell line, as an operator types it."""
    subprocess.run(["sh", "-ec", command], cwd=cwd, check=True, timeout=10)


def replaced_notice(server, root) -> str | None:
    return next((line for line in log_lines(server) if f"watching {root} again: it was replaced" in line), None)


# 10. roots followed by path

def test_policies_root_deleted_and_recreated_is_watched_again(start_server, ca, tmp_path):
    """Defect 10(a). `rm -rf policies`, and a moment later `mkdir policies; cp staged/* policies/` (a deploy that
    recreates the folder): the edited policy in the new folder is served without a SIGHUP, a later edit inside the
    new folder is served too, and the log says `watching <root> again: it was replaced`."""
    world = build_clean_world(tmp_path / "world", ca, [ONE, TWO])
    server = start_server(world)
    assert served(server, world, ONE) == world.bodies[host(ONE)]

    staged = tmp_path / "world" / "staged"
    staged.mkdir()
    edited, edited_body = policy_file("testing", [f"mx.{ONE}"], 1209601)
    (staged / f"{ONE}.txt").write_bytes(edited)
    (staged / f"{TWO}.txt").write_bytes((world.policies_dir / f"{TWO}.txt").read_bytes())
    sh("rm -rf policies", cwd=world.root)
    time.sleep(1)  # the server settles on the removal first (within a quarter of this)
    sh("mkdir policies; cp staged/* policies/", cwd=world.root)

    assert poll(lambda: served(server, world, ONE) == edited_body, REACT_WITHIN), \
        f"the policy copied into the recreated folder is not served\n{server.log_tail()}"
    assert served(server, world, TWO) == world.bodies[host(TWO)]

    later, later_body = policy_file("enforce", [f"mx.{ONE}", f"backup.{ONE}"], 1209602)
    (world.policies_dir / f"{ONE}.txt").write_bytes(later)
    assert poll(lambda: served(server, world, ONE) == later_body, REACT_WITHIN), \
        f"an edit inside the recreated folder is not served\n{server.log_tail()}"
    assert replaced_notice(server, world.policies_dir) is not None, server.log_tail()


def test_symlinked_policies_root_swapped_with_mv_follows_the_new_target(start_server, ca, tmp_path):
    """Defect 10(b). `policies` is a symlink to A; `ln -s B tmp; mv -T tmp policies` swaps it to B in one rename:
    B's policies are served without a SIGHUP, with the `watching ... again` notice; a later edit in B is served;
    an edit in the abandoned A is not served and triggers no reload at all."""
    root = tmp_path / "world"
    world = build_clean_world(root, ca, [ONE, TWO], policies_dir=root / "policies-A")
    (root / "policies").symlink_to("policies-A")
    world.policies_dir = root / "policies"
    folder_b = root / "policies-B"
    folder_b.mkdir()
    in_b, b_body = policy_file("testing", [f"mx-b.{ONE}"], 1209611)
    (folder_b / f"{ONE}.txt").write_bytes(in_b)
    (folder_b / f"{TWO}.txt").write_bytes((root / "policies-A" / f"{TWO}.txt").read_bytes())
    server = start_server(world)
    assert served(server, world, ONE) == world.bodies[host(ONE)]

    sh("ln -s policies-B tmp; mv -T tmp policies", cwd=root)
    assert poll(lambda: served(server, world, ONE) == b_body, REACT_WITHIN), \
        f"B's policy is not served after the swap\n{server.log_tail()}"
    assert poll(lambda: replaced_notice(server, world.policies_dir) is not None, 1.0), server.log_tail()

    edited_b, edited_b_body = policy_file("enforce", [f"mx-b.{ONE}"], 1209612)
    (folder_b / f"{ONE}.txt").write_bytes(edited_b)
    assert poll(lambda: served(server, world, ONE) == edited_b_body, REACT_WITHIN), \
        f"an edit in B is not served\n{server.log_tail()}"

    reloads_before = wait_until_quiet(server)
    edited_a, _ = policy_file("none", [f"mx-a.{ONE}"], 86400)
    (root / "policies-A" / f"{ONE}.txt").write_bytes(edited_a)
    time.sleep(1.5)  # several times the watcher's settling delay: a reload it caused would have happened
    assert len(reload_lines(server)) == reloads_before, \
        f"an edit in the abandoned folder A caused a reload\n{server.log_tail()}"
    assert served(server, world, ONE) == edited_b_body


def test_certs_root_gone_then_back_is_reloaded_without_sighup(start_server, ca, tmp_path):
    """Defect 10(c). `mv certs certs.away`; later a copy of it, with a certificate renewed, is moved back into
    place (`cp -a certs.away certs.next`, `mv certs.next certs`: a new directory at the root's path). The root
    that came back is reloaded without a SIGHUP (a `reloaded` line after the move) and the renewed certificate is
    served."""
    world = build_clean_world(tmp_path / "world", ca, [ONE, TWO])
    server = start_server(world)
    assert served_certificate(server.port, host(ONE), world.ca_path) == world.leaves["site"].cert_der

    sh("mv certs certs.away", cwd=world.root)
    time.sleep(1)  # the server settles on the root being gone first (within a quarter of this)
    sh("cp -a certs.away certs.next", cwd=world.root)
    renewed = issue(ca, "site-2", [host(ONE), host(TWO)])
    install_fullchain(world.root / "certs.next" / "site", "site", renewed, ca)
    seen = wait_until_quiet(server)

    sh("mv certs.next certs", cwd=world.root)
    assert poll(lambda: served_certificate(server.port, host(ONE), world.ca_path) == renewed.cert_der,
                REACT_WITHIN), f"the renewed certificate in the returned root is not served\n{server.log_tail()}"
    assert wait_for_reload(server, seen, timeout=1.0) is not None, server.log_tail()
    assert served(server, world, ONE) == world.bodies[host(ONE)]


# 14. the state directory is not watched; directory symlinks do not lead out of a root

def test_state_dir_inside_certs_causes_no_reload_loop(start_server, ca, tmp_path):
    """Defect 14(a). `--state-dir` inside `--certs` (status.json is written there at every load): over 5 s of
    idling after start-up the log shows at most 2 `reloaded` lines, not a reload per status write forever."""
    world = build_clean_world(tmp_path / "world", ca, [ONE])
    state = world.certs_dir / "state"
    server = start_server(world, "--state-dir", state)  # the last --state-dir given wins
    assert poll(lambda: (state / "status.json").exists(), 5.0), "no status.json in the state directory"
    time.sleep(5)
    lines = reload_lines(server)
    assert len(lines) <= 2, f"{len(lines)} reloads in 5 s of idling:\n" + "\n".join(lines[:5])
    assert server.is_running()


def test_directory_symlink_out_of_the_certs_root_is_not_followed(start_server, ca, tmp_path):
    """Defect 14(b). `ln -s / certs/root`: the server warns `<link>: directory symlink leaves <root>; not
    followed` (not again at the next reload), and its inotify watches (from /proc/PID/fdinfo) stay on the world's
    own tree and the directories above it, never below /, while the link is there and after it is removed."""
    world = build_clean_world(tmp_path / "world", ca, [ONE, TWO])
    server = start_server(world)
    allowed = tree_and_ancestors(world.root)
    limit = 2 * len(allowed)  # only stops a runaway walk early; what is watched is checked below
    link = world.certs_dir / "root"

    def outside() -> set:
        return set(inotify_watches(server.process.pid)) - allowed - ({identity(link)} if link.is_symlink() else set())

    link.symlink_to("/")
    warned = f"{link}: directory symlink leaves {world.certs_dir}; not followed"
    deadline = time.monotonic() + REACT_WITHIN
    while not server.wait_for_log(warned, timeout=0.1) and time.monotonic() < deadline:
        count = len(inotify_watches(server.process.pid))
        assert count <= limit, f"{count} inotify watches: following {link} into /"
    assert server.wait_for_log(warned, timeout=0), f"no warning {warned!r}\n{server.log_tail()}"
    seen = wait_until_quiet(server)
    assert len(inotify_watches(server.process.pid)) <= limit
    assert not outside(), f"watching {len(outside())} inodes outside the world's tree with {link} -> /"
    assert served(server, world, ONE) == world.bodies[host(ONE)]

    warnings = sum(warned in line for line in log_lines(server))
    server.send_signal(signal.SIGHUP)
    assert wait_for_reload(server, seen) is not None, server.log_tail()
    assert sum(warned in line for line in log_lines(server)) == warnings, "the warning is repeated at each reload"

    link.unlink()
    time.sleep(1)  # the watcher's settling delay, several times over
    wait_until_quiet(server)
    assert not outside(), f"watching {len(outside())} inodes outside the world's tree after removing the link"


# deleting an enforced policy

@pytest.mark.parametrize("mode", ["enforce", "testing"])
def test_deleting_an_enforced_policy_file_warns_to_publish_mode_none(start_server, ca, tmp_path, mode):
    """RFC 8461: a domain leaving MTA-STS publishes `mode: none` first, since senders keep a cached enforce
    or testing policy for max_age. Deleting the file of such a policy while serving logs a warning that says
    `RFC 8461` and `mode: none` (one JSON record, so the advice and the fix are one message)."""
    world = build_clean_world(tmp_path / "world", ca, [ONE, TWO], mode=mode)
    server = start_server(world, "--log-format", "json")
    seen = len(server.log_records())
    (world.policies_dir / f"{ONE}.txt").unlink()

    def advice() -> list[dict]:
        return [record for record in server.log_records()[seen:]
                if "RFC 8461" in json.dumps(record) and "mode: none" in json.dumps(record)]

    assert poll(lambda: advice(), REACT_WITHIN), f"no RFC 8461 / mode: none warning\n{server.log_tail()}"
    assert advice()[0]["level"] == "warning", advice()[0]
    assert served(server, world, ONE) is None
    assert served(server, world, TWO) == world.bodies[host(TWO)]
