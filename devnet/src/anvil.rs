//! One `anvil` chain as a supervised child process.

use std::{path::Path, process::Stdio, time::Duration};

use alloy::providers::{Provider, ProviderBuilder};
use tokio::{io::AsyncReadExt, process::Child, time::Instant};

use crate::DevnetError;

/// A running anvil. Dropping it kills the process; [`AnvilChain::stop`] ends it gracefully.
#[derive(Debug)]
pub struct AnvilChain {
    pub chain_id: u64,
    pub rpc_url: String,
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
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|source| DevnetError::Spawn {
            program: spec.anvil.display().to_string(),
            source,
        })?;
        let rpc_url = format!("http://{}:{}", spec.host, spec.port);
        let mut chain = Self {
            chain_id: spec.chain_id,
            rpc_url,
            child,
        };
        chain.wait_until_ready(timeout).await?;
        tracing::info!(target: "devnet", chain_id = chain.chain_id, rpc = %chain.rpc_url, "chain up");
        Ok(chain)
    }

    async fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), DevnetError> {
        let url = self
            .rpc_url
            .parse()
            .map_err(|_| DevnetError::BadUrl(self.rpc_url.clone()))?;
        let provider = ProviderBuilder::new().connect_http(url);
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().map_err(DevnetError::Wait)? {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr).await;
                }
                return Err(DevnetError::ChainExited {
                    chain_id: self.chain_id,
                    status: status.to_string(),
                    stderr: stderr.trim().to_owned(),
                });
            }
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
