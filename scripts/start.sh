#!/usr/bin/env bash
# Quick start: installs Bun (npm) and the workspace when missing, then starts the server.
# With no config it streams the built-in demo source on http://localhost:5001/api/stream/video.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure.sh
ensure_bun
ensure_workspace
exec bun run apps/server "$@"
