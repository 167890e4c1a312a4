"""1,000 domains on one server: 4 certificates with 250 SANs each, 1,000 policies, one mismatched pair."""
import concurrent.futures
import ssl

import pytest

from support.checks import assert_skipped_pair_logged
from support.http1 import Connection, client_context, request, tls_connect
from support.worlds import HOST_MISMATCH, POLICY_PATH

CLIENT_THREADS = 8
OVERALL_LIMIT = 90.0  # seconds for all 1,000 fetches; each socket has its own 5 s timeout as well


@pytest.fixture(scope="module")
def scale_server(session_launcher, scale_world):
    return session_launcher(scale_world, "--log-level", "info", "--log-format", "text")


def fetch_policy(server, context: ssl.SSLContext, host: str) -> tuple[int, bytes]:
    with Connection(tls_connect(server.port, host, None, context=context)) as connection:
        response = connection.exchange(request("GET", POLICY_PATH, host))
        return response.status, response.body


def test_every_one_of_1000_hosts_answers_its_own_policy(scale_server, scale_world):
    context = client_context(scale_world.ca_path)
    hosts = sorted(set(scale_world.bodies) - {HOST_MISMATCH})
    assert len(hosts) == 1000
    failures = {}
    with concurrent.futures.ThreadPoolExecutor(CLIENT_THREADS) as pool:
        futures = {pool.submit(fetch_policy, scale_server, context, host): host for host in hosts}
        for future in concurrent.futures.as_completed(futures, timeout=OVERALL_LIMIT):
            host = futures[future]
            try:
                status, body = future.result()
            except Exception as error:  # collected so that one report shows how many hosts fail, and how
                failures[host] = repr(error)
                continue
            if (status, body) != (200, scale_world.bodies[host]):
                failures[host] = (status, body[:80])
    assert not failures, f"{len(failures)} of {len(hosts)} hosts failed, e.g. {sorted(failures.items())[:5]}"


def test_mismatched_pair_is_skipped_and_logged_among_1000_domains(scale_server, scale_world):
    with pytest.raises((ssl.SSLError, ConnectionError)):
        fetch_policy(scale_server, client_context(scale_world.ca_path), HOST_MISMATCH)
    assert_skipped_pair_logged(scale_server, scale_world)
