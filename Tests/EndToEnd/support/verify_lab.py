"""The deployment `mta-sts-host verify` checks in the end-to-end tests: one DNS server, the policy hosts and the MX
servers, all on loopback, built once per test module from a list of `Scenario`s (one mail domain each).

Every server of one kind shares one port and has its own 127.0.0.N, because `verify` takes one `--https-port` and
one `--smtp-port` and connects to whatever address the DNS gives for a name:

| address      | what                                                   | certificate (all from the test root)        |
|--------------|--------------------------------------------------------|---------------------------------------------|
| 127.0.0.1    | DNS (support/dnsauth.py, a port of its own)            |                                             |
| 127.0.0.1    | this project's server, policy host of kind "server"    | one for every such mta-sts.<domain>, 20 days |
|              | ... and of kind "server-expiring"                      | one per domain, 5 days                      |
| 127.0.0.11   | postfix A: mx1.mail.test, a.relay.mail.test            | mx1.mail.test + *.relay.mail.test, 20 days  |
| 127.0.0.12   | postfix B: mx2.mail.test                               | mx2.mail.test from an intermediate, sent with it |
| 127.0.0.13   | postfix B: wrong-name.mail.test                        | other.mail.test                             |
| 127.0.0.14   | postfix B: expired.mail.test                           | expired yesterday                           |
| 127.0.0.15   | postfix B: expiring.mail.test                          | 5 days left                                 |
| 127.0.0.16   | stand-in (support/smtp.py): nostarttls.mail.test       | (none: STARTTLS is not offered)             |
| 127.0.0.17   | stand-in: tls10.mail.test, TLS 1.0 only                | tls10.mail.test, 20 days                    |
| 127.0.0.18   | stand-in: silent.mail.test, accepts and never greets   |                                             |
| 127.0.0.19   | nothing: refused.mail.test (connection refused)        |                                             |
| 127.0.0.21.. | an HTTPS stand-in (support/https_standins.py) per scenario whose policy host is not "server" |       |

Two postfix instances, as two mail providers would run: A for the primary MX, B for the backup and the bad ones.
Each scenario's DNS: `_mta-sts.<domain>` TXT (the id `mta-sts-host dns` derives from the local policy file, or what
the scenario says), MX records, `mta-sts.<domain>` A, `_smtp._tls.<domain>` TLSRPT; every MX host name above has
its A record.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
import re
import subprocess

from . import pki, smtp
from .dnsauth import AuthoritativeDNS, Fault
from .health import policy_text
from .https_standins import HTTPSStandIn, Response
from .pebble import free_port
from .server import ServerProcess
from .worlds import POLICY_PATH, World

VALID_DAYS = 20  # over the 14 days under which `verify` warns of an expiring certificate
EXPIRING_DAYS = 5
VERIFY_TIMEOUT = 120.0  # seconds a whole `verify` run may take here: a bound, not a speed requirement

POLICY_SERVER = "127.0.0.1"
MX1, RELAY_MX = "mx1.mail.test", "a.relay.mail.test"
MX2 = "mx2.mail.test"
MX_WRONG_NAME, MX_EXPIRED, MX_EXPIRING = "wrong-name.mail.test", "expired.mail.test", "expiring.mail.test"
MX_NO_STARTTLS, MX_TLS10, MX_SILENT, MX_REFUSED = ("nostarttls.mail.test", "tls10.mail.test", "silent.mail.test",
                                                   "refused.mail.test")
MX_ADDRESSES = {
    MX1: "127.0.0.11", RELAY_MX: "127.0.0.11", MX2: "127.0.0.12",
    MX_WRONG_NAME: "127.0.0.13", MX_EXPIRED: "127.0.0.14", MX_EXPIRING: "127.0.0.15",
    MX_NO_STARTTLS: "127.0.0.16", MX_TLS10: "127.0.0.17", MX_SILENT: "127.0.0.18", MX_REFUSED: "127.0.0.19",
}
FIRST_STANDIN_HOST = 21  # 127.0.0.21 and up: the HTTPS stand-ins, one per scenario that has one

# Policy host kinds (`Scenario.policy_host`): this project's server, or a stand-in doing one thing wrong.
SERVER, SERVER_EXPIRING = "server", "server-expiring"
REDIRECT_301, REDIRECT_302 = "redirect-301", "redirect-302"
HOST_EXPIRED, HOST_WRONG_NAME = "expired", "wrong-name"
HOST_NO_INTERMEDIATE, HOST_WITH_INTERMEDIATE = "no-intermediate", "with-intermediate"

CHECKS = ("dns-txt", "dns-id", "policy-fetch", "policy-syntax", "mx-coverage", "mx-tls", "tlsrpt")
STATUSES = ("pass", "warn", "fail", "skip")


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One mail domain and how its deployment is set up. `sts_records`: the TXT records at `_mta-sts.<domain>`,
    each a tuple of character-strings in which `{id}` stands for the local policy's id (None: the one right
    record). `sts_cname`: `_mta-sts.<domain>` is a CNAME to `_mta-sts-target.<domain>`, which holds the records."""

    domain: str
    policy_mx: tuple[str, ...] = (MX1, MX2)
    mx: tuple[str, ...] = (MX1, MX2)
    policy_host: str = SERVER
    sts_records: tuple[tuple[str, ...], ...] | None = None
    sts_fault: Fault | None = None
    sts_cname: bool = False
    tlsrpt: tuple[str, ...] | None = None  # the TLSRPT record's strings; None: one right record; () none

    @property
    def policy_url(self) -> str:
        return f"https://mta-sts.{self.domain}{POLICY_PATH}"

    def healthy(self) -> dict[tuple[str, str], set[str]]:
        """(check, target) -> the statuses allowed when every part of the deployment is right."""
        rows = {("dns-txt", f"_mta-sts.{self.domain}"): {"pass"}, ("dns-id", f"_mta-sts.{self.domain}"): {"pass"},
                ("policy-fetch", self.policy_url): {"pass"}, ("policy-syntax", self.policy_url): {"pass"},
                ("tlsrpt", f"_smtp._tls.{self.domain}"): {"pass"}}
        for host in self.mx:
            rows[("mx-coverage", host)] = {"pass"}
            rows[("mx-tls", host)] = {"pass"}
        return rows


@dataclasses.dataclass
class VerifyRun:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as error:
            raise AssertionError(f"verify printed no JSON ({error})\n{self.describe()}") from None

    def checks(self, domain: str) -> list[dict]:
        entries = [entry for entry in self.document["domains"] if entry["domain"] == domain]
        assert len(entries) == 1, f"{domain} is listed {len(entries)} times\n{self.describe()}"
        return entries[0]["checks"]

    def statuses(self, domain: str) -> dict[tuple[str, str], str]:
        """(check, target) -> status; fails when a (check, target) appears twice. A policy URL's target is
        compared without its port: the tests' policy hosts are not on 443, and the URL may or may not say so."""
        found = {}
        for check in self.checks(domain):
            key = (check["check"], _without_port(check["target"]))
            assert key not in found, f"{key} reported twice for {domain}\n{self.describe()}"
            found[key] = check["status"]
        return found

    def message(self, domain: str, check: str, target: str) -> str:
        return next(row["message"] for row in self.checks(domain)
                    if (row["check"], _without_port(row["target"])) == (check, target))

    def describe(self) -> str:
        return f"argv: {' '.join(self.argv)}\nexit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def _without_port(target: str) -> str:
    """`https://mta-sts.a.test:8443/.well-known/mta-sts.txt` -> `https://mta-sts.a.test/.well-known/mta-sts.txt`."""
    return re.sub(r"^(https://[^/:]+):\d+/", r"\1/", target)


class VerifyLab:
    """Everything in the table above, started by the constructor and stopped by `stop()`. `world` holds the
    local policies (`--policies`) that the project's server serves too; `ids` the id of each."""

    def __init__(self, root: pathlib.Path, ca: pki.CertificateAuthority, binary: pathlib.Path,
                 scenarios: list[Scenario] | tuple[Scenario, ...]):
        self.root = root
        self.ca = ca
        self.binary = binary
        self.scenarios = {scenario.domain: scenario for scenario in scenarios}
        self.https_port = free_port()
        self.smtp_port = free_port()
        self.world = World(root=root, ca=ca, certs_dir=root / "certs", policies_dir=root / "policies")
        self._pairs = root / "pairs"
        self._started: list = []  # everything with a stop(), stopped in reverse order
        self.dns: AuthoritativeDNS | None = None
        self.server: ServerProcess | None = None
        self.standin_addresses: dict[str, str] = {}  # domain -> address of its HTTPS stand-in
        try:
            self._write_policies_and_certificates()
            self.ids = local_ids(binary, self.world.policies_dir)
            self.dns = self._start(AuthoritativeDNS())
            for host, address in MX_ADDRESSES.items():
                self.dns.add_a(host, address)
            for scenario in self.scenarios.values():
                self._publish(scenario)
            self.server = self._start(ServerProcess(
                binary, root / "server", self.world.policies_dir, self.world.certs_dir, ["--log-level", "info"],
                listen=f"{POLICY_SERVER}:{self.https_port}").wait_ready())
            self._start_mx_servers()
            self._start_policy_host_standins()
        except BaseException:
            self.stop()
            raise

    def _start(self, thing):
        self._started.append(thing)
        return thing

    def stop(self) -> None:
        while self._started:
            self._started.pop().stop()

    # certificates, policies, DNS

    def _pair(self, stem: str, leaf: pki.Leaf, *chain: pki.CertificateAuthority) -> tuple[pathlib.Path, pathlib.Path]:
        """(chain file, key file) in the scratch directory: the leaf, then the intermediates given."""
        return pki.install_named(self._pairs, stem, leaf, ".pem",
                                 cert_pem=leaf.cert_pem + b"".join(ca.cert_pem for ca in chain))

    def _write_policies_and_certificates(self) -> None:
        served = []
        for index, scenario in enumerate(self.scenarios.values()):
            # A max_age of its own: no two policies share an id, so an id compared with the wrong domain's fails.
            self.world.add_policy(f"{scenario.domain}.txt",
                                  *policy_text(scenario.domain, mx=scenario.policy_mx, max_age=1209600 + index))
            if scenario.policy_host == SERVER:
                served.append(f"mta-sts.{scenario.domain}")
            elif scenario.policy_host == SERVER_EXPIRING:
                leaf = self.ca.issue(f"expiring-{scenario.domain}", [f"mta-sts.{scenario.domain}"], days=EXPIRING_DAYS)
                pki.install_named(self.world.certs_dir / "expiring", scenario.domain, leaf)
        if served:
            leaf = self.ca.issue("verify-policy-hosts", served, days=VALID_DAYS)
            pki.install_named(self.world.certs_dir / "hosts", "policy-hosts", leaf)

    def _publish(self, scenario: Scenario) -> None:
        domain, dns = scenario.domain, self.dns
        sts_name = f"_mta-sts.{domain}"
        if scenario.sts_cname:
            dns.set_cname(sts_name, f"_mta-sts-target.{domain}")
            sts_name = f"_mta-sts-target.{domain}"
        records = scenario.sts_records if scenario.sts_records is not None else (("v=STSv1; id={id}",),)
        for strings in records:
            dns.add_txt(sts_name, *(text.replace("{id}", self.ids[domain]) for text in strings))
        if scenario.sts_fault is not None:
            dns.fail(f"_mta-sts.{domain}", scenario.sts_fault)
        for index, host in enumerate(scenario.mx):
            dns.add_mx(domain, 10 * (index + 1), host)
        if scenario.policy_host in (SERVER, SERVER_EXPIRING):
            dns.add_a(f"mta-sts.{domain}", POLICY_SERVER)
        else:
            address = self.standin_addresses[domain] = f"127.0.0.{FIRST_STANDIN_HOST + len(self.standin_addresses)}"
            dns.add_a(f"mta-sts.{domain}", address)
        tlsrpt = scenario.tlsrpt if scenario.tlsrpt is not None else (f"v=TLSRPTv1; rua=mailto:tlsrpt@{domain}",)
        if tlsrpt:
            dns.add_txt(f"_smtp._tls.{domain}", *tlsrpt)

    # servers

    def _start_mx_servers(self) -> None:
        ca = self.ca
        now = datetime.datetime.now(datetime.timezone.utc)
        intermediate = ca.intermediate("mx")

        def listener(host: str, leaf: pki.Leaf, *chain) -> smtp.Listener:
            chain_path, key_path = self._pair(host, leaf, *chain)
            return smtp.Listener(MX_ADDRESSES[host], key_path, chain_path)

        self._start(smtp.Postfix(self.smtp_port, [
            listener(MX1, ca.issue("mx1", [MX1, "*.relay.mail.test"], days=VALID_DAYS)),
        ], hostname=MX1))
        self._start(smtp.Postfix(self.smtp_port, [
            listener(MX2, intermediate.issue("mx2", [MX2], days=VALID_DAYS), intermediate),
            listener(MX_WRONG_NAME, ca.issue("mx-wrong-name", ["other.mail.test"], days=VALID_DAYS)),
            listener(MX_EXPIRED, ca.issue("mx-expired", [MX_EXPIRED], not_before=now - datetime.timedelta(days=10),
                                          not_after=now - datetime.timedelta(days=1))),
            listener(MX_EXPIRING, ca.issue("mx-expiring", [MX_EXPIRING], days=EXPIRING_DAYS)),
        ], hostname=MX2))
        self._start(smtp.no_starttls(MX_ADDRESSES[MX_NO_STARTTLS], self.smtp_port))
        tls10_chain, tls10_key = self._pair(MX_TLS10, ca.issue("mx-tls10", [MX_TLS10], days=VALID_DAYS))
        self._start(smtp.tls10_only(MX_ADDRESSES[MX_TLS10], self.smtp_port, tls10_chain, tls10_key))
        self._start(smtp.silent(MX_ADDRESSES[MX_SILENT], self.smtp_port))

    def _start_policy_host_standins(self) -> None:
        ca = self.ca
        now = datetime.datetime.now(datetime.timezone.utc)
        intermediate = ca.intermediate("policy-hosts")
        for domain, address in self.standin_addresses.items():
            kind, host = self.scenarios[domain].policy_host, f"mta-sts.{domain}"
            body = self.world.bodies[host]
            response = Response.policy(body)
            if kind in (REDIRECT_301, REDIRECT_302):
                # Where a mistaken web server setup sends it: the right policy, on another host.
                response = Response.redirect(int(kind[-3:]), f"https://www.{domain}{POLICY_PATH}")
                pair = self._pair(host, ca.issue(host, [host], days=VALID_DAYS))
            elif kind == HOST_EXPIRED:
                pair = self._pair(host, ca.issue(host, [host], not_before=now - datetime.timedelta(days=10),
                                                 not_after=now - datetime.timedelta(days=1)))
            elif kind == HOST_WRONG_NAME:
                pair = self._pair(host, ca.issue(host, [f"mta-sts.other-{domain}"], days=VALID_DAYS))
            elif kind == HOST_NO_INTERMEDIATE:
                pair = self._pair(host, intermediate.issue(host, [host], days=VALID_DAYS))
            elif kind == HOST_WITH_INTERMEDIATE:
                pair = self._pair(host, intermediate.issue(host, [host], days=VALID_DAYS), intermediate)
            else:
                raise ValueError(f"{domain}: unknown policy host kind {kind!r}")
            self._start(HTTPSStandIn(address, self.https_port, *pair, response))

    # running verify

    def verify_argv(self, *args: str, policies: pathlib.Path | None = None, output: str = "json") -> list[str]:
        return [str(self.binary), "verify", "--policies", str(policies or self.world.policies_dir),
                "--resolver", self.dns.address, "--ca-file", str(self.ca.cert_path),
                "--https-port", str(self.https_port), "--smtp-port", str(self.smtp_port),
                "--format", output, *args]

    def verify(self, *args: str, policies: pathlib.Path | None = None, output: str = "json") -> VerifyRun:
        """`verify` with this lab's resolver, ports and root, then `args` (flags and domains)."""
        argv = self.verify_argv(*args, policies=policies, output=output)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=VERIFY_TIMEOUT)
        return VerifyRun(argv, result.returncode, result.stdout, result.stderr)

    def server_flags(self) -> list[str]:
        """The `serve` flags that point its background verification at this lab."""
        return ["--resolver", self.dns.address, "--verify-ca-file", str(self.ca.cert_path),
                "--verify-https-port", str(self.https_port), "--verify-smtp-port", str(self.smtp_port)]


def local_ids(binary: pathlib.Path, policies: pathlib.Path) -> dict[str, str]:
    """domain -> the id `mta-sts-host dns` derives from each policy file: what `_mta-sts` must publish."""
    result = subprocess.run([str(binary), "dns", "--policies", str(policies), "--format", "json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"mta-sts-host dns failed: {result.stderr}"
    return {record["domain"]: record["id"] for record in json.loads(result.stdout)}
