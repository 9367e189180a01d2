import { defineConfig } from '@playwright/test';
import { APP_URL, MANIFEST_URL, ports } from './ports';

// The harness starts a real devnet and the real app (Trunk, release build) on test ports, so a
// running playground (8080/8420/9545…) is never disturbed, and tests run in Debian's chromium.
export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // No retries: a test that passes on its second try is a flaky test, and must show as one.
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: APP_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // Root in CI needs --no-sandbox; the rest keeps chromium off the (closed) network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      // Same features as `cargo test --workspace` builds, so this reuses its artifacts.
      command: `cargo build --quiet --workspace --all-targets && exec ${process.env.CARGO_TARGET_DIR ?? 'target'}/debug/devnet --chains 2 --block-time 1 --port ${ports.rpc} --admin-port ${ports.admin}`,
      cwd: '..',
      url: MANIFEST_URL,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    },
    {
      command: `trunk serve --release --offline --no-autoreload --port ${ports.app}`,
      cwd: '..',
      url: APP_URL,
      timeout: 600_000,
      reuseExistingServer: false,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    },
  ],
});
