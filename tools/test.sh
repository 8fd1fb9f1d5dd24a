#!/usr/bin/env bash
# Every test: peers installed when missing, then build, lint and format checks, then mocha (unit, integration
# against real upsd, Node-RED runtime tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-peers.sh
npm run build
npm run lint
if [ $# -eq 0 ]; then set -- "test/**/*.test.ts"; fi
npx mocha "$@"
