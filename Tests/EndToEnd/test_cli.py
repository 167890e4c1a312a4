"""`mta-sts-host check` and `mta-sts-host dns`, run as the built binary on generated policy directories."""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]

EXAMPLE = b"version: STSv1\nmode: testing\nmx: mail.example.com\nmx: *.mx.example.net\nmax_age: 604800\n"
EXAMPLE_CRLF = EXAMPLE.replace(b"\n", b"\r\n")
CANONICAL = EXAMPLE_CRLF
BAD_MODE = b"version: STSv1\nmode: Enforce\nmx: mail.bad.example\nmax_age: 604800\n"
SHORT_MAX_AGE = b"version: STSv1\nmode: testing\nmx: mail.warn.example\nmax_age: 3600\n"


@pytest.fixture
def run(binary):
    def run(*args: str | os.PathLike) -> subprocess.CompletedProcess[str]:
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=60)
    return run


def policy_dir(root: pathlib.Path, files: dict[str, bytes], aliases: dict[str, str] | None = None) -> pathlib.Path:
    directory = root / "policies"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_bytes(text)
    for alias, target in (aliases or {}).items():
        (directory / alias).symlink_to(target)
    return directory


def check_json(run, directory: pathlib.Path, *flags: str) -> dict:
    result = run("check", "--policies", directory, "--format", "json", *flags)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def dns_ids(run, directory: pathlib.Path) -> dict[str, str]:
    result = run("dns", "--policies", directory, "--format", "json")
    assert result.returncode in (0, 1), result.stderr  # 1 when some file is rejected; the valid ones still print
    return {record["domain"]: record["id"] for record in json.loads(result.stdout)}


# check: exit codes and compiler-style lines

def test_check_valid_directory_exits_0(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE}, {"alias.example.txt": "example.com.txt"})
    result = run("check", "--policies", directory)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "checked 2 policies: 2 valid, 0 rejected, 0 errors, 0 warnings\n"


def test_check_bad_file_exits_1_with_file_line_col(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "bad.example.txt": BAD_MODE})
    result = run("check", "--policies", directory)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (f'{directory}/bad.example.txt:2:7: error: mode must be one of enforce, testing, none '
                        '(found "Enforce")')
    assert lines[1] == '  fix: write "mode: enforce" (values are case-sensitive)'
    assert lines[-1] == "checked 2 policies: 1 valid, 1 rejected, 1 error, 0 warnings"


def test_every_diagnostic_line_is_file_line_col(run, tmp_path):
    broken = b"version: STSv2\nmode: enforce\nmx : mail.example.com\nmx: mail.*.example.com\nmax_age: +86400\n\n"
    directory = policy_dir(tmp_path, {"broken.example.txt": broken})
    result = run("check", "--policies", directory)
    assert result.returncode == 1
    pattern = re.compile(rf"^{re.escape(str(directory))}/broken\.example\.txt:(\d+):(\d+): (error|warning): .+$")
    positions = [tuple(map(int, m.groups()[:2])) for m in map(pattern.match, result.stdout.splitlines()) if m]
    assert positions == [(1, 10), (3, 3), (4, 10), (5, 10), (6, 1)]


def test_warnings_pass_but_fail_with_strict(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "warn.example.txt": SHORT_MAX_AGE})
    relaxed = run("check", "--policies", directory)
    assert relaxed.returncode == 0
    assert f"{directory}/warn.example.txt:4:10: warning: max_age 3600 is under one day" in relaxed.stdout
    assert relaxed.stdout.endswith("checked 2 policies: 2 valid, 0 rejected, 0 errors, 1 warning\n")
    strict = run("check", "--policies", directory, "--strict")
    assert strict.returncode == 1
    assert f"{directory}/warn.example.txt:4:10: error: max_age 3600" in strict.stdout
    assert strict.stdout.endswith("checked 2 policies: 1 valid, 1 rejected, 1 error, 0 warnings\n")


def test_bad_file_name_is_rejected_with_a_rename_fix(run, tmp_path):
    directory = policy_dir(tmp_path, {"Example.COM.txt": EXAMPLE})
    result = run("check", "--policies", directory)
    assert result.returncode == 1
    assert result.stdout.startswith(f'{directory}/Example.COM.txt: error: file name is not a valid policy domain')
    assert "  fix: rename it to example.com.txt\n" in result.stdout


def test_leftovers_are_ignored_and_strangers_warned(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, ".example.com.txt.swp": b"\0", "example.com.txt~": b"x",
                                      "README.md": b"# notes", "example.org": EXAMPLE})
    result = run("check", "--policies", directory)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{directory}/example.org: warning: not a policy file (ignored): policy files are named <domain>.txt",
        "  fix: rename it to <domain>.txt, or move it out of the directory",
        "checked 1 policy: 1 valid, 0 rejected, 0 errors, 1 warning",
    ]


def test_missing_directory_fails_with_path_and_reason(run, tmp_path):
    result = run("check", "--policies", tmp_path / "nope")
    assert result.returncode == 1
    assert f"cannot open policy directory {tmp_path / 'nope'}: No such file or directory" in result.stderr


def test_shipped_sample_policies_pass_strict(run):
    result = run("check", "--policies", REPO_ROOT / "policies", "--strict")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("checked ")


# check --format json

def test_check_json_field_by_field(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "bad.example.txt": BAD_MODE,
                                      "warn.example.txt": SHORT_MAX_AGE}, {"alias.example.txt": "example.com.txt"})
    report = check_json(run, directory)
    assert report["directory"] == str(directory)
    assert report["strict"] is False
    assert report["summary"] == {"checked": 4, "valid": 3, "rejected": 1, "errors": 1, "warnings": 1}

    files = {pathlib.Path(entry["path"]).name: entry for entry in report["files"]}
    assert sorted(files) == ["alias.example.txt", "bad.example.txt", "example.com.txt", "warn.example.txt"]
    assert files["bad.example.txt"]["status"] == "rejected"
    assert files["bad.example.txt"]["domain"] == "bad.example"
    assert files["bad.example.txt"]["diagnostics"] == [{
        "severity": "error", "line": 2, "column": 7,
        "message": 'mode must be one of enforce, testing, none (found "Enforce")',
        "fix": 'write "mode: enforce" (values are case-sensitive)',
    }]
    warned = files["warn.example.txt"]
    assert warned["status"] == "valid"
    assert [(d["severity"], d["line"], d["column"]) for d in warned["diagnostics"]] == [("warning", 4, 10)]
    assert files["example.com.txt"] == {"path": f"{directory}/example.com.txt", "domain": "example.com",
                                        "status": "valid", "diagnostics": []}

    policies = {entry["domain"]: entry for entry in report["policies"]}
    assert list(policies) == ["alias.example", "example.com", "warn.example"]
    example = policies["example.com"]
    assert example["mode"] == "testing"
    assert example["mx"] == ["mail.example.com", "*.mx.example.net"]
    assert example["max_age"] == 604800
    assert example["path"] == f"{directory}/example.com.txt"
    assert re.fullmatch(r"[0-9a-f]{20}", example["id"])
    assert policies["alias.example"]["id"] == example["id"]
    assert {domain: entry["id"] for domain, entry in policies.items()} == dns_ids(run, directory)


def test_strict_json_rejects_warned_policy(run, tmp_path):
    directory = policy_dir(tmp_path, {"warn.example.txt": SHORT_MAX_AGE})
    result = run("check", "--policies", directory, "--format", "json", "--strict")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["strict"] is True
    assert report["policies"] == []
    assert report["files"][0]["status"] == "rejected"
    assert report["files"][0]["diagnostics"][0]["severity"] == "error"


# the id: content-derived

def test_id_is_the_hash_of_the_canonical_body(run, tmp_path):
    import hashlib
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE})
    assert dns_ids(run, directory) == {"example.com": hashlib.sha256(CANONICAL).hexdigest()[:20]}


def test_id_ignores_formatting_but_follows_content(run, tmp_path):
    variants = {
        "lf.example.txt": EXAMPLE,
        "crlf.example.txt": EXAMPLE_CRLF,
        "spaced.example.txt": b"version:STSv1\nmax_age:\t604800 \nmode:   testing\nmx: MAIL.example.com\n"
                              b"mx: *.mx.example.net\nnote: unknown keys are not served\n",
        "no-final-newline.example.txt": EXAMPLE.rstrip(b"\n"),
        "changed-age.example.txt": EXAMPLE.replace(b"604800", b"604801"),
        "changed-mode.example.txt": EXAMPLE.replace(b"testing", b"enforce"),
        "changed-mx.example.txt": EXAMPLE.replace(b"mail.example.com", b"mail2.example.com"),
        "reordered-mx.example.txt": b"version: STSv1\nmode: testing\nmx: *.mx.example.net\nmx: mail.example.com\n"
                                    b"max_age: 604800\n",
    }
    ids = dns_ids(run, policy_dir(tmp_path, variants))
    same = {ids[name] for name in ("lf.example", "crlf.example", "spaced.example", "no-final-newline.example")}
    assert len(same) == 1
    changed = [ids[name] for name in ("changed-age.example", "changed-mode.example", "changed-mx.example",
                                      "reordered-mx.example")]
    assert len(set(changed)) == 4 and not same & set(changed)


# dns

def test_dns_zone_output(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "bad.example.txt": BAD_MODE},
                           {"alias.example.txt": "example.com.txt"})
    result = run("dns", "--policies", directory)
    assert result.returncode == 1  # a rejected file fails the run; the valid records still print
    assert f"skipped {directory}/bad.example.txt" in result.stderr
    ids = dns_ids(run, directory)
    lines = result.stdout.splitlines()
    records = [line for line in lines if not line.startswith(";") and line]
    assert records == [f'_mta-sts.alias.example. 3600 IN TXT "v=STSv1; id={ids["alias.example"]}"',
                       f'_mta-sts.example.com. 3600 IN TXT "v=STSv1; id={ids["example.com"]}"']
    assert '; _smtp._tls.example.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"' in lines
    assert any(line.startswith("; mta-sts.example.com must resolve to this host") for line in lines)
    assert f"; example.com: {directory}/example.com.txt (mode testing, max_age 604800)" in lines


def test_dns_named_domains_and_ttl(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "example.org.txt": EXAMPLE})
    result = run("dns", "--policies", directory, "--ttl", "300", "example.org")
    assert result.returncode == 0
    assert [line for line in result.stdout.splitlines() if line.startswith("_")] == [
        f'_mta-sts.example.org. 300 IN TXT "v=STSv1; id={dns_ids(run, directory)["example.org"]}"']


def test_dns_json(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE})
    result = run("dns", "--policies", directory, "--format", "json", "example.com")
    assert result.returncode == 0
    [record] = json.loads(result.stdout)
    assert record == {"domain": "example.com", "id": record["id"], "name": "_mta-sts.example.com", "type": "TXT",
                      "ttl": 3600, "value": f"v=STSv1; id={record['id']}", "policy_host": "mta-sts.example.com"}


def test_dns_unknown_or_rejected_domain_exits_1(run, tmp_path):
    directory = policy_dir(tmp_path, {"example.com.txt": EXAMPLE, "bad.example.txt": BAD_MODE})
    result = run("dns", "--policies", directory, "example.com", "bad.example", "nope.example")
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("_")] == [
        f'_mta-sts.example.com. 3600 IN TXT "v=STSv1; id={dns_ids(run, directory)["example.com"]}"']
    assert f"error: no valid policy for bad.example: {directory}/bad.example.txt has errors" in result.stderr
    assert f"error: no valid policy for nope.example: there is no {directory}/nope.example.txt" in result.stderr


def test_help_texts(run):
    for command in ("check", "dns"):
        result = run(command, "--help")
        assert result.returncode == 0
        assert "OVERVIEW:" in result.stdout and "Example:" in result.stdout and "--policies" in result.stdout
