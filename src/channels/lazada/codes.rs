//! Lazada error codes as the connector reads them. Codes marked UNCONFIRMED are our choice where the docs name
//! none; the simulator holds its own (`sim::lazada::codes`), and a test checks that the two agree.

/// Bad or missing signature.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
/// Access token unknown or expired.
pub const ILLEGAL_ACCESS_TOKEN: &str = "IllegalAccessToken";
/// Refresh token unknown or expired.
pub const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";
/// Authorization code unknown, used or older than 30 minutes.
pub const INVALID_CODE: &str = "InvalidCode";
/// A mandatory parameter is absent.
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// UNCONFIRMED: the name of the gateway's answer to an unknown app key.
pub const INVALID_APP_KEY: &str = "InvalidAppKey";
/// UNCONFIRMED: the name of the gateway's answer to a timestamp more than 7200 s from server time.
pub const INVALID_TIMESTAMP: &str = "InvalidTimestamp";
/// UNCONFIRMED: the name of the gateway's answer to an unknown API path.
pub const INVALID_API_PATH: &str = "InvalidApiPath";
/// Per-API throttling ("E901: The request is too frequent…").
pub const RATE_LIMIT: &str = "901";

/// Codes that mean "slow down": `901`, and the IOP gateway's `ApiCallLimit` / `AppCallLimit` (seen on the
/// same gateway for AliExpress; UNCONFIRMED for Lazada, harmless to honour).
pub const RATE_LIMITED: [&str; 3] = [RATE_LIMIT, "ApiCallLimit", "AppCallLimit"];

/// Codes that mean the credentials or the signature were refused.
pub const AUTH: [&str; 6] = [
    INCOMPLETE_SIGNATURE,
    ILLEGAL_ACCESS_TOKEN,
    ILLEGAL_REFRESH_TOKEN,
    INVALID_CODE,
    INVALID_APP_KEY,
    INVALID_TIMESTAMP,
];
