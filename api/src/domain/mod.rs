//! The council's policy on unreasonably persistent customers, as plain Rust: no GraphQL, no
//! HTTP, no database. Each step of the policy is a command — a plain input, parsed and checked
//! at the edge into typed values — and a function that takes the facts it needs (the case file,
//! the person acting, the time, the council's settings) and returns what must change (an
//! [`outcome::Outcome`]: rows to write, letters, alerts, the audit entry) or a
//! [`error::DomainError`] with a stable code. The store ([`crate::store`]) loads the facts and
//! applies the outcome in one transaction; GraphQL, the CLI and the tests are adapters around
//! that. `docs/architecture.md` maps every section of the policy to its file here.
//!
//! | policy | file |
//! |---|---|
//! | 2.3, 4.4 reporting behaviour | [`behaviour`] |
//! | 2.3, 5.4 customers and their case in a service | [`customers`] |
//! | 2.3 keeping a customer's record: details, members, representatives, merging | [`customer_records`] |
//! | 5.1 determination, Stage 1 warning | [`stage1`] |
//! | 6 appeals; 3.6 no appeal against an exclusion | [`appeals`] |
//! | 5.1, 5.3, 6.3 Stage 2 restricted contact | [`stage2`] |
//! | 5.3 to 5.6 restrictions, breaches | [`restrictions`] |
//! | 3 threats to health and safety | [`safety`] |
//! | 4 recording conversations | [`recording`] |
//! | 7 review | [`reviews`] |
//! | 5.1, 7 how a case ends: the warning period, restrictions ended | [`endings`] |
//! | 9 new issues | [`new_issues`] |
//! | 5.2, 5.6 at the point of contact | [`contact`] |
//! | 6.1, 7.1 and other deadlines | [`deadlines`] |
//! | letters to the customer; letters sent, templates | [`letters`], [`correspondence`] |
//! | 8.2 the process record of a case | [`timeline`] |
//! | the order of the steps, who takes them | [`lifecycle`], [`roles`] |
//! | services, establishments, closure days | [`directory`] |
//! | 5.3 the staff directory: staff, teams, roles per service, sign-in | [`staff`] |

pub mod adjustments;
pub mod appeals;
pub mod behaviour;
pub mod contact;
pub mod correspondence;
pub mod customer_records;
pub mod customers;
pub mod deadlines;
pub mod directory;
pub mod endings;
pub mod error;
pub mod letters;
pub mod lifecycle;
pub mod new_issues;
pub mod outcome;
pub mod recording;
pub mod restrictions;
pub mod reviews;
pub mod roles;
pub mod safety;
pub mod staff;
pub mod stage1;
pub mod stage2;
pub mod timeline;
pub mod values;

#[cfg(test)]
mod tests;

pub use error::{DomainError, DomainResult};
pub use outcome::Outcome;
