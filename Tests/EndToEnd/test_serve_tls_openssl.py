"""TLS of `serve` as `openssl s_client` sees it: certificate per SNI, RSA vs ECDSA, alerts, versions, ALPN."""
import pytest

from support.checks import assert_skipped_pair_logged
from support.http1 import request
from support.tools import s_client
from support.worlds import HOST_A, HOST_B, HOST_C, HOST_MISMATCH, HOST_NOPOLICY, HOST_UNKNOWN, POLICY_PATH

UNRECOGNIZED_NAME_ALERT = "SSL alert number 112"


def same_pem(left: bytes, right: bytes) -> bool:
    return left.strip().replace(b"\r\n", b"\n") == right.strip().replace(b"\r\n", b"\n")


@pytest.mark.parametrize("host, label", [
    (HOST_A, "a-certbot-ec"),      # certbot live/ symlinks into archive/
    (HOST_B, "b-wildcard-ec"),     # *.b.test from tls.crt/tls.key
    (HOST_NOPOLICY, "nopolicy-ec"),
])
def test_sni_selects_the_certificate_covering_the_host(server, world, host, label):
    result = s_client(server.port, host, world.ca_path)
    assert result.handshake_completed and result.verified, result.output
    assert same_pem(result.certificates[0], world.leaves[label].cert_pem), result.leaf
    assert result.leaf.organizational_unit == label


def test_certbot_fullchain_is_sent_with_its_chain(server, world):
    result = s_client(server.port, HOST_A, world.ca_path)
    assert len(result.certificates) == 2, result.output
    assert same_pem(result.certificates[1], world.ca.cert_pem)


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
@pytest.mark.parametrize("sigalgs, label, key_type", [
    ("rsa_pss_rsae_sha256", "c-rsa", "rsa"),
    ("ecdsa_secp256r1_sha256", "c-ec", "ec"),
])
def test_rsa_and_ecdsa_certificates_for_one_host_are_chosen_by_client_sigalgs(server, world, version, sigalgs,
                                                                                label, key_type):
    result = s_client(server.port, HOST_C, world.ca_path, version, "-sigalgs", sigalgs)
    assert result.handshake_completed and result.verified, result.output
    assert same_pem(result.certificates[0], world.leaves[label].cert_pem)
    assert result.leaf.key_type == key_type


@pytest.mark.parametrize("host", [HOST_UNKNOWN, "mta-sts.a.test.evil", "x.mta-sts.b.test.invalid"])
def test_unknown_sni_is_refused_with_unrecognized_name_alert(server, world, host):
    result = s_client(server.port, host, world.ca_path)
    assert not result.handshake_completed, result.output
    assert UNRECOGNIZED_NAME_ALERT in result.output and "unrecognized name" in result.output, result.output


def test_wildcard_covers_one_label_only(server, world):
    """`*.b.test` covers mta-sts.b.test but not mta-sts.sub.b.test (RFC 6125 §6.4.3)."""
    result = s_client(server.port, "mta-sts.sub.b.test", world.ca_path)
    assert not result.handshake_completed and UNRECOGNIZED_NAME_ALERT in result.output, result.output


def test_certificate_with_mismatched_key_is_skipped_logged_and_others_serve(server, world):
    refused = s_client(server.port, HOST_MISMATCH, world.ca_path)
    assert not refused.handshake_completed, refused.output
    assert s_client(server.port, HOST_A, world.ca_path).handshake_completed
    assert_skipped_pair_logged(server, world)


def test_handshake_without_sni_and_without_default_host_is_refused(server, world):
    result = s_client(server.port, None, world.ca_path)
    assert not result.handshake_completed, result.output
    assert not result.certificates


def test_tls_1_1_is_refused(server, world):
    """The client is made able to offer TLS 1.1 (OpenSSL 3 needs security level 0 for it)."""
    result = s_client(server.port, HOST_A, world.ca_path, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert not result.handshake_completed and result.protocol is None, result.output


@pytest.mark.parametrize("version, protocol", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls_1_2_and_1_3_serve_the_policy(server, world, version, protocol):
    result = s_client(server.port, HOST_B, world.ca_path, version,
                      send=request("GET", POLICY_PATH, HOST_B, headers=[("Connection", "close")]))
    assert result.protocol == protocol and result.verified, result.output
    assert "HTTP/1.1 200 " in result.output
    assert world.bodies[HOST_B].decode() in result.output


def test_tls_1_3_prefers_aes_128_gcm_sha256_over_the_client_order(server, world):
    """OpenSSL's clients list AES-256-GCM-SHA384 first; ours wins: the key schedule then uses SHA-256."""
    result = s_client(server.port, HOST_A, world.ca_path, "-tls1_3", "-ciphersuites",
                      "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256")
    assert result.protocol == "TLSv1.3" and "TLS_AES_128_GCM_SHA256" in result.output, result.output


def test_hello_retry_request_keeps_the_host_chosen_by_the_first_client_hello(server, world):
    """A key share in a group we do not take (P-384) gets a HelloRetryRequest for X25519; the SNI callback then
    runs for the second ClientHello too, which must keep the host and certificate chosen for the first."""
    result = s_client(server.port, HOST_B, world.ca_path, "-tls1_3", "-groups", "P-384:X25519",
                      send=request("GET", POLICY_PATH, HOST_B, headers=[("Connection", "close")]))
    assert result.protocol == "TLSv1.3" and result.verified, result.output
    assert "Server Temp Key: X25519" in result.output, result.output
    assert same_pem(result.certificates[0], world.leaves["b-wildcard-ec"].cert_pem)
    assert "HTTP/1.1 200 " in result.output and world.bodies[HOST_B].decode() in result.output, result.output


def test_alpn_http11_is_selected(server, world):
    result = s_client(server.port, HOST_A, world.ca_path, "-alpn", "http/1.1")
    assert result.alpn == "http/1.1", result.output


def test_alpn_offer_of_http11_among_unknown_protocols_selects_http11(server, world):
    result = s_client(server.port, HOST_A, world.ca_path, "-alpn", "spdy/3,http/1.1")
    assert result.alpn == "http/1.1", result.output
