//! The one table of error codes a client can see in `userErrors`. Each code is stable: clients branch on it.

use async_graphql::Enum;

/// Why an input was refused. Stable: new codes may be added, existing ones never change meaning.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No object of the expected type has this id.
    NotFound,
    /// The id is not an id of this API, or of the wrong type.
    InvalidId,
    /// A required text is empty or only spaces.
    Blank,
    /// A text is longer than allowed (the message says the limit).
    TooLong,
    /// A value is outside its allowed range or shape (the message says which).
    Invalid,
    /// A money amount is negative or has more decimals than its currency allows.
    InvalidMoney,
    /// Another variant of the same product already uses this SKU.
    SkuTaken,
    /// More than three options, or an option value without a name.
    InvalidOptions,
    /// The change would take on-hand stock below zero for a variant that does not allow overselling.
    NegativeStock,
    /// The change would take a stock quantity beyond the hub's ceiling (`domain::inventory::MAX_QUANTITY`).
    QuantityTooLarge,
    /// `compareOnHand` no longer matches the stored on-hand quantity: someone changed it meanwhile.
    StaleQuantity,
    /// The default warehouse cannot be deleted or lose its default flag without another taking it.
    DefaultWarehouseRequired,
    /// The warehouse still holds stock, orders or slips, so it cannot be deleted.
    WarehouseInUse,
    /// The same variant and warehouse appear twice in one request.
    DuplicateEntry,
    /// Too many items in one request (the message says the limit).
    TooMany,
    /// The marketplace refused the credentials or the call (the message quotes its answer).
    ChannelRefused,
    /// The marketplace could not be reached or answered with an error; nothing was saved. Retry later.
    ChannelUnavailable,
    /// A destructive action needs `confirm: true`.
    ConfirmationRequired,
    /// The action does not apply in the object's current state (the message says why).
    InvalidState,
    /// Some lines of the order are not linked to hub variants: link them first.
    UnlinkedOrderLines,
    /// More units returned than were sold (less earlier returns) on an order line.
    ReturnExceedsSold,
    /// A bundle would contain itself, directly or through another bundle.
    BundleCycle,
    /// A bundle's component is itself a bundle, or a bundle's component would become one (list the bundle's
    /// components instead: bundles are one level deep).
    BundleNested,
    /// The variant is a bundle: its stock is its components' (adjust them instead).
    BundleStockDerived,
    /// A CSV file lacks a column the import needs (the message names them).
    MissingColumn,
}

impl ErrorCode {
    /// The code as the schema spells it (`NOT_FOUND`), as clients see it; also how it is stored.
    pub fn name(self) -> &'static str {
        use async_graphql::resolver_utils::EnumType;
        Self::items().iter().find(|item| item.value == self).map(|item| item.name).unwrap_or("INVALID")
    }

    /// The code of a stored name; `None` for a name no version of the hub wrote.
    pub fn parse(name: &str) -> Option<Self> {
        use async_graphql::resolver_utils::EnumType;
        Self::items().iter().find(|item| item.name == name).map(|item| item.value)
    }
}

/// One refused input: where (`field`, a path into the mutation's arguments), which code, and a message a
/// merchant can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Vec<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.iter().map(|s| (*s).to_owned()).collect(), code, message: message.into() }
    }

    /// The same error, its field path placed under `prefix` (e.g. `["variants", "2"]`).
    pub fn under(mut self, prefix: &[String]) -> Self {
        let mut field = prefix.to_vec();
        field.append(&mut self.field);
        self.field = field;
        self
    }
}
