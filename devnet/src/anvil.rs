//! One `anvil` chain as a supervised child process.

use std::{path::Path, process::Stdio, time::Duration};

use alloy::providers::{Provider, ProviderBuilder};
use tokio::{io::AsyncReadExt, process::Child, time::Instant};

use interplay_manifest::DevAccount;

use crate::DevnetError;

/// A running anvil. Dropping it kills the process; [`AnvilChain::stop`] ends it gracefully.
#[derive(Debug)]
pub struct AnvilChain {
    pub chain_id: u64,
    pub rpc_url: String,
    /// The dev accounts anvil wrote with `--config-out` (empty without it).
    pub dev_accounts: Vec<DevAccount>,
    child: Child,
}

/// What to start.
#[derive(Debug, Clone)]
pub(crate) struct AnvilSpec<'a> {
    pub anvil: &'a Path,
    pub chain_id: u64,
    pub host: &'a str,
    pub port: u16,
    pub block_time: Duration,
    pub config_out: Option<&'a Path>,
    /// The first block's base fee (wei); the devnet's fee keeper holds it there.
    pub base_fee: Option<u128>,
}

impl AnvilChain {
    /// Starts anvil and returns once its RPC answers with the expected chain id.
    pub(crate) async fn start(spec: AnvilSpec<'_>, timeout: Duration) -> Result<Self, DevnetError> {
        let mut cmd = tokio::process::Command::new(spec.anvil);
        cmd.args(["--chain-id", &spec.chain_id.to_string()])
            .args(["--host", spec.host])
            .args(["--port", &spec.port.to_string()])
            .arg("--silent")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if !spec.block_time.is_zero() {
            cmd.args(["--block-time", &spec.block_time.as_secs_f64().to_string()]);
        }
        if let Some(out) = spec.config_out {
            cmd.arg("--config-out").arg(out);
        }
        if let Some(wei) = spec.base_fee {
            cmd.args(["--base-fee", &wei.to_string()]);
        }
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|source| DevnetError::Spawn {
            program: spec.anvil.display().to_string(),
            source,
        })?;
        let rpc_url = format!("http://{}:{}", spec.host, spec.port);
        let mut chain = Self {
            chain_id: spec.chain_id,
            rpc_url,
            dev_accounts: Vec::new(),
            child,
        };
        let deadline = Instant::now() + timeout;
        chain.wait_until_ready(deadline).await?;
        if let Some(out) = spec.config_out {
            chain.dev_accounts = chain.wait_for_config_out(out, deadline).await?;
        }
        tracing::info!(target: "devnet", chain_id = chain.chain_id, rpc = %chain.rpc_url, "chain up");
        Ok(chain)
    }

    /// Fails with anvil's stderr if the process has exited.
    async fn check_alive(&mut self) -> Result<(), DevnetError> {
        let Some(status) = self.child.try_wait().map_err(DevnetError::Wait)? else {
            return Ok(());
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr).await;
        }
        Err(DevnetError::ChainExited {
            chain_id: self.chain_id,
            status: status.to_string(),
            stderr: stderr.trim().to_owned(),
        })
    }

    async fn wait_until_ready(&mut self, deadline: Instant) -> Result<(), DevnetError> {
        let url = self
            .rpc_url
            .parse()
            .map_err(|_| DevnetError::BadUrl(self.rpc_url.clone()))?;
        let provider = ProviderBuilder::new().connect_http(url);
        loop {
            self.check_alive().await?;
            // Bounded: something else holding the port may accept and never answer.
            let answer = tokio::time::timeout(Duration::from_secs(1), provider.get_chain_id())
                .await
                .unwrap_or_else(|_| {
                    Err(alloy::transports::TransportErrorKind::custom_str(
                        "no answer within 1 s",
                    ))
                });
            match answer {
                Ok(id) if id == self.chain_id => return Ok(()),
                Ok(other) => {
                    return Err(DevnetError::WrongChain {
                        url: self.rpc_url.clone(),
                        expected: self.chain_id,
                        got: other,
                    });
                }
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(err) => {
                    return Err(DevnetError::Timeout {
                        chain_id: self.chain_id,
                        reason: err.to_string(),
                    });
                }
            }
        }
    }

    /// anvil may answer RPC before it writes `--config-out`, and writes it in pieces: wait until
    /// the file parses with at least one account.
    async fn wait_for_config_out(
        &mut self,
        path: &Path,
        deadline: Instant,
    ) -> Result<Vec<DevAccount>, DevnetError> {
        loop {
            self.check_alive().await?;
            match read_accounts(path) {
                Ok(accounts) if !accounts.is_empty() => return Ok(accounts),
                Ok(_) if Instant::now() >= deadline => {
                    return Err(DevnetError::Accounts {
                        path: path.to_owned(),
                        reason: "anvil listed no accounts".into(),
                    });
                }
                Err(err) if Instant::now() >= deadline => return Err(err),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Asks anvil to exit (SIGTERM) and waits for it; kills it if it lingers.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: plain syscall on a pid we own; failure only means it already exited.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        tracing::info!(target: "devnet", chain_id = self.chain_id, "chain stopped");
    }
}

/// anvil's `--config-out` file lists its dev accounts with their keys; trust it over a copy.
fn read_accounts(path: &Path) -> Result<Vec<DevAccount>, DevnetError> {
    #[derive(serde::Deserialize)]
    struct AnvilConfigOut {
        available_accounts: Vec<String>,
        private_keys: Vec<String>,
    }
    let err = |reason: String| DevnetError::Accounts {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let parsed: AnvilConfigOut = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok(parsed
        .available_accounts
        .into_iter()
        .zip(parsed.private_keys)
        .map(|(address, private_key)| DevAccount {
            address,
            private_key,
        })
        .collect())
}

/// Linux: the kernel kills the chain if the devnet dies without cleaning up (e.g. SIGKILL).
fn die_with_parent(cmd: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches only the child being set up.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
