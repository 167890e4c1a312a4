# mta-sts-host: the mta-sts.<domain> HTTPS host for many mail domains.
#
#   docker build -t mta-sts-host .                      # builds from source (needs the swift image)
#   docker build --target prebuilt -t mta-sts-host .    # packages .build/release/mta-sts-host built on the host
#                                                       # (a Debian 12 host: `swift build -c release --static-swift-stdlib`)
#   docker run -d -p 443:443 --sysctl net.ipv4.ip_unprivileged_port_start=443 \
#     --read-only --tmpfs /run --cap-drop=ALL --security-opt no-new-privileges \
#     -v $PWD/policies:/policies:ro -v /etc/letsencrypt:/certs:ro mta-sts-host
#   docker kill -s HUP <container>                       # reload (files are also watched)
# Certificates from Let's Encrypt instead of /certs (one instance per name; see deploy/README.md):
#   docker run ... -v mta-sts-acme:/var/lib/mta-sts-host mta-sts-host --listen [::]:443 \
#     --acme-directory https://acme-v02.api.letsencrypt.org/directory --acme-email hostmaster@example.com \
#     --acme-dir /var/lib/mta-sts-host

# The toolchain the project is tested with (swift-prometheus needs tools 6.2 or later).
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev libnghttp2-dev libcurl4-openssl-dev \
    libldns-dev zlib1g-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
RUN swift build -c release --static-swift-stdlib --product mta-sts-host \
    && install -D .build/release/mta-sts-host /out/mta-sts-host

FROM debian:bookworm-slim AS runtime-base
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libnghttp2-14 libcurl4 libldns3 \
    libsqlite3-0 zlib1g ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10443 --home-dir /nonexistent --shell /usr/sbin/nologin mta-sts \
    && mkdir -p /policies /certs /run/mta-sts-host /var/lib/mta-sts-host \
    && chown mta-sts /run/mta-sts-host /var/lib/mta-sts-host
LABEL org.opencontainers.image.title="mta-sts-host" \
      org.opencontainers.image.description="Serves RFC 8461 MTA-STS policies for many domains, chosen by TLS SNI" \
      org.opencontainers.image.licenses="Apache-2.0"
# /var/lib/mta-sts-host: the ACME account and issued certificates (--acme-dir), which must outlive the container.
VOLUME ["/policies", "/certs", "/var/lib/mta-sts-host"]
EXPOSE 443
STOPSIGNAL SIGTERM
# Binding 443 as a non-root user: set net.ipv4.ip_unprivileged_port_start=443 on the container (see above).
USER mta-sts
# --process-only: a customer domain without a certificate must not get the whole server restarted.
HEALTHCHECK --interval=30s --timeout=5s CMD ["mta-sts-host", "status", "--state-dir", "/run/mta-sts-host", "--check", "--process-only"]
ENTRYPOINT ["mta-sts-host", "serve", "--policies", "/policies", "--certs", "/certs", "--state-dir", "/run/mta-sts-host"]
CMD ["--listen", "[::]:443"]

# The runtime image from a binary built on the host (used where the swift image cannot be pulled).
FROM runtime-base AS prebuilt
COPY .build/release/mta-sts-host /usr/local/bin/mta-sts-host

# The default: everything built from source.
FROM runtime-base AS runtime
COPY --from=build /out/mta-sts-host /usr/local/bin/mta-sts-host
