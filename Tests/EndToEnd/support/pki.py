"""A throw-away PKI made with the openssl CLI: an EC P-256 root CA, intermediates it signs, and the leaf
certificates they issue (leaves valid at another time than now are made with the `cryptography` package).

Keys are generated per test session into temporary directories; none is ever committed.
"""
from __future__ import annotations

import dataclasses
import datetime
import itertools
import os
import pathlib
import ssl
import subprocess

_serials = itertools.count(0x1000)


def openssl(*args: str | os.PathLike) -> str:
    """Runs the openssl CLI and returns its stdout; raises with stderr when it fails."""
    argv = ["openssl", *map(str, args)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def generate_key(path: pathlib.Path, key_type: str = "ec", *, traditional: bool = False,
                 rsa_bits: int = 2048) -> pathlib.Path:
    """Writes a new private key: "ec" (P-256) or "rsa" (`rsa_bits`, 2048 unless a test wants a weak one).

    PKCS#8 (`BEGIN PRIVATE KEY`, as certbot writes) by default; `traditional=True` writes the
    `BEGIN EC PRIVATE KEY` / `BEGIN RSA PRIVATE KEY` forms that cert-manager and older tools write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if key_type == "ec":
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    elif key_type == "rsa":
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{rsa_bits}", "-out", path)
    else:
        raise ValueError(f"unknown key type {key_type!r}")
    if traditional:
        # `openssl ec` writes SEC1 by default; `openssl rsa` needs -traditional for PKCS#1.
        openssl(*(["ec"] if key_type == "ec" else ["rsa", "-traditional"]), "-in", path, "-out", path)
    path.chmod(0o600)
    return path


def public_key(path: pathlib.Path) -> str:
    """The PEM public key of a certificate (its first one) or of a private key file."""
    if b"-----BEGIN CERTIFICATE-----" in pathlib.Path(path).read_bytes():
        return openssl("x509", "-in", path, "-noout", "-pubkey")
    return openssl("pkey", "-in", path, "-pubout")


@dataclasses.dataclass(frozen=True)
class Leaf:
    """A leaf certificate and its key as issued; `label` is also the certificate's OU, to tell leaves apart."""

    label: str
    dns_names: tuple[str, ...]
    key_type: str
    cert_pem: bytes
    key_pem: bytes

    @property
    def cert_der(self) -> bytes:
        """The certificate as a TLS client sees it (`getpeercert(binary_form=True)`)."""
        return ssl.PEM_cert_to_DER_cert(self.cert_pem.decode())

    @property
    def subject_cn(self) -> str:
        return self.dns_names[0]


class CertificateAuthority:
    """A CA (EC P-256) that issues server leaf certificates: the self-signed root, or, with `issuer`, an
    intermediate that `issuer` signs (see `intermediate`)."""

    def __init__(self, directory: pathlib.Path, *, issuer: "CertificateAuthority | None" = None,
                 name: str = "mta-sts-host e2e test root"):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.key_path = generate_key(directory / "ca.key")
        self.cert_path = directory / "ca.pem"
        extensions = directory / "ca.cnf"
        extensions.write_text(
            "[req]\ndistinguished_name = dn\n[dn]\n"
            "[v3_ca]\n"
            f"basicConstraints = critical, CA:TRUE{'' if issuer is None else ', pathlen:0'}\n"
            "keyUsage = critical, keyCertSign, cRLSign\n"
            "subjectKeyIdentifier = hash\n"
            + ("" if issuer is None else "authorityKeyIdentifier = keyid\n"))
        subject = f"/O=mta-sts-host e2e/CN={name}"
        if issuer is None:
            openssl("req", "-new", "-x509", "-config", extensions, "-extensions", "v3_ca",
                    "-key", self.key_path, "-subj", subject,
                    "-days", "30", "-sha256", "-set_serial", str(next(_serials)), "-out", self.cert_path)
        else:
            openssl("req", "-new", "-key", self.key_path, "-subj", subject, "-out", directory / "ca.csr")
            openssl("x509", "-req", "-in", directory / "ca.csr", "-CA", issuer.cert_path, "-CAkey", issuer.key_path,
                    "-set_serial", str(next(_serials)), "-days", "30", "-sha256",
                    "-extfile", extensions, "-extensions", "v3_ca", "-out", self.cert_path)
        self._scratch = directory / "issued"
        self._scratch.mkdir(exist_ok=True)

    @property
    def cert_pem(self) -> bytes:
        return self.cert_path.read_bytes()

    def intermediate(self, label: str) -> "CertificateAuthority":
        """A new intermediate CA signed by this one (root -> intermediate -> the leaves it issues). A client that
        trusts only the root verifies its leaves when the server sends the intermediate too."""
        return CertificateAuthority(self.directory / "intermediates" / label, issuer=self,
                                    name=f"mta-sts-host e2e intermediate {label}")

    def issue(self, label: str, dns_names: list[str] | tuple[str, ...], key_type: str = "ec",
              *, traditional_key: bool = False, days: int = 7, not_before: datetime.datetime | None = None,
              not_after: datetime.datetime | None = None, rsa_bits: int = 2048,
              key_pem: bytes | None = None) -> Leaf:
        """Issues a server certificate for `dns_names` (SANs; the first one is also the CN), valid from now for
        `days`, or from `not_before` to `not_after` when either is given (in the past or the future: expired or
        not yet valid certificates). `rsa_bits` sizes an RSA key; `key_pem` reuses an existing key instead."""
        work = self._scratch / label
        work.mkdir(parents=True, exist_ok=True)
        if key_pem is None:
            key = generate_key(work / "leaf.key", key_type, traditional=traditional_key, rsa_bits=rsa_bits)
        else:
            key = _write(work / "leaf.key", key_pem, 0o600)
        if not_before is not None or not_after is not None:
            now = datetime.datetime.now(datetime.timezone.utc)
            cert_pem = self._sign(key, label, dns_names, key_type, not_before or now,
                                  not_after or now + datetime.timedelta(days=days))
            (work / "leaf.pem").write_bytes(cert_pem)
            return Leaf(label=label, dns_names=tuple(dns_names), key_type=key_type, cert_pem=cert_pem,
                        key_pem=key.read_bytes())
        usage = "digitalSignature, keyEncipherment" if key_type == "rsa" else "digitalSignature"
        sans = ", ".join(f"DNS:{name}" for name in dns_names)
        (work / "leaf.cnf").write_text(
            "[v3_leaf]\n"
            "basicConstraints = critical, CA:FALSE\n"
            f"keyUsage = critical, {usage}\n"
            "extendedKeyUsage = serverAuth\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            f"subjectAltName = {sans}\n")
        openssl("req", "-new", "-key", key, "-subj", f"/O=mta-sts-host e2e/OU={label}/CN={dns_names[0]}",
                "-out", work / "leaf.csr")
        openssl("x509", "-req", "-in", work / "leaf.csr", "-CA", self.cert_path, "-CAkey", self.key_path,
                "-set_serial", str(next(_serials)), "-days", str(days), "-sha256",
                "-extfile", work / "leaf.cnf", "-extensions", "v3_leaf", "-out", work / "leaf.pem")
        return Leaf(label=label, dns_names=tuple(dns_names), key_type=key_type,
                    cert_pem=(work / "leaf.pem").read_bytes(), key_pem=key.read_bytes())

    def _sign(self, key: pathlib.Path, label: str, dns_names, key_type: str, not_before: datetime.datetime,
              not_after: datetime.datetime) -> bytes:
        """The leaf `issue` makes, with any validity window: `openssl x509 -req` of OpenSSL 3.0 can only start
        a certificate now, so these are made with the `cryptography` package."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.cert_pem)
        public = serialization.load_pem_private_key(key.read_bytes(), password=None).public_key()
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mta-sts-host e2e"),
                             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, label),
                             x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0])])
        rsa = key_type == "rsa"
        certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public)
            .serial_number(next(_serials)).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=rsa, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]), critical=False)
            .sign(ca_key, hashes.SHA256()))
        return certificate.public_bytes(serialization.Encoding.PEM)


def _write(path: pathlib.Path, data: bytes, mode: int = 0o644) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def install_certbot(live_root: pathlib.Path, leaf: Leaf, ca: CertificateAuthority) -> tuple[pathlib.Path, pathlib.Path]:
    """Lays out a certbot lineage: `archive/<name>/{cert,chain,fullchain,privkey}1.pem` and relative
    symlinks `live/<name>/{cert,chain,fullchain,privkey}.pem` into it. Returns (fullchain, privkey) in live/."""
    name = leaf.subject_cn
    archive = live_root / "archive" / name
    live = live_root / "live" / name
    _write(archive / "cert1.pem", leaf.cert_pem)
    _write(archive / "chain1.pem", ca.cert_pem)
    _write(archive / "fullchain1.pem", leaf.cert_pem + ca.cert_pem)
    _write(archive / "privkey1.pem", leaf.key_pem, 0o600)
    live.mkdir(parents=True, exist_ok=True)
    for stem in ("cert", "chain", "fullchain", "privkey"):
        (live / f"{stem}.pem").symlink_to(pathlib.Path("..", "..", "archive", name, f"{stem}1.pem"))
    return live / "fullchain.pem", live / "privkey.pem"


def install_kubernetes_secret(directory: pathlib.Path, leaf: Leaf, *, atomic_writer: bool = False) -> tuple[pathlib.Path, pathlib.Path]:
    """Writes `tls.crt` + `tls.key` as a Kubernetes TLS secret volume holds them.

    With `atomic_writer`, the kubelet layout: the files live in `..<timestamp>/`, `..data` links to that
    folder and `tls.crt` / `tls.key` link to `..data/tls.crt` / `..data/tls.key`."""
    if not atomic_writer:
        return _write(directory / "tls.crt", leaf.cert_pem), _write(directory / "tls.key", leaf.key_pem, 0o600)
    payload = directory / "..2024_01_01_00_00_00.000000001"
    _write(payload / "tls.crt", leaf.cert_pem)
    _write(payload / "tls.key", leaf.key_pem, 0o600)
    (directory / "..data").symlink_to(payload.name)
    for name in ("tls.crt", "tls.key"):
        (directory / name).symlink_to(pathlib.Path("..data", name))
    return directory / "tls.crt", directory / "tls.key"


def install_named(directory: pathlib.Path, stem: str, leaf: Leaf, cert_suffix: str = ".crt",
                  *, key_pem: bytes | None = None, cert_pem: bytes | None = None) -> tuple[pathlib.Path, pathlib.Path]:
    """Writes `<stem><cert_suffix>` (".crt" or ".pem") and `<stem>.key`; `key_pem` overrides the leaf's key,
    `cert_pem` the certificate file's content (a chain, or certificates in another order)."""
    cert = _write(directory / f"{stem}{cert_suffix}", leaf.cert_pem if cert_pem is None else cert_pem)
    key = _write(directory / f"{stem}.key", key_pem if key_pem is not None else leaf.key_pem, 0o600)
    return cert, key


def _replace_symlink(link: pathlib.Path, target: pathlib.Path | str) -> None:
    """Points `link` at `target` in one rename(2): readers see the old link or the new one, never none."""
    staged = link.with_name(f".{link.name}.new")
    staged.unlink(missing_ok=True)
    staged.symlink_to(target)
    os.replace(staged, link)


def renew_certbot(live_root: pathlib.Path, leaf: Leaf, ca: CertificateAuthority, version: int) -> None:
    """A certbot renewal of the lineage `install_certbot` laid out for `leaf`'s name: writes
    `archive/<name>/{cert,chain,fullchain,privkey}<version>.pem`, then swaps each `live/<name>/` link to them."""
    name = leaf.subject_cn
    archive = live_root / "archive" / name
    _write(archive / f"cert{version}.pem", leaf.cert_pem)
    _write(archive / f"chain{version}.pem", ca.cert_pem)
    _write(archive / f"fullchain{version}.pem", leaf.cert_pem + ca.cert_pem)
    _write(archive / f"privkey{version}.pem", leaf.key_pem, 0o600)
    for stem in ("cert", "chain", "fullchain", "privkey"):
        _replace_symlink(live_root / "live" / name / f"{stem}.pem",
                         pathlib.Path("..", "..", "archive", name, f"{stem}{version}.pem"))


def swap_kubernetes_secret(directory: pathlib.Path, leaf: Leaf, payload_name: str) -> None:
    """What the kubelet's atomic writer does when a secret laid out by `install_kubernetes_secret(...,
    atomic_writer=True)` changes: writes the new payload into `directory/<payload_name>/` (a `..`-prefixed name),
    renames a new link over `..data`, then removes the old payload folder."""
    old_payload = directory / os.readlink(directory / "..data")
    _write(directory / payload_name / "tls.crt", leaf.cert_pem)
    _write(directory / payload_name / "tls.key", leaf.key_pem, 0o600)
    _replace_symlink(directory / "..data", payload_name)
    for file in old_payload.iterdir():
        file.unlink()
    old_payload.rmdir()
