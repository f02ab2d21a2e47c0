#!/usr/bin/env bash
# Installs the Debian packages airlift's tests, example and benchmark use:
# the distribution registry, skopeo (the independent client), htpasswd and openssl, and
# qemu-user with arm64 libc/libstdc++ (the release test runs the arm64 single executable);
# nginx, docker.io, podman and containerd (chart repository and real-loader tests);
# then the pinned Go tools (helm, crane, regctl/regsync, oras, cosign) through scripts/go-tools.sh.
set -euo pipefail
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need+=(libstdc++6-arm64-cross)
# nginx serves the TLS + basic-auth Helm chart repository of the chart-repository tests;
# dockerd, podman and containerd's ctr are the real loaders of the bundle tests.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
command -v podman >/dev/null || need+=(podman)
command -v ctr >/dev/null || need+=(containerd)
if [ "${#need[@]}" -gt 0 ] || [ "${AIRLIFT_FORCE_APT:-}" = 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends docker-registry skopeo apache2-utils openssl \
    qemu-user libc6-arm64-cross libstdc++6-arm64-cross nginx docker.io podman containerd
fi
# The Debian packages start services (registry on :5000, nginx on :80, docker, containerd) where
# systemd runs; airlift's tests start their own, on loopback, with their own data directories.
for svc in docker-registry nginx docker containerd; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
# Pinned Go tools (helm, crane, regctl, regsync, oras, cosign), built once per version into ~/.cache/airlift/tools.
"$(dirname "$0")/go-tools.sh"
