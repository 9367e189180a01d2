import { expect, type Locator, type Page } from '@playwright/test';

/** The chain side of the page: wallet card, run form, timeline, history. */
export class ChainsSide {
  readonly wallet: Locator;
  readonly account: Locator;
  readonly walletChain: Locator;
  readonly walletProblem: Locator;
  readonly runButton: Locator;
  readonly runError: Locator;
  readonly runRejected: Locator;
  readonly timeline: Locator;
  readonly total: Locator;

  constructor(readonly page: Page) {
    this.wallet = page.getByTestId('wallet');
    this.account = page.getByTestId('wallet-account');
    this.walletChain = page.getByTestId('wallet-chain');
    this.walletProblem = page.getByTestId('wallet-problem');
    this.runButton = page.getByTestId('run-button');
    this.runError = page.getByTestId('run-error');
    this.runRejected = page.getByTestId('run-rejected');
    this.timeline = page.getByTestId('timeline');
    this.total = page.getByTestId('timeline-total');
  }

  async connect(walletId: string) {
    await this.page.getByTestId(`wallet-${walletId}`).click();
    await expect(this.account).toBeVisible();
  }

  /** Ticks exactly `chains` in the run form. */
  async pickChains(all: number[], chains: number[]) {
    for (const id of all) {
      const box = this.page.getByTestId(`run-chain-${id}`);
      await box.setChecked(chains.includes(id));
    }
  }

  leg(chain: number) {
    return this.timeline.getByTestId(`leg-${chain}`);
  }

  step(chain: number, name: string) {
    return this.leg(chain).locator(`[data-step="${name}"]`);
  }

  /** Waits until every chain's results are stored, and checks each step of each leg. */
  async expectComplete(chainA: number, chains: number[], timeout = 60_000) {
    await expect(this.total).toHaveAttribute('data-complete', 'true', { timeout });
    for (const chain of chains) {
      await expect(this.leg(chain)).toHaveAttribute('data-done', 'true');
      const steps =
        chain === chainA
          ? ['run-mined', 'worker-ran', 'results-stored']
          : ['run-mined', 'request-sent', 'request-relayed', 'worker-ran', 'report-sent', 'report-relayed', 'results-stored'];
      for (const s of steps) await expect(this.step(chain, s)).toHaveAttribute('data-done', 'yes');
    }
    await expect(this.total).toContainText(/all results [\d.]+ s after run was mined/);
  }

  verdict(chain: number) {
    return this.timeline.getByTestId(`verdict-${chain}`);
  }

  /** Every chain's report checked against its block and recomputed on the browser cores. */
  async expectVerified(chains: number[], timeout = 60_000) {
    for (const chain of chains) {
      await expect(this.verdict(chain)).toHaveAttribute('data-state', 'verified', { timeout });
      await expect(this.verdict(chain).getByTestId('verdict-badge')).toHaveText(/^verified · \d+ results$/);
    }
  }
}
