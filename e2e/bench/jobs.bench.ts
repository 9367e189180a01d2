import { test, expect, type Page } from '@playwright/test';
import { TestDevnet } from '../devnet';
import { PlaygroundPage } from '../pages/playground';
import { ChainsSide } from '../pages/chains';

// P8 (issue 12), part two: one job split over browser cores only, chains only, and both, in
// the real app on a real 2-chain devnet (200 ms blocks), side by side in one run. The time is
// the app's own: from clicking Run to the last part's results merged (`job-merged` data-ms).
const REPEAT = Number(process.env.P8_RUNS ?? 3);
const CORES = 2;

type Mode = { name: string; chains: number[]; cores: number; split: 'speed' | 'even' };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let nth = 0;
async function runJob(page: Page, mode: Mode, end: number, bits: number): Promise<{ ms: number; parts: string }> {
  const chains = new ChainsSide(page);
  await expect(chains.runButton).toBeEnabled({ timeout: 120_000 });
  await page.getByTestId('work-job').check();
  // A new seed every time: each job is its own search, not a cached answer.
  const seed = '0x' + (++nth).toString(16).padStart(4, '0').repeat(16);
  await page.getByTestId('job-seed').fill(seed);
  await page.getByTestId('work-start').fill('0');
  await page.getByTestId('work-end').fill(String(end));
  await page.getByTestId('work-bits').fill(String(bits));
  await chains.pickChains([901, 902], mode.chains);
  await page.getByTestId('job-cores').fill(String(mode.cores));
  await page.getByTestId('job-split').selectOption(mode.split);
  await chains.runButton.click();
  const job = page.getByTestId('job');
  await expect(job.locator('code').first()).toHaveAttribute('title', seed);
  const merged = page.getByTestId('job-merged');
  await expect(merged).toHaveAttribute('data-complete', 'true', { timeout: 300_000 });
  const ms = Number(await merged.getAttribute('data-ms'));
  const rows = job.getByTestId('job-parts').locator('tbody tr');
  const parts: string[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const cells = rows.nth(i).locator('td');
    parts.push(`${await cells.nth(0).textContent()} ${await cells.nth(1).textContent()}`);
  }
  return { ms, parts: parts.join(', ') };
}

test('P8: a split job on browser cores only, chains only, and both', async ({ page }) => {
  const devnet = new TestDevnet({ chains: 2, rpcPort: 19720, adminPort: 18620, blockTime: '0.2' });
  await devnet.start();
  try {
    await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
    await new PlaygroundPage(page).setCores(CORES);
    await new ChainsSide(page).connect('burner');
    const sizes: { end: number; bits: number; modes: Mode[] }[] = [
      // Small enough for the chains alone (a run's most is 1,024 indices per chain).
      {
        end: 2048,
        bits: 8,
        modes: [
          { name: 'browser cores only', chains: [], cores: CORES, split: 'even' },
          { name: 'chains only', chains: [901, 902], cores: 0, split: 'even' },
          { name: 'both, by speed', chains: [901, 902], cores: CORES, split: 'speed' },
          { name: 'both, evenly', chains: [901, 902], cores: CORES, split: 'even' },
        ],
      },
      // A job the chains cannot take alone: what they add beside the browser cores.
      {
        end: 4_000_000,
        bits: 16,
        modes: [
          { name: 'browser cores only', chains: [], cores: CORES, split: 'even' },
          { name: 'both, by speed', chains: [901, 902], cores: CORES, split: 'speed' },
        ],
      },
    ];
    const lines = [`P8 (issue 12): one job split across ${CORES} browser cores and 2 chains (200 ms blocks), click → all results merged, median of ${REPEAT}`];
    for (const size of sizes) {
      for (const mode of size.modes) {
        const runs: { ms: number; parts: string }[] = [];
        // One run first, not counted: the first of a mode also measures speeds for the plan.
        await runJob(page, mode, size.end, size.bits);
        for (let i = 0; i < REPEAT; i++) runs.push(await runJob(page, mode, size.end, size.bits));
        const ms = runs.map((r) => r.ms);
        lines.push(
          `  ${size.end.toLocaleString('en')} indices, ${mode.name.padEnd(20)} ${(median(ms) / 1000).toFixed(2)} s ` +
            `(min ${(Math.min(...ms) / 1000).toFixed(2)}, max ${(Math.max(...ms) / 1000).toFixed(2)})  parts: ${runs[runs.length - 1].parts}`,
        );
      }
    }
    console.log(lines.join('\n'));
  } finally {
    await devnet.stop();
  }
});
