"""The premises of the serve tests, checked without the server: if these fail, the other failures mean nothing."""
import os
import subprocess

import pytest

from support import pki, worlds
from support.server import parse_ready_file
from support.tools import describe_certificate


def test_every_leaf_verifies_against_the_test_ca_for_its_names(world):
    for leaf in world.leaves.values():
        path = world.root / f"{leaf.label}.check.pem"
        path.write_bytes(leaf.cert_pem)
        for name in leaf.dns_names:
            host = name.replace("*", "mta-sts", 1)
            result = subprocess.run(["openssl", "verify", "-CAfile", world.ca_path, "-purpose", "sslserver",
                                     "-verify_hostname", host, path], capture_output=True, text=True, timeout=30)
            assert result.returncode == 0, (leaf.label, host, result.stdout, result.stderr)


def test_certbot_layout_links_live_into_archive(world):
    live = world.certs_dir / "letsencrypt" / "live" / worlds.HOST_A
    for stem in ("cert", "chain", "fullchain", "privkey"):
        link = live / f"{stem}.pem"
        assert link.is_symlink() and not os.readlink(link).startswith("/"), link
        assert link.resolve() == (world.certs_dir / "letsencrypt" / "archive" / worlds.HOST_A / f"{stem}1.pem")
    assert pki.public_key(live / "fullchain.pem") == pki.public_key(live / "privkey.pem")


def test_standard_certificates_have_the_intended_names_and_key_types(world):
    expected = {"a-certbot-ec": ([worlds.HOST_A], "ec"), "b-wildcard-ec": (["*.b.test"], "ec"),
                "c-rsa": ([worlds.HOST_C], "rsa"), "c-ec": ([worlds.HOST_C], "ec"),
                "nopolicy-ec": ([worlds.HOST_NOPOLICY], "ec")}
    for label, (names, key_type) in expected.items():
        info = describe_certificate(world.leaves[label].cert_pem)
        assert (info.dns_names, info.key_type, info.organizational_unit) == (names, key_type, label)
    assert describe_certificate(world.leaves["c-rsa"].cert_pem).key_bits == 2048


def test_mismatched_pair_really_does_not_match(world):
    cert, key = world.skipped_pair
    assert cert.exists() and key.exists()
    assert pki.public_key(cert) != pki.public_key(key)


def test_standard_policies_on_disk_differ_from_their_canonical_bodies(world):
    on_disk = {f"mta-sts.{path.stem}": path.read_bytes() for path in world.policies_dir.glob("*.txt")}
    assert set(on_disk) == set(world.bodies) == {worlds.HOST_A, worlds.HOST_B, worlds.HOST_C, worlds.HOST_MISMATCH}
    assert on_disk[worlds.HOST_A] != world.bodies[worlds.HOST_A]  # LF and an unknown key
    assert on_disk[worlds.HOST_C] != world.bodies[worlds.HOST_C]  # LF and max_age before mx
    for body in world.bodies.values():
        assert body.startswith(b"version: STSv1\r\n") and body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")


def test_scale_world_covers_every_domain_exactly_once(scale_world):
    covered = [name for label, leaf in scale_world.leaves.items() for name in leaf.dns_names]
    hosts = set(scale_world.bodies) - {worlds.HOST_MISMATCH}
    assert len(hosts) == 1000 and sorted(covered) == sorted(hosts)
    assert len(scale_world.leaves) == 4


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:41234\n", [("127.0.0.1", 41234)]),
    ("127.0.0.1:1\n[::1]:65535\n", [("127.0.0.1", 1), ("::1", 65535)]),
])
def test_ready_file_parser_accepts_the_documented_forms(text, expected):
    assert parse_ready_file(text) == expected


@pytest.mark.parametrize("text", ["127.0.0.1:41234", "127.0.0.1\n", "::1:80\n", "127.0.0.1:0\n", "localhost:80\n"])
def test_ready_file_parser_rejects_other_forms(text):
    with pytest.raises(ValueError):
        parse_ready_file(text)
