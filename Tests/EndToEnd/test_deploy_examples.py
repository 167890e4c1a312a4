"""The deployment examples under deploy/ say what they mean: the Kubernetes manifests, the systemd unit and the
Prometheus rules are parsed and their important fields checked, against each other and against the server
(`serve --help` knows every flag they pass, the ConfigMap's policies pass `check`, the alerts use metric names
the server exports). systemd-analyze and promtool run when installed."""
from __future__ import annotations

import configparser
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
UNIT = DEPLOY / "systemd" / "mta-sts-host.service"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"

METRICS = {
    "mta_sts_certificate_expiry_seconds", "mta_sts_reloads_total", "mta_sts_policies_served",
    "mta_sts_policies_rejected", "mta_sts_requests_total", "mta_sts_handshake_failures_total",
    "mta_sts_open_connections", "mta_sts_domains", "mta_sts_certificates_rejected", "mta_sts_status_file_writable",
    "mta_sts_verify_status", "mta_sts_verify_warnings",
}


# --- Kubernetes -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict]]:
    """kind -> documents, from every YAML file under deploy/kubernetes."""
    by_kind: dict[str, list[dict]] = {}
    for path in sorted(K8S.glob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is None:
                continue
            assert "kind" in document and "apiVersion" in document, f"{path.name}: a document without kind/apiVersion"
            by_kind.setdefault(document["kind"], []).append(document)
    return by_kind


def one(manifests, kind: str) -> dict:
    assert kind in manifests, f"no {kind} in deploy/kubernetes"
    assert len(manifests[kind]) == 1, f"expected one {kind}"
    return manifests[kind][0]


def container(manifests) -> dict:
    containers = one(manifests, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def option_values(args: list[str]) -> dict[str, str]:
    """--name value pairs from an argument list (flags without a value map to '')."""
    values = {}
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[index + 1] if index + 1 < len(args) else ""
            values[arg] = "" if following.startswith("--") else following
    return values


def test_kinds_present(manifests):
    for kind in ("Deployment", "PodDisruptionBudget", "Service", "ConfigMap", "Certificate", "Kustomization"):
        assert kind in manifests, kind


def test_kustomization_lists_every_manifest(manifests):
    listed = set(one(manifests, "Kustomization")["resources"])
    files = {path.name for path in K8S.glob("*.y*ml")} - {"kustomization.yaml"}
    assert listed == files


def test_deployment_replicas_and_labels(manifests):
    deployment = one(manifests, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    selector = spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items(), "the Deployment's selector must match its pod labels"


def test_pdb_and_service_select_the_pods(manifests):
    labels = one(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    pdb = one(manifests, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = one(manifests, "Service")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["type"] in ("LoadBalancer", "ClusterIP")


def test_service_port_reaches_the_https_container_port(manifests):
    ports = one(manifests, "Service")["spec"]["ports"]
    assert [(p["port"], p.get("protocol", "TCP")) for p in ports] == [(443, "TCP")], "only 443 is public"
    named = {p["name"]: p["containerPort"] for p in container(manifests)["ports"]}
    target = ports[0]["targetPort"]
    assert (named.get(target) if isinstance(target, str) else target) == 443


def test_probes_use_the_admin_port(manifests):
    c = container(manifests)
    named = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path
        port = named.get(get["port"]) if isinstance(get["port"], str) else get["port"]
        assert port == 9443, f"{probe} must probe the admin port"
        assert get.get("scheme", "HTTP") == "HTTP", "the admin endpoint is plain HTTP"


def test_pod_and_container_security_context(manifests):
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    pod_context = pod["securityContext"]
    c = container(manifests)
    context = c["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    assert pod_context["runAsUser"] == 10443
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "443"} in pod_context["sysctls"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    assert context.get("runAsUser", pod_context["runAsUser"]) == 10443
    assert pod.get("hostNetwork", False) is False


def test_run_as_user_is_the_images_user(manifests):
    """runAsUser must be the Dockerfile's `useradd --uid` (the Secret's files are readable to that uid/group)."""
    uid = re.search(r"useradd\b.*--uid (\d+)", (REPO_ROOT / "Dockerfile").read_text())
    assert uid, "no useradd --uid in the Dockerfile"
    assert one(manifests, "Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid[1])


def test_volumes_mount_policies_certs_and_state(manifests):
    pod = one(manifests, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container(manifests)["volumeMounts"]}
    assert set(mounts) == {"/policies", "/certs", "/run/mta-sts-host"}
    for mount in mounts.values():
        assert "subPath" not in mount, "subPath mounts never see ConfigMap/Secret updates"
    policies = volumes[mounts["/policies"]["name"]]
    assert policies["configMap"]["name"] == one(manifests, "ConfigMap")["metadata"]["name"]
    certs = volumes[mounts["/certs"]["name"]]
    assert certs["secret"]["secretName"] == one(manifests, "Certificate")["spec"]["secretName"]
    assert mounts["/policies"]["readOnly"] is True and mounts["/certs"]["readOnly"] is True
    assert "emptyDir" in volumes[mounts["/run/mta-sts-host"]["name"]]


def test_certificate_covers_the_configmap_domains(manifests):
    certificate = one(manifests, "Certificate")
    assert certificate["apiVersion"] == "cert-manager.io/v1"
    spec = certificate["spec"]
    assert spec["secretName"] == "mta-sts-tls"
    assert spec["issuerRef"]["name"] == "letsencrypt"
    assert "mta-sts.example.com" in spec["dnsNames"]
    domains = {key.removesuffix(".txt") for key in one(manifests, "ConfigMap")["data"]}
    assert {f"mta-sts.{domain}" for domain in domains} <= set(spec["dnsNames"])


def test_container_args(manifests):
    c = container(manifests)
    args = c.get("command", [])[1:] + c["args"]
    values = option_values(args)
    assert values["--policies"] == "/policies"
    assert values["--certs"] == "/certs"
    assert values["--state-dir"] == "/run/mta-sts-host"
    assert values["--listen"].endswith(":443")
    assert values["--admin"].endswith(":9443")
    assert c.get("command", ["mta-sts-host", "serve"])[:2] == ["mta-sts-host", "serve"]


def test_prometheus_scrapes_the_admin_port(manifests):
    annotations = one(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "9443"
    assert annotations["prometheus.io/path"] == "/metrics"


def serve_options(binary) -> set[str]:
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=10).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", help_text))


def test_the_server_knows_every_flag(manifests, binary):
    c = container(manifests)
    used = {arg for arg in c.get("command", []) + c["args"] if arg.startswith("--")}
    unit = read_unit()
    used |= {arg for arg in unit["Service"]["ExecStart"].split() if arg.startswith("--")}
    assert used - serve_options(binary) == set(), "flags `mta-sts-host serve --help` does not list"


def test_configmap_policies_pass_check(manifests, binary, tmp_path):
    for name, text in one(manifests, "ConfigMap")["data"].items():
        (tmp_path / name).write_text(text)
    result = subprocess.run([binary, "check", "--policies", tmp_path], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


# --- systemd --------------------------------------------------------------------------------------------------

def read_unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_systemd_unit_keys():
    service = read_unit()["Service"]
    assert service["ExecStart"] == ("/usr/local/bin/mta-sts-host serve --listen [::]:443 --policies "
                                    "/etc/mta-sts-host/policies --certs /etc/letsencrypt/live --state-dir "
                                    "/run/mta-sts-host --admin 127.0.0.1:9443")
    expected = {
        "ExecReload": "/bin/kill -HUP $MAINPID",
        "User": "mta-sts",
        "AmbientCapabilities": "CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet": "CAP_NET_BIND_SERVICE",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "RuntimeDirectory": "mta-sts-host",
        "ReadOnlyPaths": "/etc/letsencrypt",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter": "@system-service",
        "KillSignal": "SIGTERM",
        "TimeoutStopSec": "15",
        "LimitNOFILE": "65536",
        "Restart": "on-failure",
    }
    assert {key: service.get(key) for key in expected} == expected


def test_systemd_unit_state_dir_is_the_runtime_directory():
    unit = read_unit()
    values = option_values(unit["Service"]["ExecStart"].split())
    assert values["--state-dir"] == "/run/" + unit["Service"]["RuntimeDirectory"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    # The stop timeout leaves room for the server's own --shutdown-timeout (10 s by default).
    assert int(unit["Service"]["TimeoutStopSec"]) > int(values.get("--shutdown-timeout", "10"))


def unit_with_stub_binary(tmp_path) -> pathlib.Path:
    """The unit with its binary path pointing at a stub, since verify insists that ExecStart= is executable."""
    stub = tmp_path / "mta-sts-host"
    stub.write_text("#!/bin/sh\n")
    stub.chmod(0o755)
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/mta-sts-host", str(stub)))
    return unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify(tmp_path):
    """verify exits 0 even for unknown keys or bad values; it prints them, so the output must be empty."""
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", unit_with_stub_binary(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_security_exposure(tmp_path):
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                             unit_with_stub_binary(tmp_path)], capture_output=True, text=True, timeout=60)
    if "--offline" in result.stderr:
        pytest.skip("systemd-analyze security --offline needs systemd 250 or later")
    exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert exposure, result.stdout + result.stderr
    assert float(exposure[1]) <= 2.5, result.stdout  # 1.8 when written; 10 is an unconfined service


# --- Prometheus -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alert_rules_are_complete(rules):
    assert rules
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule.get("alert")
        assert re.fullmatch(r"\d+[smhd]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    assert len({rule["alert"] for rule in rules}) == len(rules), "alert names repeat"


def test_alert_expressions(rules):
    expressions = " ".join(re.sub(r"\s+", " ", rule["expr"]) for rule in rules)
    for fragment in ("mta_sts_certificate_expiry_seconds < 14 * 86400",
                     'increase(mta_sts_reloads_total{result="failure"}[15m]) > 0',
                     "mta_sts_policies_rejected > 0"):
        assert fragment in expressions
    assert re.search(r"\bup(\{[^}]*\})? == 0", expressions)


def test_alerts_use_only_exported_metric_names(rules):
    used = {name for rule in rules for name in re.findall(r"\bmta_sts_[a-z_]+", rule["expr"])}
    assert used and used <= METRICS
    sources = "\n".join(path.read_text() for path in (REPO_ROOT / "Sources").rglob("*.swift"))
    exported = set(re.findall(r'label: "(mta_sts_[a-z_]+)"', sources))
    assert used <= exported, f"not exported by the server: {used - exported}"


def promtool() -> str | None:
    return os.environ.get("PROMTOOL") or shutil.which("promtool")


@pytest.mark.skipif(promtool() is None, reason="promtool is not installed (Debian: prometheus; or set PROMTOOL)")
def test_promtool_check_and_unit_tests():
    for command in (["check", "rules", ALERTS.name], ["test", "rules", "alerts_test.yml"]):
        result = subprocess.run([promtool(), *command], cwd=ALERTS.parent, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
