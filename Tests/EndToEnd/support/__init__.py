"""Helpers for the end-to-end tests of `mta-sts-host serve`.

- `pki`: a test CA and leaf certificates made with the openssl CLI, in the layouts operators use.
- `worlds`: the policy and certificate directories the tests serve (the standard set, the 1,000-domain set).
- `server`: starting the real binary on port 0, waiting for its ready file, stopping it.
- `http1`: a raw TLS client (Python `ssl`) that writes exact request bytes and parses responses.
- `tools`: the real clients `curl` (HTTP/1.1 or h2) and `openssl s_client`, and certificate inspection.
- `nghttp2_tools`: `nghttp` (in a private mount namespace with its own /etc/hosts) and `h2load`.
- `h2frames`: HTTP/2 frames and the few HPACK forms as bytes, for exact (and hostile) frame sequences.
- `h2client`: a raw HTTP/2 client over `ssl` that sends those bytes and parses every frame it receives.
- `procfs`: the server's resident memory and TCP socket states, from /proc.
- `checks`: assertions shared by several test modules.
- `safety`: for the operator-safety tests: a world where every domain is served, `reloaded` lines of the text log,
  the server's inotify watches, admin metrics, and the CLI.
- `verify_lab`: the deployment `mta-sts-host verify` checks (test_verify.py), built from these three:
  - `dnsauth`: a small authoritative DNS server (dnslib) with data and faults (SERVFAIL, no answer) set per name;
  - `smtp`: real postfix instances with STARTTLS, and SMTP stand-ins broken on purpose (no STARTTLS, TLS 1.0, silent);
  - `https_standins`: policy hosts broken on purpose (redirects, bad certificate chains).
"""
