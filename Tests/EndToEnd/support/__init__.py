"""Helpers for the end-to-end tests of `mta-sts-host serve`.

- `pki`: a test CA and leaf certificates made with the openssl CLI, in the layouts operators use.
- `worlds`: the policy and certificate directories the tests serve (the standard set, the 1,000-domain set).
- `server`: starting the real binary on port 0, waiting for its ready file, stopping it.
- `http1`: a raw TLS client (Python `ssl`) that writes exact request bytes and parses responses.
- `tools`: the real clients `curl` and `openssl s_client`, and certificate inspection.
"""
