#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: installs what is needed, builds, typechecks,
# runs the unit and integration tests, then the real VS Code extension-host and UI tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh test
npm run --silent build
npx tsc -p . --noEmit
echo "== unit and integration tests"
# Setup has installed every tool the tests use, so a test that skips here fails the run (scripts/run-tests.mjs).
PODSMITH_SETUP_DONE=1 node scripts/run-tests.mjs
echo "== rootless: the pod tests again as podsmith-test, in its user namespace"
PODSMITH_SETUP_DONE=1 node scripts/run-tests-rootless.mjs
echo "== VS Code extension-host and UI tests"
bash test/vscode/test.sh
