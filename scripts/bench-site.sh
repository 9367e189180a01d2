#!/usr/bin/env bash
# Prints P8 (issue 12): the app's wasm, raw and gzipped, and first paint on localhost, in
# headless chromium against the release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
cd e2e
npx playwright test --config bench.config.ts site.bench.ts
