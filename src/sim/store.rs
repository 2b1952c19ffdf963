//! The in-memory shop every simulator serves in its own wire format: products with SKUs, orders, tokens, and
//! the simulator's clock-free bookkeeping. Marketplace modules read and write it under the state's mutex.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimSku {
    pub id: u64,
    /// The merchant's code (Lazada SellerSku, Shopee model_sku, Tiki original_sku, TikTok seller_sku, web store sku).
    pub seller_sku: String,
    /// Minor units of the shop currency.
    pub price: i64,
    pub list_price: i64,
    pub quantity: i64,
    pub options: Vec<(String, String)>,
    /// A scheduled sale price (Lazada's special price): (price, from, to).
    #[serde(default)]
    pub sale: Option<(i64, DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimProduct {
    pub id: u64,
    pub title: String,
    pub status: String,
    pub hidden: bool,
    /// A bundle of the marketplace's own (a Shopee virtual SKU item, a TikTok combo): its stock is computed from
    /// its items and refused by the stock update API.
    #[serde(default)]
    pub computes_stock: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub skus: Vec<SimSku>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimOrderLine {
    pub id: u64,
    pub product_id: u64,
    pub sku_id: u64,
    pub seller_sku: String,
    pub title: String,
    pub quantity: i64,
    pub price: i64,
    /// Line status, for marketplaces whose status lives on items (Lazada).
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SimOrder {
    pub id: u64,
    pub order_number: String,
    /// The marketplace's raw status string.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub buyer_name: String,
    pub buyer_phone: String,
    pub address: String,
    pub ward: String,
    pub district: String,
    pub province: String,
    pub shipping_fee: i64,
    pub cancel_reason: Option<String>,
    pub lines: Vec<SimOrderLine>,
    /// Packages created by a ready-to-ship action (Lazada package ids, TikTok package ids).
    pub package_id: Option<String>,
}

impl SimOrder {
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.price * l.quantity).sum::<i64>() + self.shipping_fee
    }
}

/// Tokens the simulator issued, with their expiry. An access token is valid until it expires or is revoked.
#[derive(Debug, Default)]
pub struct TokenBook {
    access: HashMap<String, DateTime<Utc>>,
    refresh: HashMap<String, DateTime<Utc>>,
    codes: HashMap<String, DateTime<Utc>>,
    issued: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_in: i64,
    pub refresh_expires_in: i64,
}

impl TokenBook {
    pub fn check_access(&self, token: &str) -> Result<(), TokenProblem> {
        match self.access.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(expires) if *expires <= Utc::now() => Err(TokenProblem::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Issues a new pair. `single_use_refresh`: the refresh token used is spent (Shopee).
    pub fn issue(&mut self, access_ttl: Duration, refresh_ttl: Duration) -> IssuedTokens {
        self.issued += 1;
        let n = self.issued;
        let salt: u64 = rand::rng().random();
        let access = format!("at-{n}-{salt:016x}");
        let refresh = format!("rt-{n}-{salt:016x}");
        let now = Utc::now();
        self.access.insert(access.clone(), now + access_ttl);
        self.refresh.insert(refresh.clone(), now + refresh_ttl);
        IssuedTokens {
            access_token: access,
            refresh_token: refresh,
            access_expires_in: access_ttl.num_seconds(),
            refresh_expires_in: refresh_ttl.num_seconds(),
        }
    }

    /// Checks a refresh token; `spend` removes it (single-use refresh tokens).
    pub fn use_refresh(&mut self, token: &str, spend: bool) -> Result<(), TokenProblem> {
        let result = match self.refresh.get(token) {
            None => Err(TokenProblem::Unknown),
            Some(expires) if *expires <= Utc::now() => Err(TokenProblem::Expired),
            Some(_) => Ok(()),
        };
        if result.is_ok() && spend {
            self.refresh.remove(token);
        }
        result
    }

    /// A one-time authorization code, valid 30 minutes (the consent page's redirect carries it).
    pub fn issue_code(&mut self) -> String {
        let salt: u64 = rand::rng().random();
        let code = format!("code-{salt:016x}");
        self.codes.insert(code.clone(), Utc::now() + Duration::minutes(30));
        code
    }

    pub fn use_code(&mut self, code: &str) -> Result<(), TokenProblem> {
        match self.codes.remove(code) {
            None => Err(TokenProblem::Unknown),
            Some(expires) if expires <= Utc::now() => Err(TokenProblem::Expired),
            Some(_) => Ok(()),
        }
    }

    /// Makes every access token expired now (the control API's "expire tokens").
    pub fn expire_access_tokens(&mut self) {
        let past = Utc::now() - Duration::seconds(1);
        for expires in self.access.values_mut() {
            *expires = past;
        }
    }
}

#[derive(Debug, Default)]
pub struct SimStore {
    pub products: Vec<SimProduct>,
    pub orders: Vec<SimOrder>,
    pub tokens: TokenBook,
    next_id: u64,
}

const COLORS: [&str; 4] = ["Đỏ", "Xanh", "Đen", "Trắng"];
const SIZES: [&str; 4] = ["S", "M", "L", "XL"];

impl SimStore {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        // Marketplace ids are large numbers; keep them recognisable per store.
        100_000 + self.next_id
    }

    /// `products` deterministic products (seeded by `seed`), each with 1 to 3 SKUs whose seller SKU is
    /// `<prefix><product>-<sku>` (e.g. `SKU-0007-2`).
    pub fn seed(&mut self, seed: u64, products: usize, prefix: &str) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        for i in 0..products {
            let sku_count = (i % 3) + 1;
            self.add_product(&mut rng, &format!("Sản phẩm mẫu {:04}", i + 1), prefix, i + 1, sku_count);
        }
    }

    /// Adds one product with `sku_count` SKUs; returns its id.
    pub fn add_product(
        &mut self,
        rng: &mut impl Rng,
        title: &str,
        prefix: &str,
        number: usize,
        sku_count: usize,
    ) -> u64 {
        let now = Utc::now();
        let id = self.next_id();
        let mut skus = Vec::with_capacity(sku_count);
        for j in 0..sku_count {
            let price = i64::from(rng.random_range(50u32..500)) * 1000;
            let options = if sku_count > 1 {
                vec![
                    ("Màu".to_owned(), COLORS[j % COLORS.len()].to_owned()),
                    ("Size".to_owned(), SIZES[(number + j) % SIZES.len()].to_owned()),
                ]
            } else {
                Vec::new()
            };
            skus.push(SimSku {
                id: self.next_id(),
                seller_sku: format!("{prefix}{number:04}-{}", j + 1),
                price,
                list_price: price + 20_000,
                quantity: i64::from(rng.random_range(0u32..100)),
                options,
                sale: None,
            });
        }
        self.products.push(SimProduct {
            id,
            title: title.to_owned(),
            status: "active".into(),
            hidden: false,
            computes_stock: false,
            created_at: now,
            updated_at: now,
            skus,
        });
        id
    }

    pub fn sku_by_seller_sku(&self, seller_sku: &str) -> Option<(&SimProduct, &SimSku)> {
        self.products.iter().find_map(|p| p.skus.iter().find(|s| s.seller_sku == seller_sku).map(|s| (p, s)))
    }

    /// Makes the product holding `seller_sku` a bundle of the marketplace's own (its stock computed, not set).
    pub fn make_computed_bundle(&mut self, seller_sku: &str) -> bool {
        let product = self.products.iter_mut().find(|p| p.skus.iter().any(|s| s.seller_sku == seller_sku));
        product.map(|p| p.computes_stock = true).is_some()
    }

    pub fn sku_mut(&mut self, sku_id: u64) -> Option<&mut SimSku> {
        self.products.iter_mut().flat_map(|p| p.skus.iter_mut()).find(|s| s.id == sku_id)
    }

    pub fn sku_count(&self) -> usize {
        self.products.iter().map(|p| p.skus.len()).sum()
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut SimOrder> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    pub fn order(&self, id: u64) -> Option<&SimOrder> {
        self.orders.iter().find(|o| o.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_and_gives_one_to_three_skus() {
        let (mut a, mut b) = (SimStore::default(), SimStore::default());
        a.seed(7, 10, "SKU-");
        b.seed(7, 10, "SKU-");
        let prices = |s: &SimStore| s.products.iter().flat_map(|p| p.skus.iter().map(|k| k.price)).collect::<Vec<_>>();
        assert_eq!(prices(&a), prices(&b));
        assert_eq!(a.sku_count(), 4 + 3 * 2 + 3 * 3, "4 products with 1 SKU, 3 with 2, 3 with 3");
        assert!(a.sku_by_seller_sku("SKU-0003-3").is_some());
    }

    #[test]
    fn tokens_expire_and_refresh_tokens_can_be_single_use() {
        let mut book = TokenBook::default();
        let t = book.issue(Duration::hours(4), Duration::days(30));
        assert_eq!(book.check_access(&t.access_token), Ok(()));
        book.expire_access_tokens();
        assert_eq!(book.check_access(&t.access_token), Err(TokenProblem::Expired));
        assert_eq!(book.check_access("nope"), Err(TokenProblem::Unknown));
        assert_eq!(book.use_refresh(&t.refresh_token, true), Ok(()));
        assert_eq!(book.use_refresh(&t.refresh_token, true), Err(TokenProblem::Unknown), "spent");
    }
}
