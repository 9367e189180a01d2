import path from 'node:path';
import { test, type Locator } from '@playwright/test';

/** A screenshot for the test's report; with UPDATE_SCREENSHOTS=1, the README's copy in docs/. */
export async function shoot(target: Locator, name: string) {
  const shot = process.env.UPDATE_SCREENSHOTS ? path.join(__dirname, '../docs', name) : test.info().outputPath(name);
  await target.screenshot({ path: shot });
  await test.info().attach(name, { path: shot, contentType: 'image/png' });
}
