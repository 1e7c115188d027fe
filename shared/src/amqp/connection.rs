//! [`connect`] / [`connect_named`] with a hard timeout, and [`confirm_channel`].

use std::time::Duration;

use lapin::options::ConfirmSelectOptions;
use lapin::{Channel, Connection, ConnectionProperties};

use super::{AmqpError, Topology};

/// Connects to `url` (e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`), named
/// after the running binary, the host (`HOSTNAME`, the pod name on
/// Kubernetes) and the pid, so that it can be told apart in the management UI.
///
/// See [`connect_named`].
pub async fn connect(url: &str, timeout: Duration) -> Result<Connection, AmqpError> {
    connect_named(url, &default_connection_name(), timeout).await
}

/// Connects to `url` with `name` shown in the management UI; fails with
/// [`AmqpError::Timeout`] after `timeout` whatever happens on the wire
/// (unreachable host, firewall black hole, a peer that never answers the
/// AMQP handshake).
///
/// Automatic recovery is left off (lapin's default): deliveries of a dead
/// channel cannot be acked on a recovered one anyway, so callers reconnect
/// explicitly and rely on redelivery.
pub async fn connect_named(
    url: &str,
    name: &str,
    timeout: Duration,
) -> Result<Connection, AmqpError> {
    let properties = ConnectionProperties::default().with_connection_name(name.into());
    tokio::time::timeout(timeout, Connection::connect(url, properties))
        .await
        .map_err(|_| AmqpError::Timeout {
            operation: format!("connect to the broker as {name:?}"),
            after: timeout,
        })?
        .map_err(AmqpError::broker(format!(
            "connect to the broker as {name:?}"
        )))
}

/// Opens a channel in publisher-confirm mode, required by every `publish_*`
/// helper: without confirms a publish "succeeds" even if the broker drops it.
pub async fn confirm_channel(connection: &Connection) -> Result<Channel, AmqpError> {
    let channel = connection
        .create_channel()
        .await
        .map_err(AmqpError::broker("open a channel"))?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(AmqpError::broker("enable publisher confirms"))?;
    Ok(channel)
}

/// Connects, opens a confirm channel and declares `topology`: how every
/// publisher and consumer of the project starts a broker session (the
/// declaration is idempotent, so whichever of API and worker comes first
/// creates the queues).
pub async fn open(
    url: &str,
    timeout: Duration,
    topology: &Topology,
) -> Result<(Connection, Channel), AmqpError> {
    let connection = connect(url, timeout).await?;
    let channel = confirm_channel(&connection).await?;
    super::declare(&channel, topology).await?;
    Ok((connection, channel))
}

/// `{binary}@{host} pid {pid}` (host from `HOSTNAME`, omitted when unset).
fn default_connection_name() -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "hoofbeat".to_owned());
    let pid = std::process::id();
    match std::env::var("HOSTNAME") {
        Ok(host) if !host.is_empty() => format!("{binary}@{host} pid {pid}"),
        _ => format!("{binary} pid {pid}"),
    }
}
