//! GraphQL over WebSocket: graphql-transport-ws and the legacy graphql-ws, chosen by the client's
//! `Sec-WebSocket-Protocol`. The protocols are async-graphql's; the transport is ours (actix-ws), so that a refused
//! `connection_init` closes with 4403 Forbidden as graphql-transport-ws specifies (async-graphql's own transport
//! closes every refusal with 1002), and so that frames are bounded like HTTP bodies.

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use async_graphql::ErrorExtensions;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use futures::StreamExt;

use super::executor::HubExecutor;
use super::{Unauthenticated, authorization_header, principal_of, request_error};
use crate::context::AppContext;

/// The reason of a refused `connection_init` (no live token): closed with `FORBIDDEN_CLOSE`.
const UNAUTHORIZED: &str = "unauthorized";
/// The reason when the token could not be checked: closed with "try again later".
const UNAVAILABLE: &str = "unavailable: try again";
/// graphql-transport-ws: "4403: Forbidden" for a `connection_init` the server refuses.
const FORBIDDEN_CLOSE: u16 = 4403;
/// RFC 6455 1013, "Try Again Later".
const TRY_AGAIN_LATER: u16 = 1013;
/// The server pings this often, and drops a client silent for `CLIENT_TIMEOUT` (no pong, no message).
const HEARTBEAT: Duration = Duration::from_secs(5);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// The upgrade to a GraphQL WebSocket. A token on the upgrade request is checked now (a bad one is a 401);
/// otherwise the `connection_init` payload must carry one (`Authorization` or `authToken`).
pub async fn graphql_ws(
    executor: web::Data<HubExecutor>,
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok()));
    let Some(protocol) = protocol else {
        let message = "ask for a GraphQL WebSocket protocol: Sec-WebSocket-Protocol: graphql-transport-ws";
        return Ok(HttpResponse::BadRequest().json(request_error(message, "BAD_REQUEST")));
    };
    let from_header = match authorization_header(&req) {
        Some(header) => match principal_of(&ctx, Some(header)).await {
            Ok(p) => Some(p),
            Err(why) => return Ok(why.response()),
        },
        None => None,
    };
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, payload, &ALL_WEBSOCKET_PROTOCOLS)?;
    let limit = ctx.settings.max_request_bytes;
    let messages = messages.max_frame_size(limit).aggregate_continuations().max_continuation_size(limit);

    let last_heard = Arc::new(Mutex::new(Instant::now()));
    let (to_protocol, from_client) = futures::channel::mpsc::channel::<Vec<u8>>(16);
    actix_web::rt::spawn(read_client(messages, session.clone(), to_protocol, last_heard.clone()));

    let ctx = ctx.get_ref().clone();
    let shutdown = ctx.shutdown.clone();
    let protocol_stream = WebSocket::new(HubExecutor::clone(&executor), from_client, protocol).on_connection_init(
        move |payload: serde_json::Value| async move {
            let principal = match from_header {
                Some(p) => p,
                None => {
                    let given = ["Authorization", "authorization", "authToken"]
                        .iter()
                        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()).map(str::to_owned));
                    let header = given.map(|g| if g.contains(' ') { g } else { format!("Bearer {g}") });
                    match principal_of(&ctx, header.as_deref()).await {
                        Ok(p) => p,
                        Err(Unauthenticated::Refused) => {
                            return Err(async_graphql::Error::new(UNAUTHORIZED)
                                .extend_with(|_, e| e.set("code", "UNAUTHENTICATED")));
                        }
                        Err(Unauthenticated::Unavailable) => return Err(async_graphql::Error::new(UNAVAILABLE)),
                    }
                }
            };
            let mut data = async_graphql::Data::default();
            data.insert(principal);
            Ok(data)
        },
    );
    actix_web::rt::spawn(write_client(protocol_stream, session, last_heard, shutdown));
    Ok(response)
}

/// Feeds the client's messages to the protocol and answers its pings; ends when the client closes or breaks the
/// protocol (closed with its code).
async fn read_client(
    mut messages: actix_ws::AggregatedMessageStream,
    mut session: Session,
    mut to_protocol: futures::channel::mpsc::Sender<Vec<u8>>,
    last_heard: Arc<Mutex<Instant>>,
) {
    use futures::SinkExt;
    while let Some(message) = messages.next().await {
        let message = match message {
            Ok(message) => message,
            Err(err) => {
                // A frame above the limit is "message too big" (1009); anything else broke the protocol (1002).
                let code = if matches!(err, ProtocolError::Overflow) { CloseCode::Size } else { CloseCode::Protocol };
                let _ = session.close(Some(CloseReason { code, description: Some(err.to_string()) })).await;
                return;
            }
        };
        if let Ok(mut heard) = last_heard.lock() {
            *heard = Instant::now();
        }
        let forwarded = match message {
            AggregatedMessage::Text(text) => to_protocol.send(text.as_bytes().to_vec()).await,
            AggregatedMessage::Binary(bytes) => to_protocol.send(bytes.to_vec()).await,
            AggregatedMessage::Ping(bytes) => {
                if session.pong(&bytes).await.is_err() {
                    return;
                }
                Ok(())
            }
            AggregatedMessage::Pong(_) => Ok(()),
            AggregatedMessage::Close(_) => return,
        };
        if forwarded.is_err() {
            return;
        }
    }
}

/// Sends the protocol's messages to the client, pings it, and closes with the protocol's code (4403 for a
/// refused `connection_init`), or with 1001 (going away) when the server shuts down.
async fn write_client<S>(
    protocol_stream: S,
    mut session: Session,
    last_heard: Arc<Mutex<Instant>>,
    shutdown: crate::shutdown::Shutdown,
) where
    S: futures::Stream<Item = WsMessage>,
{
    let mut protocol_stream = std::pin::pin!(protocol_stream);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = protocol_stream.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if session.text(text).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _ = session.close(Some(close_reason(code, reason))).await;
                    return;
                }
                None => {
                    let _ = session.close(None).await;
                    return;
                }
            },
            () = shutdown.requested() => {
                let reason = CloseReason { code: CloseCode::Away, description: Some("server shutting down".to_owned()) };
                let _ = session.close(Some(reason)).await;
                return;
            }
            _ = heartbeat.tick() => {
                let silent = last_heard.lock().map(|heard| heard.elapsed() > CLIENT_TIMEOUT).unwrap_or(true);
                if silent || session.ping(b"").await.is_err() {
                    let _ = session.close(Some(CloseReason { code: CloseCode::Away, description: None })).await;
                    return;
                }
            }
        }
    }
}

/// The close frame for the protocol's close: its code, except for our own refusals of `connection_init`.
fn close_reason(code: u16, reason: String) -> CloseReason {
    let code = match reason.as_str() {
        UNAUTHORIZED => FORBIDDEN_CLOSE,
        UNAVAILABLE => TRY_AGAIN_LATER,
        _ => code,
    };
    CloseReason { code: CloseCode::from(code), description: Some(reason) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_init_closes_with_4403_and_other_closes_keep_their_code() {
        assert_eq!(close_reason(1002, UNAUTHORIZED.to_owned()).code, CloseCode::Other(4403));
        assert_eq!(close_reason(1002, UNAVAILABLE.to_owned()).code, CloseCode::Again);
        assert_eq!(close_reason(4400, "Invalid message".to_owned()).code, CloseCode::Other(4400));
    }
}
