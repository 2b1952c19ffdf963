//! The WebSocket transport speaks the protocols' own close codes: graphql-transport-ws closes a refused
//! `connection_init` with 4403 Forbidden, a frame above the request limit is refused (1009), an upgrade without a
//! GraphQL sub-protocol is a 400; a query and a ping work over the same socket.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp, protocol: Option<&str>) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = app.ws_url().into_client_request().expect("request");
    if let Some(protocol) = protocol {
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().expect("header"));
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The next frame that is not a ping.
async fn next_frame(socket: &mut Socket) -> Option<Message> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.expect("an answer in 10 s");
        match frame {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(message)) => return Some(message),
            _ => return None,
        }
    }
}

async fn send_json(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.expect("sent");
}

async fn the_transport_closes_with_the_protocols_codes(app: &TestApp) {
    // No token in connection_init: 4403 Forbidden, as graphql-transport-ws says.
    let mut socket = open(app, Some("graphql-transport-ws")).await.expect("upgrade");
    send_json(&mut socket, json!({ "type": "connection_init", "payload": {} })).await;
    match next_frame(&mut socket).await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::from(4403), "{frame:?}");
            assert_eq!(frame.reason.as_str(), "unauthorized");
        }
        other => panic!("expected a 4403 close, got {other:?}"),
    }
    // A wrong token: the same.
    let mut socket = open(app, Some("graphql-transport-ws")).await.expect("upgrade");
    send_json(&mut socket, json!({ "type": "connection_init", "payload": { "Authorization": "Bearer osk_wrong" } }))
        .await;
    assert!(matches!(next_frame(&mut socket).await, Some(Message::Close(Some(f))) if f.code == CloseCode::from(4403)));

    // A live token: acknowledged; a query answers over the socket, and a protocol ping gets its pong.
    let mut socket = open(app, Some("graphql-transport-ws")).await.expect("upgrade");
    send_json(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.token) } }),
    )
    .await;
    let ack: Value = match next_frame(&mut socket).await {
        Some(Message::Text(text)) => serde_json::from_str(&text).expect("json"),
        other => panic!("expected connection_ack, got {other:?}"),
    };
    assert_eq!(ack["type"], "connection_ack");
    send_json(&mut socket, json!({ "type": "ping" })).await;
    let pong: Value = match next_frame(&mut socket).await {
        Some(Message::Text(text)) => serde_json::from_str(&text).expect("json"),
        other => panic!("expected pong, got {other:?}"),
    };
    assert_eq!(pong["type"], "pong");
    send_json(
        &mut socket,
        json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ warehouses(first: 1) { nodes { isDefault } } }" } }),
    )
    .await;
    let next: Value = match next_frame(&mut socket).await {
        Some(Message::Text(text)) => serde_json::from_str(&text).expect("json"),
        other => panic!("expected next, got {other:?}"),
    };
    assert_eq!((next["type"].as_str(), next["id"].as_str()), (Some("next"), Some("q")), "{next}");
    assert_eq!(next["payload"]["data"]["warehouses"]["nodes"][0]["isDefault"], true, "{next}");

    // A frame above the request limit is refused by the transport (1009, message too big).
    let huge = "x".repeat(app.settings.max_request_bytes + 1);
    socket.send(Message::Text(huge.into())).await.expect("sent");
    loop {
        match next_frame(&mut socket).await {
            Some(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, CloseCode::Size, "{frame:?}");
                break;
            }
            Some(Message::Text(_)) => continue,
            None | Some(Message::Close(None)) => panic!("closed without the size code"),
            Some(other) => panic!("unexpected {other:?}"),
        }
    }

    // No GraphQL sub-protocol: a 400, no upgrade.
    let refused = open(app, None).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 400),
        "{refused:?}"
    );
}
on_both_backends!(ws_close_codes, the_transport_closes_with_the_protocols_codes);
