//! The answer codes (`code` of the envelope) the simulator sends, from shared/channels/tiktok.md §7 ("Common
//! errors" and the API reference). The few the docs do not give are UNCONFIRMED and chosen here; the connector
//! keeps its own reading (`channels::tiktok::codes`), and a test checks that the two agree where it relies on one.

/// Success.
pub const OK: i64 = 0;
/// "Invalid credentials. The `sign` query parameter is invalid."
pub const INVALID_SIGN: i64 = 106001;
/// Missing sign, invalid app_key, invalid timestamp, invalid access-token header, unexpected shop_cipher: one code,
/// different messages.
pub const INVALID_CREDENTIALS: i64 = 36009004;
/// "Expired credentials": the access token has expired.
pub const EXPIRED_TOKEN: i64 = 105002;
/// The token does not belong to the shop named by `shop_cipher`.
pub const TOKEN_SHOP_MISMATCH: i64 = 101000;
/// "Missing identifier. The `shop_cipher` query parameter is required".
pub const MISSING_SHOP_CIPHER: i64 = 106013;
/// "Too many requests." (with HTTP 429).
pub const RATE_LIMITED: i64 = 36009002;
/// Platform internal error (transient).
pub const INTERNAL_ERROR: i64 = 36009003;
/// "Invalid request format": the body is not the JSON the endpoint takes.
pub const INVALID_REQUEST_FORMAT: i64 = 36009022;
/// A query or body value out of range (page_size, ids count, SKUs per call, …). UNCONFIRMED: the docs list
/// per-API codes only; this generic one is our choice.
pub const INVALID_PARAMETER: i64 = 36009005;
/// Search Products: more than 10 `seller_skus` in the filter.
pub const TOO_MANY_SELLER_SKUS: i64 = 12019027;
/// Search Products: results beyond the first 10 000 are not served.
pub const SEARCH_RESULT_WINDOW_EXCEEDED: i64 = 12052180;
/// Product not found.
pub const PRODUCT_NOT_FOUND: i64 = 12052032;
/// Update price / inventory: main code of a per-SKU failure ("Check failed").
pub const SKU_CHECK_FAILED: i64 = 12052990;
/// Update inventory of a combo product: its stock is computed from its items ("combo stock cannot be edited").
pub const COMBO_STOCK_NOT_EDITABLE: i64 = 12052850;
/// Update inventory: "The warehouse does not exist".
pub const WAREHOUSE_NOT_FOUND: i64 = 12052097;
/// Update price / inventory on a product that is not `ACTIVATE`. UNCONFIRMED code.
pub const PRODUCT_NOT_ACTIVE: i64 = 12052048;
/// Order or package not found. UNCONFIRMED code.
pub const ORDER_NOT_FOUND: i64 = 21001001;
/// An action the order's current status does not allow (ship twice, cancel after shipping, label before
/// shipping). UNCONFIRMED code.
pub const ORDER_STATUS_NOT_ALLOWED: i64 = 21011001;
/// Auth host: unknown or expired authorization code or refresh token. UNCONFIRMED code.
pub const INVALID_GRANT: i64 = 36004004;
