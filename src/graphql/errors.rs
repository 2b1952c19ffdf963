//! How service outcomes become GraphQL: expected refusals are `userErrors`; faults are a top-level error with
//! `extensions.code = "INTERNAL"` and no internals (the cause chain goes to the log).

use async_graphql::{ErrorExtensions, SimpleObject};

use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::{ServiceError, ServiceResult};

/// Declares one payload type per mutation, sharing one field list: each mutation has its own payload type (so
/// one can grow without changing the others, as in Shopify's schema), written once here. A payload of one value
/// and `userErrors` also converts from `(value, userErrors)`, the shape `split` answers.
macro_rules! payloads {
    ($($(#[$meta:meta])* $name:ident),+ $(,)? => $fields:tt) => {
        $( $crate::graphql::errors::payloads!(@one $(#[$meta])* $name $fields); )+
    };
    (@one $(#[$meta:meta])* $name:ident {
        $(#[$value_meta:meta])* pub $value:ident: $value_type:ty,
        $(#[$errors_meta:meta])* pub user_errors: Vec<UserError> $(,)?
    }) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            $(#[$value_meta])* pub $value: $value_type,
            $(#[$errors_meta])* pub user_errors: Vec<UserError>,
        }
        impl From<($value_type, Vec<UserError>)> for $name {
            fn from(($value, user_errors): ($value_type, Vec<UserError>)) -> Self {
                Self { $value, user_errors }
            }
        }
    };
    (@one $(#[$meta:meta])* $name:ident $fields:tt) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name $fields
    };
}
pub(crate) use payloads;

/// A refused input. Nothing of the mutation was written.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the input field at fault, from the mutation's arguments (list indexes included); null when the
    /// error concerns the whole request.
    pub field: Option<Vec<String>>,
    /// Stable code to branch on.
    pub code: ErrorCode,
    /// What went wrong and how to fix it, for a merchant.
    pub message: String,
}

impl UserError {
    /// `args`: the mutation's top-level argument names; other paths are inside its `input` argument.
    fn from_field_error(err: FieldError, args: &[&str]) -> Self {
        let mut field = err.field;
        if let Some(first) = field.first()
            && !args.contains(&first.as_str())
        {
            field.insert(0, "input".to_owned());
        }
        Self { field: (!field.is_empty()).then_some(field), code: err.code, message: err.message }
    }
}

/// Splits a service result into (value, userErrors); a fault becomes the top-level INTERNAL error.
pub fn split<T>(result: ServiceResult<T>, args: &[&str]) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::Rejected(errors)) => {
            Ok((None, errors.into_iter().map(|e| UserError::from_field_error(e, args)).collect()))
        }
        Err(ServiceError::Unexpected(err)) => Err(internal(err)),
    }
}

/// Field errors found in the GraphQL layer itself (bad global ids), as user errors.
pub fn user_errors(errors: Vec<FieldError>, args: &[&str]) -> Vec<UserError> {
    errors.into_iter().map(|e| UserError::from_field_error(e, args)).collect()
}

/// For queries: a fault becomes the INTERNAL error; a refusal becomes an error with its code.
pub fn query<T>(result: ServiceResult<T>) -> async_graphql::Result<T> {
    match result {
        Ok(v) => Ok(v),
        Err(ServiceError::Rejected(errors)) => {
            let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
            let code = errors.first().map(|e| e.code.name()).unwrap_or_default();
            Err(async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code)))
        }
        Err(ServiceError::Unexpected(err)) => Err(internal(err)),
    }
}

pub fn internal(err: anyhow::Error) -> async_graphql::Error {
    tracing::error!(error = ?err, "internal error while resolving a request");
    async_graphql::Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL"))
}

/// A count or quantity as GraphQL's `Int`, which is 32-bit: a value beyond it is an error, never a wrong number.
/// Stock levels cannot get there (`domain::inventory::MAX_QUANTITY` is below it); sums and counts in theory can.
pub fn int<T: TryInto<i32> + Copy + std::fmt::Display>(value: T) -> async_graphql::Result<i32> {
    value.try_into().map_err(|_| {
        async_graphql::Error::new(format!("{value} is beyond the 32-bit range of GraphQL's Int"))
            .extend_with(|_, e| e.set("code", "INT_OVERFLOW"))
    })
}

/// `int` of an optional value.
pub fn int_opt<T: TryInto<i32> + Copy + std::fmt::Display>(value: Option<T>) -> async_graphql::Result<Option<i32>> {
    value.map(int).transpose()
}

/// A rejection with one error, for checks made in resolvers.
pub fn rejected(field: &[&str], code: ErrorCode, message: impl Into<String>) -> ServiceError {
    ServiceError::rejected(field, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_beyond_32_bits_are_errors_not_wrong_numbers() {
        assert_eq!(int(2_147_483_647_i64).ok(), Some(i32::MAX));
        assert_eq!(int(-2_147_483_648_i64).ok(), Some(i32::MIN));
        assert_eq!(int(7_u64).ok(), Some(7));
        for too_big in [2_147_483_648_i64, -2_147_483_649, i64::MAX] {
            let err = int(too_big).expect_err("beyond Int");
            let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
            assert_eq!(code, Some(async_graphql::Value::from("INT_OVERFLOW")), "{too_big}");
        }
        assert_eq!(int_opt(None::<i64>).ok(), Some(None));
        assert!(int_opt(Some(u64::MAX)).is_err());
    }
}
