"""What Linux tells about the server process and its sockets: resident memory, CPU time, open descriptors and
TCP connection states."""
from __future__ import annotations

import os
import pathlib

TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
              7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` in KiB, from /proc/PID/status."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def peak_rss_kib(pid: int) -> int:
    """VmHWM of `pid` in KiB: the most resident memory it has had."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def tcp_connection(local_port: int, remote_port: int) -> dict | None:
    """The IPv4 TCP socket bound to 127.0.0.1:`local_port` and connected to `remote_port`, from /proc/net/tcp:
    {"state": "ESTABLISHED", "tx_queue": bytes not yet acknowledged, "rx_queue": bytes not yet read}, or None
    when no such socket exists. It sees sockets the owning process has already closed (FIN_WAIT1, ...)."""
    local, remote = f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}"
    for line in pathlib.Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            tx_queue, rx_queue = (int(value, 16) for value in fields[4].split(":"))
            return {"state": TCP_STATES.get(int(fields[3], 16), fields[3]), "tx_queue": tx_queue, "rx_queue": rx_queue}
    return None


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time `pid` has used so far, in seconds (utime + stime from /proc/PID/stat)."""
    stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) is fields[0]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_descriptors(pid: int) -> int:
    """How many file descriptors `pid` has open, from /proc/PID/fd."""
    return len(os.listdir(f"/proc/{pid}/fd"))
