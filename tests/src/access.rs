//! Reading the access records a test caused, straight from the database.

use entities::access_read::{self, Record};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

/// Every access record, oldest first (each `access_read` row's records, in order).
///
/// # Panics
/// If the table cannot be read: no test about access records can go on.
pub async fn access_records(db: &DatabaseConnection) -> Vec<Record> {
    access_read::Entity::find()
        .order_by_asc(access_read::Column::Id)
        .all(db)
        .await
        .unwrap_or_else(|e| panic!("reading access records: {e}"))
        .iter()
        .flat_map(access_read::Model::records)
        .collect()
}

/// The access records of request `request_id`, oldest first.
pub async fn access_records_of(db: &DatabaseConnection, request_id: &str) -> Vec<Record> {
    let mut all = access_records(db).await;
    all.retain(|r| r.request_id == request_id);
    all
}
