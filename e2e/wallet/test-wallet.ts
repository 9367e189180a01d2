// An injected test wallet: EIP-1193 provider announced by EIP-6963, backed by the devnet's
// unlocked anvil accounts (eth_sendTransaction is forwarded to the chain it is on). Each
// prompt (connect, switch, add, send) is approved, rejected or held, under the test's control.
import type { Page } from '@playwright/test';

export type WalletChain = { chainId: number; rpcUrl?: string };

export type TestWalletOptions = {
  /** Chains the wallet already knows; others answer 4902 until added. */
  chains: WalletChain[];
  account: string;
  startChainId: number;
  name?: string;
  rdns?: string;
  /** Install as a bare window.ethereum instead of announcing by EIP-6963. */
  legacy?: boolean;
};

/** approve / reject (4001) at once, hold until settled, or busy: -32002, a prompt already open. */
export type Mode = 'approve' | 'reject' | 'hold' | 'busy';

/** Runs in the page, before the app. */
function install(opts: TestWalletOptions) {
  type Pending = { method: string; resolve: () => void; reject: (e: unknown) => void };
  const rpc = new Map<number, string | undefined>(opts.chains.map((c) => [c.chainId, c.rpcUrl]));
  const saved = sessionStorage.getItem('testWallet.accounts');
  const state = {
    chainId: Number(sessionStorage.getItem('testWallet.chain') ?? opts.startChainId),
    accounts: saved ? (JSON.parse(saved) as string[]) : ([] as string[]),
    mode: 'approve' as Mode,
    pending: [] as Pending[],
    requests: [] as string[],
    sent: [] as string[],
    /** When each eth_sendTransaction reached the wallet (performance.now()), for benchmarks. */
    sendAsked: [] as number[],
    /** A gas limit the user typed in the wallet over the app's (hex), if any. */
    gasLimit: undefined as string | undefined,
  };
  const listeners = new Map<string, Set<(v: unknown) => void>>();
  const emit = (event: string, value: unknown) => listeners.get(event)?.forEach((f) => f(value));
  const fail = (code: number, message: string, data?: unknown) =>
    Object.assign(new Error(message), { code, data });
  const hex = (n: number) => '0x' + n.toString(16);
  const remember = () => {
    // A wallet keeps its permission and chain across reloads; the page does not.
    sessionStorage.setItem('testWallet.accounts', JSON.stringify(state.accounts));
    sessionStorage.setItem('testWallet.chain', String(state.chainId));
  };

  const approval = (method: string) =>
    new Promise<void>((resolve, reject) => {
      if (state.mode === 'approve') resolve();
      else if (state.mode === 'reject') reject(fail(4001, 'User rejected the request.'));
      else if (state.mode === 'busy') reject(fail(-32002, `Request of type '${method}' already pending for origin. Please wait.`));
      else state.pending.push({ method, resolve, reject });
    });

  const forward = async (method: string, params: unknown) => {
    const url = rpc.get(state.chainId);
    if (!url) throw fail(4901, `the wallet has no RPC for chain ${state.chainId}`);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params ?? [] }),
    });
    const body = await res.json();
    if (body.error) throw fail(body.error.code, body.error.message, body.error.data);
    return body.result;
  };

  const provider = {
    isTestWallet: true,
    async request({ method, params }: { method: string; params?: any[] }) {
      state.requests.push(method);
      switch (method) {
        case 'eth_requestAccounts':
          if (state.accounts.length) return state.accounts;
          await approval(method);
          state.accounts = [opts.account];
          remember();
          emit('accountsChanged', state.accounts);
          return state.accounts;
        case 'eth_accounts':
          return state.accounts;
        case 'eth_chainId':
          return hex(state.chainId);
        case 'net_version':
          return String(state.chainId);
        case 'wallet_switchEthereumChain': {
          const id = parseInt(params![0].chainId, 16);
          if (!rpc.has(id)) throw fail(4902, `Unrecognized chain ID ${hex(id)}. Try adding the chain using wallet_addEthereumChain first.`);
          if (id === state.chainId) return null;
          await approval(method);
          state.chainId = id;
          remember();
          emit('chainChanged', hex(id));
          return null;
        }
        case 'wallet_addEthereumChain': {
          const p = params![0];
          const id = parseInt(p.chainId, 16);
          await approval(method);
          rpc.set(id, p.rpcUrls?.[0]);
          (window as any).__testWallet.added.push({ chainId: id, rpcUrl: p.rpcUrls?.[0], name: p.chainName });
          return null;
        }
        case 'eth_sendTransaction': {
          if (!state.accounts.length) throw fail(4100, 'The requested account has not been authorized.');
          state.sendAsked.push(performance.now());
          await approval(method);
          const tx = { ...params![0], from: state.accounts[0] };
          // Browser wallets strip access lists; so does this one. MetaMask also reads calldata
          // only from `data`, never `input`.
          delete tx.accessList;
          delete tx.input;
          if (state.gasLimit) tx.gas = state.gasLimit;
          const hash = await forward('eth_sendTransaction', [tx]);
          state.sent.push(hash);
          return hash;
        }
        default:
          return forward(method, params);
      }
    },
    on(event: string, f: (v: unknown) => void) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(f);
      return provider;
    },
    removeListener(event: string, f: (v: unknown) => void) {
      listeners.get(event)?.delete(f);
      return provider;
    },
  };

  const info = {
    uuid: crypto.randomUUID(),
    name: opts.name ?? 'Test Wallet',
    icon: 'data:image/svg+xml,' + encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><rect width="20" height="20" rx="4" fill="#4cc9f0"/></svg>'),
    rdns: opts.rdns ?? 'dev.interplay.testwallet',
  };
  (window as any).__testWallet = {
    state,
    added: [] as { chainId: number; rpcUrl?: string; name?: string }[],
    setMode(mode: Mode) {
      state.mode = mode;
    },
    settle(approve: boolean) {
      const p = state.pending.shift();
      if (!p) return false;
      if (approve) p.resolve();
      else p.reject(fail(4001, 'User rejected the request.'));
      return true;
    },
    /** The user switches chains in the wallet itself. */
    switchTo(id: number) {
      state.chainId = id;
      remember();
      emit('chainChanged', hex(id));
    },
    setAccounts(accounts: string[]) {
      state.accounts = accounts;
      remember();
      emit('accountsChanged', accounts);
    },
    setGasLimit(gas: number | undefined) {
      state.gasLimit = gas === undefined ? undefined : hex(gas);
    },
    /** The wallet loses its connection to the chains (EIP-1193 `disconnect`). */
    disconnect() {
      emit('disconnect', fail(4900, 'Disconnected from all chains.'));
    },
  };
  if (opts.legacy) {
    (window as any).ethereum = provider;
    return;
  }
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
}

/** Installs the wallet in every page the context opens from now on. */
export async function injectTestWallet(page: Page, opts: TestWalletOptions) {
  await page.addInitScript(install, opts);
}

export const testWallet = {
  setMode: (page: Page, mode: Mode) => page.evaluate((m) => (window as any).__testWallet.setMode(m), mode),
  settle: (page: Page, approve: boolean) =>
    page.evaluate((a) => (window as any).__testWallet.settle(a), approve),
  pendingCount: (page: Page) => page.evaluate(() => (window as any).__testWallet.state.pending.length as number),
  added: (page: Page) => page.evaluate(() => (window as any).__testWallet.added as { chainId: number; rpcUrl?: string }[]),
  chainId: (page: Page) => page.evaluate(() => (window as any).__testWallet.state.chainId as number),
  switchTo: (page: Page, id: number) => page.evaluate((i) => (window as any).__testWallet.switchTo(i), id),
  setAccounts: (page: Page, accounts: string[]) =>
    page.evaluate((a) => (window as any).__testWallet.setAccounts(a), accounts),
  setGasLimit: (page: Page, gas: number | undefined) =>
    page.evaluate((g) => (window as any).__testWallet.setGasLimit(g), gas),
  requests: (page: Page) => page.evaluate(() => (window as any).__testWallet.state.requests as string[]),
  disconnect: (page: Page) => page.evaluate(() => (window as any).__testWallet.disconnect()),
  sentCount: (page: Page) => page.evaluate(() => (window as any).__testWallet.state.sent.length as number),
};
