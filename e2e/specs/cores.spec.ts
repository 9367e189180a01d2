import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test, expect } from '../fixtures';
import { APP_URL } from '../ports';

// The native search, built by the harness (`cargo build --workspace --all-targets`).
const POW_SEARCH = resolve(__dirname, '../..', process.env.CARGO_TARGET_DIR ?? 'target', 'debug/pow-search');

test.describe('browser cores', () => {
  test.beforeEach(async ({ playground }) => {
    await playground.goto();
  });

  test('a counter runs slice after slice and can be paused, resumed and killed', async ({ playground }) => {
    await playground.addFromLibrary('counter');
    const counter = playground.task('counter');
    await expect(counter.status).toHaveText(/ready|running/);
    // Each slice ends only when the task sees the flag, so a growing count proves the yields.
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(5);
    await expect(counter.console).toContainText(/count = \d+/);
    await expect(playground.core(0).getByTestId('core-slices')).not.toHaveText('0');

    await counter.button('Pause').click();
    await expect(counter.status).toHaveText('paused');
    const paused = await counter.sliceCount();
    await counter.button('Resume').click();
    await expect.poll(() => counter.sliceCount()).toBeGreaterThan(paused + 2);

    await counter.button('Kill').click();
    await expect(counter.status).toHaveText('killed');
    await expect(counter.button('Kill')).toHaveCount(0);
  });

  test('ping and pong on two cores exchange messages while both run', async ({ playground }) => {
    await playground.setCores(2);
    await playground.pingPong(500);
    const ping = playground.task('ping');
    const pong = playground.task('pong');
    await expect(ping.status).toHaveText('done');
    await expect(ping.console).toContainText(/500 round trips with task \d+/);
    expect(await pong.core()).toBe('core 0');
    expect(await ping.core()).toBe('core 1');
    // Every round crossed between the workers and back; pong is still waiting for more.
    await expect(pong.messages).toHaveText('500 in · 500 out');
    await expect(ping.messages).toHaveText('501 in · 501 out');
    await expect(pong.status).toHaveText('waiting');
    await expect(ping.reason).toHaveCount(0);
  });

  test('a task calls another on its core synchronously, and every answer is right', async ({ playground }) => {
    await playground.calls(400);
    const client = playground.task('calc-client');
    await expect(client.status).toHaveText('done');
    await expect(client.console).toContainText(/400 calls to task \d+ answered correctly/);
    const calc = playground.task('calc');
    expect(await calc.core()).toBe(await client.core());
    // The calls ran inside calc without slices of its own, and cost it nothing.
    await expect(calc.status).toHaveText('waiting');
    await expect(calc.reason).toHaveCount(0);
  });

  test('a call handler that never returns is blamed, not its caller', async ({ playground }) => {
    await playground.setCores(1);
    await playground.addFromLibrary('counter');
    const counter = playground.task('counter');
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(2);
    await playground.calls(10, 'bad-serve');
    const server = playground.task('bad-serve');
    await expect(server.status).toHaveText('preempted');
    await expect(server.reason).toContainText(/its call handler, serving task \d+, ran 400 ms past/);
    // The caller came back from its snapshot and found its callee gone: it fails on its own
    // terms, not as the one that overran.
    const client = playground.task('calc-client');
    await expect(client.status).toHaveText('failed');
    await expect(client.reason).toContainText('call 0');
    await expect(playground.core(0)).toContainText('1 reset(s)');
    const before = await counter.sliceCount();
    await expect.poll(() => counter.sliceCount()).toBeGreaterThan(before + 1);
  });

  test('the miner yields on schedule and finds exactly what the native search finds', async ({ playground }) => {
    const work = { seed: '0x00c0ffee' + 'ab'.repeat(27) + '00', start: 1000, end: 400_000, bits: 11 };
    // Short slices, so even a fast machine needs several for this work.
    const sliceMs = 20;
    await playground.setSliceMs(sliceMs);
    await playground.mine(work);
    const miner = playground.task('miner');
    await expect(miner.results).toBeVisible({ timeout: 30_000 });
    const expected = execFileSync(POW_SEARCH, [work.seed, String(work.start), String(work.end), String(work.bits)])
      .toString()
      .trim();
    expect(expected.split(',').length).toBeGreaterThan(50);
    await expect(miner.results).toHaveText(expected);
    // The search took several slices, each ended by the flag, and the rate was shown live.
    expect(await miner.sliceCount()).toBeGreaterThanOrEqual(3);
    // Its slices are drawn in its core's lane, each about as long as the slice setting: the
    // flag ended them, not the miner running out of work (the last one) or the watchdog.
    const id = await miner.card.getAttribute('data-task-id');
    const core = playground.core(Number((await miner.core()).replace('core ', '')));
    const lane = core.locator(`.bar[data-task="${id}"]`);
    await expect(lane.first()).toBeVisible();
    await expect(core.locator(`.bar.preempted[data-task="${id}"]`)).toHaveCount(0);
    const yielded = await core.locator(`.bar.yielded[data-task="${id}"]`).evaluateAll((bars) =>
      bars.map((b) => Number(b.getAttribute('data-ms'))).sort((a, b) => a - b),
    );
    expect(yielded.length).toBeGreaterThanOrEqual(2);
    const median = yielded[Math.floor(yielded.length / 2)];
    expect(median).toBeGreaterThan(sliceMs / 2);
    expect(median).toBeLessThan(sliceMs * 2);
    await expect(miner.hashRate).toHaveText(/^[1-9][\d.]* kH\/s$/);
    await expect(miner.status).toHaveText('waiting');
  });

  test('a search split across two miners runs on both cores and together finds the same', async ({ playground }) => {
    await playground.setCores(2);
    const work = { seed: '0x5eed', start: 0, end: 300_001, bits: 10 };
    await playground.mine(work, 2);
    const found: string[] = [];
    const cores = new Set<string>();
    for (const nth of [0, 1]) {
      const miner = playground.task('miner', nth);
      await expect(miner.results).toBeVisible({ timeout: 30_000 });
      found.push(...((await miner.results.textContent()) ?? '').split(','));
      cores.add(await miner.core());
    }
    expect([...cores].sort()).toEqual(['core 0', 'core 1']);
    // The first miner took indices 0..150001, the second the rest.
    await expect(playground.task('miner', 0).card.getByTestId('progress')).toHaveText('150001 / 150001');
    await expect(playground.task('miner', 1).card.getByTestId('progress')).toHaveText('150000 / 150000');
    const expected = execFileSync(POW_SEARCH, [work.seed, String(work.start), String(work.end), String(work.bits)])
      .toString()
      .trim();
    expect(found.join(',')).toBe(expected);
  });

  test('misbehaving tasks fail alone, with their reasons, while the others run on', async ({ page, playground }) => {
    await playground.setCores(1);
    await playground.addFromLibrary('counter');
    const counter = playground.task('counter');
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(2);
    // The counter shares the core with each bad task, and must go on after each one.
    const runsOn = async () => {
      const before = await counter.sliceCount();
      await expect.poll(() => counter.sliceCount()).toBeGreaterThan(before + 1);
      await expect(counter.status).toHaveText(/running|ready/);
    };

    const failures: [string, string | RegExp][] = [
      ['bad-trap', 'panicked'],
      ['bad-memory', 'ran out of memory'],
      ['bad-flood', "task 0's inbox is full"],
      ['bad-pointer', /print: range 4294967040\+64 is outside linear memory/],
      ['bad-oversize', 'send_message: 65545 bytes exceeds the limit of 65536'],
    ];
    for (const [name, reason] of failures) {
      await playground.addFromLibrary(name);
      await expect(playground.task(name).status).toHaveText('failed', { timeout: 30_000 });
      await expect(playground.task(name).reason).toContainText(reason);
      // Stopped at the bad call: what it printed after it never appears.
      await expect(playground.task(name).console).not.toContainText('the host');
      await runsOn();
    }

    // Same core as the counter: its worker must be terminated, and the counter restored.
    await playground.addFromLibrary('bad-spin');
    const spin = playground.task('bad-spin');
    await expect(spin.status).toHaveText('preempted');
    await expect(spin.reason).toContainText('ignored the yield flag');
    await expect(playground.core(0)).toContainText('1 reset(s)');
    await runsOn();

    for (const bad of ['bad-imports', 'bad-malformed']) {
      await playground.addFromLibrary(bad);
      await expect(playground.addError).toContainText(`${bad} refused`);
    }
    await expect(playground.addError).toContainText('not a valid WebAssembly module');

    // The counter lived through all of it, on a new worker, and the page still answers.
    await runsOn();
    await counter.button('Pause').click();
    await expect(counter.status).toHaveText('paused');
    expect(await page.evaluate(() => document.querySelectorAll('[data-testid^="task-"]').length)).toBe(7);
  });

  test('an uploaded task runs, and a malformed upload is refused', async ({ page, playground }) => {
    const counter = await page.request.get('tasks/counter.wasm');
    expect(counter.ok()).toBe(true);
    await playground.upload('my-counter.wasm', await counter.body());
    const mine = playground.task('my-counter');
    await expect.poll(() => mine.sliceCount()).toBeGreaterThanOrEqual(3);
    await expect(mine.console).toContainText(/count = \d+/);

    await playground.upload('notes.wasm', Buffer.from('these are not the bytes you are looking for'));
    await expect(playground.addError).toContainText('notes refused: not a valid WebAssembly module');
    await expect(playground.task('notes').card).toHaveCount(0);
    // Refusing it cost the running task nothing.
    const before = await mine.sliceCount();
    await expect.poll(() => mine.sliceCount()).toBeGreaterThan(before);
  });
});

test.describe('not isolated', () => {
  // A page fulfilled by the test counts as public to Chrome, which then blocks its requests to
  // the loopback devnet (Local Network Access); the chains are not what this test is about.
  test.use({ allowConsoleErrors: /loopback. address space|net::ERR_FAILED/ });

  test('without cross-origin isolation the cores run on deadlines, and the page says so', async ({ page, playground }) => {
    // Serve the app without COOP/COEP: no SharedArrayBuffer, so no shared yield flags.
    await page.route(`${APP_URL}**`, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers['cross-origin-opener-policy'];
      delete headers['cross-origin-embedder-policy'];
      await route.fulfill({ response, headers });
    });
    await playground.goto();
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    await expect(playground.isolation).toHaveText('no');
    await expect(playground.yieldMode).toContainText('deadline inside the worker');
    await playground.setCores(1);
    await playground.addFromLibrary('counter');
    const counter = playground.task('counter');
    await expect.poll(() => counter.sliceCount()).toBeGreaterThanOrEqual(3);
    await expect(counter.console).toContainText(/count = \d+/);
    // The grace period is kept by the clock worker here too.
    await playground.addFromLibrary('bad-spin');
    await expect(playground.task('bad-spin').status).toHaveText('preempted');
    const before = await counter.sliceCount();
    await expect.poll(() => counter.sliceCount()).toBeGreaterThan(before + 1);
  });
});
