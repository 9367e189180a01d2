import { expect, type Locator, type Page } from '@playwright/test';
import { MANIFEST_URL } from '../ports';

/** The playground page: header, Cores panel, Chains panel. */
export class PlaygroundPage {
  readonly heading: Locator;
  readonly isolation: Locator;
  readonly yieldMode: Locator;
  readonly coreCount: Locator;
  readonly devnetError: Locator;
  readonly addError: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Interplay' });
    this.isolation = page.getByTestId('isolation');
    this.yieldMode = page.getByTestId('yield-mode');
    this.coreCount = page.getByTestId('core-count');
    this.devnetError = page.getByTestId('devnet-error');
    this.addError = page.getByTestId('add-error');
  }

  /** Opens the app pointed at the harness's devnet. */
  async goto(query = '') {
    await this.page.goto(`./?manifest=${encodeURIComponent(MANIFEST_URL)}${query}`);
    await expect(this.heading).toBeVisible();
  }

  async setCores(n: number) {
    const more = this.page.getByRole('button', { name: 'more cores' });
    const fewer = this.page.getByRole('button', { name: 'fewer cores' });
    while (Number(await this.coreCount.textContent()) < n) await more.click();
    while (Number(await this.coreCount.textContent()) > n) await fewer.click();
    await expect(this.coreCount).toHaveText(String(n));
  }

  async setSliceMs(ms: number) {
    const length = this.page.getByTestId('slice-ms');
    const value = async () => Number((await length.textContent())?.replace(' ms', ''));
    while ((await value()) < ms) await this.page.getByRole('button', { name: 'longer slices' }).click();
    while ((await value()) > ms) await this.page.getByRole('button', { name: 'shorter slices' }).click();
    await expect(length).toHaveText(`${ms} ms`);
  }

  /** Adds a task from the library (`tasks/index.json`). */
  async addFromLibrary(name: string) {
    await this.page.getByTestId('library').selectOption(name);
    await this.page.getByTestId('add-task').click();
  }

  async upload(name: string, buffer: Buffer) {
    await this.page.getByTestId('upload').setInputFiles({ name, mimeType: 'application/wasm', buffer });
  }

  async pingPong(rounds: number) {
    await this.page.getByTestId('rounds').fill(String(rounds));
    await this.page.getByTestId('ping-pong').click();
  }

  async calls(n: number, server: 'calc' | 'bad-serve' = 'calc') {
    await this.page.getByTestId('call-server').selectOption(server);
    await this.page.getByTestId('rounds').fill(String(n));
    await this.page.getByTestId('calls').click();
  }

  /** Mines `work`, split across `miners` miners (each on the least loaded core). */
  async mine(work: { seed: string; start: number; end: number; bits: number }, miners = 1) {
    await this.page.getByTestId('miners').fill(String(miners));
    await this.page.getByTestId('seed').fill(work.seed);
    await this.page.getByTestId('start').fill(String(work.start));
    await this.page.getByTestId('end').fill(String(work.end));
    await this.page.getByTestId('bits').fill(String(work.bits));
    await this.page.getByTestId('mine').click();
  }

  /** The card of the `nth` task with this name (in the order they were added). */
  task(name: string, nth = 0): TaskCard {
    return new TaskCard(this.page.getByTestId(`task-${name}`).nth(nth));
  }

  core(index: number): Locator {
    return this.page.getByTestId(`core-${index}`);
  }

  chain(chainId: number): ChainRow {
    return new ChainRow(this.page.getByTestId(`chain-${chainId}`));
  }
}

export class TaskCard {
  readonly status: Locator;
  readonly reason: Locator;
  readonly slices: Locator;
  readonly messages: Locator;
  readonly console: Locator;
  readonly results: Locator;
  readonly hashRate: Locator;

  constructor(readonly card: Locator) {
    this.status = card.getByTestId('status');
    this.reason = card.getByTestId('reason');
    this.slices = card.getByTestId('slices');
    this.messages = card.getByTestId('messages');
    this.console = card.getByTestId('console');
    this.results = card.getByTestId('results');
    this.hashRate = card.getByTestId('hash-rate');
  }

  async sliceCount(): Promise<number> {
    return Number(await this.slices.textContent());
  }

  async core(): Promise<string> {
    return (await this.card.locator('header .muted').textContent()) ?? '';
  }

  button(name: 'Pause' | 'Resume' | 'Kill'): Locator {
    return this.card.getByRole('button', { name });
  }
}

export class ChainRow {
  readonly chainId: Locator;
  readonly blockNumber: Locator;

  constructor(readonly row: Locator) {
    this.chainId = row.getByTestId('chain-id');
    this.blockNumber = row.getByTestId('block-number');
  }

  /** The shown block number, or NaN while none is known. */
  async block(): Promise<number> {
    return Number(await this.blockNumber.textContent());
  }
}
