//! Batched loading of a case's records. One [`CaseLoader`] per request: every `Case` on a page
//! asks it for its warnings, restrictions, letters and so on, and it answers each kind of record
//! for the whole page with one statement (`WHERE case_id IN (...)`), so a page of 50 cases costs
//! the same number of statements as a page of 5.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use entities::{behaviour_report, customer, service};
use sea_orm::DatabaseConnection;

use crate::error::ApiError;
use crate::store::reads;
pub use crate::store::reads::CaseChild;

/// The records of type `E` belonging to one case.
pub struct Of<E>(pub i64, PhantomData<fn() -> E>);

impl<E> Of<E> {
    /// The records of case `case_id`.
    pub fn case(case_id: i64) -> Self {
        Of(case_id, PhantomData)
    }
}

impl<E> Clone for Of<E> {
    fn clone(&self) -> Self {
        Of(self.0, PhantomData)
    }
}

impl<E> PartialEq for Of<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<E> Eq for Of<E> {}

impl<E> Hash for Of<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Loads case records in batches; created per request.
pub struct CaseLoader {
    db: DatabaseConnection,
    /// When set, only the behaviour reports made by this subject are loaded (elected Members).
    report_author: Option<String>,
    /// The directory's names, read at most once per request (only for a per-request loader).
    names: tokio::sync::OnceCell<std::sync::Arc<crate::letters::Names>>,
    /// Serves one HTTP request (its cache may be used by a query), not a WebSocket connection.
    per_request: bool,
}

/// The per-request loader of case records: with a cache, so a page's prefetched records answer
/// every node of the page (the cache is switched off for mutations, see `http::limits`).
pub type CaseDataLoader =
    async_graphql::dataloader::DataLoader<CaseLoader, async_graphql::dataloader::HashMapCache>;

/// A loader over `db` (`report_author` as in [`CaseLoader::new`]). `per_request`: it serves one
/// HTTP request, so a query may answer from its cache; a WebSocket connection's loader lives
/// across operations and never does.
pub fn case_data_loader(
    db: DatabaseConnection,
    report_author: Option<String>,
    per_request: bool,
) -> CaseDataLoader {
    let mut loader = CaseLoader::new(db, report_author);
    loader.per_request = per_request;
    let loader = async_graphql::dataloader::DataLoader::with_cache(
        loader,
        tokio::spawn,
        async_graphql::dataloader::HashMapCache::default(),
    );
    loader.enable_all_cache(false);
    loader
}

impl CaseLoader {
    /// A loader over `db`; `report_author` narrows behaviour reports to one reporter.
    pub fn new(db: DatabaseConnection, report_author: Option<String>) -> Self {
        Self {
            db,
            report_author,
            names: tokio::sync::OnceCell::new(),
            per_request: false,
        }
    }

    /// Whether this loader serves a single HTTP request.
    pub fn per_request(&self) -> bool {
        self.per_request
    }

    /// The database, for loaders defined next to the types they load.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl<E> Loader<Of<E>> for CaseLoader
where
    E: CaseChild,
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = Vec<E::Model>;
    type Error = ApiError;

    async fn load(&self, keys: &[Of<E>]) -> Result<HashMap<Of<E>, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        // Every key gets an answer, empty when the case has none, so the cache knows it too.
        Ok(reads::children_of::<E, _>(&self.db, &ids)
            .await?
            .into_iter()
            .map(|(case, rows)| (Of::case(case), rows))
            .collect())
    }
}

/// A behaviour report with the behaviour types it names.
#[derive(Clone)]
pub struct ReportWithTypes {
    /// The report.
    pub report: behaviour_report::Model,
    /// Its behaviour types (2.3, 4.4).
    pub behaviours: Vec<String>,
}

/// The behaviour reports of a case, oldest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportsOf(pub i64);

impl Loader<ReportsOf> for CaseLoader {
    type Value = Vec<ReportWithTypes>;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ReportsOf],
    ) -> Result<HashMap<ReportsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(
            reads::reports_of(&self.db, &ids, self.report_author.as_deref())
                .await?
                .into_iter()
                .map(|(case, reports)| {
                    let reports = reports
                        .into_iter()
                        .map(|(report, behaviours)| ReportWithTypes { report, behaviours })
                        .collect();
                    (ReportsOf(case), reports)
                })
                .collect(),
        )
    }
}

/// A customer by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CustomerById(pub i64);

impl Loader<CustomerById> for CaseLoader {
    type Value = customer::Model;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[CustomerById],
    ) -> Result<HashMap<CustomerById, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(
            reads::by_id::<customer::Entity, _>(&self.db, customer::Column::Id, &ids)
                .await?
                .into_iter()
                .map(|c| (CustomerById(c.id), c))
                .collect(),
        )
    }
}

/// A service by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceById(pub i64);

impl Loader<ServiceById> for CaseLoader {
    type Value = service::Model;
    type Error = ApiError;

    async fn load(
        &self,
        keys: &[ServiceById],
    ) -> Result<HashMap<ServiceById, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        Ok(
            reads::by_id::<service::Entity, _>(&self.db, service::Column::Id, &ids)
                .await?
                .into_iter()
                .map(|s| (ServiceById(s.id), s))
                .collect(),
        )
    }
}

/// The names restrictions refer to by id (establishments, staff, teams), once per request.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AllNames;

impl Loader<AllNames> for CaseLoader {
    type Value = std::sync::Arc<crate::letters::Names>;
    type Error = ApiError;

    async fn load(&self, _: &[AllNames]) -> Result<HashMap<AllNames, Self::Value>, Self::Error> {
        let names = if self.per_request {
            self.names
                .get_or_try_init(|| async {
                    crate::store::facts::names(&self.db)
                        .await
                        .map(std::sync::Arc::new)
                })
                .await?
                .clone()
        } else {
            std::sync::Arc::new(crate::store::facts::names(&self.db).await?)
        };
        Ok(HashMap::from([(AllNames, names)]))
    }
}
