//! Helpers shared by the relayer's integration tests (`relayer.rs`, `chaos.rs`): providers on
//! the devnet's chains, waiting for conditions, a relayer of the test's own, an RPC proxy the test
//! can take down, and messages from strangers.

use std::{path::Path, time::Duration};

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider},
    sol_types::{SolCall, SolValue},
};
use interplay_contracts::{
    InteropPoW, L2ToL2CrossDomainMessenger, client::connect, deploy::L2_TO_L2_MESSENGER,
    interop::SentMessage, send_mined,
};
use interplay_devnet::{
    Devnet, RELAYER_ACCOUNT,
    relayer::{RelayChain, RelayerConfig},
};
use tokio::{net::TcpListener, task::JoinSet};

pub fn user(devnet: &Devnet, chain: usize, account: usize) -> DynProvider {
    let m = devnet.manifest();
    connect(&m.chains[chain].rpc_url, &m.accounts[account].private_key).expect("provider")
}

pub fn addresses(devnet: &Devnet) -> (Address, Address) {
    let c = devnet
        .manifest()
        .contracts
        .as_ref()
        .expect("contracts deployed");
    (
        c.interop_pow.parse().expect("address"),
        c.worker.parse().expect("address"),
    )
}

/// What a test on chain A works with: dev account 0 there, InteropPoW bound to it, the Worker's
/// address and every chain's id.
pub struct OnA {
    pub a: DynProvider,
    pub pow: InteropPoW::InteropPoWInstance<DynProvider>,
    pub worker: Address,
    pub ids: Vec<u64>,
}

pub fn on_chain_a(devnet: &Devnet) -> OnA {
    let (pow_at, worker) = addresses(devnet);
    let a = user(devnet, 0, 0);
    OnA {
        pow: InteropPoW::new(pow_at, a.clone()),
        a,
        worker,
        ids: chain_ids(devnet),
    }
}

pub fn chain_ids(devnet: &Devnet) -> Vec<u64> {
    devnet
        .manifest()
        .chains
        .iter()
        .map(|c| c.chain_id)
        .collect()
}

pub async fn reported(pow: &InteropPoW::InteropPoWInstance<DynProvider>, run: U256) -> u32 {
    pow.runs(run)
        .call()
        .await
        .map(|r| u32::from(r.reported))
        .unwrap_or(0)
}

pub fn relay_chains(devnet: &Devnet) -> Vec<RelayChain> {
    devnet
        .manifest()
        .chains
        .iter()
        .map(|c| RelayChain {
            chain_id: c.chain_id,
            rpc_url: c.rpc_url.clone(),
            attest: true,
        })
        .collect()
}

pub fn relayer_config(devnet: &Devnet, state: &Path, chains: Vec<RelayChain>) -> RelayerConfig {
    RelayerConfig {
        chains,
        supervisor_key: devnet.supervisor_key().map(str::to_owned),
        relayer_key: devnet.manifest().accounts[RELAYER_ACCOUNT]
            .private_key
            .clone(),
        relay: true,
        state: state.to_path_buf(),
        poll: Duration::from_millis(50),
        batch: 8,
        max_attempts: 3,
    }
}

/// The relayer's state file, as JSON.
pub fn saved_state(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("state file")).expect("json")
}

/// A TCP forwarder in front of a chain's RPC that the test can take down and bring back.
pub struct Proxy {
    port: u16,
    target: String,
    tasks: JoinSet<()>,
}

impl Proxy {
    pub async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut proxy = Self {
            port,
            target: target.trim_start_matches("http://").to_string(),
            tasks: JoinSet::new(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target.clone();
        self.tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    }

    /// Where the relayer should reach the chain.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes the port and every open connection.
    pub fn down(&mut self) {
        self.tasks.abort_all();
    }

    pub async fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind");
        self.serve(listener);
    }
}

/// Runtime code that loops `calldata[0..32]` times (26 gas a turn), then stops: a target whose
/// relay costs whatever its sender asks.
const GAS_BURNER: &str = "0x6000355b600190038060035700";

/// Installs the gas burner on `chain` at a fixed address.
pub async fn install_burner(chain: &DynProvider) -> Address {
    let at = Address::repeat_byte(0xb0);
    let _: () = chain
        .raw_request("anvil_setCode".into(), (at, GAS_BURNER))
        .await
        .expect("anvil_setCode");
    at
}

/// Sends `data` from chain `source` (provider `a`) to `target` on `to`; returns the message.
pub async fn send_message(
    a: &DynProvider,
    source: u64,
    to: u64,
    target: Address,
    data: Bytes,
) -> SentMessage {
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, a.clone());
    let receipt = send_mined(messenger.sendMessage(U256::from(to), target, data))
        .await
        .expect("send the message");
    message_in(a, &receipt, source).await
}

/// The first message a receipt on chain `source` sent, as a relayer reads it from the log.
pub async fn message_in(
    a: &DynProvider,
    receipt: &alloy::rpc::types::TransactionReceipt,
    source: u64,
) -> SentMessage {
    let block = a
        .get_block_by_number(receipt.block_number.expect("mined").into())
        .await
        .expect("rpc")
        .expect("block");
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| SentMessage::from_log(l, source, block.header.timestamp))
        .expect("a SentMessage in the receipt")
}

/// Asks the burner on `to` for `turns` in a message from `source`.
pub async fn send_burner(
    a: &DynProvider,
    source: u64,
    to: u64,
    burner: Address,
    turns: u64,
) -> SentMessage {
    send_message(a, source, to, burner, U256::from(turns).abi_encode().into()).await
}

/// A report for a run that exists on no chain: a relay of it reverts with `UnknownRun`, forever.
pub fn unknown_run_report() -> Bytes {
    InteropPoW::reportResultsCall {
        _results: Bytes::from((U256::from(999), U256::ZERO, Bytes::new()).abi_encode_params()),
    }
    .abi_encode()
    .into()
}
