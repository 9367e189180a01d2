import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test, expect } from '../fixtures';
import { ChainsSide } from '../pages/chains';
import { shoot } from '../shoot';

// The native search, built by the harness (`cargo build --workspace --all-targets`).
const POW_SEARCH = resolve(__dirname, '../..', process.env.CARGO_TARGET_DIR ?? 'target', 'debug/pow-search');
const native = (seed: string, start: number, end: number, bits: number) =>
  execFileSync(POW_SEARCH, [seed, String(start), String(end), String(bits)]).toString().trim();

async function describeJob(page: import('@playwright/test').Page, seed: string, end: number, bits: number, cores: number) {
  await page.getByTestId('work-job').check();
  await page.getByTestId('job-seed').fill(seed);
  await page.getByTestId('work-start').fill('0');
  await page.getByTestId('work-end').fill(String(end));
  await page.getByTestId('work-bits').fill(String(bits));
  await page.getByTestId('job-cores').fill(String(cores));
}

test.describe('one job over both kinds of cores', () => {
  test('a job split over 2 browser cores and 2 chains merges to exactly the native search, and the chains verify', async ({ page, playground }) => {
    await playground.goto();
    await playground.setCores(2);
    const chains = new ChainsSide(page);
    await chains.connect('burner');
    await chains.pickChains([901, 902], [901, 902]);
    const seed = `0x${'5e17'.repeat(16)}`;
    await describeJob(page, seed, 12_000, 8, 2);
    // Evenly: 3,000 each is more than a chain may take, so each chain mines its 1,024.
    await page.getByTestId('job-split').selectOption('even');
    await chains.runButton.click();
    const merged = page.getByTestId('job-merged');
    await expect(merged).toHaveAttribute('data-complete', 'true', { timeout: 90_000 });
    expect(await merged.getAttribute('data-indices')).toBe(native(seed, 0, 12_000, 8));
    const part = (id: string) => page.getByTestId(`job-part-${id}`);
    for (const id of ['core-1', 'core-2', 'chain-901', 'chain-902']) await expect(part(id)).toHaveAttribute('data-done', 'true');
    await expect(part('chain-901').locator('td').nth(1)).toHaveText(/^\d+\.\.\d+$/);
    const range = async (id: string) => (await part(id).locator('td').nth(1).textContent())!.split('..').map(Number);
    for (const id of ['chain-901', 'chain-902']) {
      const [s, e] = await range(id);
      expect(e - s, `${id} mines a run's most`).toBe(1024);
    }
    // The chains mined the job's seed, not their blocks': their reports verify against it.
    await chains.expectVerified([901, 902]);
    // Who did what, charted on one axis: every part's results and its whole range searched.
    const ids = ['core-1', 'core-2', 'chain-901', 'chain-902'];
    const names = ['browser core 1', 'browser core 2', 'chain 901', 'chain 902'];
    const results: string[] = [];
    const searched: string[] = [];
    for (const [i, id] of ids.entries()) {
      results.push(`${names[i]}=${await part(id).locator('td').nth(3).textContent()}`);
      const [s, e] = await range(id);
      searched.push(`${names[i]}=${e - s}`);
    }
    const charts = page.getByTestId('job-charts');
    await expect(charts.getByTestId('job-results-chart')).toHaveAttribute('data-series', results.join(';'));
    await expect(charts.getByTestId('job-searched-chart')).toHaveAttribute('data-series', searched.join(';'));
    await expect(charts.locator('._chartistry_series ._chartistry_line')).toHaveCount(8);
    // Chains pay gas and wait for blocks; browser cores do neither.
    await expect(part('chain-902').getByTestId('job-part-gas')).toHaveText(/^[\d,]+ gas · [\d,]+\.\d{2} gwei$/);
    await expect(part('chain-902').getByTestId('job-part-blocks')).toHaveText(/^[1-9]\d*$/);
    await expect(part('core-1').getByTestId('job-part-gas')).toHaveText('—');
    await page.setViewportSize({ width: 1400, height: 900 });
    for (const close of await page.getByRole('button', { name: 'Dismiss' }).all()) await close.click();
    await shoot(page.getByTestId('job'), 'job.png');
  });

  test('a job on browser cores alone asks for no wallet and nothing to sign', async ({ page, playground }) => {
    await playground.goto();
    await playground.setCores(2);
    const chains = new ChainsSide(page);
    await chains.pickChains([901, 902], []);
    const seed = `0x${'0b'.repeat(32)}`;
    await describeJob(page, seed, 40_000, 10, 2);
    await chains.runButton.click();
    const merged = page.getByTestId('job-merged');
    await expect(merged).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
    expect(await merged.getAttribute('data-indices')).toBe(native(seed, 0, 40_000, 10));
    await expect(page.getByTestId('job-parts').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId('toast')).toHaveCount(0);
    // Chains alone cannot take more than a run's bound each: said before anything is signed.
    await chains.pickChains([901, 902], [901]);
    await page.getByTestId('job-cores').fill('0');
    await chains.runButton.click();
    await expect(chains.runError).toContainText("more than its chains may take (1024)");
  });

  test('by speed, a job the browser cores finish sooner than a chain can answer leaves the chains out, and nothing is signed', async ({ page, playground }) => {
    await playground.goto();
    await playground.setCores(2);
    const chains = new ChainsSide(page);
    await chains.connect('burner');
    await chains.pickChains([901, 902], [901, 902]);
    const seed = `0x${'c4'.repeat(32)}`;
    await describeJob(page, seed, 4096, 8, 2);
    await page.getByTestId('job-split').selectOption('speed');
    await chains.runButton.click();
    const merged = page.getByTestId('job-merged');
    await expect(merged).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
    expect(await merged.getAttribute('data-indices')).toBe(native(seed, 0, 4096, 8));
    await expect(page.getByTestId('job-parts').locator('tbody tr')).toHaveCount(2);
    await expect(page.getByTestId('job-left-out')).toHaveText(
      'chain 901 has no part: its results would come after the others have finished the job. ' +
        'chain 902 has no part: its results would come after the others have finished the job.',
    );
    await expect(page.getByTestId('toast')).toHaveCount(0);
  });
});
