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
