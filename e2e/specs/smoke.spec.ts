import { test, expect } from '../fixtures';

test.describe('smoke', () => {
  test.beforeEach(async ({ playground }) => {
    await playground.goto();
    await expect(playground.heading).toBeVisible();
  });

  test('the page is cross-origin isolated and says so', async ({ page, playground }) => {
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    await expect(playground.isolation).toHaveText('yes');
    await expect(playground.yieldMode).toContainText('SharedArrayBuffer');
    const hardware = await page.evaluate(() => navigator.hardwareConcurrency);
    await expect(playground.coreCount).toHaveText(String(Math.max(1, hardware - 1)));
  });

  test('the counter task runs slices in a worker and yields on the flag', async ({ playground }) => {
    const { counter } = playground;
    await expect(counter.status).toHaveText('idle');
    await counter.start();
    await expect(counter.status).toHaveText('running');
    // Each slice ends only when the task sees the flag, so a growing count proves the yields.
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(5);
    // The task itself prints from inside the worker.
    await expect(counter.console).toContainText(/count = \d+/);
    await counter.stop();
    await expect(counter.status).toHaveText('stopped');
    await expect(counter.toggle).toHaveText('Start counter');
    // A restart loads a fresh instance on a fresh worker.
    await counter.start();
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(2);
    await counter.stop();
  });

  test('both devnet chains show their id and a live block number', async ({ playground }) => {
    for (const id of [901, 902]) {
      const chain = playground.chain(id);
      await expect(chain.chainId).toHaveText(String(id));
      await expect(chain.blockNumber).toHaveText(/^\d+$/);
      const first = await chain.block();
      // Blocks come every second on the test devnet.
      await expect.poll(() => chain.block(), { timeout: 20_000 }).toBeGreaterThan(first);
    }
    await expect(playground.devnetError).toHaveCount(0);
  });
});

test('the playground as a user sees it', async ({ playground, page }, testInfo) => {
  await playground.goto();
  await playground.counter.start();
  await expect.poll(() => playground.counter.sliceCount()).toBeGreaterThanOrEqual(12);
  await expect(playground.counter.console).toContainText(/count = \d+/);
  await expect(playground.chain(902).blockNumber).toHaveText(/^\d+$/);
  await page.setViewportSize({ width: 1280, height: 720 });
  const shot = testInfo.outputPath('playground.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('playground', { path: shot, contentType: 'image/png' });
});
