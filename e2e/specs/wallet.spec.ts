import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '../fixtures';
import { ChainsSide } from '../pages/chains';
import { injectTestWallet, testWallet } from '../wallet/test-wallet';
import { MANIFEST_URL } from '../ports';
import { TestDevnet, onDevnet, rpc } from '../devnet';
import { shoot } from '../shoot';

type Manifest = {
  chains: { chain_id: number; rpc_url: string }[];
  accounts: { address: string }[];
};

async function manifest(): Promise<Manifest> {
  const res = await fetch(MANIFEST_URL);
  return res.json();
}

test.describe('wallet-signed runs', () => {
  test('an injected wallet connects, runs on 2 chains and the timeline shows every step', async ({ page, playground }) => {
    const m = await manifest();
    const account = m.accounts[1].address;
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account,
      startChainId: 901,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('dev.interplay.testwallet');
    await expect(chains.account).toHaveAttribute('title', new RegExp(account, 'i'));
    await expect(chains.walletChain).toHaveAttribute('data-chain', '901');
    await expect(page.getByTestId('chain-901').getByTestId('balance')).toContainText('ETH');
    await chains.pickChains([901, 902], [901, 902]);
    await chains.recordChart();
    await chains.runButton.click();
    await expect(page.getByTestId('run-estimate').first()).toHaveText(/^\d{2,3},\d{3}$/);
    await expect(page.getByTestId('toast').filter({ hasText: 'Mined' })).toBeVisible({ timeout: 30_000 });
    await chains.expectComplete(901, [901, 902]);
    await chains.expectVerified([901, 902]);
    await chains.expectCharted(901, [901, 902]);
    // The history chart has this run's point for each chain.
    const history = page.getByTestId('history-chart');
    await expect(history).toHaveAttribute('data-series', /^chain 901=[\d.]+;chain 902=[\d.]+/);
    await expect(history.locator('._chartistry_series ._chartistry_line')).toHaveCount(2);
    // Cost from receipts: the run on A, and each other chain's two relays.
    const gasAndCost = /^\d{2,3},\d{3} gas · [\d,]+\.\d{2} gwei$/;
    await expect(page.getByTestId('run-cost')).toHaveText(gasAndCost);
    await expect(chains.leg(902).getByTestId('relay-cost')).toHaveText(gasAndCost);
    await expect(chains.leg(901).getByTestId('relay-cost')).toHaveText('in the run transaction');
    await expect(chains.runError).toHaveCount(0);
    await expect(page.getByTestId('remote-devnet')).toHaveCount(0);
  });

  test('a run with a lying worker is marked invalid, naming the result made up and the one left out', async ({ page, playground }) => {
    // InteropPoW takes any worker: place the test-only LyingWorker at one address on each chain.
    const m = await manifest();
    const liar = '0x' + '4c'.repeat(20);
    const artifact = JSON.parse(fs.readFileSync(path.join(__dirname, '../../contracts/artifacts/LyingWorker.json'), 'utf8'));
    for (const c of m.chains) await rpc(c.rpc_url, 'anvil_setCode', [liar, artifact.deployedBytecode.object]);
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('burner');
    await chains.pickChains([901, 902], [901, 902]);
    await page.getByTestId('run-worker').fill(liar);
    // Two zero bits: about 64 results in 255, so there is always one to leave out.
    await page.getByTestId('work-custom').check();
    await page.getByTestId('work-bits').fill('2');
    await chains.runButton.click();
    await expect(chains.total).toHaveAttribute('data-complete', 'true', { timeout: 60_000 });
    for (const chain of [901, 902]) {
      const verdict = chains.verdict(chain);
      await expect(verdict).toHaveAttribute('data-state', 'invalid', { timeout: 60_000 });
      const problems = verdict.getByTestId('verdict-problems');
      await expect(problems).toContainText(/result 0 \(index \d+\) hashes to 0x[0-9a-f]{64}, not below the run's target/);
      await expect(problems).toContainText(/index \d+ is a result \(browser cores found it\) that the report left out/);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    for (const close of await page.getByRole('button', { name: 'Dismiss' }).all()) await close.click();
    await shoot(chains.timeline, 'verification.png');
    await page.getByTestId('run-worker').fill('0x12');
    await chains.runButton.click();
    await expect(chains.runError).toContainText('20-byte address');
  });

  test('a rejected signature is a calm state, and the next attempt succeeds', async ({ page, playground }) => {
    const m = await manifest();
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account: m.accounts[1].address,
      startChainId: 901,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('dev.interplay.testwallet');
    await testWallet.setMode(page, 'reject');
    await chains.runButton.click();
    await expect(chains.runRejected).toBeVisible();
    await expect(chains.runError).toHaveCount(0);
    await expect(page.getByTestId('toast')).toHaveAttribute('data-state', 'rejected');
    await expect(chains.account).toBeVisible();
    await testWallet.setMode(page, 'approve');
    await chains.pickChains([901, 902], [902]);
    await chains.runButton.click();
    await chains.expectComplete(901, [902]);
  });

  test('a busy wallet says to open it, an empty account says how to get funds, and a run that reverts on chain says so', async ({ page, playground }) => {
    const m = await manifest();
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account: m.accounts[1].address,
      startChainId: 901,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('dev.interplay.testwallet');
    await chains.pickChains([901, 902], [902]);

    // -32002: a prompt of ours is already open in the wallet.
    await testWallet.setMode(page, 'busy');
    await chains.runButton.click();
    await expect(chains.runError).toContainText('open it to approve or reject');
    await expect(chains.account).toBeVisible();
    await expect(chains.runButton).toBeEnabled();
    expect(await testWallet.sentCount(page)).toBe(0);

    // The user lowers the gas limit in the wallet: the run reverts on chain, and says where.
    await testWallet.setMode(page, 'approve');
    await testWallet.setGasLimit(page, 60_000);
    await chains.runButton.click();
    await expect(page.getByTestId('toast').filter({ hasText: 'Reverted' })).toBeVisible({ timeout: 30_000 });
    await expect(chains.runError).toContainText(/reverted in block \d+/);
    await expect(page.getByTestId('recent-txs')).toContainText('reverted');
    await testWallet.setGasLimit(page, undefined);

    // An account with nothing to pay gas with: told before the wallet is asked.
    const empty = '0x' + '5e'.repeat(20);
    await testWallet.setAccounts(page, [empty]);
    await expect(chains.account).toHaveAttribute('title', new RegExp(empty, 'i'));
    const sent = await testWallet.sentCount(page);
    await chains.runButton.click();
    await expect(chains.runError).toContainText('no funds on chain 901');
    expect(await testWallet.sentCount(page)).toBe(sent);
  });

  test('a wallet that never answers the connect prompt can be cancelled, and its late answer is ignored', async ({ page, playground }) => {
    const m = await manifest();
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account: m.accounts[1].address,
      startChainId: 901,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await testWallet.setMode(page, 'hold');
    const option = page.getByTestId('wallet-dev.interplay.testwallet');
    await option.click();
    await expect(page.getByTestId('wallet-status')).toHaveText('waiting for the wallet…');
    await expect(option).toBeDisabled();
    await page.getByTestId('wallet-cancel').click();
    await expect(page.getByTestId('wallet-status')).toHaveText('not connected');
    await expect(option).toBeEnabled();
    // The prompt is approved after all, too late: the page stays as the user left it.
    expect(await testWallet.settle(page, true)).toBe(true);
    // One turn of the page's event loop: the answer's promise chain has run by then.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    await expect(page.getByTestId('wallet-status')).toHaveText('not connected');
    await expect(chains.account).toHaveCount(0);
    await testWallet.setMode(page, 'approve');
    await chains.connect('dev.interplay.testwallet');
  });

  test('a wallet on another chain is switched, and the chain added when it answers 4902', async ({ page, playground }) => {
    const m = await manifest();
    // The wallet knows only mainnet (no RPC here) and chain 901.
    await injectTestWallet(page, {
      chains: [{ chainId: 1 }, { chainId: 901, rpcUrl: m.chains[0].rpc_url }],
      account: m.accounts[1].address,
      startChainId: 1,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('dev.interplay.testwallet');
    await expect(chains.walletChain).toHaveAttribute('data-chain', '1');
    await expect(chains.walletChain).toContainText('not in the devnet');
    await page.getByTestId('chain-a').selectOption('902');
    await expect(chains.walletChain).toHaveAttribute('data-chain', '902');
    expect(await testWallet.added(page)).toEqual([
      expect.objectContaining({ chainId: 902, rpcUrl: m.chains[1].rpc_url }),
    ]);
    // The wallet's own switch is followed too.
    await testWallet.switchTo(page, 901);
    await expect(chains.walletChain).toHaveAttribute('data-chain', '901');
  });

  test('the chosen wallet is reconnected on reload without a prompt, and its disconnect is followed', async ({ page, playground }) => {
    const m = await manifest();
    const account = m.accounts[1].address;
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account,
      startChainId: 901,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('dev.interplay.testwallet');
    await page.reload();
    await expect(chains.account).toHaveAttribute('title', new RegExp(account, 'i'));
    // Remembered by its EIP-6963 rdns and asked with eth_accounts: no prompt after a reload.
    const asked = await testWallet.requests(page);
    expect(asked).toContain('eth_accounts');
    expect(asked).not.toContain('eth_requestAccounts');
    await testWallet.disconnect(page);
    await expect(page.getByTestId('wallet-status')).toHaveText('not connected');
    await expect(chains.walletProblem).toContainText('disconnected');
    await expect(chains.account).toHaveCount(0);
    // Connecting again needs no new permission and works.
    await chains.connect('dev.interplay.testwallet');
    await expect(chains.walletChain).toHaveAttribute('data-chain', '901');
  });

  test('a wallet that only sets window.ethereum (no EIP-6963) is found, connects and signs a run', async ({ page, playground }) => {
    const m = await manifest();
    const account = m.accounts[1].address;
    await injectTestWallet(page, {
      chains: m.chains.map((c) => ({ chainId: c.chain_id, rpcUrl: c.rpc_url })),
      account,
      startChainId: 901,
      legacy: true,
    });
    await playground.goto();
    const chains = new ChainsSide(page);
    await expect(page.getByTestId('wallet-window.ethereum')).toContainText('window.ethereum');
    await expect(page.getByTestId('wallet-dev.interplay.testwallet')).toHaveCount(0);
    await chains.connect('window.ethereum');
    await expect(chains.account).toHaveAttribute('title', new RegExp(account, 'i'));
    await chains.pickChains([901, 902], [901, 902]);
    await chains.runButton.click();
    await chains.expectComplete(901, [901, 902]);
    expect(await testWallet.sentCount(page)).toBe(1);
  });

  test('the devnet burner completes a run with no browser wallet', async ({ page, playground }) => {
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('burner');
    await expect(page.getByTestId('wallet-burner')).toContainText('devnet only');
    await chains.pickChains([901, 902], [901, 902]);
    await chains.runButton.click();
    await chains.expectComplete(901, [901, 902]);
    await chains.expectVerified([901, 902]);
    await page.setViewportSize({ width: 1400, height: 900 });
    for (const close of await page.getByRole('button', { name: 'Dismiss' }).all()) await close.click();
    await shoot(page.getByRole('region', { name: 'Chain cores' }), 'run-view.png');
  });

  test('a reload mid-run rebuilds the run from chain', async ({ page, playground }) => {
    await playground.goto();
    const chains = new ChainsSide(page);
    await chains.connect('burner');
    await chains.pickChains([901, 902], [901, 902]);
    await chains.runButton.click();
    await expect(page.getByTestId('toast').filter({ hasText: 'Mined' })).toBeVisible({ timeout: 30_000 });
    const title = await chains.timeline.locator('legend').textContent();
    await page.reload();
    await expect(chains.account).toBeVisible();
    await expect(chains.timeline.locator('legend')).toHaveText(title!);
    await chains.expectComplete(901, [901, 902]);
    // Its start was read after the fact: timed by block timestamps, not this page's clock.
    await expect(chains.total).toContainText('(block times)');
    await expect(page.getByTestId('recent-txs')).toContainText('run on 901, 902');
  });
});

test.describe('runs on devnets of their own', () => {
  // Each starts a devnet (chains, deploys) before its run.
  test.describe.configure({ timeout: 180_000 });
  test('a 4-chain run shows every step for every chain', async ({ page, playground }) => {
    await onDevnet(page, { chains: 4, rpcPort: 19600, adminPort: 18500 }, async (devnet) => {
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      const all = [901, 902, 903, 904];
      await chains.pickChains(all, all);
      await chains.recordChart();
      await chains.runButton.click();
      await chains.expectComplete(901, all);
      await chains.expectVerified(all);
      await chains.expectCharted(901, all);
    });
  });

  test('"pick the cheapest 2" picks the two chains with the lowest base fee, and the run goes there', async ({ page }) => {
    await onDevnet(page, { chains: 3, rpcPort: 19660, adminPort: 18560, baseFees: '3,0.5,1' }, async (devnet) => {
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      // Held block after block by the devnet, so the order cannot drift.
      await expect(page.getByTestId('chain-901').getByTestId('base-fee')).toHaveText('3.000 gwei');
      await expect(page.getByTestId('chain-902').getByTestId('base-fee')).toHaveText('0.500 gwei');
      await expect(page.getByTestId('chain-903').getByTestId('base-fee')).toHaveText('1.000 gwei');
      await page.getByTestId('cheapest-k').fill('2');
      await page.getByTestId('pick-cheapest').click();
      await expect(page.getByTestId('run-chain-901')).not.toBeChecked();
      await expect(page.getByTestId('run-chain-902')).toBeChecked();
      await expect(page.getByTestId('run-chain-903')).toBeChecked();
      await chains.runButton.click();
      await chains.expectComplete(901, [902, 903]);
      await expect(chains.leg(901)).toHaveCount(0);
      await chains.expectVerified([902, 903]);
    });
  });

  test('with no relayer a message is flagged stuck, and Relay now completes the run', async ({ page }) => {
    await onDevnet(page, { chains: 2, rpcPort: 19610, adminPort: 18510, noRelay: true }, async (devnet) => {
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      await chains.pickChains([901, 902], [902]);
      await chains.runButton.click();
      // The request to 902 waits; then the report back to 901: each is relayed by hand.
      for (const destination of [902, 901]) {
        const stuck = page.getByTestId(`stuck-${destination}`);
        await expect(stuck).toBeVisible({ timeout: 30_000 });
        await expect(stuck.getByTestId('stuck-why')).toContainText(/no relayer|reverts/);
        // A clumsy double click sends one relay.
        await stuck.getByTestId('relay-now').dblclick();
        await expect(stuck.getByTestId('relay-error')).toHaveCount(0);
        await expect(stuck).toHaveCount(0, { timeout: 30_000 });
      }
      await chains.expectComplete(901, [902]);
      // Relay now signs with dev account #3, which nothing else uses here: one relay per chain.
      const m = await (await fetch(devnet.manifestUrl)).json();
      for (const chain of m.chains) {
        const nonce = await rpc(chain.rpc_url, 'eth_getTransactionCount', [m.accounts[3].address, 'latest']);
        expect(parseInt(nonce.result, 16), `relays sent on ${chain.chain_id}`).toBe(1);
      }
    });
  });

  test('a run dropped from the pool (as by a restart) is reported gone; the next waits across a reload and is followed until mined', async ({ page }) => {
    await onDevnet(page, { chains: 2, rpcPort: 19640, adminPort: 18540 }, async (devnet) => {
      const m = await (await fetch(devnet.manifestUrl)).json();
      const onA = (method: string, params: unknown[] = []) => rpc(m.chains[0].rpc_url, method, params);
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      await chains.pickChains([901, 902], [901]);
      // Chain A stops mining, so the run waits in its pool; then the pool is emptied.
      await onA('evm_setIntervalMining', [0]);
      await chains.runButton.click();
      await expect(page.getByTestId('toast').filter({ hasText: 'Pending' })).toBeVisible();
      await expect.poll(async () => (await onA('txpool_status')).result.pending).toBe('0x1');
      await onA('anvil_dropAllTransactions');
      await expect(chains.runError).toContainText('is gone');
      await expect(page.getByTestId('toast').filter({ hasText: 'Dropped' })).toBeVisible();
      await expect(page.getByTestId('recent-txs')).toContainText('dropped');
      // The next run waits in the pool across a reload: the page goes on following it. It asks for
      // other work: the same run again reuses the dropped one's nonce and, with no block in between,
      // its fees, so it would be the very same transaction (same hash, one entry in the list).
      await page.getByTestId('work-custom').check();
      await page.getByTestId('work-end').fill('128');
      await chains.runButton.click();
      await expect.poll(async () => (await onA('txpool_status')).result.pending).toBe('0x1');
      await page.reload();
      const newest = page.getByTestId('recent-txs').locator('li').first();
      await expect(newest).toContainText('run on 901 on chain 901 · pending');
      await onA('evm_setIntervalMining', [1]);
      await expect(newest).toContainText(/mined in #\d+/);
      await expect(page.getByTestId('recent-txs').locator('li').nth(1)).toContainText('dropped');
      await expect(page.getByTestId('history-run-901-1')).toBeVisible();
    });
  });

  test('a chain without the Worker is named before anything is signed, and the other chains still run', async ({ page }) => {
    await onDevnet(page, { chains: 2, rpcPort: 19630, adminPort: 18530 }, async (devnet) => {
      const m = await (await fetch(devnet.manifestUrl)).json();
      // A relayed request to an address without code "succeeds", and nothing ever reports.
      await rpc(m.chains[1].rpc_url, 'anvil_setCode', [m.contracts.worker, '0x']);
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      await chains.pickChains([901, 902], [901, 902]);
      await chains.runButton.click();
      await expect(chains.runError).toContainText('Worker is not deployed on chain 902');
      await expect(page.getByTestId('recent-txs')).not.toContainText('run on');
      await chains.pickChains([901, 902], [901]);
      await chains.runButton.click();
      await chains.expectComplete(901, [901]);
      await expect(chains.runError).toHaveCount(0);
    });
  });
});

test.describe('a devnet that goes away', () => {
  test.describe.configure({ timeout: 180_000 });
  // While it is down the browser logs each refused request.
  test.use({ allowConsoleErrors: /ERR_CONNECTION_REFUSED|Failed to fetch|Failed to load resource/ });

  test('a chain reset and re-mined past where the page had read is read again from block 0', async ({ page }) => {
    await onDevnet(page, { chains: 2, rpcPort: 19650, adminPort: 18550 }, async (devnet) => {
      const m = await (await fetch(devnet.manifestUrl)).json();
      const onA = (method: string, params: unknown[] = []) => rpc(m.chains[0].rpc_url, method, params);
      const before = (await onA('evm_snapshot')).result;
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      await chains.pickChains([901, 902], [901]);
      await chains.runButton.click();
      await chains.expectComplete(901, [901]);
      const run = page.getByTestId('history-run-901-1');
      await expect(run).toBeVisible();
      // While the page cannot see chain A, it goes back to before the run and far past it, so
      // its head never looks lower than what the page read.
      const port = new URL(m.chains[0].rpc_url).port;
      const isA = (url: URL) => url.port === port;
      const held: import('@playwright/test').Route[] = [];
      let holding = true;
      await page.route(isA, (route) => (holding ? held.push(route) : route.continue()));
      await expect.poll(() => held.length).toBeGreaterThan(0);
      expect((await onA('evm_revert', [before])).result).toBe(true);
      await onA('anvil_mine', ['0x64']);
      holding = false;
      for (const route of held) await route.continue();
      await page.unroute(isA);
      // The run is gone from chain A, so from the page.
      await expect(run).toHaveCount(0);
      await expect(page.getByTestId('history-empty')).toBeVisible();
    });
  });

  test('a manifest from another machine is flagged before anything is used', async ({ page }) => {
    // No network here: the fetch fails, and the page says both what it tried and who chose it.
    await page.goto(`./?manifest=${encodeURIComponent('https://devnet.example/manifest.json')}`);
    await expect(page.getByTestId('remote-devnet')).toContainText('devnet.example');
    await expect(page.getByTestId('devnet-error')).toContainText('devnet.example');
  });

  test('a devnet that goes down is a clear error, and the app recovers when it is back', async ({ page }) => {
    const opts = { chains: 2, rpcPort: 19620, adminPort: 18520 };
    let devnet = new TestDevnet(opts);
    await devnet.start();
    try {
      await page.goto(`./?manifest=${encodeURIComponent(devnet.manifestUrl)}`);
      const chains = new ChainsSide(page);
      await chains.connect('burner');
      const block = page.getByTestId('chain-901').getByTestId('block-number');
      await expect(block).toHaveText(/^\d+$/);
      await devnet.stop();
      await expect(page.getByTestId('chain-901').getByTestId('chain-error')).toContainText('is down');
      // What was shown stays: the last block, the wallet.
      await expect(block).toHaveText(/^\d+$/);
      await expect(chains.account).toBeVisible();
      devnet = new TestDevnet(opts);
      await devnet.start();
      await expect(page.getByTestId('chain-901').getByTestId('chain-error')).toHaveCount(0, { timeout: 30_000 });
      await chains.pickChains([901, 902], [901, 902]);
      await chains.runButton.click();
      await chains.expectComplete(901, [901, 902]);
    } finally {
      // Leave the page first: its polls of a stopped devnet would log refused connections.
      await page.goto('about:blank');
      await devnet.stop();
    }
  });
});
