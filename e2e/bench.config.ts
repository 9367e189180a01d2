import { defineConfig } from '@playwright/test';

// `scripts/bench-cores.sh`: the real app (release build) in headless chromium, no devnet.
export const BENCH_PORT = 18090;

export default defineConfig({
  testDir: './bench',
  testMatch: '*.bench.ts',
  outputDir: './bench-results',
  timeout: 600_000,
  expect: { timeout: 120_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${BENCH_PORT}/`,
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    },
  },
  webServer: {
    command: `trunk serve --release --offline --no-autoreload --port ${BENCH_PORT}`,
    cwd: '..',
    url: `http://127.0.0.1:${BENCH_PORT}/`,
    timeout: 900_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
  },
});
