"""A certificate tree wide enough that `serve` walks it on several lanes (one directory per domain, as certbot's
`live/` is laid out): every directory is found once, symlinks back up the tree or to a sibling add nothing, and a
directory two levels down is watched for changes.

| path under certs/            | what                                                                 |
|------------------------------|----------------------------------------------------------------------|
| d000 .. d129/                | `<host>.crt`+`.key` for mta-sts.dNNN.wide.test, one leaf each         |
| d050/up -> ..                | a symlink loop back to the root                                      |
| zz-alias -> d007             | a second path to d007                                                |
| d100/nested/                 | `nested.crt`+`.key` for mta-sts.nested.wide.test (replaced by a test) |
"""
import concurrent.futures
import time

import pytest

from support import pki
from support.http1 import served_certificate
from support.worlds import World, canonical_policy

DIRECTORIES = 130  # above 127 the walk below the root takes two lanes (one per 64 directories)
NESTED_HOST = "mta-sts.nested.wide.test"
OBSERVE_WITHIN = 5.0  # seconds for a certificate change to be served (the watcher reports within a second)


def wide_host(index: int) -> str:
    return f"mta-sts.d{index:03d}.wide.test"


@pytest.fixture(scope="module")
def wide_world(tmp_path_factory, ca) -> World:
    root = tmp_path_factory.mktemp("wide")
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.policies_dir.mkdir(parents=True)
    world.add_policy("wide.test.txt", b"version: STSv1\nmode: testing\nmx: mx.wide.test\nmax_age: 86400\n",
                     canonical_policy("testing", ["mx.wide.test"], 86400))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        leaves = list(pool.map(lambda index: ca.issue(f"wide-{index:03d}", [wide_host(index)]), range(DIRECTORIES)))
    for index, leaf in enumerate(leaves):
        world.leaves[leaf.label] = leaf
        pki.install_named(world.certs_dir / f"d{index:03d}", wide_host(index), leaf)
    world.leaves["nested-1"] = ca.issue("nested-1", [NESTED_HOST])
    pki.install_named(world.certs_dir / "d100" / "nested", "nested", world.leaves["nested-1"])
    (world.certs_dir / "d050" / "up").symlink_to("..")
    (world.certs_dir / "zz-alias").symlink_to("d007")
    return world


@pytest.fixture(scope="module")
def wide_server(session_launcher, wide_world):
    return session_launcher(wide_world, "--log-format", "json")


def test_every_directory_of_a_wide_tree_serves_its_certificate(wide_server, wide_world):
    wrong = [index for index in range(DIRECTORIES)
             if served_certificate(wide_server.port, wide_host(index), wide_world.ca_path)
             != wide_world.leaves[f"wide-{index:03d}"].cert_der]
    assert not wrong, f"{len(wrong)} hosts got another certificate, e.g. d{wrong[0]:03d}"


def test_symlinks_back_up_the_tree_or_to_a_sibling_load_no_pair_twice(wide_server):
    serving = next(record for record in wide_server.log_records() if record["message"] == "serving")
    assert serving["certificates"] == str(DIRECTORIES + 1), serving


def test_a_directory_two_levels_down_is_watched(wide_server, wide_world):
    original = wide_world.leaves["nested-1"].cert_der
    assert served_certificate(wide_server.port, NESTED_HOST, wide_world.ca_path) == original
    renewed = wide_world.ca.issue("nested-2", [NESTED_HOST])
    pki.install_named(wide_world.certs_dir / "d100" / "nested", "nested", renewed)
    deadline = time.monotonic() + OBSERVE_WITHIN
    while served_certificate(wide_server.port, NESTED_HOST, wide_world.ca_path) != renewed.cert_der:
        assert time.monotonic() < deadline, f"the renewed certificate was not served\n{wide_server.log_tail()}"
        time.sleep(0.05)
