//! `omnisync demo`: the whole hub in one process on the embedded default — the five marketplace simulators, a
//! seeded shop (about 200 products, two warehouses, one account per channel with matching, missing and
//! conflicting codes), a bulk link per channel, and simulators that keep placing orders and moving them
//! (shipping, delivering, cancelling, returning) at a gentle rate, so queries and subscriptions show a living
//! shop.

use std::time::Duration;

use anyhow::Context as _;
use rand::{Rng, SeedableRng};

use entity::enums::{LedgerReason, SyncRunKind, TokenScope};

use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::actor::{Actor, system};
use crate::services::{api_tokens, catalog, channels, inventory};
use crate::sim::SimHandle;
use crate::startup::Application;

const PRODUCTS: usize = 200;

pub async fn run(bind: std::net::SocketAddr, sim_port: u16) -> anyhow::Result<()> {
    crate::startup::install_tls_provider();
    let dir = std::path::PathBuf::from("omnisync-demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sims = crate::sim::start_all("127.0.0.1", sim_port, 42, PRODUCTS).context("starting the simulators")?;

    let mut settings = Settings::embedded(format!("sqlite://{}/omnisync.db?mode=rwc", dir.display()));
    settings.bind = bind;
    let app = Application::build(settings).await?;
    let ctx = app.context().clone();
    let port = app.port();
    let server = tokio::spawn(app.run_until_signal());

    seed_shop(&ctx).await?;
    for sim in &sims {
        let channel = connect(&ctx, sim).await?;
        sim.state.set_webhook_url(Some(format!("{}/webhooks/{}", ctx.settings.public_base_url(), channel)));
        crate::jobs::enqueue_run(&ctx, SyncRunKind::LinkProducts, Some(channel), None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let (_, token) =
        api_tokens::create(&ctx.db, "demo", TokenScope::Admin).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    banner(port, &token, &sims);
    tokio::spawn(traffic(sims.clone()));
    // Until SIGTERM or SIGINT, which the server handles: a graceful stop of requests and jobs.
    server.await??;
    println!("demo stopped");
    Ok(())
}

/// About 200 products (one per seeded marketplace product, same variant count), two warehouses, some stock.
/// Codes: barcode = SKU = the marketplaces' seller SKU (`SKU-0001-1`), except every 25th product (no barcode),
/// every 40th (a code no channel has) and products 199 and 200 (sharing a barcode: a conflict).
async fn seed_shop(ctx: &AppContext) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let hanoi = catalog::warehouse_create(
        &ctx.db,
        catalog::WarehouseFields {
            name: Some("Kho Hà Nội".into()),
            code: Some(Some("HN".into())),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let main = catalog::default_warehouse(&ctx.db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    for i in 1..=PRODUCTS {
        let count = (i - 1) % 3 + 1;
        let variants = (1..=count)
            .map(|j| {
                let code = format!("SKU-{i:04}-{j}");
                let barcode = match i {
                    _ if i % 25 == 0 && j == 1 => None,
                    _ if i % 40 == 0 => Some(format!("NOPE-{i}")),
                    200 => Some("SKU-0199-1".to_owned()),
                    _ => Some(code.clone()),
                };
                catalog::VariantFields {
                    sku: Some(Some(code)),
                    barcode: Some(barcode),
                    // The simulators' range: a price above Tiki's list price shows PRICE_ABOVE_LIST_PRICE there, the
                    // other channels take it.
                    price: Some(rust_decimal::Decimal::from(rng.random_range(50u32..500) * 1000)),
                    // Two options, like the simulators' multi-SKU products.
                    options: (count > 1).then(|| {
                        vec![
                            catalog::OptionPair {
                                name: "Màu".into(),
                                value: ["Đỏ", "Xanh", "Đen", "Trắng"][(j - 1) % 4].into(),
                            },
                            catalog::OptionPair {
                                name: "Size".into(),
                                value: ["S", "M", "L", "XL"][(i + j - 1) % 4].into(),
                            },
                        ]
                    }),
                    allow_oversell: Some(i % 10 == 0),
                    ..Default::default()
                }
            })
            .collect();
        let fields = catalog::ProductFields { title: Some(format!("Sản phẩm {i:03}")), ..Default::default() };
        let (_, created) = catalog::product_create(&ctx.db, &ctx.settings.currency, fields, variants)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let changes = created
            .iter()
            .flat_map(|v| {
                [
                    (v.id, main.id, i64::from(rng.random_range(0u32..60))),
                    (v.id, hanoi.id, i64::from(rng.random_range(0u32..20))),
                ]
            })
            .filter(|(_, _, d)| *d > 0)
            .map(|(variant_id, warehouse_id, delta)| inventory::AdjustChange { variant_id, warehouse_id, delta })
            .collect::<Vec<_>>();
        if !changes.is_empty() {
            let stocked = inventory::adjust(
                &ctx.db,
                &Actor::system(system::DEMO),
                LedgerReason::Received,
                Some("demo stock".into()),
                changes,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            crate::jobs::effects::after_commit_queued(ctx, stocked).await;
        }
    }
    Ok(())
}

async fn connect(ctx: &AppContext, sim: &SimHandle) -> anyhow::Result<i64> {
    let credentials =
        channels::CredentialsInput::from(&sim.state.marketplace().connect_credentials(&sim.state.credentials));
    let input = channels::ConnectInput {
        kind: sim.kind.as_str().to_owned(),
        name: format!("{} (simulator)", sim.state.slug()),
        country: "VN".into(),
        base_url: Some(sim.base_url.clone()),
        credentials,
        settings: Default::default(),
    };
    let connected =
        channels::connect(ctx, input).await.map_err(|e| anyhow::anyhow!("connecting {}: {e:?}", sim.state.slug()))?;
    Ok(connected.channel.id)
}

fn banner(port: u16, token: &str, sims: &[SimHandle]) {
    println!();
    println!("omnisync demo is running.");
    println!("  Console:   http://127.0.0.1:{port}/   (sign in with the API token below)");
    println!("  GraphiQL:  http://127.0.0.1:{port}/graphql");
    println!("  API token: {token}");
    for sim in sims {
        println!("  {:<9} simulator: {}", sim.state.slug(), sim.base_url);
    }
    println!();
    println!("Try:");
    println!(
        "  {{ channels {{ edges {{ node {{ id name status counts {{ listings links linkErrors orders }} }} }} }} }}"
    );
    println!("  {{ syncErrors(first: 10) {{ totalCount edges {{ node {{ code message }} }} }} }}");
    println!("  subscription {{ orderUpdated {{ id }} }}   (GraphiQL runs it over /graphql/ws)");
    println!();
    println!("The simulators place an order every few seconds and move older ones along. Ctrl-C stops.");
}

/// Orders and status changes at a gentle rate: a new order, or the next step of an open one, every ~2 s.
async fn traffic(sims: Vec<SimHandle>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    loop {
        tokio::time::sleep(Duration::from_millis(rng.random_range(1000..3000))).await;
        let sim = &sims[rng.random_range(0..sims.len())];
        let crate::sim::StatusWalk { steps, cancel, returned } = sim.state.marketplace().status_walk();
        let open: Vec<(u64, String)> = {
            let store = sim.state.store();
            store
                .orders
                .iter()
                .filter(|o| steps[..steps.len() - 1].contains(&o.status.as_str()))
                .map(|o| (o.id, o.status.clone()))
                .collect()
        };
        let roll: f64 = rng.random();
        if open.is_empty() || roll < 0.45 {
            let product = rng.random_range(1..=PRODUCTS);
            let sku = format!("SKU-{product:04}-1");
            if let Err(e) = sim.state.create_order(&[(sku, i64::from(rng.random_range(1u32..3)))], None).await {
                tracing::debug!(error = %e, "demo order not placed");
            }
            continue;
        }
        let (id, status) = &open[rng.random_range(0..open.len())];
        let next = if roll < 0.52 {
            cancel
        } else {
            let at = steps.iter().position(|s| s == status).unwrap_or(0);
            match (steps.get(at + 1), returned) {
                (Some(next), _) => next,
                (None, Some(r)) if roll > 0.95 => r,
                _ => continue,
            }
        };
        if let Err(e) = sim.state.set_order_status(*id, next).await {
            tracing::debug!(error = %e, "demo status change refused");
        }
    }
}
