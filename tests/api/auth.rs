//! API tokens: every endpoint refuses a request without a live token; scopes are enforced per operation.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::TestApp;
use crate::on_both_backends;

async fn post(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = app.client.post(format!("{}/graphql", app.address)).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn token(app: &TestApp, scope: &str) -> String {
    let data = app
        .gql(
            "mutation($s: TokenScope!) { apiTokenCreate(input: { name: \"t\", scope: $s }) { secret apiToken { id scope prefix } userErrors { code } } }",
            json!({ "s": scope }),
        )
        .await;
    data["apiTokenCreate"]["secret"].as_str().expect("secret").to_owned()
}

async fn requests_without_a_live_token_get_401_with_no_detail(app: &TestApp) {
    for bad in [None, Some("osk_not-a-real-token"), Some("garbage")] {
        let (status, body) = post(app, bad, "{ products { totalCount } }").await;
        assert_eq!(status, 401, "{bad:?}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{bad:?}: {body}");
        assert!(body["data"].is_null(), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(!message.contains("revoked") && !message.contains("unknown"), "no detail of why: {message}");
    }
    // A revoked token stops working at once.
    let secret = token(app, "READ").await;
    assert_eq!(post(app, Some(&secret), "{ products { totalCount } }").await.0, 200);
    let id = app.gql("{ apiTokens(last: 1) { edges { node { id } } } }", json!({})).await["apiTokens"]["edges"][0]["node"]["id"].clone();
    let revoked = app
        .gql(
            "mutation($id: ID!) { apiTokenRevoke(id: $id) { apiToken { revokedAt } userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(revoked["apiTokenRevoke"]["apiToken"]["revokedAt"].is_string());
    assert_eq!(post(app, Some(&secret), "{ products { totalCount } }").await.0, 401);

    // WebSocket: a bad token on the upgrade is a 401; without any token the connection_init is refused.
    let mut request = app.ws_url().into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    request.headers_mut().insert("Authorization", "Bearer osk_wrong".parse().expect("header"));
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 401),
        "{refused:?}"
    );
    let mut request = app.ws_url().into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    socket
        .send(Message::Text(json!({ "type": "connection_init", "payload": {} }).to_string().into()))
        .await
        .expect("sent");
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.expect("an answer");
    let refused = match answer {
        Some(Ok(Message::Close(frame))) => frame.map(|f| f.reason.to_string()).unwrap_or_default(),
        Some(Ok(Message::Text(text))) => text.to_string(),
        None | Some(Err(_)) => "closed".to_owned(),
        Some(Ok(other)) => format!("{other:?}"),
    };
    assert!(!refused.contains("connection_ack"), "no ack without a token: {refused}");
}
on_both_backends!(auth_required, requests_without_a_live_token_get_401_with_no_detail);

async fn each_scope_allows_only_its_operations(app: &TestApp) {
    let read = token(app, "READ").await;
    let write = token(app, "WRITE").await;
    let (status, body) = post(app, Some(&read), "{ products { totalCount } }").await;
    assert_eq!((status, body["data"]["products"]["totalCount"].as_i64()), (200, Some(0)));

    let mutation = "mutation { warehouseCreate(input: { name: \"W\" }) { warehouse { id } } }";
    let (_, body) = post(app, Some(&read), mutation).await;
    assert_eq!(body["errors"][0]["message"], "this operation needs the WRITE scope; the token has READ", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    assert!(body["data"].is_null(), "nothing ran");
    let (_, body) = post(app, Some(&write), mutation).await;
    assert!(body["data"]["warehouseCreate"]["warehouse"]["id"].is_string(), "{body}");

    let admin_only = "mutation { channelDisconnect(id: \"Q2hhbm5lbDox\", confirm: true) { userErrors { code } } }";
    let (_, body) = post(app, Some(&write), admin_only).await;
    assert_eq!(body["errors"][0]["message"], "channelDisconnect needs the ADMIN scope; the token has WRITE", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    let (_, body) = post(app, Some(&write), "{ apiTokens { totalCount } }").await;
    assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("ADMIN"), "{body}");
    let (_, body) = post(app, Some(&app.token), admin_only).await;
    assert_eq!(body["data"]["channelDisconnect"]["userErrors"][0]["code"], "NOT_FOUND", "ADMIN may: {body}");
}
on_both_backends!(auth_scopes, each_scope_allows_only_its_operations);

/// `viewer` tells a front-end which token it holds, whatever its scope, so it offers only what the scope allows.
async fn every_token_reads_its_own_scope_as_viewer(app: &TestApp) {
    let query = "{ viewer { name scope prefix revokedAt } }";
    for scope in ["READ", "WRITE", "ADMIN"] {
        let secret = token(app, scope).await;
        let (status, body) = post(app, Some(&secret), query).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["viewer"]["scope"], scope, "{body}");
        assert_eq!(body["data"]["viewer"]["revokedAt"], Value::Null, "{body}");
        assert!(secret.starts_with(body["data"]["viewer"]["prefix"].as_str().expect("a prefix")), "{body}");
    }
    let (status, _) = post(app, None, query).await;
    assert_eq!(status, 401, "no token, no viewer");
}
on_both_backends!(auth_viewer, every_token_reads_its_own_scope_as_viewer);

/// Spellings of one ADMIN read, as a client might write them: each must reach `apiTokens` with ADMIN and be refused
/// with READ or WRITE wherever the field sits in the document.
const ADMIN_READ_SPELLINGS: &[&str] = &[
    "{ apiTokens(first: 5) { nodes { id name scope } } }",
    "{ innocent: apiTokens(first: 5) { nodes { id name scope } } }",
    "query { ...F } fragment F on QueryRoot { apiTokens(first: 5) { nodes { id name scope } } }",
    "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { apiTokens { nodes { name } } }",
    "query { ... on QueryRoot { apiTokens(first: 5) { nodes { id name scope } } } }",
    "query { ... { apiTokens(first: 5) { nodes { name } } } }",
    "query { ... @include(if: true) { apiTokens { nodes { name } } } }",
    "query { products(first: 1) { totalCount } ...F } fragment F on QueryRoot { apiTokens { nodes { name } } }",
];

/// What no READ or WRITE caller may ever see: the tokens' names (every test token is named "t" or "secret-name").
fn leaks_token_names(body: &Value) -> bool {
    let text = body.to_string();
    text.contains("secret-name") || text.contains("\"nodes\"")
}

async fn admin_fields_refuse_every_spelling_without_admin(app: &TestApp) {
    let named = app
        .gql("mutation { apiTokenCreate(input: { name: \"secret-name\", scope: READ }) { secret } }", json!({}))
        .await;
    assert!(named["apiTokenCreate"]["secret"].is_string());
    let read = token(app, "READ").await;
    let write = token(app, "WRITE").await;
    for spelling in ADMIN_READ_SPELLINGS {
        let (status, body) = post(app, Some(&app.token), spelling).await;
        assert_eq!(status, 200);
        assert!(body.to_string().contains("secret-name"), "ADMIN reaches apiTokens through {spelling}: {body}");
        for held in [&read, &write] {
            let (_, body) = post(app, Some(held), spelling).await;
            assert!(!leaks_token_names(&body), "{spelling} leaked tokens: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{spelling}: {body}");
            assert!(body["errors"][0]["message"].as_str().unwrap_or_default().starts_with("apiTokens needs the ADMIN"));
        }
    }

    // Every ADMIN mutation, spelled through a fragment with a WRITE token: refused before it runs.
    let admin_mutations = [
        "channelConnect(input: { kind: \"LAZADA\", name: \"x\", country: \"VN\", credentials: {} }) { userErrors { code } }",
        "channelUpdate(id: \"Q2hhbm5lbDox\", input: {}) { userErrors { code } }",
        "channelDisconnect(id: \"Q2hhbm5lbDox\", confirm: true) { userErrors { code } }",
        "apiTokenCreate(input: { name: \"x\", scope: READ }) { secret }",
        "apiTokenRevoke(id: \"QXBpVG9rZW46MQ\") { userErrors { code } }",
    ];
    for field in admin_mutations {
        let document = format!("mutation {{ ...M }} fragment M on MutationRoot {{ {field} }}");
        let (_, body) = post(app, Some(&write), &document).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{document}: {body}");
        let name = field.split('(').next().unwrap_or_default();
        assert!(body["errors"][0]["message"].as_str().unwrap_or_default().starts_with(name), "{body}");
    }

    // A mutation spread through a fragment: refused, and no token is created.
    let spread = "mutation { ...M } fragment M on MutationRoot { apiTokenCreate(input: { name: \"sneaky\", scope: ADMIN }) { secret } }";
    let (_, body) = post(app, Some(&write), spread).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    assert!(!body.to_string().contains("osk_"), "no secret handed out: {body}");
    let names = app.gql("{ apiTokens(first: 100) { nodes { name } } }", json!({})).await.to_string();
    assert!(!names.contains("sneaky"), "{names}");
    // ADMIN-free work in a WRITE mutation with spreads is fine (the check is per field, not per spelling).
    let harmless = "mutation { ...M } fragment M on MutationRoot { warehouseCreate(input: { name: \"Spread\" }) { warehouse { name } } }";
    let (_, body) = post(app, Some(&write), harmless).await;
    assert_eq!(body["data"]["warehouseCreate"]["warehouse"]["name"], "Spread", "{body}");

    // Batched requests: either refused whole or each one checked; never the tokens.
    let batch = json!([{ "query": ADMIN_READ_SPELLINGS[2] }, { "query": "{ products { totalCount } }" }]);
    let response =
        app.client.post(format!("{}/graphql", app.address)).bearer_auth(&read).json(&batch).send().await.expect("sent");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(!leaks_token_names(&body), "a batch leaked tokens: {body}");

    // The WebSocket carries queries too (graphql-transport-ws `subscribe` with a query document).
    let mut request = app.ws_url().into_client_request().expect("request");
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {read}") } });
    socket.send(Message::Text(init.to_string().into())).await.expect("sent");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": ADMIN_READ_SPELLINGS[4] } });
    socket.send(Message::Text(subscribe.to_string().into())).await.expect("sent");
    let mut answers = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await {
        if let Message::Text(text) = message {
            let done = text.contains("\"complete\"") || text.contains("\"error\"");
            answers.push(text.to_string());
            if done {
                break;
            }
        }
    }
    let answers = answers.join("\n");
    assert!(answers.contains("connection_ack"), "{answers}");
    assert!(answers.contains("FORBIDDEN"), "{answers}");
    assert!(!answers.contains("secret-name"), "the socket leaked tokens: {answers}");
}
on_both_backends!(auth_admin_fields_by_any_spelling, admin_fields_refuse_every_spelling_without_admin);

/// Every field the ADMIN guard protects exists under that name in the schema (a rename would otherwise leave the
/// list stale), and nothing else in the schema manages tokens or channel credentials.
#[test]
fn every_admin_field_exists_in_the_schema() {
    let sdl = omnisync::graphql::sdl();
    for field in omnisync::graphql::auth::ADMIN_FIELDS {
        assert!(sdl.contains(&format!("\t{field}(")) || sdl.contains(&format!("\t{field}:")), "{field} is gone");
    }
}

/// The binary: on the very first start of an empty database `serve` prints one admin token, once; and
/// `omnisync token create --scope admin` prints a usable token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_prints_an_admin_token_once_and_the_cli_creates_tokens() {
    let dir = std::env::temp_dir().join(format!("omnisync-first-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = format!("sqlite://{}/omnisync.db?mode=rwc", dir.display());
    let first_line = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_omnisync"))
            .args(args)
            .env("DATABASE_URL", &db)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("omnisync starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        let mut seen = Vec::new();
        while let Some(Ok(line)) = lines.next() {
            let done = line.contains("GraphiQL at");
            seen.push(line);
            if done {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        seen
    };
    let first = first_line(&["serve", "--bind", "127.0.0.1:0"]);
    let token_lines: Vec<&String> = first.iter().filter(|l| l.contains("ADMIN API token")).collect();
    assert_eq!(token_lines.len(), 1, "{first:?}");
    assert!(token_lines[0].contains("osk_"));
    let second = first_line(&["serve", "--bind", "127.0.0.1:0"]);
    assert!(!second.iter().any(|l| l.contains("ADMIN API token")), "printed once only: {second:?}");

    let created = std::process::Command::new(env!("CARGO_BIN_EXE_omnisync"))
        .args(["token", "create", "--scope", "admin", "--name", "ci"])
        .env("DATABASE_URL", &db)
        .output()
        .expect("token create");
    let secret = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert!(secret.starts_with("osk_") && secret.len() > 40, "{secret}");
    let _ = std::fs::remove_dir_all(dir);
}
