//! The bank holidays of England and Wales, computed from the rules of the Banking and Financial
//! Dealings Act 1971 (Schedule 1) and the royal proclamations made under its section 1, plus the
//! common-law holidays (Good Friday, Christmas Day).
//!
//! The regular rules, in force since 1978:
//!
//! | holiday | rule |
//! |---|---|
//! | New Year’s Day | 1 January; at a weekend, the following Monday (substitute day) |
//! | Good Friday | two days before Easter Sunday |
//! | Easter Monday | the day after Easter Sunday |
//! | Early May bank holiday | first Monday of May |
//! | Spring bank holiday | last Monday of May |
//! | Summer bank holiday | last Monday of August |
//! | Christmas Day, Boxing Day | 25, 26 December; at a weekend, a substitute day ([`christmas`]) |
//!
//! Then one-off changes by proclamation, in [`CHANGES`]: a rule date removed (the holiday moved)
//! and days added. The same rules are applied to every year; before 1978 that is not the
//! historical truth (New Year’s Day became a bank holiday in 1974, the early May bank holiday in
//! 1978, and the one-off days of earlier years are not in the table), which does not matter for
//! a case system whose letters are dated from the 2010s on.

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub(super) const NEW_YEARS_DAY: &str = "New Year’s Day";
pub(super) const NEW_YEARS_DAY_SUBSTITUTE: &str = "New Year’s Day (substitute day)";
pub(super) const GOOD_FRIDAY: &str = "Good Friday";
pub(super) const EASTER_MONDAY: &str = "Easter Monday";
pub(super) const EARLY_MAY: &str = "Early May bank holiday";
pub(super) const SPRING: &str = "Spring bank holiday";
pub(super) const SUMMER: &str = "Summer bank holiday";
pub(super) const CHRISTMAS_DAY: &str = "Christmas Day";
pub(super) const CHRISTMAS_DAY_SUBSTITUTE: &str = "Christmas Day (substitute day)";
pub(super) const BOXING_DAY: &str = "Boxing Day";
pub(super) const BOXING_DAY_SUBSTITUTE: &str = "Boxing Day (substitute day)";

/// A one-off change to the regular rules in one year, made by royal proclamation under section 1
/// of the Banking and Financial Dealings Act 1971: s.1(2) lets a Schedule 1 day be replaced by
/// another day, s.1(3) appoints a special extra day.
#[derive(Debug)]
pub(super) struct Change {
    /// The year the change applies to.
    pub(super) year: i32,
    /// (month, day) of the rule date that is *not* a bank holiday that year, if the change moves
    /// a holiday.
    pub(super) removed: Option<(u32, u32)>,
    /// (month, day, name) of the days that are bank holidays that year by proclamation.
    pub(super) added: &'static [(u32, u32, &'static str)],
}

/// The one-off changes since 1978, in date order. Names follow gov.uk's titles where gov.uk
/// publishes the year (2018 on).
pub(super) const CHANGES: &[Change] = &[
    // Wedding of the Prince of Wales and Lady Diana Spencer: Wednesday 29 July 1981 appointed a
    // special bank holiday by proclamation (s.1(3)).
    Change {
        year: 1981,
        removed: None,
        added: &[(7, 29, "Royal wedding bank holiday")],
    },
    // 50th anniversary of VE day: the early May bank holiday moved by proclamation (s.1(2)) from
    // Monday 1 May to Monday 8 May 1995.
    Change {
        year: 1995,
        removed: Some((5, 1)),
        added: &[(5, 8, "Early May bank holiday (VE day)")],
    },
    // The millennium: Friday 31 December 1999 appointed a special bank holiday by proclamation
    // (s.1(3)).
    Change {
        year: 1999,
        removed: None,
        added: &[(12, 31, "Millennium bank holiday")],
    },
    // Golden Jubilee of Queen Elizabeth II: the spring bank holiday moved by proclamation
    // (s.1(2)) from Monday 27 May to Tuesday 4 June 2002, and Monday 3 June appointed a special
    // bank holiday (s.1(3)).
    Change {
        year: 2002,
        removed: Some((5, 27)),
        added: &[(6, 3, "Golden Jubilee bank holiday"), (6, 4, SPRING)],
    },
    // Wedding of Prince William and Catherine Middleton: Friday 29 April 2011 appointed a special
    // bank holiday by proclamation (s.1(3)).
    Change {
        year: 2011,
        removed: None,
        added: &[(4, 29, "Royal wedding bank holiday")],
    },
    // Diamond Jubilee of Queen Elizabeth II: the spring bank holiday moved by proclamation
    // (s.1(2)) from Monday 28 May to Monday 4 June 2012, and Tuesday 5 June appointed a special
    // bank holiday (s.1(3)).
    Change {
        year: 2012,
        removed: Some((5, 28)),
        added: &[(6, 4, SPRING), (6, 5, "Diamond Jubilee bank holiday")],
    },
    // 75th anniversary of VE day: the early May bank holiday moved by proclamation (s.1(2)) from
    // Monday 4 May to Friday 8 May 2020.
    Change {
        year: 2020,
        removed: Some((5, 4)),
        added: &[(5, 8, "Early May bank holiday (VE day)")],
    },
    // Platinum Jubilee of Queen Elizabeth II: the spring bank holiday moved by proclamation
    // (s.1(2)) from Monday 30 May to Thursday 2 June 2022, and Friday 3 June appointed a special
    // bank holiday (s.1(3)).
    Change {
        year: 2022,
        removed: Some((5, 30)),
        added: &[(6, 2, SPRING), (6, 3, "Platinum Jubilee bank holiday")],
    },
    // State Funeral of Queen Elizabeth II: Monday 19 September 2022 appointed a special bank
    // holiday by proclamation of King Charles III, September 2022 (s.1(3)).
    Change {
        year: 2022,
        removed: None,
        added: &[(
            9,
            19,
            "Bank holiday for the State Funeral of Queen Elizabeth II",
        )],
    },
    // Coronation of King Charles III: Monday 8 May 2023 appointed a special bank holiday by
    // proclamation (s.1(3)).
    Change {
        year: 2023,
        removed: None,
        added: &[(5, 8, "Bank holiday for the coronation of King Charles III")],
    },
];

/// Easter Sunday of `year` in the (proleptic) Gregorian calendar, by the anonymous Gregorian
/// algorithm (Meeus–Jones–Butcher). Exact for every Gregorian year (1583 on); `None` only when
/// the date is outside chrono's range.
pub(super) fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction.
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// `date` plus `days` days, `None` past the end of chrono's range.
fn plus(date: NaiveDate, days: u64) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(days))
}

/// `date` minus `days` days, `None` before the start of chrono's range.
fn minus(date: NaiveDate, days: u64) -> Option<NaiveDate> {
    date.checked_sub_days(Days::new(days))
}

/// The last Monday of `month` (which has `last_day` days) in `year`.
fn last_monday(year: i32, month: u32, last_day: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, last_day)?;
    minus(last, u64::from(last.weekday().num_days_from_monday()))
}

/// New Year’s Day, or its substitute day when 1 January falls at a weekend.
fn new_years_day(year: i32) -> Option<(NaiveDate, &'static str)> {
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1)?;
    Some(match jan1.weekday() {
        Weekday::Sat => (plus(jan1, 2)?, NEW_YEARS_DAY_SUBSTITUTE),
        Weekday::Sun => (plus(jan1, 1)?, NEW_YEARS_DAY_SUBSTITUTE),
        _ => (jan1, NEW_YEARS_DAY),
    })
}

/// Christmas Day and Boxing Day of `year`, with their substitute days:
///
/// | 25 December | Christmas Day | Boxing Day |
/// |---|---|---|
/// | Monday–Thursday | 25 | 26 |
/// | Friday | 25 | Monday 28 (substitute) |
/// | Saturday | Monday 27 (substitute) | Tuesday 28 (substitute) |
/// | Sunday | Tuesday 27 (substitute) | Monday 26 |
pub(super) fn christmas(year: i32) -> [(u32, &'static str); 2] {
    let weekday = NaiveDate::from_ymd_opt(year, 12, 25).map(|d| d.weekday());
    match weekday {
        Some(Weekday::Fri) => [(25, CHRISTMAS_DAY), (28, BOXING_DAY_SUBSTITUTE)],
        Some(Weekday::Sat) => [(27, CHRISTMAS_DAY_SUBSTITUTE), (28, BOXING_DAY_SUBSTITUTE)],
        Some(Weekday::Sun) => [(26, BOXING_DAY), (27, CHRISTMAS_DAY_SUBSTITUTE)],
        _ => [(25, CHRISTMAS_DAY), (26, BOXING_DAY)],
    }
}

/// The holidays the regular rules give for `year`, before the one-off changes, in no
/// particular order.
pub(super) fn rule_days(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let easter = easter_sunday(year);
    let mut days = Vec::with_capacity(10);
    days.extend(new_years_day(year));
    days.extend(easter.and_then(|e| minus(e, 2)).map(|d| (d, GOOD_FRIDAY)));
    days.extend(easter.and_then(|e| plus(e, 1)).map(|d| (d, EASTER_MONDAY)));
    days.extend(
        NaiveDate::from_weekday_of_month_opt(year, 5, Weekday::Mon, 1).map(|d| (d, EARLY_MAY)),
    );
    days.extend(last_monday(year, 5, 31).map(|d| (d, SPRING)));
    days.extend(last_monday(year, 8, 31).map(|d| (d, SUMMER)));
    for (day, name) in christmas(year) {
        days.extend(NaiveDate::from_ymd_opt(year, 12, day).map(|d| (d, name)));
    }
    days
}

/// Every bank holiday of `year`, in date order: the regular rules with the one-off changes
/// applied.
pub(super) fn bank_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut days = rule_days(year);
    for change in CHANGES.iter().filter(|c| c.year == year) {
        if let Some((month, day)) = change.removed {
            days.retain(|(d, _)| (d.month(), d.day()) != (month, day));
        }
        for &(month, day, name) in change.added {
            days.extend(NaiveDate::from_ymd_opt(year, month, day).map(|d| (d, name)));
        }
    }
    days.sort_by_key(|&(d, _)| d);
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_sunday_known_years() {
        // Published Easter dates (Gregorian), including the earliest and latest possible ones.
        let known = [
            (1818, 3, 22), // earliest possible
            (1943, 4, 25), // latest possible
            (1990, 4, 15),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2100, 3, 28),
            (2285, 3, 22),
        ];
        for (y, m, d) in known {
            assert_eq!(easter_sunday(y), Some(date(y, m, d)), "Easter {y}");
        }
    }

    #[test]
    fn easter_sunday_is_a_sunday_between_22_march_and_25_april() {
        for year in 1583..=3000 {
            let easter = easter_sunday(year).unwrap();
            assert_eq!(easter.weekday(), Weekday::Sun, "{easter}");
            assert!(
                easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
                "{easter}"
            );
        }
    }

    #[test]
    fn christmas_substitute_days_for_each_weekday_of_25_december() {
        // 2023 Mon, 2018 Tue, 2024 Wed, 2025 Thu, 2026 Fri, 2021 Sat, 2022 Sun.
        assert_eq!(christmas(2023), [(25, CHRISTMAS_DAY), (26, BOXING_DAY)]);
        assert_eq!(christmas(2018), [(25, CHRISTMAS_DAY), (26, BOXING_DAY)]);
        assert_eq!(christmas(2024), [(25, CHRISTMAS_DAY), (26, BOXING_DAY)]);
        assert_eq!(christmas(2025), [(25, CHRISTMAS_DAY), (26, BOXING_DAY)]);
        assert_eq!(
            christmas(2026),
            [(25, CHRISTMAS_DAY), (28, BOXING_DAY_SUBSTITUTE)]
        );
        assert_eq!(
            christmas(2021),
            [(27, CHRISTMAS_DAY_SUBSTITUTE), (28, BOXING_DAY_SUBSTITUTE)]
        );
        assert_eq!(
            christmas(2022),
            [(26, BOXING_DAY), (27, CHRISTMAS_DAY_SUBSTITUTE)]
        );
    }

    #[test]
    fn changes_table_is_consistent() {
        let mut previous: Option<NaiveDate> = None;
        for change in CHANGES {
            let rules = rule_days(change.year);
            if let Some((m, d)) = change.removed {
                let removed = date(change.year, m, d);
                assert!(
                    rules.iter().any(|&(r, _)| r == removed),
                    "{change:?}: the removed date is not a rule date"
                );
            }
            assert!(!change.added.is_empty() || change.removed.is_some());
            for &(m, d, _) in change.added {
                let added = date(change.year, m, d);
                assert!(
                    added.weekday().num_days_from_monday() < 5,
                    "{change:?}: {added} is at a weekend"
                );
                assert!(
                    !rules.iter().any(|&(r, _)| r == added),
                    "{change:?}: {added} is already a rule date"
                );
                assert!(
                    previous < Some(added),
                    "{change:?}: table not in date order"
                );
                previous = Some(added);
            }
        }
    }

    #[test]
    fn every_year_1900_to_2300_has_sorted_distinct_weekday_holidays() {
        for year in 1900..=2300 {
            let days = bank_holidays(year);
            let extra: usize = CHANGES
                .iter()
                .filter(|c| c.year == year)
                .map(|c| c.added.len() - usize::from(c.removed.is_some()))
                .sum();
            assert_eq!(days.len(), 8 + extra, "{year}: {days:?}");
            assert!(days.windows(2).all(|w| w[0].0 < w[1].0), "{year}: {days:?}");
            for (d, name) in &days {
                assert_eq!(d.year(), year, "{name}");
                assert!(
                    d.weekday().num_days_from_monday() < 5,
                    "{d} {name} is at a weekend"
                );
            }
        }
    }
}
