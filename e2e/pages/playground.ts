import type { Locator, Page } from '@playwright/test';
import { MANIFEST_URL } from '../ports';

/** The playground page: header, Cores panel, Chains panel. */
export class PlaygroundPage {
  readonly heading: Locator;
  readonly isolation: Locator;
  readonly yieldMode: Locator;
  readonly coreCount: Locator;
  readonly counter: CounterTask;
  readonly devnetError: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole('heading', { name: 'Interplay' });
    this.isolation = page.getByTestId('isolation');
    this.yieldMode = page.getByTestId('yield-mode');
    this.coreCount = page.getByTestId('core-count');
    this.counter = new CounterTask(page);
    this.devnetError = page.getByTestId('devnet-error');
  }

  /** Opens the app pointed at the harness's devnet. */
  async goto() {
    await this.page.goto(`./?manifest=${encodeURIComponent(MANIFEST_URL)}`);
  }

  chain(chainId: number): ChainRow {
    return new ChainRow(this.page.getByTestId(`chain-${chainId}`));
  }
}

export class CounterTask {
  readonly card: Locator;
  readonly toggle: Locator;
  readonly status: Locator;
  readonly slices: Locator;
  readonly console: Locator;

  constructor(page: Page) {
    this.card = page.getByTestId('counter-task');
    this.toggle = this.card.getByRole('button', { name: /counter/ });
    this.status = page.getByTestId('counter-status');
    this.slices = page.getByTestId('counter-slices');
    this.console = page.getByTestId('counter-console');
  }

  async start() {
    await this.card.getByRole('button', { name: 'Start counter' }).click();
  }

  async stop() {
    await this.card.getByRole('button', { name: 'Stop counter' }).click();
  }

  async sliceCount(): Promise<number> {
    return Number(await this.slices.textContent());
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
