"""The directories a server under test reads: `--policies` and `--certs`, with what each host must serve.

`build_standard_world` is the set most tests use:

| host                   | certificate (layout under certs/)                                  | policy file          |
|------------------------|--------------------------------------------------------------------|----------------------|
| mta-sts.a.test         | ECDSA, certbot `letsencrypt/live/` symlinks into `archive/`         | a.test.txt (LF, unknown key) |
| mta-sts.b.test         | ECDSA wildcard `*.b.test`, Kubernetes `k8s/b-test/tls.crt`+`tls.key` | b.test.txt (already canonical) |
| mta-sts.c.test         | RSA-2048 `c/c-rsa.crt`+`.key` and ECDSA `c/c-ec.pem`+`.key`         | c.test.txt (LF, max_age before mx) |
| mta-sts.nopolicy.test  | ECDSA `nopolicy/mta-sts.nopolicy.test.crt`+`.key`                   | none                 |
| mta-sts.mismatch.test  | `broken/mta-sts.mismatch.test.crt` + a `.key` of ANOTHER key        | mismatch.test.txt    |
"""
from __future__ import annotations

import dataclasses
import pathlib

from . import pki

HOST_A = "mta-sts.a.test"
HOST_B = "mta-sts.b.test"
HOST_C = "mta-sts.c.test"
HOST_NOPOLICY = "mta-sts.nopolicy.test"
HOST_MISMATCH = "mta-sts.mismatch.test"
HOST_UNKNOWN = "mta-sts.unknown.test"
HOST_K = "mta-sts.k.test"
HOST_ALIAS = "mta-sts.alias.test"
POLICY_PATH = "/.well-known/mta-sts.txt"


def canonical_policy(mode: str, mx: list[str], max_age: int) -> bytes:
    """The body the server must send: `version`, `mode`, each `mx`, `max_age`, every line ending CRLF."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {name}" for name in mx), f"max_age: {max_age}"]
    return "".join(line + "\r\n" for line in lines).encode()


# (file name, file bytes as the operator wrote them, canonical body the server must serve)
STANDARD_POLICIES = [
    ("a.test.txt",
     b"version: STSv1\nmode: enforce\nmx: mail.a.test\nmax_age: 604800\nextension_key: not part of the canonical body\n",
     canonical_policy("enforce", ["mail.a.test"], 604800)),
    ("b.test.txt",
     b"version: STSv1\r\nmode: testing\r\nmx: mx1.b.test\r\nmx: *.relay.b.test\r\nmax_age: 86400\r\n",
     canonical_policy("testing", ["mx1.b.test", "*.relay.b.test"], 86400)),
    ("c.test.txt",
     b"version: STSv1\nmode: enforce\nmax_age: 1209600\nmx: mx.c.test\nmx: backup.c.test\n",
     canonical_policy("enforce", ["mx.c.test", "backup.c.test"], 1209600)),
]
MISMATCH_POLICY = ("mismatch.test.txt",
                   b"version: STSv1\nmode: enforce\nmx: mail.mismatch.test\nmax_age: 86400\n",
                   canonical_policy("enforce", ["mail.mismatch.test"], 86400))


@dataclasses.dataclass
class World:
    root: pathlib.Path
    ca: pki.CertificateAuthority
    certs_dir: pathlib.Path
    policies_dir: pathlib.Path
    leaves: dict[str, pki.Leaf] = dataclasses.field(default_factory=dict)
    """Issued leaves by label (the certificate's OU)."""
    bodies: dict[str, bytes] = dataclasses.field(default_factory=dict)
    """Host (`mta-sts.<domain>`) -> the exact body the server must serve for it."""
    skipped_pair: tuple[pathlib.Path, pathlib.Path] | None = None
    """The certificate/key pair whose key does not match: the server must skip it and log its path."""

    @property
    def ca_path(self) -> pathlib.Path:
        return self.ca.cert_path

    def add_policy(self, file_name: str, text: bytes, canonical: bytes) -> None:
        self.policies_dir.mkdir(parents=True, exist_ok=True)
        (self.policies_dir / file_name).write_bytes(text)
        self.bodies["mta-sts." + file_name.removesuffix(".txt")] = canonical

    def add_mismatched_pair(self, directory: pathlib.Path, host: str) -> None:
        """A certificate for `host` next to a `.key` that belongs to a different key pair."""
        leaf = self.ca.issue(f"{host}-mismatch", [host])
        other_key = pki.generate_key(self.root / "scratch" / f"{host}-other.key")
        self.skipped_pair = pki.install_named(directory, host, leaf, key_pem=other_key.read_bytes())


def _new_world(root: pathlib.Path, ca: pki.CertificateAuthority) -> World:
    world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
    world.certs_dir.mkdir(parents=True)
    world.policies_dir.mkdir(parents=True)
    return world


def build_standard_world(root: pathlib.Path, ca: pki.CertificateAuthority) -> World:
    world = _new_world(root, ca)
    certs = world.certs_dir
    for policy in (*STANDARD_POLICIES, MISMATCH_POLICY):
        world.add_policy(*policy)

    def issue(label: str, names: list[str], key_type: str = "ec", **options) -> pki.Leaf:
        world.leaves[label] = ca.issue(label, names, key_type, **options)
        return world.leaves[label]

    pki.install_certbot(certs / "letsencrypt", issue("a-certbot-ec", [HOST_A]), ca)
    pki.install_kubernetes_secret(certs / "k8s" / "b-test",
                                  issue("b-wildcard-ec", ["*.b.test"], traditional_key=True))
    pki.install_named(certs / "c", "c-rsa", issue("c-rsa", [HOST_C], "rsa", traditional_key=True), ".crt")
    pki.install_named(certs / "c", "c-ec", issue("c-ec", [HOST_C]), ".pem")
    pki.install_named(certs / "nopolicy", HOST_NOPOLICY, issue("nopolicy-ec", [HOST_NOPOLICY]))
    world.add_mismatched_pair(certs / "broken", HOST_MISMATCH)
    return world


def build_kubernetes_world(root: pathlib.Path, ca: pki.CertificateAuthority) -> World:
    """Both directories as Kubernetes mounts them (kubelet's atomic writer: `..data` -> `..<timestamp>/`):
    `certs/mta-sts-tls/` a TLS secret for mta-sts.k.test and mta-sts.alias.test, `policies/` a ConfigMap with
    k.test.txt, plus the operator's alias symlink `alias.test.txt -> k.test.txt`."""
    world = _new_world(root, ca)
    world.leaves["k-secret-ec"] = ca.issue("k-secret-ec", [HOST_K, HOST_ALIAS])
    pki.install_kubernetes_secret(world.certs_dir / "mta-sts-tls", world.leaves["k-secret-ec"], atomic_writer=True)
    payload = world.policies_dir / "..2024_01_01_00_00_00.000000001"
    payload.mkdir()
    (payload / "k.test.txt").write_bytes(b"version: STSv1\nmode: testing\nmx: mail.k.test\nmax_age: 3600\n")
    (world.policies_dir / "..data").symlink_to(payload.name)
    (world.policies_dir / "k.test.txt").symlink_to(pathlib.Path("..data", "k.test.txt"))
    (world.policies_dir / "alias.test.txt").symlink_to("k.test.txt")
    world.bodies[HOST_K] = world.bodies[HOST_ALIAS] = canonical_policy("testing", ["mail.k.test"], 3600)
    return world


def scale_domain(index: int) -> str:
    return f"d{index:04d}.scale.test"


def build_scale_world(root: pathlib.Path, ca: pki.CertificateAuthority, domains: int = 1000,
                      certificates: int = 4) -> World:
    """`domains` policies, covered by `certificates` certificates with `domains / certificates` SANs each
    (alternately `bulk-N.crt` and `bulk-N.pem`), plus a mismatched pair for `mta-sts.mismatch.test`."""
    world = _new_world(root, ca)
    for index in range(domains):
        domain = scale_domain(index)
        mode = ("enforce", "testing", "none")[index % 3]
        mx = [f"mx{index}.{domain}"]
        max_age = 86400 + index
        text = f"version: STSv1\nmode: {mode}\nmx: {mx[0]}\nmax_age: {max_age}\n".encode()
        world.add_policy(f"{domain}.txt", text, canonical_policy(mode, mx, max_age))
    hosts = sorted(host for host in world.bodies)
    per_cert = -(-len(hosts) // certificates)
    for number in range(certificates):
        label = f"bulk-{number}"
        leaf = ca.issue(label, hosts[number * per_cert:(number + 1) * per_cert])
        world.leaves[label] = leaf
        pki.install_named(world.certs_dir / "bulk", label, leaf, ".pem" if number % 2 else ".crt")
    world.add_policy(*MISMATCH_POLICY)
    world.add_mismatched_pair(world.certs_dir / "broken", HOST_MISMATCH)
    return world
