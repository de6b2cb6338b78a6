//! Suppression for the public edition.
//!
//! **Primary**: a count from 1 to [`SUPPRESS_AT_OR_BELOW`] could identify a person and is
//! withheld; zero and larger counts are shown.
//!
//! **Secondary**: the tables add up (a service's figures sum to the summary, so do the months,
//! the restriction types, a check's outcomes...), so one withheld count among shown ones could be
//! worked out by subtraction. [`protect`] takes every such identity `total = part + part + …`
//! that holds in the figures and withholds more counts until no withheld count can be worked
//! out from the shown ones by any sum or difference of the identities: no identity has exactly
//! one withheld count, and no withheld count is fixed by the identities taken together (checked
//! by Gaussian elimination over the withheld counts). Where it must choose, it withholds the
//! smallest non-zero part of the identity (so the least is hidden), a zero part only when there
//! is no other, and the total last.
//!
//! Both kinds are shown alike ("withheld"), so that a reader cannot tell a count of 1 to 4 from
//! a larger one withheld to protect it.

use api::reports::model::{
    Edition, Figure, MonthRow, PolicyCheckRow, RestrictionTypeRow, SUPPRESS_AT_OR_BELOW,
    ServiceRestrictionRow, ServiceRow, StageRow, SummaryRow,
};

/// Whether the public edition withholds this count in the first place.
pub(crate) fn suppressed(count: i64) -> bool {
    (1..=SUPPRESS_AT_OR_BELOW).contains(&count)
}

fn shown(count: i64, edition: Edition) -> (Option<i64>, bool) {
    if edition == Edition::Public && suppressed(count) {
        (None, true)
    } else {
        (Some(count), false)
    }
}

/// A figure (`[previous, this]` counts) as the edition shows it, before secondary suppression.
pub(crate) fn figure(counts: [i64; 2], edition: Edition) -> Figure {
    let (count, count_suppressed) = shown(counts[1], edition);
    let (previous_count, previous_count_suppressed) = shown(counts[0], edition);
    Figure {
        count,
        previous_count,
        count_suppressed,
        previous_count_suppressed,
    }
}

/// The counts of a report as cells: each value, and whether it is withheld.
#[derive(Debug, Default, Clone)]
pub(crate) struct Cells {
    values: Vec<i64>,
    withheld: Vec<bool>,
}

impl Cells {
    /// A new cell holding `value`, withheld at once when it is from 1 to 4.
    pub fn add(&mut self, value: i64) -> usize {
        self.values.push(value);
        self.withheld.push(suppressed(value));
        self.values.len() - 1
    }

    /// The cell's value.
    pub fn value(&self, cell: usize) -> i64 {
        self.values[cell]
    }

    /// Whether the cell is withheld.
    pub fn is_withheld(&self, cell: usize) -> bool {
        self.withheld[cell]
    }

    fn withhold(&mut self, cell: usize) {
        self.withheld[cell] = true;
    }
}

/// `total = Σ parts`, over cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The total.
    pub total: usize,
    /// The parts.
    pub parts: Vec<usize>,
}

impl Identity {
    /// `total = Σ parts`, kept only when it holds for the values (an identity that does not
    /// hold gives nothing away, and an attacker could not rely on it).
    pub fn holding(cells: &Cells, total: usize, parts: Vec<usize>) -> Option<Identity> {
        let sum: i64 = parts.iter().map(|p| cells.value(*p)).sum();
        (sum == cells.value(total) && !parts.is_empty()).then_some(Identity { total, parts })
    }

    fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// Withhold one more cell of `identity`: its smallest non-zero shown part, else a zero part,
/// else its total. False when every cell of it is withheld already.
fn withhold_another(cells: &mut Cells, identity: &Identity) -> bool {
    let shown_parts = identity
        .parts
        .iter()
        .copied()
        .filter(|p| !cells.is_withheld(*p));
    let choice = shown_parts
        .clone()
        .filter(|p| cells.value(*p) != 0)
        .min_by_key(|p| (cells.value(*p), *p))
        .or_else(|| shown_parts.min())
        .or_else(|| (!cells.is_withheld(identity.total)).then_some(identity.total));
    match choice {
        Some(cell) => {
            cells.withhold(cell);
            true
        }
        None => false,
    }
}

/// The withheld cells whose value the identities fix, given the shown cells.
pub(crate) fn determined(cells: &Cells, identities: &[Identity]) -> Vec<usize> {
    // Unknowns: the withheld cells that appear in some identity.
    let mut column_of = std::collections::HashMap::new();
    let mut unknowns = Vec::new();
    for identity in identities {
        for cell in identity.cells() {
            if cells.is_withheld(cell) && !column_of.contains_key(&cell) {
                column_of.insert(cell, unknowns.len());
                unknowns.push(cell);
            }
        }
    }
    if unknowns.is_empty() {
        return Vec::new();
    }
    // One row per identity: +1 for the total, −1 for each part (shown cells are constants).
    let mut rows: Vec<Vec<f64>> = identities
        .iter()
        .filter_map(|identity| {
            let mut row = vec![0.0; unknowns.len()];
            let mut any = false;
            for (cell, sign) in std::iter::once((identity.total, 1.0))
                .chain(identity.parts.iter().map(|p| (*p, -1.0)))
            {
                if let Some(&column) = column_of.get(&cell) {
                    row[column] += sign;
                    any = true;
                }
            }
            any.then_some(row)
        })
        .collect();
    // Reduced row echelon form.
    const EPSILON: f64 = 1e-9;
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut next_row = 0;
    for column in 0..unknowns.len() {
        let Some(found) = (next_row..rows.len()).find(|r| rows[*r][column].abs() > EPSILON) else {
            continue;
        };
        rows.swap(next_row, found);
        let scale = rows[next_row][column];
        for value in &mut rows[next_row] {
            *value /= scale;
        }
        let pivot_row = rows[next_row].clone();
        for (r, row) in rows.iter_mut().enumerate() {
            if r != next_row && row[column].abs() > EPSILON {
                let factor = row[column];
                for (value, p) in row.iter_mut().zip(&pivot_row) {
                    *value -= factor * p;
                }
            }
        }
        pivots.push((next_row, column));
        next_row += 1;
        if next_row == rows.len() {
            break;
        }
    }
    // A pivot whose row has no other non-zero entry: that unknown equals a known number.
    pivots
        .into_iter()
        .filter(|(row, column)| {
            rows[*row]
                .iter()
                .enumerate()
                .all(|(c, value)| c == *column || value.abs() <= EPSILON)
        })
        .map(|(_, column)| unknowns[column])
        .collect()
}

/// Withhold cells until no withheld cell can be worked out from the shown ones through
/// `identities` (see the module's documentation).
pub(crate) fn protect(cells: &mut Cells, identities: &[Identity]) {
    loop {
        // Subtraction: an identity with exactly one withheld cell gives it away.
        let mut changed = false;
        for identity in identities {
            let withheld = identity.cells().filter(|c| cells.is_withheld(*c)).count();
            if withheld == 1 {
                changed |= withhold_another(cells, identity);
            }
        }
        if changed {
            continue;
        }
        // Several identities together: a withheld cell fixed by them is given away too.
        for cell in determined(cells, identities) {
            if let Some(identity) = identities
                .iter()
                .filter(|i| i.cells().any(|c| c == cell))
                .find(|i| i.cells().any(|c| !cells.is_withheld(c)))
            {
                changed |= withhold_another(cells, identity);
            }
        }
        if !changed {
            return;
        }
    }
}

/// The report's tables, as the public edition withholds them.
pub(crate) struct Tables<'a> {
    pub summary: &'a mut [SummaryRow],
    pub by_service: &'a mut [ServiceRow],
    pub by_stage: &'a mut [StageRow],
    pub by_restriction_type: &'a mut [RestrictionTypeRow],
    pub service_by_restriction_type: &'a mut [ServiceRestrictionRow],
    pub monthly: &'a mut [MonthRow],
    pub policy_checks: &'a mut [PolicyCheckRow],
}

/// A figure's two cells: `[previous year, this year]`.
type Pair = [usize; 2];

fn pair(cells: &mut Cells, figure: &Figure) -> Pair {
    [
        cells.add(figure.previous_count.unwrap_or(0)),
        cells.add(figure.count.unwrap_or(0)),
    ]
}

fn rewrite(cells: &Cells, cell: Pair, figure: &mut Figure) {
    let show = |c: usize| (!cells.is_withheld(c)).then(|| cells.value(c));
    figure.previous_count = show(cell[0]);
    figure.previous_count_suppressed = cells.is_withheld(cell[0]);
    figure.count = show(cell[1]);
    figure.count_suppressed = cells.is_withheld(cell[1]);
}

/// Withhold the counts of the internal edition's `tables` for the public edition: primary and
/// secondary suppression over every identity the tables obey (see the module's documentation).
pub(crate) fn withhold(tables: Tables<'_>) {
    use std::collections::HashMap;
    let mut cells = Cells::default();
    let summary: Vec<Pair> = tables
        .summary
        .iter()
        .map(|r| pair(&mut cells, &r.figure))
        .collect();
    let summary_of: HashMap<&str, Pair> = tables
        .summary
        .iter()
        .zip(&summary)
        .map(|(r, p)| (r.metric.as_str(), *p))
        .collect();
    let by_service: Vec<Pair> = tables
        .by_service
        .iter()
        .map(|r| pair(&mut cells, &r.figure))
        .collect();
    // A stage row repeats the summary's figure: the same cells, withheld together.
    let by_stage: Vec<Pair> = tables
        .by_stage
        .iter()
        .map(|r| match summary_of.get(r.metric.as_str()) {
            Some(p) => *p,
            None => pair(&mut cells, &r.figure),
        })
        .collect();
    let by_kind: Vec<Pair> = tables
        .by_restriction_type
        .iter()
        .map(|r| pair(&mut cells, &r.figure))
        .collect();
    let service_kind: Vec<Pair> = tables
        .service_by_restriction_type
        .iter()
        .map(|r| pair(&mut cells, &r.figure))
        .collect();
    let monthly: Vec<Pair> = tables
        .monthly
        .iter()
        .map(|r| pair(&mut cells, &r.figure))
        .collect();
    let checks: Vec<usize> = tables
        .policy_checks
        .iter()
        .map(|r| cells.add(r.count.unwrap_or(0)))
        .collect();

    let mut identities = Vec::new();
    let mut add = |cells: &Cells, total: usize, parts: Vec<usize>| {
        if let Some(identity) = Identity::holding(cells, total, parts) {
            identities.push(identity);
        }
    };
    const REVIEW_OUTCOMES: [&str; 3] = [
        "reviews_continue",
        "reviews_partially_remove",
        "reviews_fully_remove",
    ];
    for y in 0..2 {
        for (row, total) in tables.summary.iter().zip(&summary) {
            let m = row.metric.as_str();
            // The services add up to the summary, and so do the months and the kinds.
            let parts = |rows: &[Pair], metrics: &mut dyn Iterator<Item = &str>| -> Vec<usize> {
                rows.iter()
                    .zip(metrics)
                    .filter(|(_, metric)| *metric == m)
                    .map(|(p, _)| p[y])
                    .collect()
            };
            add(
                &cells,
                total[y],
                parts(
                    &by_service,
                    &mut tables.by_service.iter().map(|r| r.metric.as_str()),
                ),
            );
            add(
                &cells,
                total[y],
                parts(
                    &monthly,
                    &mut tables.monthly.iter().map(|r| r.metric.as_str()),
                ),
            );
            add(
                &cells,
                total[y],
                parts(
                    &by_kind,
                    &mut tables.by_restriction_type.iter().map(|r| r.metric.as_str()),
                ),
            );
        }
        // A service's restrictions imposed add up over the kinds; a kind's over the services.
        for (row, total) in tables.by_service.iter().zip(&by_service) {
            if row.metric == "restrictions_imposed" {
                let parts = tables
                    .service_by_restriction_type
                    .iter()
                    .zip(&service_kind)
                    .filter(|(r, _)| r.service_code == row.service_code)
                    .map(|(_, p)| p[y])
                    .collect();
                add(&cells, total[y], parts);
            }
        }
        for (row, total) in tables.by_restriction_type.iter().zip(&by_kind) {
            if row.metric == "restrictions_imposed" {
                let parts = tables
                    .service_by_restriction_type
                    .iter()
                    .zip(&service_kind)
                    .filter(|(r, _)| r.restriction_type == row.restriction_type)
                    .map(|(_, p)| p[y])
                    .collect();
                add(&cells, total[y], parts);
            }
        }
        // Reviews held add up over their outcomes: in the summary, per service, per month.
        let mut reviews = |keys: Vec<(&str, &str)>, pairs: &[Pair]| {
            let mut groups: HashMap<&str, (Option<usize>, Vec<usize>)> = HashMap::new();
            for ((metric, key), p) in keys.into_iter().zip(pairs) {
                let group = groups.entry(key).or_default();
                if metric == "reviews" {
                    group.0 = Some(p[y]);
                } else if REVIEW_OUTCOMES.contains(&metric) {
                    group.1.push(p[y]);
                }
            }
            for (total, parts) in groups.into_values() {
                if let Some(total) = total {
                    add(&cells, total, parts);
                }
            }
        };
        reviews(
            tables
                .summary
                .iter()
                .map(|r| (r.metric.as_str(), ""))
                .collect(),
            &summary,
        );
        reviews(
            tables
                .by_service
                .iter()
                .map(|r| (r.metric.as_str(), r.service_code.as_str()))
                .collect(),
            &by_service,
        );
        reviews(
            tables
                .monthly
                .iter()
                .map(|r| (r.metric.as_str(), r.month.as_str()))
                .collect(),
            &monthly,
        );
    }
    // Each check's outcomes add up to the cases of the year.
    let cases = tables
        .policy_checks
        .iter()
        .zip(&checks)
        .find(|(r, _)| r.check == "cases")
        .map(|(_, c)| *c);
    if let Some(cases) = cases {
        let mut by_check: HashMap<&str, Vec<usize>> = HashMap::new();
        for (row, cell) in tables.policy_checks.iter().zip(&checks) {
            if row.check != "cases" {
                by_check.entry(row.check.as_str()).or_default().push(*cell);
            }
        }
        for parts in by_check.into_values() {
            add(&cells, cases, parts);
        }
    }

    protect(&mut cells, &identities);

    for (row, p) in tables.summary.iter_mut().zip(&summary) {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, p) in tables.by_service.iter_mut().zip(&by_service) {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, p) in tables.by_stage.iter_mut().zip(&by_stage) {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, p) in tables.by_restriction_type.iter_mut().zip(&by_kind) {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, p) in tables
        .service_by_restriction_type
        .iter_mut()
        .zip(&service_kind)
    {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, p) in tables.monthly.iter_mut().zip(&monthly) {
        rewrite(&cells, *p, &mut row.figure);
    }
    for (row, cell) in tables.policy_checks.iter_mut().zip(&checks) {
        row.count_suppressed = cells.is_withheld(*cell);
        row.count = (!row.count_suppressed).then(|| cells.value(*cell));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_withholds_one_to_four_only() {
        for n in 0..10 {
            let f = figure([n, n], Edition::Public);
            let hidden = (1..=4).contains(&n);
            assert_eq!(f.count.is_none(), hidden);
            assert_eq!(f.count_suppressed, hidden);
            assert_eq!(f.previous_count_suppressed, hidden);
            let f = figure([n, n], Edition::Internal);
            assert_eq!(f.count, Some(n));
            assert!(!f.count_suppressed && !f.previous_count_suppressed);
        }
    }

    fn table(values: &[i64]) -> (Cells, Vec<usize>) {
        let mut cells = Cells::default();
        let ids = values.iter().map(|v| cells.add(*v)).collect();
        (cells, ids)
    }

    #[test]
    fn one_withheld_part_takes_the_smallest_other_non_zero_part_with_it() {
        // 30 = 3 + 0 + 12 + 15: the 3 alone would be 30 − 0 − 12 − 15.
        let (mut cells, c) = table(&[30, 3, 0, 12, 15]);
        let sum = Identity::holding(&cells, c[0], c[1..].to_vec()).unwrap();
        protect(&mut cells, std::slice::from_ref(&sum));
        let withheld: Vec<bool> = c.iter().map(|i| cells.is_withheld(*i)).collect();
        assert_eq!(withheld, [false, true, false, true, false]);
    }

    #[test]
    fn an_identity_that_does_not_hold_is_not_one() {
        let (cells, c) = table(&[30, 3, 12]);
        assert!(Identity::holding(&cells, c[0], c[1..].to_vec()).is_none());
    }

    #[test]
    fn a_two_way_table_is_protected_across_rows_and_columns() {
        // Rows a, b; columns x, y, z; with row and column totals and a grand total.
        //        x   y   z | total
        //   a    2  10  20 |  32
        //   b    9  11  30 |  50
        //       11  21  50 |  82
        let (mut cells, c) = table(&[2, 10, 20, 32, 9, 11, 30, 50, 11, 21, 50, 82]);
        let [ax, ay, az, a, bx, by, bz, b, x, y, z, all] = c[..] else {
            unreachable!()
        };
        let identities: Vec<Identity> = [
            (a, vec![ax, ay, az]),
            (b, vec![bx, by, bz]),
            (x, vec![ax, bx]),
            (y, vec![ay, by]),
            (z, vec![az, bz]),
            (all, vec![a, b]),
            (all, vec![x, y, z]),
        ]
        .into_iter()
        .map(|(t, p)| Identity::holding(&cells, t, p).unwrap())
        .collect();
        protect(&mut cells, &identities);
        assert!(cells.is_withheld(ax));
        assert!(determined(&cells, &identities).is_empty());
        for identity in &identities {
            let withheld = identity.cells().filter(|c| cells.is_withheld(*c)).count();
            assert_ne!(withheld, 1, "{identity:?}");
        }
    }

    #[test]
    fn elimination_finds_what_no_single_identity_gives_away() {
        // u + v = 10 (u, v withheld), v + w = 12 (v, w withheld), u + w = 8 (u, w withheld):
        // each identity has two withheld cells, yet together they fix u = 3, v = 7, w = 5.
        let (mut cells, c) = table(&[10, 3, 7, 12, 5, 8]);
        let [uv, u, v, vw, w, uw] = c[..] else {
            unreachable!()
        };
        cells.withhold(v);
        cells.withhold(w);
        let identities = vec![
            Identity::holding(&cells, uv, vec![u, v]).unwrap(),
            Identity::holding(&cells, vw, vec![v, w]).unwrap(),
            Identity::holding(&cells, uw, vec![u, w]).unwrap(),
        ];
        let mut fixed = determined(&cells, &identities);
        fixed.sort_unstable();
        assert_eq!(fixed, vec![u, v, w]);
        protect(&mut cells, &identities);
        assert!(determined(&cells, &identities).is_empty());
    }
}
