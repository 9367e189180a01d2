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

  /** Starts recording every state of the run chart's lines (`chain 901=3;chain 902=0`), so a
   * test can tell a chart that grew report by report from one drawn once at the end. */
  async recordChart() {
    await this.page.evaluate(() => {
      const w = window as any;
      w.__chartStates = [] as string[];
      const read = () => {
        const s = document.querySelector('[data-testid=run-chart]')?.getAttribute('data-series');
        if (s != null && s !== w.__chartStates[w.__chartStates.length - 1]) w.__chartStates.push(s);
      };
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-series'] });
    });
  }

  /** Each chain's last value on the run chart, as the chart's lines say. */
  static parseSeries(s: string): Map<string, number> {
    return new Map(s.split(';').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return [k, v === '' ? NaN : Number(v)] as [string, number];
    }));
  }

  /** The run chart has a drawn line per chain ending at that chain's verified result count,
   * and it was drawn as the reports landed: chain A's results (stored in the run's own
   * block) were charted while another chain's line was still at 0. */
  async expectCharted(chainA: number, chains: number[]) {
    const chart = this.timeline.getByTestId('run-chart');
    const counts = new Map<string, number>();
    for (const c of chains) {
      const badge = await this.verdict(c).getByTestId('verdict-badge').textContent();
      counts.set(`chain ${c}`, Number(/(\d+) results/.exec(badge!)![1]));
    }
    const want = [...counts].map(([k, v]) => `${k}=${v}`).join(';');
    await expect(chart).toHaveAttribute('data-series', want);
    await expect(chart).toHaveAttribute('data-lines', String(chains.length));
    await expect(chart.locator('._chartistry_series ._chartistry_line')).toHaveCount(chains.length);
    for (const c of chains) await expect(chart.locator('._chartistry_legend')).toContainText(`chain ${c}`);
    const states: string[] = await this.page.evaluate(() => (window as any).__chartStates);
    const early = states.map(ChainsSide.parseSeries).find((m) =>
      m.get(`chain ${chainA}`) === counts.get(`chain ${chainA}`) && chains.some((c) => c !== chainA && m.get(`chain ${c}`) === 0));
    expect(early, `a state with chain ${chainA}'s results in and another chain's not yet, among ${JSON.stringify(states)}`).toBeTruthy();
  }
}
