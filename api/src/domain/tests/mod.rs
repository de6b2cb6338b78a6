//! The policy's rules, tested as plain Rust: no database, no GraphQL. Each test names the rule
//! and the section of the policy it defends. [`fixtures`] builds case files at each stage.

mod adjustments;
mod appeals;
mod contact;
mod customer_records;
mod endings;
mod fixtures;
mod restrictions;
mod reviews;
mod safety;
mod stage1;
mod stage2;
