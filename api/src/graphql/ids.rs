//! Ids at the edge: GraphQL `ID`s are opaque strings; inside they are typed record ids.

use async_graphql::ID;

use crate::domain::values::RecordId;
use crate::error::ApiResult;

/// Parse an id argument, naming the field when it is not one of ours.
pub fn parse_id<T: RecordId>(field: &str, id: &ID) -> ApiResult<T> {
    Ok(T::parse(field, id.as_str())?)
}

/// An id for the client.
pub fn id(n: i64) -> ID {
    ID(n.to_string())
}

/// An optional id argument, parsed when given.
pub fn parse_opt_id<T: RecordId>(field: &str, id: Option<&ID>) -> ApiResult<Option<T>> {
    id.map(|id| parse_id(field, id)).transpose()
}

/// How many rows a page asks for: `first`, from 1 to `max` (`default` when not given).
pub fn page_size(first: Option<i32>, default: u64, max: u64) -> ApiResult<u64> {
    match first {
        None => Ok(default),
        Some(n) if n >= 1 && (n as u64) <= max => Ok(n as u64),
        Some(_) => Err(crate::error::ApiError::bad_input(
            "first",
            format!("first must be from 1 to {max}"),
        )),
    }
}

/// The row id a page continues from: a cursor the same list gave (a whole number, not
/// negative).
pub fn cursor(after: Option<String>) -> ApiResult<Option<i64>> {
    after
        .map(|c| {
            c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                crate::error::ApiError::bad_input("after", "not a cursor from this list")
            })
        })
        .transpose()
}
