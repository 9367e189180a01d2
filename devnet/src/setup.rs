//! Readies a set of chains for runs, whether the devnet started them or a config file names
//! them: the interop predeploys (ours where a chain has none), a supervisor for the inboxes that
//! need one, and `InteropPoW` + `Worker` at their CREATE2 addresses.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use interplay_contracts::{
    InteropPoW, Worker,
    deploy::{self, CROSS_L2_INBOX, L2_TO_L2_MESSENGER, Predeploys},
};
use interplay_manifest::Contracts;
use tokio::time::Instant;

use crate::{
    DevnetError,
    chains_file::{Attest, ChainsFile},
    relayer::RelayChain,
};

/// What [`prepare`] leaves behind.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub contracts: Contracts,
    pub relay_chains: Vec<RelayChain>,
    /// Only when some inbox needs attestations.
    pub supervisor_key: Option<String>,
}

/// What the supervisor (and a generated relayer) gets on chains where the devnet funds it.
const SUPERVISOR_FUNDS: u128 = 100 * 10u128.pow(18);

fn signer(what: &'static str, key: &str) -> Result<PrivateKeySigner, DevnetError> {
    key.parse().map_err(|e| DevnetError::Key {
        what,
        reason: format!("{e}"),
    })
}

/// Waits until `url` answers as `chain_id`.
pub(crate) async fn wait_for_chain(
    url: &str,
    chain_id: u64,
    timeout: Duration,
) -> Result<(), DevnetError> {
    let parsed = url.parse().map_err(|_| DevnetError::BadUrl(url.into()))?;
    let provider = ProviderBuilder::new().connect_http(parsed);
    let deadline = Instant::now() + timeout;
    loop {
        // Bounded: a host that accepts and never answers must not hang the startup.
        let answer = tokio::time::timeout(Duration::from_secs(2), provider.get_chain_id()).await;
        match answer {
            Ok(Ok(id)) if id == chain_id => return Ok(()),
            Ok(Ok(got)) => {
                return Err(DevnetError::WrongChain {
                    url: url.into(),
                    expected: chain_id,
                    got,
                });
            }
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(250)).await,
            Ok(Err(e)) => {
                return Err(DevnetError::Timeout {
                    chain_id,
                    reason: format!("{url}: {e}"),
                });
            }
            Err(_) => {
                return Err(DevnetError::Timeout {
                    chain_id,
                    reason: format!("{url} accepted but did not answer"),
                });
            }
        }
    }
}

/// Refuses keys that two roles share. The supervisor's key is the one secret (whoever holds it
/// can make any message relayable), so it may be no other role's and not be published; the
/// relayer's must not be a published account either, whose nonces the app's burner wallet
/// would take from under it.
pub(crate) fn check_keys(file: &ChainsFile) -> Result<(), DevnetError> {
    let relayer = signer("relayer key", &file.relayer_key)?.address();
    let deployer = match &file.deployer_key {
        Some(key) => Some(signer("deployer key", key)?.address()),
        None => None,
    };
    let supervisor = match &file.supervisor_key {
        Some(key) => Some(signer("supervisor key", key)?.address()),
        None => None,
    };
    let published = |at: Address| {
        file.accounts
            .iter()
            .any(|a| signer("account key", &a.private_key).is_ok_and(|s| s.address() == at))
    };
    let shared = |roles: &'static str| Err(DevnetError::SharedKey { roles });
    if let Some(supervisor) = supervisor {
        if supervisor == relayer {
            return shared("supervisor_key and relayer_key");
        }
        if Some(supervisor) == deployer {
            return shared("supervisor_key and deployer_key");
        }
        if published(supervisor) {
            return shared("supervisor_key and a published account");
        }
    }
    if published(relayer) {
        return shared("relayer_key and a published account");
    }
    Ok(())
}

/// Predeploys, supervisor and contracts on every chain of `file`; with `fund_relayer` (a
/// relayer key the devnet generated) the relayer is funded too.
pub(crate) async fn prepare(
    file: &ChainsFile,
    fund_relayer: bool,
) -> Result<Prepared, DevnetError> {
    let deployer = signer(
        "deployer key",
        file.deployer_key.as_deref().unwrap_or(&file.relayer_key),
    )?;
    let relayer = signer("relayer key", &file.relayer_key)?;
    let given_supervisor = file
        .supervisor_key
        .as_deref()
        .map(|k| signer("supervisor key", k))
        .transpose()?;
    let supervisor = given_supervisor
        .clone()
        .unwrap_or_else(PrivateKeySigner::random);
    let fund_supervisor = given_supervisor.is_none();

    let mut providers = Vec::new();
    for chain in &file.chains {
        let url = chain
            .rpc_url
            .parse()
            .map_err(|_| DevnetError::BadUrl(chain.rpc_url.clone()))?;
        providers.push(
            ProviderBuilder::new()
                .wallet(EthereumWallet::from(deployer.clone()))
                .connect_http(url),
        );
    }

    // The contracts, at the same address everywhere; first, so a config naming foreign code
    // is refused before anything on its chains is changed.
    let want = deploy::Addresses {
        interop_pow: file
            .contracts
            .interop_pow
            .unwrap_or_else(|| deploy::create2_address(&InteropPoW::BYTECODE)),
        worker: file
            .contracts
            .worker
            .unwrap_or_else(|| deploy::create2_address(&Worker::BYTECODE)),
    };
    for (chain, provider) in file.chains.iter().zip(&providers) {
        for (name, at, init_code, code) in [
            (
                "InteropPoW",
                want.interop_pow,
                &InteropPoW::BYTECODE,
                &InteropPoW::DEPLOYED_BYTECODE,
            ),
            (
                "Worker",
                want.worker,
                &Worker::BYTECODE,
                &Worker::DEPLOYED_BYTECODE,
            ),
        ] {
            ensure_contract(provider, chain.chain_id, name, at, init_code, code).await?;
        }
        tracing::info!(target: "devnet", chain_id = chain.chain_id, interop_pow = %want.interop_pow, worker = %want.worker, "contracts ready");
    }

    // Predeploys: which inboxes need attestations, and by whom.
    let mut relay_chains = Vec::new();
    for (chain, provider) in file.chains.iter().zip(&providers) {
        let err = |e: deploy::DeployError| DevnetError::Deploy {
            chain_id: chain.chain_id,
            reason: e.to_string(),
        };
        let found = deploy::predeploys(provider).await.map_err(err)?;
        let attest = match found {
            Predeploys::Missing if !file.install_predeploys => {
                return Err(DevnetError::NoMessenger {
                    chain_id: chain.chain_id,
                });
            }
            Predeploys::Missing => {
                deploy::install_predeploys(provider, supervisor.address())
                    .await
                    .map_err(err)?;
                tracing::info!(target: "devnet", chain_id = chain.chain_id, supervisor = %supervisor.address(), "installed the devnet's messenger and inbox");
                file.attest != Attest::Never
            }
            Predeploys::Devnet { supervisor: theirs } => {
                if file.attest != Attest::Never && theirs != supervisor.address() {
                    return Err(DevnetError::ForeignSupervisor {
                        chain_id: chain.chain_id,
                        supervisor: theirs,
                    });
                }
                file.attest != Attest::Never
            }
            Predeploys::Native => file.attest == Attest::Always,
        };
        if attest && fund_supervisor {
            deploy::set_balance(provider, supervisor.address(), U256::from(SUPERVISOR_FUNDS))
                .await
                .map_err(|e| DevnetError::Deploy {
                    chain_id: chain.chain_id,
                    reason: format!(
                        "funding the generated supervisor failed ({e}); give a funded supervisor_key"
                    ),
                })?;
        }
        if fund_relayer {
            deploy::set_balance(provider, relayer.address(), U256::from(SUPERVISOR_FUNDS))
                .await
                .map_err(|e| DevnetError::Deploy {
                    chain_id: chain.chain_id,
                    reason: format!("funding the generated relayer failed ({e})"),
                })?;
        }
        relay_chains.push(RelayChain {
            chain_id: chain.chain_id,
            rpc_url: chain.rpc_url.clone(),
            attest,
        });
    }

    let attests = relay_chains.iter().any(|c| c.attest);
    Ok(Prepared {
        contracts: Contracts {
            interop_pow: want.interop_pow.to_string(),
            worker: want.worker.to_string(),
            messenger: L2_TO_L2_MESSENGER.to_string(),
            inbox: CROSS_L2_INBOX.to_string(),
            supervisor: if attests {
                supervisor.address()
            } else {
                Address::ZERO
            }
            .to_string(),
            relayer: relayer.address().to_string(),
        },
        relay_chains,
        supervisor_key: attests.then(|| supervisor.to_bytes().to_string()),
    })
}

/// This build's contract `name` at `at` (its runtime code, byte for byte: a config may name
/// any address), deploying it by CREATE2 when `at` is where the deployer would put it.
async fn ensure_contract(
    provider: &impl Provider,
    chain_id: u64,
    name: &str,
    at: Address,
    init_code: &[u8],
    code: &[u8],
) -> Result<(), DevnetError> {
    let err = |reason: String| DevnetError::Deploy { chain_id, reason };
    let found = provider
        .get_code_at(at)
        .await
        .map_err(|e| err(e.to_string()))?;
    if found.as_ref() == code {
        return Ok(());
    }
    if !found.is_empty() {
        return Err(err(format!(
            "the code at {at} is not this build's {name} ({} bytes, want {}): deploy this build's, \
             or leave the address out of the config to use the CREATE2 one",
            found.len(),
            code.len()
        )));
    }
    if at != deploy::create2_address(init_code) {
        return Err(err(format!(
            "no contract at {at}, and it is not the CREATE2 address this build deploys to"
        )));
    }
    deploy::deploy_create2(provider, init_code)
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok(())
}
