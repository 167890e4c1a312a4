"""What a report costs the server (`make test-long`; prints its figures): CPU per stored report, against a policy
GET on a fresh connection each (what a sender does), and peak memory under a 1 GiB gzip bomb."""
import concurrent.futures

import pytest

from support import procfs
from support.http1 import client_context, tls_connect
from support.tlsrpt import GZIP, REPORT_PATH, gz, gzip_bomb, post_curl, report
from support.worlds import HOST_B, POLICY_PATH

POSTS = 500


def exchange(port, context, request):
    sock = tls_connect(port, HOST_B, None, context=context, timeout=10)
    try:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return int(answer.split(b" ")[1])
    finally:
        sock.close()


def post_request(body):
    return (f"POST {REPORT_PATH} HTTP/1.1\r\nHost: {HOST_B}\r\nContent-Type: {GZIP}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@pytest.mark.long
def test_cpu_per_stored_report_and_memory_under_a_bomb(start_server, world, tmp_path):
    server = start_server(world, "--reports", str(tmp_path / "reports"))
    context = client_context(world.ca_path)
    gets = [f"GET {POLICY_PATH} HTTP/1.1\r\nHost: {HOST_B}\r\nConnection: close\r\n\r\n".encode()] * POSTS
    posts = [post_request(gz(report(f"cost-{index}", failures=[("certificate-expired", "mx1.b.test", 2)])))
             for index in range(POSTS)]
    figures = {}
    for name, requests in (("get", gets), ("post", posts)):
        before = procfs.cpu_seconds(server.process.pid)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda request: exchange(server.port, context, request), requests))
        assert statuses == [200] * POSTS
        figures[name] = (procfs.cpu_seconds(server.process.pid) - before) / POSTS * 1000
    rss = procfs.rss_kib(server.process.pid)
    assert post_curl(server.port, HOST_B, world.ca_path, gzip_bomb(), GZIP).status == 413
    peak = procfs.peak_rss_kib(server.process.pid)
    print(f"\nserver CPU per policy GET (own connection): {figures['get']:.2f} ms; per stored report (own connection, "
          f"gzip, fsync): {figures['post']:.2f} ms; RSS {rss // 1024} MiB before a 1 GiB gzip bomb, peak "
          f"{peak // 1024} MiB")
    assert peak - rss < 96 * 1024
