#!/usr/bin/env bash
# The demo: builds the package, then runs a local Node-RED on 127.0.0.1:1880 with it and a demo flow, polling a
# UPS served by a real upsd (Debian's nut-server, when installed) or by the project's NUT simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
exec npx tsx tools/demo.ts "$@"
