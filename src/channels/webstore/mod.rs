//! Webstore connector (stub: being implemented).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::channels::{Connector, ConnectorConfig, ConnectorError, ConnectorResult, Credentials, Kind};
use crate::domain::channel::{
    ActionOutcome, ChannelEvent, ChannelOrder, Listing, OrderAction, OrderRef, OrderTimeField, ShopIdentity,
    StockPriceUpdate, UpdateReport, WebhookRequest,
};


pub struct WebstoreConnector {
    config: ConnectorConfig,
}

impl WebstoreConnector {
    pub fn new(config: ConnectorConfig) -> ConnectorResult<Self> {
        Ok(Self { config })
    }
}

#[async_trait]
impl Connector for WebstoreConnector {
    fn kind(&self) -> Kind {
        Kind::Webstore
    }
    async fn shop_identity(&self) -> ConnectorResult<ShopIdentity> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn list_listings(&self) -> ConnectorResult<Vec<Listing>> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn update_stock_price(&self, _updates: &[StockPriceUpdate]) -> ConnectorResult<UpdateReport> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn list_orders(&self, _from: DateTime<Utc>, _to: DateTime<Utc>, _by: OrderTimeField) -> ConnectorResult<Vec<OrderRef>> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn get_orders(&self, _ids: &[String]) -> ConnectorResult<Vec<ChannelOrder>> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn order_action(&self, _id: &str, _action: &OrderAction) -> ConnectorResult<ActionOutcome> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    fn verify_webhook(&self, _request: &WebhookRequest) -> ConnectorResult<Vec<ChannelEvent>> {
        Err(ConnectorError::Unsupported("not implemented yet"))
    }
    async fn current_credentials(&self) -> Credentials {
        self.config.credentials.clone()
    }
}
