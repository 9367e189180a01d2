import { test, expect } from '../fixtures';

test.describe('smoke', () => {
  test.beforeEach(async ({ playground }) => {
    await playground.goto();
  });

  test('the page is cross-origin isolated and says so', async ({ page, playground }) => {
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    await expect(playground.isolation).toHaveText('yes');
    await expect(playground.yieldMode).toContainText('SharedArrayBuffer');
    const hardware = await page.evaluate(() => navigator.hardwareConcurrency);
    await expect(playground.coreCount).toHaveText(String(Math.max(1, hardware - 1)));
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
  await playground.setCores(2);
  await playground.addFromLibrary('counter');
  // Pong shares core 0 with the counter and ping core 1 with the miner: every message cuts a
  // neighbour's slice short, so on a busy 2-core machine rounds take a few ms each.
  await playground.pingPong(100);
  await playground.mine({ seed: '0x5eed', start: 0, end: 3_000_000, bits: 16 });
  await expect(playground.task('ping').status).toHaveText('done', { timeout: 60_000 });
  await expect.poll(() => playground.task('miner').sliceCount()).toBeGreaterThanOrEqual(8);
  await expect(playground.task('counter').console).toContainText(/count = \d+/);
  await expect(playground.chain(902).blockNumber).toHaveText(/^\d+$/);
  await page.setViewportSize({ width: 1280, height: 720 });
  const shot = testInfo.outputPath('playground.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('playground', { path: shot, contentType: 'image/png' });
});
