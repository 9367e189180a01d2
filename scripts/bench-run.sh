#!/usr/bin/env bash
# Prints P7 (issue 11): a wallet-signed run on 2 local chains in the real app, from clicking Run
# to all results shown, median of 10, with its breakdown, at 1 s and 200 ms blocks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
cargo build --quiet -p interplay-devnet --bin devnet
cd e2e
npx playwright test --config bench.config.ts chains.bench.ts
