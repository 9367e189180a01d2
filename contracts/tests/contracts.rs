//! Contract tests against real anvil chains from the devnet.

use std::process::Command;

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use interplay_contracts::Hello;
use interplay_devnet::Config;

#[test]
fn committed_artifacts_match_the_sources() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("node")
        .args(["contracts/build.mjs", "--check"])
        .current_dir(root)
        .output()
        .expect("node must be installed (run scripts/setup.sh)");
    assert!(
        out.status.success(),
        "artifacts are stale:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn hello_deploys_and_runs_on_every_devnet_chain() {
    let devnet = interplay_devnet::spawn(Config::test().with_chains(2).with_block_time(0))
        .await
        .expect("devnet starts");
    let manifest = devnet.manifest().clone();
    let key: PrivateKeySigner = manifest.accounts[0].private_key.parse().expect("dev key");
    let sender = key.address();
    let wallet = EthereumWallet::from(key);

    for chain in &manifest.chains {
        let provider = ProviderBuilder::new()
            .wallet(wallet.clone())
            .connect_http(chain.rpc_url.parse().expect("rpc url"));
        assert_eq!(
            provider.get_chain_id().await.expect("chain id"),
            chain.chain_id
        );

        let hello = Hello::deploy(&provider).await.expect("deploy Hello");
        let receipt = hello
            .greet("gm".into())
            .send()
            .await
            .expect("send greet")
            .get_receipt()
            .await
            .expect("greet mined");
        assert!(
            receipt.status(),
            "greet reverted on chain {}",
            chain.chain_id
        );

        let greeted = receipt
            .decoded_log::<Hello::Greeted>()
            .expect("Greeted event");
        assert_eq!(greeted.from, sender);
        assert_eq!(
            greeted.chainId,
            alloy::primitives::U256::from(chain.chain_id)
        );
        assert_eq!(greeted.message, "gm");
        assert_eq!(
            hello.greetings().call().await.expect("greetings"),
            alloy::primitives::U256::from(1)
        );
    }
    devnet.shutdown().await;
}
