//! One case as its page shows it (issue 18's planned `case(id)` read): the case through the
//! caller's row scope (5.4), its customer and service, the behaviour reports the caller may see
//! (an elected Member only their own) with their behaviour types, and the kinds of record asked
//! for, oldest first, exactly the rows the resolvers read one kind at a time.
//!
//! On PostgreSQL that is ONE statement: the scoped case as a CTE and everything else as JSON
//! sub-selects of it, decoded into the same models (`tests/tests/api/case_detail.rs` compares
//! them). On SQLite it is the resolvers' own statements, the kinds read at the same time.

use std::collections::BTreeSet;

use entities::{
    appeal, behaviour_report, breach, call_termination, customer, determination, exclusion,
    harassment_referral, hs_incident, letter, new_issue_consideration, police_referral,
    recording_request, restriction, review, service, stage_1_warning, stage_2_decision, upc_case,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryTrait};

use crate::authz::scope::case_scope;
use crate::domain::roles::Principal;
use crate::domain::timeline::{CaseRecords, ReportLine};
use crate::error::ApiResult;
use crate::store::reads::{
    CASE_MATCH, CaseChild, by_id, children_from_json, children_json_column, children_of, reports_of,
};

/// A kind of a case's records (behaviour reports apart: they carry their types and a reader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Determinations (5.1).
    Determination,
    /// Stage 1 warnings (5.1).
    Warning,
    /// Appeals (6).
    Appeal,
    /// Stage 2 decisions (5.3).
    Decision,
    /// Restrictions (5.3).
    Restriction,
    /// Breaches (5.6).
    Breach,
    /// New issues considered (9.1).
    NewIssue,
    /// Reviews (7).
    Review,
    /// Letters.
    Letter,
    /// Threats reported (3.1).
    Incident,
    /// Exclusions (3.2).
    Exclusion,
    /// Reports to the police (3.3).
    Police,
    /// Calls ended (3.4).
    Call,
    /// Harassment referrals (3.5).
    Harassment,
    /// Requests to record (4).
    Recording,
}

impl Kind {
    /// Every kind: what a case's timeline is made of.
    pub const ALL: [Kind; 15] = [
        Kind::Determination,
        Kind::Warning,
        Kind::Appeal,
        Kind::Decision,
        Kind::Restriction,
        Kind::Breach,
        Kind::NewIssue,
        Kind::Review,
        Kind::Letter,
        Kind::Incident,
        Kind::Exclusion,
        Kind::Police,
        Kind::Call,
        Kind::Harassment,
        Kind::Recording,
    ];

    /// PostgreSQL: this kind's rows of case `c` as one JSON array.
    fn column(self) -> String {
        let column = match self {
            Kind::Determination => children_json_column::<determination::Entity>(),
            Kind::Warning => children_json_column::<stage_1_warning::Entity>(),
            Kind::Appeal => children_json_column::<appeal::Entity>(),
            Kind::Decision => children_json_column::<stage_2_decision::Entity>(),
            Kind::Restriction => children_json_column::<restriction::Entity>(),
            Kind::Breach => children_json_column::<breach::Entity>(),
            Kind::NewIssue => children_json_column::<new_issue_consideration::Entity>(),
            Kind::Review => children_json_column::<review::Entity>(),
            Kind::Letter => children_json_column::<letter::Entity>(),
            Kind::Incident => children_json_column::<hs_incident::Entity>(),
            Kind::Exclusion => children_json_column::<exclusion::Entity>(),
            Kind::Police => children_json_column::<police_referral::Entity>(),
            Kind::Call => children_json_column::<call_termination::Entity>(),
            Kind::Harassment => children_json_column::<harassment_referral::Entity>(),
            Kind::Recording => children_json_column::<recording_request::Entity>(),
        };
        column.replace(CASE_MATCH, "= c.\"id\"")
    }

    /// Put this kind's rows, as JSON from [`Kind::column`], in `records`.
    fn decode(self, case_id: i64, json: &str, records: &mut CaseRecords) -> Result<(), DbErr> {
        fn rows<E>(case_id: i64, json: &str) -> Result<Vec<E::Model>, DbErr>
        where
            E: CaseChild,
            E::Model: serde::de::DeserializeOwned,
        {
            Ok(children_from_json::<E>(&[case_id], json)?
                .remove(&case_id)
                .unwrap_or_default())
        }
        let r = records;
        match self {
            Kind::Determination => r.determinations = rows::<determination::Entity>(case_id, json)?,
            Kind::Warning => r.warnings = rows::<stage_1_warning::Entity>(case_id, json)?,
            Kind::Appeal => r.appeals = rows::<appeal::Entity>(case_id, json)?,
            Kind::Decision => r.decisions = rows::<stage_2_decision::Entity>(case_id, json)?,
            Kind::Restriction => r.restrictions = rows::<restriction::Entity>(case_id, json)?,
            Kind::Breach => r.breaches = rows::<breach::Entity>(case_id, json)?,
            Kind::NewIssue => {
                r.new_issues = rows::<new_issue_consideration::Entity>(case_id, json)?
            }
            Kind::Review => r.reviews = rows::<review::Entity>(case_id, json)?,
            Kind::Letter => r.letters = rows::<letter::Entity>(case_id, json)?,
            Kind::Incident => r.incidents = rows::<hs_incident::Entity>(case_id, json)?,
            Kind::Exclusion => r.exclusions = rows::<exclusion::Entity>(case_id, json)?,
            Kind::Police => r.police = rows::<police_referral::Entity>(case_id, json)?,
            Kind::Call => r.calls = rows::<call_termination::Entity>(case_id, json)?,
            Kind::Harassment => r.harassment = rows::<harassment_referral::Entity>(case_id, json)?,
            Kind::Recording => r.recordings = rows::<recording_request::Entity>(case_id, json)?,
        }
        Ok(())
    }

    /// Read this kind's rows of `case_id` with a statement of its own, into `records`.
    async fn read<C: ConnectionTrait>(
        self,
        db: &C,
        case_id: i64,
        records: &mut CaseRecords,
    ) -> Result<(), DbErr> {
        async fn rows<E: CaseChild, C: ConnectionTrait>(
            db: &C,
            case_id: i64,
        ) -> Result<Vec<E::Model>, DbErr> {
            Ok(children_of::<E, _>(db, &[case_id])
                .await?
                .remove(&case_id)
                .unwrap_or_default())
        }
        let r = records;
        match self {
            Kind::Determination => {
                r.determinations = rows::<determination::Entity, _>(db, case_id).await?
            }
            Kind::Warning => r.warnings = rows::<stage_1_warning::Entity, _>(db, case_id).await?,
            Kind::Appeal => r.appeals = rows::<appeal::Entity, _>(db, case_id).await?,
            Kind::Decision => {
                r.decisions = rows::<stage_2_decision::Entity, _>(db, case_id).await?
            }
            Kind::Restriction => {
                r.restrictions = rows::<restriction::Entity, _>(db, case_id).await?
            }
            Kind::Breach => r.breaches = rows::<breach::Entity, _>(db, case_id).await?,
            Kind::NewIssue => {
                r.new_issues = rows::<new_issue_consideration::Entity, _>(db, case_id).await?
            }
            Kind::Review => r.reviews = rows::<review::Entity, _>(db, case_id).await?,
            Kind::Letter => r.letters = rows::<letter::Entity, _>(db, case_id).await?,
            Kind::Incident => r.incidents = rows::<hs_incident::Entity, _>(db, case_id).await?,
            Kind::Exclusion => r.exclusions = rows::<exclusion::Entity, _>(db, case_id).await?,
            Kind::Police => r.police = rows::<police_referral::Entity, _>(db, case_id).await?,
            Kind::Call => r.calls = rows::<call_termination::Entity, _>(db, case_id).await?,
            Kind::Harassment => {
                r.harassment = rows::<harassment_referral::Entity, _>(db, case_id).await?
            }
            Kind::Recording => {
                r.recordings = rows::<recording_request::Entity, _>(db, case_id).await?
            }
        }
        Ok(())
    }
}

/// What to read beside the case.
#[derive(Debug, Clone, Default)]
pub struct PageParts {
    /// The customer.
    pub customer: bool,
    /// The service.
    pub service: bool,
    /// The behaviour reports the caller may see, with their types.
    pub reports: bool,
    /// These kinds of record.
    pub kinds: BTreeSet<Kind>,
}

/// One case and what its page shows.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The case.
    pub case: upc_case::Model,
    /// Its customer, when asked for.
    pub customer: Option<customer::Model>,
    /// Its service, when asked for.
    pub service: Option<service::Model>,
    /// Its records, the kinds asked for (the others empty).
    pub records: CaseRecords,
}

/// Case `id` and the `parts` of its page, if `principal` may see it (`None` if not: the schema
/// then answers with its `NOT_FOUND`). `report_author`: only this subject's behaviour reports
/// (an elected Member's), as the resolvers read them.
pub async fn case_page<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    id: i64,
    report_author: Option<&str>,
    parts: &PageParts,
) -> ApiResult<Option<CasePage>> {
    let scoped = upc_case::Entity::find_by_id(id).filter(case_scope(principal).condition());
    if db.get_database_backend() == DbBackend::Postgres {
        return Ok(one_statement(db, scoped, id, report_author, parts).await?);
    }
    let Some(case) = scoped.one(db).await? else {
        return Ok(None);
    };
    let customer = async {
        if !parts.customer {
            return Ok(None);
        }
        Ok::<_, DbErr>(
            by_id::<customer::Entity, _>(db, customer::Column::Id, &[case.customer_id])
                .await?
                .pop(),
        )
    };
    let service = async {
        if !parts.service {
            return Ok(None);
        }
        Ok::<_, DbErr>(
            by_id::<service::Entity, _>(db, service::Column::Id, &[case.service_id])
                .await?
                .pop(),
        )
    };
    let reports = async {
        if !parts.reports {
            return Ok(Vec::new());
        }
        Ok::<_, DbErr>(
            reports_of(db, &[case.id], report_author)
                .await?
                .remove(&case.id)
                .unwrap_or_default(),
        )
    };
    let kinds = async {
        let mut records = CaseRecords::default();
        for kind in &parts.kinds {
            kind.read(db, case.id, &mut records).await?;
        }
        Ok::<_, DbErr>(records)
    };
    let (customer, service, reports, mut records) =
        tokio::try_join!(customer, service, reports, kinds)?;
    records.reports = report_lines(reports);
    Ok(Some(CasePage {
        case,
        customer,
        service,
        records,
    }))
}

fn report_lines(reports: Vec<(behaviour_report::Model, Vec<String>)>) -> Vec<ReportLine> {
    reports
        .into_iter()
        .map(|(r, behaviours)| ReportLine {
            id: r.id,
            occurred_at: r.occurred_at,
            reporter_role: r.reporter_role,
            behaviours,
        })
        .collect()
}

/// PostgreSQL: the whole page in one statement.
async fn one_statement<C: ConnectionTrait>(
    db: &C,
    scoped: sea_orm::Select<upc_case::Entity>,
    id: i64,
    report_author: Option<&str>,
    parts: &PageParts,
) -> Result<Option<CasePage>, DbErr> {
    let case_sql = scoped.build(DbBackend::Postgres);
    let mut values = case_sql.values.map(|v| v.0).unwrap_or_default();
    let mut columns = vec!["row_to_json(c)::text".to_string()];
    if parts.customer {
        columns.push(
            "(SELECT row_to_json(x)::text FROM \"customer\" x WHERE x.\"id\" = c.\"customer_id\")"
                .into(),
        );
    }
    if parts.service {
        columns.push(
            "(SELECT row_to_json(x)::text FROM \"service\" x WHERE x.\"id\" = c.\"service_id\")"
                .into(),
        );
    }
    if parts.reports {
        let author = match report_author {
            Some(author) => {
                values.push(author.into());
                format!(" AND r.\"reported_by\" = ${}", values.len())
            }
            None => String::new(),
        };
        columns.push(format!(
            "(SELECT coalesce(json_agg(json_build_array(r, \
               (SELECT coalesce(json_agg(t.\"behaviour\" ORDER BY t.\"behaviour\"), '[]') \
                FROM \"behaviour_report_type\" t WHERE t.\"report_id\" = r.\"id\")) \
               ORDER BY r.\"occurred_at\", r.\"id\"), '[]')::text \
             FROM \"behaviour_report\" r WHERE r.\"case_id\" = c.\"id\"{author})"
        ));
    }
    let kinds: Vec<Kind> = parts.kinds.iter().copied().collect();
    columns.extend(kinds.iter().map(|k| k.column()));
    let sql = format!(
        "WITH c AS ({}) SELECT {} FROM c",
        case_sql.sql,
        columns.join(", ")
    );
    let statement = sea_orm::Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    let mut at = 0;
    let mut text = || {
        let value = row.try_get_by_index::<Option<String>>(at);
        at += 1;
        value
    };
    let Some(case) = decode::<upc_case::Model>("a case", text()?)? else {
        return Ok(None);
    };
    let mut wanted = |wanted: bool| if wanted { text() } else { Ok(None) };
    let customer = decode::<customer::Model>("a customer", wanted(parts.customer)?)?;
    let service = decode::<service::Model>("a service", wanted(parts.service)?)?;
    let reports = decode::<Vec<(behaviour_report::Model, Vec<String>)>>(
        "behaviour reports",
        wanted(parts.reports)?,
    )?;
    let mut records = CaseRecords {
        reports: report_lines(reports.unwrap_or_default()),
        ..CaseRecords::default()
    };
    for kind in kinds {
        let json = text()?.unwrap_or_else(|| "[]".to_string());
        kind.decode(id, &json, &mut records)?;
    }
    Ok(Some(CasePage {
        case,
        customer,
        service,
        records,
    }))
}

/// A JSON text of the statement as `T` (`None` for SQL null).
fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    json: Option<String>,
) -> Result<Option<T>, DbErr> {
    json.map(|json| {
        serde_json::from_str(&json)
            .map_err(|e| DbErr::Custom(format!("reading {what} as JSON: {e}")))
    })
    .transpose()
}

/// Every kind (the timeline needs them all).
pub fn all_kinds() -> BTreeSet<Kind> {
    Kind::ALL.into_iter().collect()
}
