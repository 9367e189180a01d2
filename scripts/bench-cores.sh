#!/usr/bin/env bash
# Prints the Coreplay runtime's figures P1–P5 (issue 4), measured in headless chromium against
# the release build of the app, with native keccak measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
cargo build --quiet --profile native-bench -p interplay-pow --bin pow-search
cd e2e
npx playwright test --config bench.config.ts cores.bench.ts
