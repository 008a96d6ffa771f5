#!/usr/bin/env bash
# The demo: Podsmith's main job on its built-in examples. Installs, builds, then lints a good folder
# (clean), a broken folder (every mistake found, with line and column), and shows the JSON output.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh >/dev/null
npm run --silent build
podsmith() { node dist/podsmith.js "$@"; }

echo "\$ podsmith lint examples/good"
podsmith lint examples/good

echo
echo "\$ podsmith lint examples/broken"
set +e
podsmith lint examples/broken
code=$?
set -e
echo "(exit code $code: errors found)"
if [ "$code" -ne 1 ]; then echo "demo: expected exit code 1 for the broken examples" >&2; exit 1; fi

echo
echo "\$ podsmith lint --format json examples/broken/wasm-pod.yaml"
podsmith lint --format json examples/broken/wasm-pod.yaml || true
echo
echo "\$ podsmith lint examples/unrelated-compose.yaml   # not a manifest: left alone"
podsmith lint examples/unrelated-compose.yaml
