#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/corpus/<target>/: `python3 Fuzz/make-corpus.py` (needs the `hpack` package, which
comes with `h2`, as `make deps` installs it). Seeds are small and named for what they are; libFuzzer mutates them.

Input layouts (see each target's Swift source):
  policy-parser  the bytes of a policy file
  http1-parser   2 bytes (little-endian split point) + the request bytes
  exchange       flags byte + chunking byte + the decrypted bytes from the client
"""
from __future__ import annotations

import pathlib
import shutil
import struct

import hpack

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
POLICY_PATH = "/.well-known/mta-sts.txt"


def policy_seeds() -> dict[str, bytes]:
    def lines(*rows: str, end: str = "\n") -> bytes:
        return "".join(row + end for row in rows).encode()

    base = ["version: STSv1", "mode: testing", "mx: mail.example.com", "max_age: 86400"]

    def replacing(index: int, row: str | None) -> bytes:
        rows = list(base)
        if row is None:
            del rows[index]
        else:
            rows[index] = row
        return lines(*rows)

    return {
        "valid-rfc-example-crlf": lines("version: STSv1", "mode: enforce", "mx: mail.example.com", "mx: *.example.net",
                                        "mx: backupmx.example.com", "max_age: 604800", end="\r\n"),
        "valid-lf": lines(*base),
        "valid-no-final-line-end": lines(*base)[:-1],
        "valid-mixed-line-ends": b"version: STSv1\r\nmode: testing\nmx: mail.example.com\r\nmax_age: 86400\n",
        "valid-tabs-and-trailing-space": b"version:STSv1 \nmode:\ttesting\t\nmx:   mail.example.com  \nmax_age: 86400 \t\n",
        "valid-mode-none-no-mx": lines("version: STSv1", "mode: none", "max_age: 0"),
        "valid-keys-any-order": lines("version: STSv1", "max_age: 86400", "mx: MAIL.Example.COM", "mode: testing"),
        "valid-a-label-mx": replacing(2, "mx: mx.xn--bcher-kva.example"),
        "valid-duplicate-mx": lines("version: STSv1", "mode: enforce", "mx: a.example", "mx: A.example.", "mx: *.b.example",
                                    "max_age: 31557600"),
        "valid-unknown-extension-key": lines(*base, "x-extension: value"),
        "broken-empty": b"",
        "broken-bom": b"\xef\xbb\xbf" + lines(*base),
        "broken-version-missing": replacing(0, None),
        "broken-version-stsv2": replacing(0, "version: STSv2"),
        "broken-version-not-first": lines("mode: testing", "version: STSv1", "mx: mail.example.com", "max_age: 86400"),
        "broken-mode-case": replacing(1, "mode: Enforce"),
        "broken-mode-duplicate": lines(*base, "mode: enforce"),
        "broken-enforce-without-mx": lines("version: STSv1", "mode: enforce", "max_age: 604800"),
        "broken-max-age-too-big": replacing(3, "max_age: 31557601"),
        "broken-max-age-overflow": replacing(3, "max_age: 99999999999999999999999999"),
        "broken-max-age-sign": replacing(3, "max_age: +86400"),
        "broken-mx-u-label": replacing(2, "mx: mx.b\u00fccher.example"),
        "broken-mx-bad-wildcard": replacing(2, "mx: *mail.example.com"),
        "broken-mx-ip-address": replacing(2, "mx: 192.0.2.1"),
        "broken-mx-label-too-long": replacing(2, "mx: " + "a" * 64 + ".example"),
        "broken-no-colon": replacing(1, "mode testing"),
        "broken-space-before-colon": replacing(1, "mode : testing"),
        "broken-nul-and-control": replacing(2, "mx: mail\x00.example.com\x01"),
        "broken-bare-cr": b"version: STSv1\rmode: testing\rmx: mail.example.com\rmax_age: 86400\r",
        "broken-over-10-kib": lines(*base) + b"x-pad: " + b"p" * 10300 + b"\n",
    }


def http1_requests() -> dict[str, bytes]:
    return {
        "get-policy": f"GET {POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.example.com\r\n\r\n".encode(),
        "get-policy-port-query": f"GET {POLICY_PATH}?x=1 HTTP/1.1\r\nHost: MTA-STS.Example.com:443\r\n"
                                 "User-Agent: fuzz\r\nAccept: */*\r\n\r\n".encode(),
        "head-if-none-match": f"HEAD {POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.example.net\r\n"
                              "If-None-Match: \"abc\", W/\"def\"\r\n\r\n".encode(),
        "absolute-form": f"GET https://mta-sts.example.com{POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.example.com\r\n\r\n".encode(),
        "http10-keep-alive": f"GET {POLICY_PATH} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode(),
        "connection-close": f"GET {POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.example.com\r\nConnection: close\r\n\r\n".encode(),
        "pipelined": (f"GET {POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.example.com\r\n\r\n" * 2
                      + "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n").encode(),
        "leading-empty-lines": b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "post-content-length": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "chunked": b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "no-host": b"GET / HTTP/1.1\r\n\r\n",
        "duplicate-host": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "bare-lf": b"GET / HTTP/1.1\nHost: a\n\n",
        "obs-fold": b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "version-2": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        "options-star": b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
        "connect-authority": b"CONNECT mta-sts.example.com:443 HTTP/1.1\r\nHost: mta-sts.example.com:443\r\n\r\n",
        "incomplete-head": f"GET {POLICY_PATH} HTTP/1.1\r\nHost: mta-sts.ex".encode(),
        "long-header": b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + b"v" * 3000 + b"\r\n\r\n",
        "long-target": b"GET /" + b"a" * 2100 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
        "ipv6-host": b"GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
    }


def http1_seeds() -> dict[str, bytes]:
    seeds = {}
    for name, request in http1_requests().items():
        # Split near the head's end (the interesting place for resumed scanning), and once in the request line.
        seeds[name] = struct.pack("<H", max(0, len(request) - 2)) + request
        seeds[name + "-split-early"] = struct.pack("<H", min(len(request), 7)) + request
    return seeds


def frame(frame_type: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", frame_type, flags, stream_id) + payload


DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def request_fields(authority: str = "mta-sts.example.com", method: str = "GET", path: str = POLICY_PATH,
                   extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    return [(":method", method), (":scheme", "https"), (":authority", authority), (":path", path)] + (extra or [])


def h2_seeds() -> dict[str, bytes]:
    """HTTP/2 frame sequences after the preface (the exchange seeds add the preface by flag or in the bytes)."""
    def client_settings(*pairs: tuple[int, int]) -> bytes:
        return frame(SETTINGS, 0, 0, b"".join(struct.pack("!HI", key, value) for key, value in pairs))

    settings = client_settings((0x2, 0), (0x3, 100), (0x4, 65535))
    encoder = hpack.Encoder()
    get = encoder.encode(request_fields())
    get_again = encoder.encode(request_fields())  # indexed from the dynamic table: a few bytes
    head = hpack.Encoder().encode(request_fields("mta-sts.example.net", "HEAD", extra=[("if-none-match", "\"x\"")]))
    post = hpack.Encoder().encode(request_fields(method="POST", extra=[("content-length", "5")]))
    other = hpack.Encoder().encode(request_fields("mta-sts.unknown.org", path="/"))
    huge = hpack.Encoder().encode(request_fields(extra=[("x-big", "b" * 17000)]))
    return {
        "get": settings + frame(HEADERS, END_STREAM | END_HEADERS, 1, get),
        "two-gets-dynamic-table": settings + frame(HEADERS, END_STREAM | END_HEADERS, 1, get)
        + frame(SETTINGS, ACK, 0) + frame(HEADERS, END_STREAM | END_HEADERS, 3, get_again),
        "head-if-none-match": settings + frame(HEADERS, END_STREAM | END_HEADERS, 1, head),
        "continuation": settings + frame(HEADERS, END_STREAM, 1, get[:5])
        + frame(CONTINUATION, 0, 1, get[5:9]) + frame(CONTINUATION, END_HEADERS, 1, get[9:]),
        "post-with-data": settings + frame(HEADERS, END_HEADERS, 1, post) + frame(DATA, END_STREAM, 1, b"hello"),
        "rst-after-headers": settings + frame(HEADERS, END_HEADERS, 1, get) + frame(RST_STREAM, 0, 1, struct.pack("!I", 8)),
        "control-frames": settings + frame(PING, 0, 0, b"12345678") + frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1 << 20))
        + frame(PRIORITY, 0, 1, struct.pack("!IB", 0, 15)) + frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, 1,
                                                                     struct.pack("!IB", 0, 15) + get)
        + frame(GOAWAY, 0, 0, struct.pack("!II", 1, 0)),
        "zero-window-then-update": client_settings((0x4, 0)) + frame(HEADERS, END_STREAM | END_HEADERS, 1, get)
        + frame(WINDOW_UPDATE, 0, 1, struct.pack("!I", 10)) + frame(WINDOW_UPDATE, 0, 1, struct.pack("!I", 1000)),
        "padded-headers": settings + frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1, b"\x03" + get + b"\0\0\0"),
        "unknown-host": settings + frame(HEADERS, END_STREAM | END_HEADERS, 1, other),
        "even-stream-id": settings + frame(HEADERS, END_STREAM | END_HEADERS, 2, get),
        "huge-header": settings + frame(HEADERS, END_STREAM, 1, huge[:16384]) + frame(CONTINUATION, END_HEADERS, 1, huge[16384:]),
        "bad-hpack": settings + frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\xff\xff\xff\xff\x0f"),
        "settings-only": settings,
        "many-streams": settings + b"".join(frame(HEADERS, END_STREAM | END_HEADERS, 2 * n + 1, get_again if n else get)
                                            for n in range(5)),
    }


def exchange_seeds() -> dict[str, bytes]:
    # Flags: 1 h2, 2 preface, 4/8/12 SNI example.com/example.net/unknown.org, 16 drain, 32 timeout, 64 3 requests.
    def seed(flags: int, chunks: int, payload: bytes) -> bytes:
        return bytes([flags, chunks]) + payload

    seeds = {}
    requests = http1_requests()
    for name in ("get-policy", "head-if-none-match", "pipelined", "http10-keep-alive", "post-content-length",
                 "bare-lf", "no-host", "absolute-form"):
        seeds["h1-" + name] = seed(4, 0, requests[name])
    seeds["h1-no-sni-by-host"] = seed(0, 0, requests["get-policy"])
    seeds["h1-misdirected"] = seed(8, 0, requests["get-policy"])
    seeds["h1-byte-by-byte"] = seed(4, 1, requests["pipelined"])
    seeds["h1-small-reads"] = seed(4, 7, requests["get-policy-port-query"])
    seeds["h1-partial-then-timeout"] = seed(4 | 32, 0, requests["incomplete-head"])
    seeds["h1-drain-midway"] = seed(4 | 16, 30, requests["pipelined"])
    seeds["h1-request-limit"] = seed(4 | 64, 0, requests["get-policy"] * 4)
    for name, frames in h2_seeds().items():
        seeds["h2-" + name] = seed(1 | 2 | 4, 0, frames)
    seeds["h2-preface-in-bytes"] = seed(1 | 4, 0, PREFACE + h2_seeds()["get"])
    seeds["h2-no-preface"] = seed(1 | 4, 0, h2_seeds()["get"])
    seeds["h2-http1-on-h2"] = seed(1 | 4, 0, requests["get-policy"])
    seeds["h2-byte-by-byte"] = seed(1 | 2 | 4, 1, h2_seeds()["two-gets-dynamic-table"])
    seeds["h2-no-sni"] = seed(1 | 2, 13, h2_seeds()["get"])
    seeds["h2-drain-timeout"] = seed(1 | 2 | 4 | 16 | 32, 20, h2_seeds()["many-streams"])
    seeds["h2-stream-limit"] = seed(1 | 2 | 4 | 64, 0, h2_seeds()["many-streams"])
    return seeds


def main() -> None:
    for target, seeds in (("policy-parser", policy_seeds()), ("http1-parser", http1_seeds()),
                          ("exchange", exchange_seeds())):
        directory = CORPUS / target
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, data in seeds.items():
            (directory / name).write_bytes(data)
        print(f"{directory.relative_to(CORPUS.parent.parent)}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
