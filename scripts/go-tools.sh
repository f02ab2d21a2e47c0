#!/usr/bin/env bash
# Builds the Go tools the tests use, pinned, once per version, with `go install` from the
# Go module proxy, into a cache outside the checkout that every clone on the machine reuses:
#   ${AIRLIFT_TOOLS_DIR:-$HOME/.cache/airlift/tools}/<tool>/<version>/<tool>
# and links <dir>/bin/<tool> to the pinned build. test/harness/tools.ts resolves them there.
# Usage: scripts/go-tools.sh [tool ...]   (default: every tool below)
set -euo pipefail

# tool  module/cmd path  version
TOOLS=(
  "helm helm.sh/helm/v3/cmd/helm v3.22.0"
  "crane github.com/google/go-containerregistry/cmd/crane v0.22.1"
  "regctl github.com/regclient/regclient/cmd/regctl v0.11.7"
  "regsync github.com/regclient/regclient/cmd/regsync v0.11.7"
  "oras oras.land/oras/cmd/oras v1.3.6"
  "cosign github.com/sigstore/cosign/v2/cmd/cosign v2.6.5"
)

dir="${AIRLIFT_TOOLS_DIR:-$HOME/.cache/airlift/tools}"
mkdir -p "$dir/bin"
want=("$@")

for entry in "${TOOLS[@]}"; do
  read -r name module version <<<"$entry"
  if [ "${#want[@]}" -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  dest="$dir/$name/$version"
  if [ ! -x "$dest/$name" ]; then
    command -v go >/dev/null || { echo "go not found: $name $version is built with 'go install' (Go >= 1.22)" >&2; exit 1; }
    echo "building $name $version (go install $module@$version) ..." >&2
    start=$(date +%s)
    mkdir -p "$dest.tmp"
    GOBIN="$dest.tmp" GOFLAGS="-trimpath" CGO_ENABLED=0 go install "$module@$version"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    echo "built $name $version in $(( $(date +%s) - start )) s" >&2
  fi
  ln -sfn "$dest/$name" "$dir/bin/$name"
done
