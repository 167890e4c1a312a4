"""Judges a TLS audit of mta-sts-host: testssl.sh's flat JSON and sslscan's XML, read side by side.

Usage: check_findings.py TESTSSL_JSON SSLSCAN_XML

Prints one table (check, what testssl.sh says, what sslscan says, verdict), then the notes (LOW findings and the
ones that belong to the throw-away test certificate rather than the server). Exits 1 on a finding, 2 when a check
could not be made (a report lacks it, or a scanner could not run it), 0 otherwise.
"""
from __future__ import annotations

import dataclasses
import json
import re
import sys
import xml.etree.ElementTree as ElementTree

OLD_PROTOCOLS = [("SSLv2", "ssl", "2"), ("SSLv3", "ssl", "3"), ("TLS1", "tls", "1.0"), ("TLS1_1", "tls", "1.1")]
CURRENT_PROTOCOLS = [("TLS1_2", "tls", "1.2"), ("TLS1_3", "tls", "1.3")]
CATEGORY_LABELS = {"AVERAGE": "CBC (AVERAGE)", "OBSOLETED": "CBC (OBSOLETED)", "3DES_IDEA": "3DES/IDEA"}
WEAK_CATEGORIES = ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                   "cipherlist_3DES_IDEA", "cipherlist_AVERAGE", "cipherlist_OBSOLETED"]  # AVERAGE: CBC (3.0 name)
VULNERABILITIES = ["heartbleed", "CCS", "ticketbleed", "ROBOT", "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV",
                   "SWEET32", "FREAK", "DROWN", "LOGJAM", "LOGJAM-common_primes", "BEAST", "LUCKY13", "RC4"]
OPTIONAL_VULNERABILITIES = ["winshock", "opossum"]  # newer testssl.sh releases only
PASSING = {"OK", "INFO"}
SERIOUS = {"MEDIUM", "HIGH", "CRITICAL"}
# The audit's certificates come from a throw-away CA with no revocation endpoints and no DNS: these findings are
# about that PKI, not about the server.
TEST_PKI = re.compile(r"^(cert_revocation|cert_ocspURL|cert_crlDistributionPoints|OCSP_stapling|DNS_CAArecord"
                      r"|certificate_transparency|cert_mustStapleExtension)\b")
LOCAL_PROBLEMS = {"engine_problem"}  # the scanning machine's openssl, not the server
AEAD = re.compile(r"GCM|CHACHA20|CCM")


@dataclasses.dataclass
class Row:
    check: str
    testssl: str
    sslscan: str
    verdict: str  # "ok", "FINDING", "NOT TESTED"


class TestsslReport:
    def __init__(self, path: str):
        with open(path) as file:
            self.entries = json.load(file)
        self.by_id = {}
        for entry in self.entries:
            self.by_id.setdefault(entry["id"], entry)

    def get(self, identifier: str) -> dict | None:
        return self.by_id.get(identifier)

    def ciphers(self) -> list[tuple[str, str, str]]:
        """(hexcode, OpenSSL name, IANA name) of every cipher `--each-cipher` found offered."""
        found = []
        for entry in self.entries:
            if entry["id"].startswith("cipher_x"):
                fields = entry["finding"].split()
                found.append((fields[0], fields[1], fields[-1]))
        return found


class SslscanReport:
    def __init__(self, path: str):
        self.root = ElementTree.parse(path).getroot().find("ssltest")
        if self.root is None:
            raise SystemExit(f"{path}: no <ssltest> element (sslscan could not connect?)")

    def protocol_enabled(self, kind: str, version: str) -> bool | None:
        for element in self.root.iter("protocol"):
            if element.get("type") == kind and element.get("version") == version:
                return element.get("enabled") == "1"
        return None

    def ciphers(self) -> list[tuple[str, str]]:
        """(protocol, OpenSSL name) of every accepted cipher."""
        return [(element.get("sslversion"), element.get("cipher")) for element in self.root.iter("cipher")]


def describe(entry: dict | None) -> str:
    if entry is None:
        return "(not in the report)"
    return f"{entry['finding'][:48]} [{entry['severity']}]"


def judge(testssl: TestsslReport, sslscan: SslscanReport) -> tuple[list[Row], list[str]]:
    rows, notes = [], []

    for identifier, kind, version in OLD_PROTOCOLS:
        entry, enabled = testssl.get(identifier), sslscan.protocol_enabled(kind, version)
        offered = entry is not None and not entry["finding"].startswith("not offered")
        verdict = "NOT TESTED" if entry is None or enabled is None else "FINDING" if offered or enabled else "ok"
        rows.append(Row(f"{kind.upper()} {version} not offered", describe(entry),
                        {None: "(not tested)", True: "enabled", False: "disabled"}[enabled], verdict))
    for identifier, kind, version in CURRENT_PROTOCOLS:
        entry, enabled = testssl.get(identifier), sslscan.protocol_enabled(kind, version)
        offered = entry is not None and entry["finding"].startswith("offered")
        verdict = "NOT TESTED" if entry is None or enabled is None else "ok" if offered and enabled else "FINDING"
        rows.append(Row(f"{kind.upper()} {version} offered", describe(entry),
                        {None: "(not tested)", True: "enabled", False: "disabled"}[enabled], verdict))

    for identifier in WEAK_CATEGORIES:
        entry = testssl.get(identifier)
        if entry is None:
            continue  # one of the two CBC names exists, depending on the testssl.sh release
        verdict = "ok" if entry["finding"].startswith("not offered") else "FINDING"
        category = identifier.removeprefix("cipherlist_")
        rows.append(Row(f"{CATEGORY_LABELS.get(category, category)} ciphers not offered", describe(entry), "-", verdict))
    if not any(testssl.get(identifier) for identifier in ("cipherlist_AVERAGE", "cipherlist_OBSOLETED")):
        rows.append(Row("CBC cipher category not offered", "(not in the report)", "-", "NOT TESTED"))

    testssl_ciphers, sslscan_ciphers = testssl.ciphers(), sslscan.ciphers()
    not_aead = [iana for _, _, iana in testssl_ciphers if "_CBC_" in iana or not AEAD.search(iana)]
    not_aead_scan = [name for _, name in sslscan_ciphers if "CBC" in name or not AEAD.search(name)]
    rows.append(Row("every cipher AEAD (no CBC, no RC4)",
                    f"{len(testssl_ciphers)} offered, {len(not_aead)} not AEAD {not_aead[:2] or ''}".strip(),
                    f"{len(sslscan_ciphers)} accepted, {len(not_aead_scan)} not AEAD {not_aead_scan[:2] or ''}".strip(),
                    "NOT TESTED" if not testssl_ciphers or not sslscan_ciphers
                    else "FINDING" if not_aead or not_aead_scan else "ok"))

    def forward_secret(protocol: str | None, name: str) -> bool:
        return protocol == "TLSv1.3" or name.startswith(("TLS_AES_", "TLS_CHACHA20_", "ECDHE-", "DHE-"))

    static = [name for _, name, _ in testssl_ciphers if not forward_secret(None, name)]
    static_scan = [name for protocol, name in sslscan_ciphers if not forward_secret(protocol, name)]
    fs_entry = testssl.get("FS") or testssl.get("PFS")
    rows.append(Row("every cipher forward secret", f"{describe(fs_entry)}; {len(static)} static {static[:2] or ''}".strip(),
                    f"{len(static_scan)} static {static_scan[:2] or ''}".strip(),
                    "NOT TESTED" if fs_entry is None or not sslscan_ciphers
                    else "FINDING" if static or static_scan or fs_entry["severity"] not in PASSING else "ok"))

    crime = testssl.get("CRIME_TLS")
    compression = sslscan.root.find("compression")
    scan_compression = "(not tested: no zlib)" if compression is None else \
        "supported" if compression.get("supported") == "1" else "not supported"
    rows.append(Row("no TLS compression", describe(crime), scan_compression,
                    "NOT TESTED" if crime is None else "FINDING"
                    if crime["severity"] not in PASSING or scan_compression == "supported" else "ok"))

    renegotiation = sslscan.root.find("renegotiation")
    insecure = renegotiation is not None and renegotiation.get("supported") == "1" and renegotiation.get("secure") != "1"
    scan_renegotiation = "(not tested)" if renegotiation is None else \
        "not supported" if renegotiation.get("supported") != "1" else \
        "secure" if renegotiation.get("secure") == "1" else "INSECURE"
    for identifier, label in (("secure_renego", "no insecure renegotiation (RFC 5746)"),
                              ("secure_client_renego", "no client-initiated renegotiation")):
        entry = testssl.get(identifier)
        rows.append(Row(label, describe(entry), scan_renegotiation,
                        "NOT TESTED" if entry is None else "FINDING"
                        if entry["severity"] not in PASSING or insecure else "ok"))

    heartbleed_scan = [element.get("vulnerable") for element in sslscan.root.iter("heartbleed")]
    for identifier in VULNERABILITIES + [name for name in OPTIONAL_VULNERABILITIES if testssl.get(name)]:
        entry = testssl.get(identifier)
        scan = "-"
        scan_bad = False
        if identifier == "heartbleed":
            scan_bad = "1" in heartbleed_scan
            scan = "(not tested)" if not heartbleed_scan else "VULNERABLE" if scan_bad else "not vulnerable"
        rows.append(Row(identifier, describe(entry), scan, "NOT TESTED" if entry is None else "FINDING"
                        if entry["severity"] not in PASSING or scan_bad else "ok"))

    judged = {identifier for identifier, _, _ in OLD_PROTOCOLS + CURRENT_PROTOCOLS} | set(WEAK_CATEGORIES) \
        | set(VULNERABILITIES) | set(OPTIONAL_VULNERABILITIES) \
        | {"CRIME_TLS", "secure_renego", "secure_client_renego", "FS", "PFS"}
    others = []
    for entry in testssl.entries:
        identifier, severity = entry["id"], entry["severity"]
        if identifier in judged or identifier in LOCAL_PROBLEMS:
            continue
        if TEST_PKI.match(identifier) and severity not in PASSING:
            notes.append(f"test certificate, not the server: {identifier}: {entry['finding']} [{severity}]")
        elif severity in SERIOUS:
            others.append(Row(identifier, describe(entry), "-", "FINDING"))
        elif severity in ("WARN", "DEBUG") or identifier == "scanProblem":
            others.append(Row(identifier, describe(entry), "-", "NOT TESTED"))
        elif severity == "LOW":
            notes.append(f"low: {identifier}: {entry['finding']}")
    rows += others
    return rows, notes


def print_table(rows: list[Row]) -> None:
    headers = Row("check", "testssl.sh", "sslscan", "verdict")
    widths = [max(len(getattr(row, field)) for row in [headers, *rows]) for field in ("check", "testssl", "sslscan")]
    for row in [headers, *rows]:
        print(f"{row.check:<{widths[0]}}  {row.testssl:<{widths[1]}}  {row.sslscan:<{widths[2]}}  {row.verdict}")


def main(arguments: list[str]) -> int:
    if len(arguments) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows, notes = judge(TestsslReport(arguments[0]), SslscanReport(arguments[1]))
    print_table(rows)
    for note in notes:
        print(f"note: {note}")
    findings = [row for row in rows if row.verdict == "FINDING"]
    untested = [row for row in rows if row.verdict == "NOT TESTED"]
    print(f"\n{len(rows)} checks: {len(rows) - len(findings) - len(untested)} ok, {len(findings)} finding(s), "
          f"{len(untested)} not tested")
    return 1 if findings else 2 if untested else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
