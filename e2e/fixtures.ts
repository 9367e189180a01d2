import { test as base, expect } from '@playwright/test';
import { PlaygroundPage } from './pages/playground';

type Fixtures = {
  /** Console errors the test expects (one pattern); anything else fails it. */
  allowConsoleErrors: RegExp;
  playground: PlaygroundPage;
};

export const test = base.extend<Fixtures>({
  allowConsoleErrors: [/$^/, { option: true }],
  page: async ({ page, allowConsoleErrors }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (!allowConsoleErrors.test(text)) problems.push(`console error: ${text}`);
    });
    await use(page);
    expect(problems, 'unexpected browser errors').toEqual([]);
  },
  playground: async ({ page }, use) => {
    await use(new PlaygroundPage(page));
  },
});

export { expect };
