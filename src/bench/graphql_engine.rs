//! The GraphQL engine's own cost of a catalog page, apart from the hub: the same query against a schema of the same
//! shape (product → variants → price, levels → warehouse) whose data is already in memory, executed and serialised
//! to JSON, one after another on one thread. No HTTP, no token, no database, no DataLoader: what async-graphql
//! spends building this response is a lower bound on the hub's CPU per page, whatever the hub does around it.

use std::time::{Duration, Instant};

use async_graphql::{EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineMoney")]
struct Money {
    amount: String,
    currency_code: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineWarehouse")]
struct Warehouse {
    name: String,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineLevel")]
struct Level {
    on_hand: i32,
    available: i32,
    warehouse: Warehouse,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineVariant")]
struct Variant {
    id: ID,
    sku: String,
    price: Money,
    inventory_levels: Vec<Level>,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineProduct")]
struct Product {
    id: ID,
    title: String,
    variants: Vec<Variant>,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineEdge")]
struct Edge {
    node: Product,
}

#[derive(SimpleObject, Clone)]
#[graphql(name = "EngineConnection")]
struct Connection {
    edges: Vec<Edge>,
}

struct Query {
    page: Connection,
}

#[Object]
impl Query {
    async fn products(&self, first: i32) -> Connection {
        let mut page = self.page.clone();
        page.edges.truncate(usize::try_from(first).unwrap_or(0));
        page
    }
}

fn page() -> Connection {
    let edges = (0..50)
        .map(|i| Edge {
            node: Product {
                id: ID(format!("UHJvZHVjdDo{i}")),
                title: format!("Bench {i}"),
                variants: (0..3)
                    .map(|j| Variant {
                        id: ID(format!("UHJvZHVjdFZhcmlhbnQ6{i}{j}")),
                        sku: format!("G-{i}-{j}"),
                        price: Money { amount: format!("{}", 10_000 + i), currency_code: "VND".into() },
                        inventory_levels: vec![Level {
                            on_hand: 5,
                            available: 5,
                            warehouse: Warehouse { name: "Kho tổng".into() },
                        }],
                    })
                    .collect(),
            },
        })
        .collect();
    Connection { edges }
}

/// Milliseconds one catalog page costs the engine alone (executed and serialised), over `for_at_least`.
pub async fn page_ms(query: &str, for_at_least: Duration) -> anyhow::Result<f64> {
    let schema = Schema::build(Query { page: page() }, EmptyMutation, EmptySubscription).finish();
    let started = Instant::now();
    let mut pages = 0u32;
    while started.elapsed() < for_at_least || pages == 0 {
        let response = schema.execute(query).await;
        if !response.errors.is_empty() {
            anyhow::bail!("the engine refused the page: {:?}", response.errors);
        }
        let body = serde_json::to_vec(&response)?;
        std::hint::black_box(body);
        pages += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / f64::from(pages))
}
