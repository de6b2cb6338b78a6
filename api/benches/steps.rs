//! The write path: every step of two cases, as the server executes each mutation (parsing,
//! validation, the authorisation guard, the resolver, its transaction with letters, alerts and
//! the audit event), on the embedded SQLite database, without the HTTP hop. Run:
//! `cargo bench -p api --bench steps`.
//!
//! Case A goes report → determination → Stage 1 warning → appeal logged → appeal decided; case
//! B goes report → determination → Stage 2 at once (two restrictions) → a further restriction →
//! a variation → a breach → lifting a restriction. After a warm-up, `UPC_BENCH_CASES` pairs
//! (default 200) are timed, step by step. Only the GraphQL API is used, so the same file
//! measures any version of the server.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use api::auth::{Principal, Role};
use api::authz::RequestContext;
use api::config::Settings;
use api::server::App;
use chrono::Utc;
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const WARM_UP: usize = 20;

struct Bench {
    schema: api::graphql::ApiSchema,
    db: sea_orm::DatabaseConnection,
    timings: BTreeMap<&'static str, Vec<Duration>>,
    timing: bool,
    n: usize,
}

fn person(role: Role) -> Principal {
    Principal {
        subject: format!("bench-{}", role.as_str()),
        name: Some(format!("Bench {}", role.as_str())),
        roles: BTreeSet::from([role]),
        services: BTreeSet::from(["HOU".to_string()]),
        services_from_directory: false,
    }
}

impl Bench {
    /// Run `query` as `role`, timing it under `step`; the `data` of the answer.
    async fn run(
        &mut self,
        step: &'static str,
        role: Role,
        query: &str,
        variables: Value,
    ) -> Result<Value, BoxError> {
        self.n += 1;
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(api::graphql::loaders::case_data_loader(
                self.db.clone(),
                None,
                true,
            ))
            .data(RequestContext {
                principal: person(role).into(),
                request_id: format!("bench-{}", self.n),
                client_address: None,
            });
        let t = Instant::now();
        let response = self.schema.execute(request).await;
        let elapsed = t.elapsed();
        if !response.errors.is_empty() {
            return Err(format!("{step} failed: {:?}", response.errors).into());
        }
        if self.timing {
            self.timings.entry(step).or_default().push(elapsed);
        }
        Ok(response.data.into_json()?)
    }

    /// One pair of cases, every step.
    async fn pair(&mut self, i: usize) -> Result<(), BoxError> {
        let now = Utc::now();
        let today = now.date_naive().to_string();
        let case_fields = "id version restrictions { id version }";
        let report = |name: String| {
            json!({"input": {
                "newCustomer": {"displayName": name},
                "serviceCode": "HOU",
                "behaviours": ["numerous_repeat_calls"],
                "channel": "telephone",
                "occurredAt": now.to_rfc3339(),
                "description": "Eleven calls in one morning"
            }})
        };
        let report_query = format!(
            "mutation($input: ReportBehaviourInput!) {{ reportBehaviour(input: $input) {{ {case_fields} }} }}"
        );
        let determine_query = format!(
            "mutation($input: DetermineBehaviourInput!) {{ determineBehaviour(input: $input) {{ {case_fields} }} }}"
        );

        // Case A: warning and appeal.
        let data = self
            .run(
                "reportBehaviour",
                Role::Officer,
                &report_query,
                report(format!("Customer A{i}")),
            )
            .await?;
        let (id, version) = ids(&data["reportBehaviour"]);
        let data = self
            .run("determineBehaviour", Role::ServiceManager, &determine_query,
                json!({"input": {"caseId": id, "version": version, "unreasonable": true, "reasons": "Disrupts the service"}}))
            .await?;
        let (_, version) = ids(&data["determineBehaviour"]);
        let data = self
            .run("issueStage1Warning", Role::HeadOfService,
                &format!("mutation($input: IssueStage1WarningInput!) {{ issueStage1Warning(input: $input) {{ {case_fields} }} }}"),
                json!({"input": {"caseId": id, "version": version, "reasons": "Repeated calls",
                    "serviceDirectorConsulted": "The Service Director", "consultedOn": today,
                    "adjustmentsConsidered": "None known", "proportionality": "The least step"}}))
            .await?;
        let (_, version) = ids(&data["issueStage1Warning"]);
        let data = self
            .run("logAppeal", Role::LegalServices,
                &format!("mutation($input: LogAppealInput!) {{ logAppeal(input: $input) {{ {case_fields} }} }}"),
                json!({"input": {"caseId": id, "version": version, "receivedOn": today, "grounds": "I disagree"}}))
            .await?;
        let (_, version) = ids(&data["logAppeal"]);
        self.run("decideAppeal", Role::GroupDirector,
            &format!("mutation($input: DecideAppealInput!) {{ decideAppeal(input: $input) {{ {case_fields} }} }}"),
            json!({"input": {"caseId": id, "version": version, "upheld": false, "reasons": "Proportionate"}}))
            .await?;

        // Case B: Stage 2 at once, and its restrictions.
        let data = self
            .run(
                "reportBehaviour",
                Role::Officer,
                &report_query,
                report(format!("Customer B{i}")),
            )
            .await?;
        let (id, version) = ids(&data["reportBehaviour"]);
        let data = self
            .run("determineBehaviour", Role::ServiceManager, &determine_query,
                json!({"input": {"caseId": id, "version": version, "unreasonable": true, "reasons": "Threats"}}))
            .await?;
        let (_, version) = ids(&data["determineBehaviour"]);
        let data = self
            .run("decideStage2", Role::GroupDirector,
                &format!("mutation($input: DecideStage2Input!) {{ decideStage2(input: $input) {{ {case_fields} }} }}"),
                json!({"input": {"caseId": id, "version": version, "exceptionalReasons": "Threats of violence",
                    "consultedRole": "legal_services", "consultedName": "A Lawyer",
                    "adjustmentsConsidered": "None known", "proportionality": "The least that works",
                    "reasons": "Threats", "restrictions": [
                        {"parameters": {"contactForm": {"permittedChannels": ["letter"]}}},
                        {"parameters": {"establishmentExclusion": {"establishmentIds": ["1"]}}}
                    ]}}))
            .await?;
        let (_, version) = ids(&data["decideStage2"]);
        let data = self
            .run("imposeRestriction", Role::GroupDirector,
                &format!("mutation($input: ImposeRestrictionInput!) {{ imposeRestriction(input: $input) {{ {case_fields} }} }}"),
                json!({"input": {"caseId": id, "version": version, "reasons": "Calls at night", "proportionality": "Daytime only",
                    "restriction": {"parameters": {"telephoneTimes": {"days": ["tuesday"], "from": "10:00", "to": "12:00"}}}}}))
            .await?;
        let restrictions = data["imposeRestriction"]["restrictions"].clone();
        let restriction = |n: usize| {
            (
                restrictions[n]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                restrictions[n]["version"].as_i64().unwrap_or_default(),
            )
        };
        let (first, first_version) = restriction(0);
        self.run("varyRestriction", Role::GroupDirector,
            &format!("mutation($input: VaryRestrictionInput!) {{ varyRestriction(input: $input) {{ {case_fields} }} }}"),
            json!({"input": {"restrictionId": first, "version": first_version, "reasons": "Email too",
                "parameters": {"contactForm": {"permittedChannels": ["letter", "email"]}}}}))
            .await?;
        let (second, _) = restriction(1);
        self.run("recordBreach", Role::Officer,
            &format!("mutation($input: RecordBreachInput!) {{ recordBreach(input: $input) {{ {case_fields} }} }}"),
            json!({"input": {"restrictionId": second, "occurredAt": now.to_rfc3339(), "description": "Came to the office"}}))
            .await?;
        let (third, third_version) = restriction(2);
        self.run("liftRestriction", Role::GroupDirector,
            &format!("mutation($input: LiftRestrictionInput!) {{ liftRestriction(input: $input) {{ {case_fields} }} }}"),
            json!({"input": {"restrictionId": third, "version": third_version, "reasons": "No longer needed"}}))
            .await?;
        Ok(())
    }
}

/// A case's id and version from a mutation's answer.
fn ids(case: &Value) -> (String, i64) {
    (
        case["id"].as_str().unwrap_or_default().to_string(),
        case["version"].as_i64().unwrap_or_default(),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// CPU time this process has used (user and system), from `/proc/self/stat` on Linux: steadier
/// than wall time on a shared machine.
fn cpu_used() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's clock ticks are 100 a second on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let cases: usize = match std::env::var("UPC_BENCH_CASES") {
        Ok(text) => text.parse()?,
        Err(_) => 200,
    };
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::embedded(dir.path());
    settings.log = "warn".into();
    let app = App::prepare(settings).await?;
    let mut bench = Bench {
        schema: app.state().schema.clone(),
        db: app.state().db.clone(),
        timings: BTreeMap::new(),
        timing: false,
        n: 0,
    };
    bench
        .run(
            "createService",
            Role::Admin,
            "mutation { createService(input: {code: \"HOU\", name: \"Housing\"}) { id } }",
            json!({}),
        )
        .await?;
    bench
        .run("createEstablishment", Role::Admin,
            "mutation { createEstablishment(input: {name: \"Housing Office\", address: \"1 High St\", serviceCode: \"HOU\"}) { id } }",
            json!({}))
        .await?;
    for i in 0..WARM_UP {
        bench.pair(i).await?;
    }
    bench.timing = true;
    let cpu_before = cpu_used();
    let started = Instant::now();
    for i in WARM_UP..WARM_UP + cases {
        bench.pair(i).await?;
    }
    let total = started.elapsed();
    let cpu = cpu_used()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let steps: usize = bench.timings.values().map(Vec::len).sum();
    println!(
        "{cases} pairs of cases, {steps} mutations in {:.1} s: {:.1} mutations/s, one at a time (embedded SQLite)",
        total.as_secs_f64(),
        steps as f64 / total.as_secs_f64()
    );
    if let Some(cpu) = cpu {
        println!(
            "CPU time of the server process: {:.3} ms per mutation ({:.1} s in all)",
            cpu.as_secs_f64() * 1000.0 / steps as f64,
            cpu.as_secs_f64()
        );
    }
    println!();
    println!("| mutation | samples | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    for (step, samples) in &mut bench.timings {
        samples.sort();
        println!(
            "| {step} | {} | {} | {} | {} | {} |",
            samples.len(),
            ms(percentile(samples, 0.50)),
            ms(percentile(samples, 0.90)),
            ms(percentile(samples, 0.99)),
            ms(samples.last().copied().unwrap_or_default()),
        );
    }
    Ok(())
}
