#!/bin/bash
# Copied from the development machines' shared/container/setup-podman.sh (2026-11-29) so that CI, which has
# no stable path to it, can run Tests/Container/test_container.sh. Keep the two in step.
# Makes podman usable on these Debian 12 machines (no Docker engine, no registry) and imports a local
# debian:bookworm-slim base image built with debootstrap from the Debian mirror. Idempotent; ~1 minute the
# first time, seconds afterwards. Needs root.
set -euo pipefail
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman buildah runc debootstrap >/dev/null
fi
NOFILE=$(ulimit -Hn); [ "$NOFILE" = unlimited ] && NOFILE=1048576
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<CONF
[containers]
# the hard nofile limit here is low and root lacks CAP_SYS_RESOURCE; podman caps its own NPROC at 32768
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=32768:32768"]
[engine]
# crun refuses this machine's hybrid cgroup layout; runc works
runtime = "runc"
CONF
if podman image exists docker.io/library/debian:bookworm-slim; then
  echo "base image docker.io/library/debian:bookworm-slim already present"; exit 0
fi
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
R=$(mktemp -d /tmp/rootfs.XXXXXX)
debootstrap --variant=minbase bookworm "$R" "$MIRROR" >/tmp/debootstrap.log
rm -f "$R"/var/cache/apt/archives/*.deb "$R"/var/cache/apt/*.bin "$R"/etc/apt/sources.list
rm -rf "$R"/var/lib/apt/lists/*
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$R"/etc/apt/sources.list.d/
else
  grep '^deb ' /etc/apt/sources.list > "$R"/etc/apt/sources.list
fi
tar -C "$R" -c . | podman import -q --change 'CMD ["bash"]' - localhost/debian:bookworm-slim >/dev/null
podman tag localhost/debian:bookworm-slim docker.io/library/debian:bookworm-slim
rm -rf "$R"
echo "imported docker.io/library/debian:bookworm-slim"
