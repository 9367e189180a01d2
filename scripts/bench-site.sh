#!/usr/bin/env bash
# Prints P8 (issue 12): the app's wasm, raw and gzipped, and first paint on localhost, in
# headless chromium against the release build; then one job split over browser cores only,
# chains only and both, on a 2-chain devnet, click to all results merged.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
cargo build --quiet -p interplay-devnet --bin devnet
cd e2e
npx playwright test --config bench.config.ts site.bench.ts jobs.bench.ts
