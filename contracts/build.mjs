// Compiles contracts/sol/*.sol with solc-js into contracts/artifacts/<Contract>.json.
//   node contracts/build.mjs           rewrite the artifacts
//   node contracts/build.mjs --check   fail (exit 1) if a committed artifact is stale or missing
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const solc = require('solc');
const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.join(here, 'sol');
const outDir = path.join(here, 'artifacts');
const check = process.argv.includes('--check');

const sources = Object.fromEntries(
  fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()
    .map((f) => [f, { content: fs.readFileSync(path.join(srcDir, f), 'utf8') }]),
);
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 100000 },
    viaIR: true,
    evmVersion: 'cancun',
    // No metadata hash: keeps bytecode identical across machines and paths.
    metadata: { bytecodeHash: 'none', appendCBOR: false },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

const expected = new Map();
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = {
      contractName: name,
      sourceName: `contracts/sol/${file}`,
      compiler: `solc-js ${solc.version()}`,
      abi: c.abi,
      bytecode: { object: `0x${c.evm.bytecode.object}` },
      deployedBytecode: { object: `0x${c.evm.deployedBytecode.object}` },
    };
    expected.set(`${name}.json`, `${JSON.stringify(artifact, null, 2)}\n`);
  }
}

if (check) {
  const committed = fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((f) => f.endsWith('.json')) : [];
  const stale = [...expected].filter(([f, text]) => {
    const p = path.join(outDir, f);
    return !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== text;
  }).map(([f]) => f);
  const orphaned = committed.filter((f) => !expected.has(f));
  if (stale.length || orphaned.length) {
    console.error(`stale artifacts: ${[...stale, ...orphaned].join(', ')}; run \`npm run contracts\` and commit`);
    process.exit(1);
  }
  console.log(`${expected.size} artifact(s) up to date (${solc.version()})`);
} else {
  fs.mkdirSync(outDir, { recursive: true });
  for (const f of fs.readdirSync(outDir)) if (f.endsWith('.json') && !expected.has(f)) fs.rmSync(path.join(outDir, f));
  for (const [f, text] of expected) fs.writeFileSync(path.join(outDir, f), text);
  console.log(`wrote ${expected.size} artifact(s) with ${solc.version()}`);
}
