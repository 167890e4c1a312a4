"""A small authoritative DNS server for the `verify` tests, built on dnslib: UDP and TCP on 127.0.0.1:<free port>,
each in a thread of its own, answering from records the test sets (A, AAAA, TXT of one or more strings, MX,
CNAME) and changes while it runs.

Why not BIND (support/bind.py): the `verify` tests need what a zone file cannot say, a name that answers SERVFAIL
or nothing at all, and they change the data per test without a reload. `dig @127.0.0.1 -p PORT` reads it.

Answers, per query name (case-insensitive, with or without the trailing dot):
- a fault set with `fail(name, Fault.SERVFAIL)` or `Fault.TIMEOUT` (the query is dropped: the client times out);
- a CNAME at the name (for any other type): the CNAME, then the target's records, followed within this data;
- records of the type asked: NOERROR with them; records of other types only, or names below it (an empty
  non-terminal): NOERROR without answers (NODATA); nothing: NXDOMAIN.
Every answer is authoritative (AA). A UDP answer larger than the client's limit (512 bytes, or its EDNS size) goes
out truncated (TC), so the client retries over TCP, as with a real server.
"""
from __future__ import annotations

import collections
import enum
import socketserver
import struct
import subprocess
import threading

from dnslib import AAAA, CNAME, EDNS0, MX, QTYPE, RCODE, RR, TXT, A, DNSHeader, DNSRecord

from .bind import free_port_both

TTL = 60
MAX_CNAME_CHAIN = 8  # a loop in the test's data ends here instead of spinning


class Fault(enum.Enum):
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"  # no answer at all, over UDP or TCP


def _key(name: str) -> str:
    return name.rstrip(".").lower() + "."


class AuthoritativeDNS:
    """Start with `AuthoritativeDNS()` (serving at once), stop with `stop()`; `address` is `127.0.0.1:PORT`, the
    form of `--resolver`. Record setters add to what the name has; `clear(name)` removes all of it."""

    def __init__(self, host: str = "127.0.0.1"):
        self._lock = threading.Lock()
        self._records: dict[str, list[RR]] = collections.defaultdict(list)
        self._faults: dict[str, Fault] = {}
        self.queries: list[tuple[str, str]] = []
        """(name, type) of every query received, in order: what the client asked, for a test to look at."""
        self.host = host
        self.port = free_port_both()
        self._udp = _UDPServer((host, self.port), _UDPHandler, self)
        self._tcp = _TCPServer((host, self.port), _TCPHandler, self)
        self._threads = [threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                          name=f"dnsauth-{kind}", daemon=True)
                         for kind, server in (("udp", self._udp), ("tcp", self._tcp))]
        for thread in self._threads:
            thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(5)

    # the data

    def add_a(self, name: str, *addresses: str) -> None:
        self._add(name, QTYPE.A, *(A(address) for address in addresses))

    def add_aaaa(self, name: str, *addresses: str) -> None:
        self._add(name, QTYPE.AAAA, *(AAAA(address) for address in addresses))

    def add_txt(self, name: str, *strings: str | bytes) -> None:
        """One TXT record of these character-strings (each at most 255 bytes; a reader joins them)."""
        self._add(name, QTYPE.TXT, TXT(list(strings)))

    def add_mx(self, name: str, preference: int, exchange: str) -> None:
        self._add(name, QTYPE.MX, MX(_key(exchange), preference))

    def set_cname(self, name: str, target: str) -> None:
        """The name becomes an alias of `target`, and nothing else (RFC 1034: a CNAME stands alone)."""
        with self._lock:
            self._records[_key(name)] = [RR(_key(name), QTYPE.CNAME, rdata=CNAME(_key(target)), ttl=TTL)]

    def clear(self, name: str, qtype: str | None = None) -> None:
        """Removes the name's records (of one type, e.g. "TXT", when given) and its fault."""
        with self._lock:
            if qtype is None:
                self._records.pop(_key(name), None)
                self._faults.pop(_key(name), None)
            else:
                self._records[_key(name)] = [rr for rr in self._records[_key(name)] if rr.rtype != QTYPE.reverse[qtype]]

    def fail(self, name: str, fault: Fault | None) -> None:
        """Every query for the name gets `fault` (None: answered from the data again)."""
        with self._lock:
            if fault is None:
                self._faults.pop(_key(name), None)
            else:
                self._faults[_key(name)] = fault

    def _add(self, name: str, rtype: int, *rdatas) -> None:
        with self._lock:
            self._records[_key(name)].extend(RR(_key(name), rtype, rdata=rdata, ttl=TTL) for rdata in rdatas)

    # answering

    def answer(self, query_bytes: bytes, max_size: int | None) -> bytes | None:
        """The reply to one query message, or None to send nothing. `max_size`: UDP's limit (None over TCP)."""
        try:
            query = DNSRecord.parse(query_bytes)
        except Exception:  # not DNS: a real server drops it too
            return None
        if not query.questions:
            return None
        question = query.q
        name = _key(str(question.qname))
        with self._lock:
            self.queries.append((name, QTYPE.get(question.qtype)))
            fault = self._faults.get(name)
            if fault is Fault.TIMEOUT:
                return None
            reply = query.reply(ra=0, aa=1)
            reply.header.ad = 0  # copied from the query by dnslib; this server validates nothing
            edns = [rr for rr in query.ar if rr.rtype == QTYPE.OPT]
            if edns:  # answer EDNS with EDNS, as servers do (RFC 6891 7)
                reply.add_ar(EDNS0(udp_len=1232))
            if fault is Fault.SERVFAIL:
                reply.header.rcode = RCODE.SERVFAIL
            else:
                self._resolve(reply, name, question.qtype)
        packed = reply.pack()
        if max_size is not None:
            limit = max(512, edns[0].edns_len) if edns else 512
            if len(packed) > limit:
                # The header and question only, TC set: the client asks again over TCP.
                truncated = DNSRecord(DNSHeader(id=reply.header.id, bitmap=reply.header.bitmap, tc=1), q=question)
                packed = truncated.pack()
        return packed

    def _resolve(self, reply: DNSRecord, name: str, qtype: int) -> None:
        """Fills the answer section (the lock held): follows CNAMEs within this data, then the records of `qtype`."""
        for _ in range(MAX_CNAME_CHAIN):
            records = self._records.get(name, [])
            cname = [rr for rr in records if rr.rtype == QTYPE.CNAME]
            if cname and qtype != QTYPE.CNAME:
                reply.add_answer(cname[0])
                name = str(cname[0].rdata.label).lower()
                continue
            matching = [rr for rr in records if qtype in (rr.rtype, QTYPE.ANY)]
            for rr in matching:
                reply.add_answer(rr)
            if not records and not self._has_names_below(name) and not reply.rr:
                reply.header.rcode = RCODE.NXDOMAIN
            return
        reply.header.rcode = RCODE.SERVFAIL

    def _has_names_below(self, name: str) -> bool:
        suffix = "." + name
        return any(other.endswith(suffix) and records for other, records in self._records.items())

    # reading it back, as a client would

    def dig(self, *args: str) -> str:
        return subprocess.run(["dig", f"@{self.host}", "-p", str(self.port), "+time=1", "+tries=1", *args],
                              capture_output=True, text=True, timeout=10).stdout


class _Serving:
    """What the UDP and TCP servers share: threads that do not hold up exit, and the data they answer from."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, dns: AuthoritativeDNS):
        self.dns = dns
        super().__init__(address, handler)


class _UDPServer(_Serving, socketserver.ThreadingUDPServer):
    pass


class _TCPServer(_Serving, socketserver.ThreadingTCPServer):
    pass


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = self.server.dns.answer(data, max_size=512)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    """Messages with a two-byte length (RFC 1035 4.2.2), several per connection, until the client closes. A
    dropped query leaves the connection open and silent, as a stuck server would."""

    def handle(self):
        self.request.settimeout(30)
        try:
            while True:
                header = self._read(2)
                if header is None:
                    return
                message = self._read(struct.unpack("!H", header)[0])
                if message is None:
                    return
                reply = self.server.dns.answer(message, max_size=None)
                if reply is not None:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return

    def _read(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data
