import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test, expect } from '@playwright/test';

// P8 (issue 12), part one: what a visitor downloads and how soon they see the page. The wasm
// is the release build Trunk serves for this run (dist/), gzipped at level 9 as a server would.
const dist = path.resolve(__dirname, '../..', 'dist');

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('P8: wasm size and first paint on localhost', async ({ browser }) => {
  const wasm = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm'));
  expect(wasm.length, 'the app and worker wasm in dist/').toBeGreaterThan(0);
  const rows = wasm.map((f) => {
    const bytes = fs.readFileSync(path.join(dist, f));
    const gz = zlib.gzipSync(bytes, { level: 9 }).length;
    return { file: f, raw: bytes.length, gz };
  });
  const paints: number[] = [];
  const mounted: number[] = [];
  // A fresh context each time: nothing cached, as for a first visit.
  for (let i = 0; i < 10; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto('./');
    await expect(page.getByRole('heading', { name: 'Interplay' })).toBeVisible();
    const t = await page.evaluate(async () => {
      const fcp = await new Promise<number>((resolve) => {
        new PerformanceObserver((list, obs) => {
          const e = list.getEntriesByName('first-contentful-paint')[0];
          if (e) {
            obs.disconnect();
            resolve(e.startTime);
          }
        }).observe({ type: 'paint', buffered: true });
      });
      const mark = performance.getEntriesByName('interplay-mounted')[0];
      return { fcp, mounted: mark ? mark.startTime : NaN };
    });
    paints.push(t.fcp);
    if (!Number.isNaN(t.mounted)) mounted.push(t.mounted);
    await context.close();
  }
  const lines = [
    'P8 (issue 12): the app as a visitor gets it (release build, localhost, 10 cold loads)',
    ...rows.map((r) => `  ${r.file.padEnd(40)} ${kb(r.raw).padStart(8)} raw  ${kb(r.gz).padStart(7)} gzipped`),
    `  first contentful paint: median ${median(paints).toFixed(0)} ms (min ${Math.min(...paints).toFixed(0)}, max ${Math.max(...paints).toFixed(0)})  goal < 1000 ms`,
  ];
  if (mounted.length) lines.push(`  app mounted (wasm fetched, compiled, first view built): median ${median(mounted).toFixed(0)} ms`);
  console.log(lines.join('\n'));
});
