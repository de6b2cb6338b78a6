//! Batched loading of a case's records. One [`CaseLoader`] per request: every `Case` on a page
//! asks it for its warnings, restrictions, letters and so on, and it answers each kind of record
//! for the whole page with one statement (`WHERE case_id IN (...)`), so a page of 50 cases costs
//! the same number of statements as a page of 5.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::Loader;
use entities::{
    appeal, behaviour_report, behaviour_report_type, breach, call_termination, customer,
    determination, exclusion, harassment_referral, hs_incident, letter, new_issue_consideration,
    police_referral, restriction, review, service, stage_1_warning, stage_2_decision,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoSimpleExpr, QueryFilter, QueryOrder,
};

use crate::error::ApiError;

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

/// A table whose rows belong to a case, listed oldest first.
pub trait CaseChild: EntityTrait {
    /// The `case_id` column.
    fn case_column() -> Self::Column;
    /// The column that orders a case's rows (then `id`).
    fn order_column() -> Self::Column;
    /// The id column.
    fn id_column() -> Self::Column;
    /// The case a row belongs to.
    fn case_of(model: &Self::Model) -> i64;
}

macro_rules! case_child {
    ($($module:ident => $order:ident),* $(,)?) => {
        $(
            impl CaseChild for $module::Entity {
                fn case_column() -> Self::Column {
                    $module::Column::CaseId
                }
                fn order_column() -> Self::Column {
                    $module::Column::$order
                }
                fn id_column() -> Self::Column {
                    $module::Column::Id
                }
                fn case_of(model: &Self::Model) -> i64 {
                    model.case_id
                }
            }
        )*
    };
}

case_child! {
    determination => DecidedAt,
    stage_1_warning => CreatedAt,
    appeal => CreatedAt,
    stage_2_decision => CreatedAt,
    restriction => CreatedAt,
    breach => OccurredAt,
    review => CreatedAt,
    new_issue_consideration => CreatedAt,
    letter => IssuedAt,
    hs_incident => ReportedAt,
    exclusion => CreatedAt,
    police_referral => ReferredOn,
    call_termination => TerminatedAt,
    harassment_referral => ReferredAt,
}

/// Contacts may have no case (a customer not yet on a case); those never match a case key.
impl CaseChild for entities::contact::Entity {
    fn case_column() -> Self::Column {
        entities::contact::Column::CaseId
    }
    fn order_column() -> Self::Column {
        entities::contact::Column::OccurredAt
    }
    fn id_column() -> Self::Column {
        entities::contact::Column::Id
    }
    fn case_of(model: &Self::Model) -> i64 {
        model.case_id.unwrap_or_default()
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
        let rows = E::find()
            .filter(E::case_column().is_in(ids))
            .order_by_asc(E::order_column().into_simple_expr())
            .order_by_asc(E::id_column().into_simple_expr())
            .all(&self.db)
            .await?;
        // Every key gets an answer, empty when the case has none, so the cache knows it too.
        let mut out: HashMap<Of<E>, Vec<E::Model>> =
            keys.iter().map(|k| (Of::case(k.0), Vec::new())).collect();
        for row in rows {
            out.entry(Of::case(E::case_of(&row))).or_default().push(row);
        }
        Ok(out)
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
        let mut query = behaviour_report::Entity::find()
            .filter(behaviour_report::Column::CaseId.is_in(ids))
            .order_by_asc(behaviour_report::Column::OccurredAt)
            .order_by_asc(behaviour_report::Column::Id);
        if let Some(author) = &self.report_author {
            query = query.filter(behaviour_report::Column::ReportedBy.eq(author.as_str()));
        }
        let reports = query.all(&self.db).await?;
        let report_ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
        let mut types: HashMap<i64, Vec<String>> = HashMap::new();
        for t in behaviour_report_type::Entity::find()
            .filter(behaviour_report_type::Column::ReportId.is_in(report_ids))
            .order_by_asc(behaviour_report_type::Column::Behaviour)
            .all(&self.db)
            .await?
        {
            types
                .entry(t.report_id)
                .or_default()
                .push(t.behaviour.as_str().to_string());
        }
        let mut out: HashMap<ReportsOf, Vec<ReportWithTypes>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for report in reports {
            out.entry(ReportsOf(report.case_id))
                .or_default()
                .push(ReportWithTypes {
                    behaviours: types.remove(&report.id).unwrap_or_default(),
                    report,
                });
        }
        Ok(out)
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
        Ok(customer::Entity::find()
            .filter(customer::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| (CustomerById(c.id), c))
            .collect())
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
        Ok(service::Entity::find()
            .filter(service::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (ServiceById(s.id), s))
            .collect())
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
                    crate::lifecycle::names(&self.db)
                        .await
                        .map(std::sync::Arc::new)
                })
                .await?
                .clone()
        } else {
            std::sync::Arc::new(crate::lifecycle::names(&self.db).await?)
        };
        Ok(HashMap::from([(AllNames, names)]))
    }
}
