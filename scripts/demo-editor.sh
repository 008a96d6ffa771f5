#!/usr/bin/env bash
# The editor side in a minute: installs what pods need (scripts/setup.sh pods) and the offline code-server
# toolchain (test/vscode/setup.sh, without chromium), packages the extension (npm run package), then starts
# code-server on 127.0.0.1 with that .vsix installed on a copy of examples/demo, and prints the URL and its
# password. Ctrl-C stops code-server, deletes the demo's pods and stops its daemon: nothing is left running.
#   bash scripts/demo-editor.sh [--port N] [--vsix FILE] [--check]
#     --port N     listen on that port (default: a free one)
#     --vsix FILE  install this package instead of building one
#     --check      start, log in and fetch the workbench page, stop (the script's own test)
set -euo pipefail
cd "$(dirname "$0")/.."

vsix=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --vsix) vsix="${2:?--vsix needs a file}"; shift 2 ;;
    --port) args+=(--port "${2:?--port needs a number}"); shift 2 ;;
    --check) args+=(--check); shift ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo-editor: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

echo "== installing what pods need (scripts/setup.sh pods)"
bash scripts/setup.sh pods
echo "== the offline code-server toolchain (test/vscode/setup.sh)"
PODSMITH_VSCODE_NO_BROWSER=1 bash test/vscode/setup.sh
if [ -z "$vsix" ]; then
  echo "== packaging the extension (npm run package)"
  version="$(node -p 'require("./package.json").version')"
  vsix="podsmith-$version.vsix"
  node scripts/package.mjs --out "$vsix"
fi
[ -f "$vsix" ] || { echo "demo-editor: no such file: $vsix" >&2; exit 2; }
echo "== starting code-server"
# exec: Ctrl-C reaches the node process alone, which stops everything in order.
exec node scripts/demo-editor.mjs --vsix "$vsix" "${args[@]}"
