//! Ids at the edge: GraphQL `ID`s are opaque strings; inside they are row ids.

use async_graphql::ID;

use crate::error::{ApiError, ApiResult};

/// Parse an id argument, naming the field when it is not one of ours.
pub fn parse_id(field: &str, id: &ID) -> ApiResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_input(field, format!("`{}` is not a valid id", id.as_str())))
}
