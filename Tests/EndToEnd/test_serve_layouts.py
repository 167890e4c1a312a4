"""Directory layouts operators deploy: Kubernetes secret and ConfigMap mounts (`..data` symlinks), and a
policy symlink for an alias domain. (The certbot and `NAME.crt`/`NAME.pem` layouts are in the standard world.)"""
import pytest

from support import worlds
from support.tools import curl, s_client
from support.worlds import HOST_ALIAS, HOST_K


@pytest.fixture(scope="module")
def kubernetes_world(tmp_path_factory, ca):
    return worlds.build_kubernetes_world(tmp_path_factory.mktemp("kubernetes"), ca)


@pytest.fixture(scope="module")
def kubernetes_server(session_launcher, kubernetes_world):
    return session_launcher(kubernetes_world)


def test_kubernetes_secret_and_configmap_mounts_are_served(kubernetes_server, kubernetes_world):
    result = s_client(kubernetes_server.port, HOST_K, kubernetes_world.ca_path)
    assert result.verified and result.leaf.organizational_unit == "k-secret-ec", result.output
    response = curl(kubernetes_server.port, HOST_K, kubernetes_world.ca_path)
    assert (response.status, response.body) == (200, kubernetes_world.bodies[HOST_K])


def test_policy_symlink_serves_the_same_policy_for_an_alias_domain(kubernetes_server, kubernetes_world):
    response = curl(kubernetes_server.port, HOST_ALIAS, kubernetes_world.ca_path)
    assert (response.status, response.body) == (200, kubernetes_world.bodies[HOST_K])
