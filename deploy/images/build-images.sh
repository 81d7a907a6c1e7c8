#!/usr/bin/env bash
# Builds the mlfarm coordinator, agent and Prometheus images FROM scratch out of what this machine has:
# its node binary and the shared libraries `ldd` lists for node, onnxruntime-node's libonnxruntime.so.1,
# the native addons and Debian's prometheus. No registry is involved. Images are tagged with a hash of
# their content, so an unchanged tree is never rebuilt; `:local` always points at the latest build.
#
# Usage: deploy/images/build-images.sh            (after `npm run build`; run from anywhere)
# Prints: KEY=image lines (MLFARM_COORDINATOR_IMAGE=..., MLFARM_AGENT_IMAGE=..., MLFARM_PROMETHEUS_IMAGE=...)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/images"
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/mlfarm-image-XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

log() { echo "build-images: $*" >&2; }

# Copies a file and every library ldd lists for it (dereferenced) to the same paths under $1.
copy_with_libs() {
  local rootfs="$1" file="$2" dest="${3:-$2}"
  mkdir -p "$rootfs$(dirname "$dest")"
  [[ "$file" -ef "$rootfs$dest" ]] || cp -L "$file" "$rootfs$dest"
  { ldd "$file" || true; } | { grep -oE '(/[^ ]+\.so[^ ]*)' || true; } | while read -r lib; do
    # libraries of the package itself travel with node_modules
    [[ "$lib" == "$ROOT"/* || "$lib" == "$rootfs"/* ]] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

base_files() {
  local rootfs="$1"
  mkdir -p "$rootfs/tmp" "$rootfs/data" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  printf 'root:x:0:0:root:/root:/usr/bin/node\nnobody:x:65534:65534:nobody:/:/usr/bin/node\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'NAME="mlfarm scratch image"\nID=scratch\n' >"$rootfs/etc/os-release"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
}

stage_node_app() {
  local rootfs="$STAGE/node/rootfs"
  base_files "$rootfs"
  copy_with_libs "$rootfs" "$(command -v node)" /usr/bin/node
  mkdir -p "$rootfs/app"
  cp -r "$ROOT/bin" "$ROOT/proto" "$ROOT/package.json" "$rootfs/app/"
  [[ -d "$ROOT/recipes" ]] && cp -r "$ROOT/recipes" "$rootfs/app/"
  mkdir -p "$rootfs/app/dist"
  cp -r "$ROOT/dist/apps" "$ROOT/dist/libs" "$rootfs/app/dist/"
  find "$rootfs/app/dist" \( -name '*.map' -o -name '*.spec.js' \) -delete
  # Production dependencies only; onnxruntime-node ships every platform's binaries, keep linux/x64.
  (cd "$ROOT" && npm ls --omit=dev --parseable --all 2>/dev/null | tail -n +2) | while read -r dir; do
    local rel="${dir#"$ROOT"/}"
    mkdir -p "$rootfs/app/$(dirname "$rel")"
    cp -r "$dir" "$rootfs/app/$rel"
  done
  rm -rf "$rootfs"/app/node_modules/onnxruntime-node*/bin/napi-v*/{darwin,win32,linux/arm64}
  for so in "$rootfs"/app/node_modules/onnxruntime-node*/bin/napi-v*/linux/x64/*.so* \
    "$rootfs"/app/node_modules/onnxruntime-node*/bin/napi-v*/linux/x64/*.node \
    "$rootfs"/app/node_modules/better-sqlite3/build/Release/*.node; do
    [[ -f "$so" ]] && copy_with_libs "$rootfs" "$so" "${so#"$rootfs"}"
  done
  cp "$HERE/coordinator.Dockerfile" "$HERE/agent.Dockerfile" "$STAGE/node/"
}

stage_prometheus() {
  local rootfs="$STAGE/prometheus/rootfs"
  base_files "$rootfs"
  copy_with_libs "$rootfs" "$(command -v prometheus)" /bin/prometheus
  copy_with_libs "$rootfs" "$(command -v promtool)" /bin/promtool
  mkdir -p "$rootfs/etc/prometheus" "$rootfs/prometheus"
  cp "$ROOT/deploy/prometheus/prometheus.yml" "$rootfs/etc/prometheus/prometheus.yml"
  cp "$ROOT/deploy/prometheus/mlfarm.rules.yml" "$rootfs/etc/prometheus/mlfarm.rules.yml"
  cp "$HERE/prometheus.Dockerfile" "$STAGE/prometheus/"
}

content_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

build() {
  local name="$1" context="$2" dockerfile="$3" tag="$4"
  if docker image inspect "$name:$tag" >/dev/null 2>&1; then
    log "$name:$tag is up to date"
  else
    log "building $name:$tag"
    docker build -q -f "$context/$dockerfile" -t "$name:$tag" "$context" >&2
  fi
  docker tag "$name:$tag" "$name:local"
  echo "$name:$tag"
}

[[ -f "$ROOT/dist/apps/cli/main.js" ]] || { log "run 'npm run build' first"; exit 2; }
stage_node_app
stage_prometheus
node_tag="$(content_hash "$STAGE/node")"
prom_tag="$(content_hash "$STAGE/prometheus")"
echo "MLFARM_COORDINATOR_IMAGE=$(build mlfarm-coordinator "$STAGE/node" coordinator.Dockerfile "$node_tag")"
echo "MLFARM_AGENT_IMAGE=$(build mlfarm-agent "$STAGE/node" agent.Dockerfile "$node_tag")"
echo "MLFARM_PROMETHEUS_IMAGE=$(build mlfarm-prometheus "$STAGE/prometheus" prometheus.Dockerfile "$prom_tag")"
