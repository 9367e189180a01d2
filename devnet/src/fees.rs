//! Each chain's base fee held where it was configured, so that routing work by cost means
//! something: anvil's `--base-fee` only sets the first block's, and every block under its gas
//! target lowers the next one's by up to 12.5 % (an idle devnet's fees all sink to a few wei).
//! After each new block the keeper sets the next one's with `anvil_setNextBlockBaseFeePerGas`.

use std::time::Duration;

use alloy::{
    primitives::U256,
    providers::{Provider, ProviderBuilder},
};
use tokio::{sync::watch, task::JoinHandle};

/// Holds the base fee of some chains until stopped (or dropped).
#[derive(Debug)]
pub(crate) struct FeeKeeper {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl FeeKeeper {
    /// One task per `(rpc url, wei)`, looking for a new block every `poll`.
    pub(crate) fn start(chains: Vec<(String, u128)>, poll: Duration) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let tasks = chains
            .into_iter()
            .map(|(url, wei)| tokio::spawn(hold(url, wei, poll, stop_rx.clone())))
            .collect();
        Self { stop, tasks }
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for FeeKeeper {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn hold(url: String, wei: u128, poll: Duration, mut stop: watch::Receiver<bool>) {
    let Ok(parsed) = url.parse() else { return };
    let provider = ProviderBuilder::new().connect_http(parsed);
    let mut seen = None;
    loop {
        // A chain that is down (restarting) is simply asked again at the next poll.
        if let Ok(head) = provider.get_block_number().await
            && seen != Some(head)
            && provider
                .raw_request::<_, ()>("anvil_setNextBlockBaseFeePerGas".into(), (U256::from(wei),))
                .await
                .is_ok()
        {
            seen = Some(head);
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}
