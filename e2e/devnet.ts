// Extra devnets for tests that need their own (4 chains, no relayer, one that goes down): the
// real devnet binary the harness built, on ports away from the harness's.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Page } from '@playwright/test';

const root = path.resolve(__dirname, '..');
const binary = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'devnet');

/** One JSON-RPC call to a chain (anvil's own methods included); the whole response. */
export async function rpc(url: string, method: string, params: unknown[] = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return res.json();
}

export type DevnetOptions = { chains: number; rpcPort: number; adminPort: number; noRelay?: boolean; blockTime?: string; baseFees?: string };

export class TestDevnet {
  private child?: ChildProcess;
  private output = '';
  constructor(readonly opts: DevnetOptions) {}

  get manifestUrl() {
    return `http://127.0.0.1:${this.opts.adminPort}/manifest.json`;
  }

  /** Starts it and waits until its manifest is served (it is written once every chain is ready). */
  async start(timeoutMs = 120_000) {
    const args = ['--chains', String(this.opts.chains), '--block-time', this.opts.blockTime ?? '1', '--port', String(this.opts.rpcPort), '--admin-port', String(this.opts.adminPort)];
    if (this.opts.noRelay) args.push('--no-relay');
    if (this.opts.baseFees) args.push('--base-fees', this.opts.baseFees);
    const child = spawn(binary, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d) => (this.output += d));
    child.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`devnet exited (${child.exitCode ?? child.signalCode}):\n${this.output}`);
      try {
        const res = await fetch(this.manifestUrl);
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`devnet did not serve its manifest in time:\n${this.output}`);
  }

  /** Stops it and its chains (SIGTERM), and waits for the process to exit. */
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** Runs `body` against a devnet of its own, then stops it, leaving the page first: its polls of
 * a stopped devnet would log refused connections. */
export async function onDevnet(page: Page, opts: DevnetOptions, body: (devnet: TestDevnet) => Promise<void>) {
  const devnet = new TestDevnet(opts);
  await devnet.start();
  try {
    await body(devnet);
  } finally {
    await page.goto('about:blank');
    await devnet.stop();
  }
}
