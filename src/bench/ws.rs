//! `omnisync bench ws --connections N`: the server's memory with N idle subscription sockets open, and after
//! they close. The server is this binary in a child process (`serve`), so the figures are its own.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(Iterator::count).unwrap_or(0)
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0)
}

pub async fn run(connections: usize, json_out: bool) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("omnisync-bench-ws-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{}/omnisync.db?mode=rwc", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let token = {
        let settings = crate::config::Settings::embedded(db.clone());
        let conn = crate::startup::connect_database(&settings).await?;
        crate::startup::migrate(&conn).await?;
        crate::services::api_tokens::create(&conn, "bench", entity::enums::TokenScope::Read)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .1
    };
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = measure(server.id(), port, &token, connections).await;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(dir);
    super::report(json_out, &result?);
    Ok(())
}

async fn measure(pid: u32, port: u16, token: &str, connections: usize) -> anyhow::Result<serde_json::Value> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("http://127.0.0.1:{port}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // One socket first, so lazily built parts of the server are counted in the baseline.
    let warmup = open(port, token).await?;
    drop(warmup);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_mb(pid);
    // Two rounds: memory the allocator keeps after the first is reused by the second (no growth = no leak).
    let mut rounds = Vec::new();
    let mut fds = vec![open_fds(pid)];
    for _ in 0..2 {
        let mut sockets = Vec::with_capacity(connections);
        for _ in 0..connections {
            sockets.push(open(port, token).await?);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let open_rss = rss_mb(pid);
        for mut s in sockets.drain(..) {
            let _ = s.close(None).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        rounds.push((open_rss, rss_mb(pid)));
        fds.push(open_fds(pid));
    }
    let (open_rss, after) = rounds[0];
    let (open_rss_2, after_2) = rounds[1];
    Ok(json!({
        "bench": "ws",
        "connections": connections,
        "rss_before_mb": before,
        "rss_open_mb": open_rss,
        "rss_after_mb": after,
        "rss_open_round2_mb": open_rss_2,
        "rss_after_round2_mb": after_2,
        "server_fds_before_and_after_each_round": fds,
        "per_connection_kb": ((open_rss - before) * 1024.0 / connections.max(1) as f64).round(),
        "cores": super::cores(),
    }))
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An idle, acknowledged graphql-transport-ws connection.
async fn open(port: u16, token: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
                .to_string()
                .into(),
        ))
        .await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.contains("connection_ack") => return Ok(socket),
            Some(Ok(_)) => continue,
            other => anyhow::bail!("no ack: {other:?}"),
        }
    }
}
