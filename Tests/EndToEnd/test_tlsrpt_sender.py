"""A real report sender's upload path: `tlsrpt-reporter` (sys4's reportd, PyPI) compresses a report and posts it
with its configured `http_script` (curl). Its report-building side needs the collectd pipeline, so the report here
is one of the fixtures; what is exercised is how that sender compresses and delivers it."""
import types

from tlsrpt_reporter import tlsrpt as reportd

from support.tlsrpt import fixture, stored_files
from support.worlds import HOST_B


def test_tlsrpt_reporter_delivers_a_report_over_https(start_server, world, tmp_path):
    server = start_server(world, "--reports", str(tmp_path / "reports"))
    default_script = reportd.options_reportd["http_script"]["default"]
    # Its default script, told where the test host is, which CA to trust, and to fail on an HTTP error (the
    # default treats any answer as delivered).
    script = default_script.replace("curl ", f"curl --fail --cacert {world.ca_path} "
                                              f"--resolve {HOST_B}:{server.port}:127.0.0.1 ", 1)
    # The daemon without its start-up (database, fetchers): only its configuration, which the upload reads.
    sender = reportd.TLSRPTReportd.__new__(reportd.TLSRPTReportd)
    sender.cfg = types.SimpleNamespace(http_script=script, http_timeout=10, debug_send_http_dest=None,
                                       debug_send_file_dest=None, compression_level=9)
    body = fixture("google-shape.json").decode()
    result = sender.send_out_report("2024-03-01", "b.test", 1, "u1",
                                    f"https://{HOST_B}:{server.port}/tlsrpt", body)
    assert result == reportd.DeliveryResult.SUCCEEDED
    stored = [path for path in stored_files(tmp_path / "reports") if "Google" in path.name]
    assert len(stored) == 1 and stored[0].read_text() == body
