//! The error codes the simulated gateway answers with (shared/channels/lazada.md §6: "Key codes"). The ones the
//! docs name none for are UNCONFIRMED, chosen here; the connector holds its own reading (`channels::lazada::codes`)
//! and a test checks that the two agree where the connector relies on a code.

/// Bad or missing signature.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
/// Access token unknown or expired ("The specified access token is invalid or expired").
pub const ILLEGAL_ACCESS_TOKEN: &str = "IllegalAccessToken";
/// Refresh token unknown or expired.
pub const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";
/// Authorization code unknown, used or more than half an hour old.
pub const INVALID_CODE: &str = "InvalidCode";
/// A mandatory parameter is absent.
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// UNCONFIRMED: the gateway's answer to an unknown app key.
pub const INVALID_APP_KEY: &str = "InvalidAppKey";
/// UNCONFIRMED: the gateway's answer to a timestamp more than 7200 s from server time.
pub const INVALID_TIMESTAMP: &str = "InvalidTimestamp";
/// UNCONFIRMED: the gateway's answer to an unknown API path.
pub const INVALID_API_PATH: &str = "InvalidApiPath";
/// Per-API throttling ("E901: The request is too frequent…").
pub const RATE_LIMIT: &str = "901";

/// Every code with which the gateway refuses credentials, a signature or a token.
pub const CREDENTIAL_REFUSALS: [&str; 6] = [
    INCOMPLETE_SIGNATURE,
    ILLEGAL_ACCESS_TOKEN,
    ILLEGAL_REFRESH_TOKEN,
    INVALID_CODE,
    INVALID_APP_KEY,
    INVALID_TIMESTAMP,
];
