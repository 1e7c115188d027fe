//! Queue figures for admins and the stuck-job sweeper: ready and
//! unacknowledged messages and consumers of the work, retry and dead queues.
//!
//! With `HOOFBEAT_RABBITMQ_MANAGEMENT_URL` set they come from RabbitMQ's
//! management HTTP API (as KEDA reads them: `messages_ready`,
//! `messages_unacknowledged`, `consumers`); otherwise from passive declares
//! on a short-lived AMQP connection, which only know ready messages and
//! consumers. The answer says which ([`Source`]). Every call is bounded by
//! the AMQP timeout: a broker that does not answer makes the figures
//! unavailable, never the caller hang.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::amqp::{self, Topology};
use utoipa::ToSchema;

use crate::state::AppState;

/// Where the figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// RabbitMQ's management HTTP API.
    ManagementApi,
    /// Passive queue declares over AMQP (no unacknowledged count).
    PassiveDeclare,
}

/// One queue's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueFigures {
    /// Queue name.
    pub name: String,
    /// `work`, `retry` or `dead`.
    pub role: &'static str,
    /// Messages waiting for a consumer.
    pub ready: u64,
    /// Messages delivered and not yet acknowledged (management API only).
    pub unacked: Option<u64>,
    /// Consumers attached.
    pub consumers: Option<u64>,
}

/// The queues of the deployment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Queues {
    /// Where the figures come from.
    pub source: Source,
    /// False when the broker (or its management API) did not answer; the
    /// list is then empty and `error` says why.
    pub available: bool,
    /// Why the figures are unavailable.
    pub error: Option<String>,
    /// Work queue first, then the retry tiers, then the dead queue.
    pub queues: Vec<QueueFigures>,
}

impl Queues {
    /// Ready messages of the work queue, when known.
    pub fn work_ready(&self) -> Option<u64> {
        self.queues
            .iter()
            .find(|q| q.role == "work")
            .map(|q| q.ready)
    }
}

/// Every queue of `topology` with its role.
fn named_queues(topology: &Topology) -> Vec<(String, &'static str)> {
    let mut names = vec![(topology.work_queue().to_owned(), "work")];
    names.extend(topology.retry_queues().iter().map(|q| (q.clone(), "retry")));
    names.push((topology.dead_queue().to_owned(), "dead"));
    names
}

/// Reads the figures from wherever the configuration says.
pub async fn read(state: &AppState, topology: &Topology) -> Queues {
    let timeout = state.config.common.amqp_timeout;
    let (source, result) = match &state.config.rabbitmq_management_url {
        Some(url) => (
            Source::ManagementApi,
            from_management(url, &state.config.common.amqp_url, topology, timeout).await,
        ),
        None => (
            Source::PassiveDeclare,
            from_passive_declares(&state.config.common.amqp_url, topology, timeout).await,
        ),
    };
    match result {
        Ok(queues) => Queues {
            source,
            available: true,
            error: None,
            queues,
        },
        Err(error) => {
            tracing::warn!(%error, "queue figures unavailable");
            Queues {
                source,
                available: false,
                error: Some(error),
                queues: Vec::new(),
            }
        }
    }
}

async fn from_passive_declares(
    amqp_url: &str,
    topology: &Topology,
    timeout: Duration,
) -> Result<Vec<QueueFigures>, String> {
    let work = async {
        let connection = amqp::connect(amqp_url, timeout)
            .await
            .map_err(|e| e.to_string())?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| format!("open a channel: {e}"))?;
        let mut out = Vec::new();
        for (name, role) in named_queues(topology) {
            let (ready, consumers) = amqp::queue_stats(&channel, &name)
                .await
                .map_err(|e| e.to_string())?;
            out.push(QueueFigures {
                name,
                role,
                ready: u64::from(ready),
                unacked: None,
                consumers: Some(u64::from(consumers)),
            });
        }
        let _ = connection.close(200, "queue figures read".into()).await;
        Ok(out)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("the broker did not answer within {timeout:?}"))?
}

/// The management API's view of one queue (the fields used).
#[derive(Debug, Deserialize)]
struct ManagedQueue {
    #[serde(default)]
    messages_ready: u64,
    #[serde(default)]
    messages_unacknowledged: u64,
    #[serde(default)]
    consumers: u64,
}

/// The vhost of an AMQP URL (`/` when the path is empty), percent-encoded
/// for a management API path.
fn vhost_of(amqp_url: &str) -> String {
    let path = amqp_url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path.is_empty() {
        "%2F".to_owned()
    } else {
        path.replace('/', "%2F")
    }
}

/// Splits `http://user:pass@host:port/prefix` into the URL without the
/// credentials and the credentials.
fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (
                format!("{scheme}://{host}{path}"),
                Some((percent_decode(user), percent_decode(pass))),
            )
        }
        None => (url.to_owned(), None),
    }
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn from_management(
    url: &str,
    amqp_url: &str,
    topology: &Topology,
    timeout: Duration,
) -> Result<Vec<QueueFigures>, String> {
    let client = reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let (base, credentials) = split_credentials(url);
    let vhost = vhost_of(amqp_url);
    let mut out = Vec::new();
    for (name, role) in named_queues(topology) {
        let mut request = client.get(format!("{base}/api/queues/{vhost}/{name}"));
        if let Some((user, pass)) = &credentials {
            request = request.basic_auth(user, Some(pass));
        }
        let response = request.send().await.map_err(|e| {
            format!(
                "management API at {} unreachable: {}",
                shared::config::redact_url(url),
                e.without_url()
            )
        })?;
        if !response.status().is_success() {
            return Err(format!(
                "management API answered {} for queue {name}",
                response.status()
            ));
        }
        let queue: ManagedQueue = response
            .json()
            .await
            .map_err(|e| format!("management API answer for {name}: {}", e.without_url()))?;
        out.push(QueueFigures {
            name,
            role,
            ready: queue.messages_ready,
            unacked: Some(queue.messages_unacknowledged),
            consumers: Some(queue.consumers),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vhosts_and_credentials() {
        assert_eq!(vhost_of("amqp://guest:guest@127.0.0.1:5672/%2f"), "%2f");
        assert_eq!(vhost_of("amqp://h:5672"), "%2F");
        assert_eq!(vhost_of("amqp://h:5672/prod"), "prod");
        let (base, creds) = split_credentials("http://guest:p%40ss@rabbit:15672");
        assert_eq!(base, "http://rabbit:15672");
        assert_eq!(creds, Some(("guest".into(), "p@ss".into())));
        assert_eq!(split_credentials("http://rabbit:15672").1, None);
        assert_eq!(percent_decode("a%4"), "a%4");
        assert_eq!(percent_decode("é%zz%41"), "é%zzA");
    }
}
