//! Putting the contracts on a chain: the OP predeploys at their fixed addresses (devnet chains
//! only: `anvil_setCode`), and `InteropPoW` + `Worker` through the deterministic CREATE2
//! deployer, so they have the same address on every chain and anyone can deploy them again.

use alloy::{
    network::{Ethereum, Network, TransactionBuilder},
    primitives::{Address, B256, Bytes, address, keccak256},
    providers::Provider,
};

use crate::{CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger, Worker};

/// OP predeploy of the inbox.
pub const CROSS_L2_INBOX: Address = address!("4200000000000000000000000000000000000022");
/// OP predeploy of the messenger.
pub const L2_TO_L2_MESSENGER: Address = address!("4200000000000000000000000000000000000023");
/// The standard deterministic deployer (Arachnid's), present on anvil and OP chains.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920ca78fbf26c0b4956c");
/// Salt of every Interplay deployment ("interplay" in ASCII, right-aligned).
pub const SALT: B256 = B256::new({
    let mut salt = [0u8; 32];
    let tag = *b"interplay";
    let mut i = 0;
    while i < tag.len() {
        salt[32 - tag.len() + i] = tag[i];
        i += 1;
    }
    salt
});

/// Where the app-level contracts live (the same on every chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub interop_pow: Address,
    pub worker: Address,
}

impl Addresses {
    /// The CREATE2 addresses, known before anything is deployed.
    pub fn expected() -> Self {
        Self {
            interop_pow: create2_address(&InteropPoW::BYTECODE),
            worker: create2_address(&Worker::BYTECODE),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("RPC: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    #[error("waiting for the deployment: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    #[error("the CREATE2 deployer is missing on chain {0}")]
    NoDeployer(u64),
    #[error("deploying to {0} reverted")]
    Reverted(Address),
}

/// What a chain has at the interop predeploy addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predeploys {
    /// No messenger: not an interop chain (a bare anvil).
    Missing,
    /// The devnet's own inbox, which validates only what `supervisor` attested.
    Devnet { supervisor: Address },
    /// An OP interop chain's own inbox (supersim, a real devnet): it validates messages itself.
    Native,
}

/// Looks at the messenger and inbox predeploys of the chain.
pub async fn predeploys(provider: &impl Provider) -> Result<Predeploys, DeployError> {
    if provider.get_code_at(L2_TO_L2_MESSENGER).await?.is_empty() {
        return Ok(Predeploys::Missing);
    }
    if provider.get_code_at(CROSS_L2_INBOX).await? != CrossL2Inbox::DEPLOYED_BYTECODE {
        return Ok(Predeploys::Native);
    }
    // `supervisor` is the inbox's storage slot 0.
    let slot = provider
        .get_storage_at(CROSS_L2_INBOX, alloy::primitives::U256::ZERO)
        .await?;
    Ok(Predeploys::Devnet {
        supervisor: Address::from_word(slot.into()),
    })
}

/// Sets an account's balance (anvil only): funds the devnet's own accounts.
pub async fn set_balance(
    provider: &impl Provider,
    account: Address,
    wei: alloy::primitives::U256,
) -> Result<(), DeployError> {
    provider
        .raw_request::<_, ()>("anvil_setBalance".into(), (account, wei))
        .await?;
    Ok(())
}

pub fn create2_address(init_code: &[u8]) -> Address {
    CREATE2_DEPLOYER.create2(SALT, keccak256(init_code))
}

/// Installs the messenger and the inbox (with `supervisor` as the only attester) at their OP
/// addresses. For devnet chains (anvil), which have no OP predeploys.
pub async fn install_predeploys(
    provider: &impl Provider,
    supervisor: Address,
) -> Result<(), DeployError> {
    let set_code = |at: Address, code: &Bytes| {
        provider.raw_request::<_, ()>("anvil_setCode".into(), (at, code.clone()))
    };
    set_code(CROSS_L2_INBOX, &CrossL2Inbox::DEPLOYED_BYTECODE).await?;
    set_code(
        L2_TO_L2_MESSENGER,
        &L2ToL2CrossDomainMessenger::DEPLOYED_BYTECODE,
    )
    .await?;
    // `supervisor` is the inbox's storage slot 0.
    provider
        .raw_request::<_, bool>(
            "anvil_setStorageAt".into(),
            (
                CROSS_L2_INBOX,
                B256::ZERO,
                B256::left_padding_from(supervisor.as_slice()),
            ),
        )
        .await?;
    Ok(())
}

/// Deploys `init_code` through the CREATE2 deployer unless it is already there.
pub async fn deploy_create2(
    provider: &impl Provider,
    init_code: &[u8],
) -> Result<Address, DeployError> {
    let at = create2_address(init_code);
    if !provider.get_code_at(at).await?.is_empty() {
        return Ok(at);
    }
    if provider.get_code_at(CREATE2_DEPLOYER).await?.is_empty() {
        return Err(DeployError::NoDeployer(provider.get_chain_id().await?));
    }
    let mut input = SALT.to_vec();
    input.extend_from_slice(init_code);
    let tx = <Ethereum as Network>::TransactionRequest::default()
        .with_to(CREATE2_DEPLOYER)
        .with_input(input);
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() || provider.get_code_at(at).await?.is_empty() {
        return Err(DeployError::Reverted(at));
    }
    Ok(at)
}

/// Deploys (or finds) `InteropPoW` and `Worker` on this chain.
pub async fn deploy_app(provider: &impl Provider) -> Result<Addresses, DeployError> {
    Ok(Addresses {
        interop_pow: deploy_create2(provider, &InteropPoW::BYTECODE).await?,
        worker: deploy_create2(provider, &Worker::BYTECODE).await?,
    })
}
