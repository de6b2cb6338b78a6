//! Working days in England and Wales, and the appeal window of policy 6.1.
//!
//! The council is in Wales, which shares England's bank holidays. A **working day** is a Monday
//! to Friday that is neither a bank holiday of England and Wales nor a council closure day:
//!
//! - **Bank holidays** are computed from the rules, for any year: New Year’s Day, Good Friday,
//!   Easter Monday, the early May (first Monday of May), spring (last Monday of May) and summer
//!   (last Monday of August) bank holidays, Christmas Day and Boxing Day. New Year’s Day,
//!   Christmas Day and Boxing Day falling at a weekend are replaced by a *substitute day*, the
//!   next weekday that is not already a holiday. Easter is computed exactly (anonymous Gregorian
//!   algorithm). One-off changes made by royal proclamation (the 2020 VE day move, the 2012 and
//!   2022 jubilees, the 2022 State Funeral, the 2023 coronation, …) are a small table of
//!   exceptions in the `holidays` sub-module, each citing its proclamation. The rules are those
//!   in force since 1978; earlier years are computed with the same rules, which is not the
//!   historical truth there.
//! - **Council closure days** are extra dates an administrator adds; the caller passes them to
//!   [`Calendar::new`]. A closure day at a weekend or on a bank holiday changes nothing.
//!
//! **The appeal window (policy 6.1).** "Day 0 of the appeal window is the date of the Stage 1
//! letter; the window closes at the end of the 15th working day after it": the deadline is the
//! [`APPEAL_WORKING_DAYS`]th working day strictly after the letter date
//! ([`Calendar::appeal_deadline`]). The letter date itself never counts, even when it is a
//! working day; a letter dated on a Saturday has the following Monday (if a working day) as
//! day 1.
//!
//! **The shipped data file.** [`BANK_HOLIDAYS_JSON`] is `api/data/bank-holidays.json`, in the
//! format of <https://www.gov.uk/bank-holidays.json>, covering England and Wales for 2018–2027
//! (the `scotland` and `northern-ireland` divisions are present with no events: only England and
//! Wales is used). The calendar does not read it: a test checks that the rules give exactly its
//! dates (and names) for every year it covers, so it is the independent check that the rules are
//! right. When gov.uk announces a new one-off bank holiday, add it to the exceptions table *and*
//! to the file.
//!
//! ```
//! use api::calendar::Calendar;
//! use chrono::NaiveDate;
//!
//! let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! // Wednesday 25 June 2025 is a council closure day.
//! let calendar = Calendar::new([date(2025, 6, 25)]);
//! assert_eq!(Calendar::bank_holiday(date(2026, 4, 6)), Some("Easter Monday"));
//! assert!(!calendar.is_working_day(date(2025, 6, 25)));
//! // A Stage 1 letter dated Thursday 26 March 2026: Good Friday and Easter Monday do not count.
//! assert_eq!(calendar.appeal_deadline(date(2026, 3, 26)), date(2026, 4, 20));
//! ```
//!
//! Everything here is pure and cheap: a year's holidays are a dozen date computations, done when
//! needed.

mod holidays;

use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::{Datelike, NaiveDate, Weekday};

/// Working days of the appeal window: a Stage 1 warning may be appealed until the end of the
/// 15th working day after the letter date (policy 6.1).
pub const APPEAL_WORKING_DAYS: u32 = 15;

/// The shipped gov.uk-format file, embedded with include_str!.
///
/// Same format as <https://www.gov.uk/bank-holidays.json>; England and Wales 2018–2027 only.
/// Not used to compute holidays (the rules are): tests check the rules against it.
pub const BANK_HOLIDAYS_JSON: &str = include_str!("../../data/bank-holidays.json");

/// The working-days calendar of England and Wales, with the council's extra closure days.
///
/// Cheap to build and to clone; holds only the closure days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Extra council closure days (any day; only weekdays that are not bank holidays matter).
    closures: BTreeSet<NaiveDate>,
}

/// The bank holidays of one year, kept while walking through dates of that year.
struct YearHolidays {
    year: i32,
    days: Vec<(NaiveDate, &'static str)>,
}

impl YearHolidays {
    fn new() -> Self {
        // No year has been loaded; `contains` loads on first use (i32::MIN is outside chrono's
        // range, so no real date matches it).
        Self {
            year: i32::MIN,
            days: Vec::new(),
        }
    }

    /// Whether `date` is a bank holiday, loading its year when needed.
    fn contains(&mut self, date: NaiveDate) -> bool {
        if date.year() != self.year {
            self.year = date.year();
            self.days = holidays::bank_holidays(self.year);
        }
        self.days.iter().any(|&(d, _)| d == date)
    }
}

/// Whether `date` is a Monday to Friday.
fn is_weekday(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of weekdays in `[day 1 CE, date)` (negative before it). 1 January of year 1
/// (proleptic Gregorian) is a Monday, so weeks are counted from there.
fn weekdays_before(date: NaiveDate) -> i64 {
    let days = i64::from(date.num_days_from_ce()) - 1;
    days.div_euclid(7) * 5 + days.rem_euclid(7).min(5)
}

impl Calendar {
    /// A calendar with these extra council closure days.
    pub fn new(closures: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            closures: closures.into_iter().collect(),
        }
    }

    /// The name of the England-and-Wales bank holiday on `date`, if it is one (e.g.
    /// "Easter Monday", "Christmas Day (substitute day)").
    ///
    /// A day that is replaced by a substitute day is not itself a bank holiday: Christmas Day
    /// 2021 (a Saturday) gives `None`, Monday 27 December 2021 gives
    /// `"Christmas Day (substitute day)"`.
    pub fn bank_holiday(date: NaiveDate) -> Option<&'static str> {
        holidays::bank_holidays(date.year())
            .into_iter()
            .find(|&(d, _)| d == date)
            .map(|(_, name)| name)
    }

    /// Every bank holiday of `year`, in date order, with names.
    ///
    /// Names are gov.uk's titles, with " (substitute day)" appended for substitute days.
    pub fn bank_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
        holidays::bank_holidays(year)
    }

    /// Mon–Fri, not a bank holiday, not a closure day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working_day_in(date, &mut YearHolidays::new())
    }

    /// [`Self::is_working_day`], reusing `holidays` for the bank holidays of `date`'s year.
    fn is_working_day_in(&self, date: NaiveDate, holidays: &mut YearHolidays) -> bool {
        is_weekday(date) && !self.closures.contains(&date) && !holidays.contains(date)
    }

    /// The `n`th working day strictly after `from` (`from` is day 0). n = 0 returns `from`.
    ///
    /// `from` itself never counts, whether or not it is a working day. At the end of chrono's
    /// date range (year 262142) the result saturates at [`NaiveDate::MAX`].
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut holidays = YearHolidays::new();
        let mut date = from;
        let mut left = n;
        while left > 0 {
            match date.succ_opt() {
                Some(next) => date = next,
                None => return date,
            }
            if self.is_working_day_in(date, &mut holidays) {
                left -= 1;
            }
        }
        date
    }

    /// Working days strictly after `from` up to and including `to` (0 when to <= from).
    ///
    /// Computed arithmetically (weekdays, less the bank holidays and closure days among them),
    /// so long spans are cheap.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        if to <= from {
            return 0;
        }
        let in_range = |d: &NaiveDate| from < *d && *d <= to && is_weekday(*d);
        // Weekdays in (from, to] = weekdays in [CE, to] - weekdays in [CE, from].
        let weekdays = (weekdays_before(to) + i64::from(is_weekday(to)))
            - (weekdays_before(from) + i64::from(is_weekday(from)));
        let holidays = (from.year()..=to.year())
            .flat_map(holidays::bank_holidays)
            .filter(|(d, _)| in_range(d))
            .count();
        let mut year = YearHolidays::new();
        let closures = self
            .closures
            .range((Bound::Excluded(from), Bound::Included(to)))
            .filter(|d| in_range(d) && !year.contains(**d))
            .count();
        let off = i64::try_from(holidays + closures).unwrap_or(i64::MAX);
        u32::try_from(weekdays.saturating_sub(off).max(0)).unwrap_or(u32::MAX)
    }

    /// Last day to appeal a Stage 1 warning dated `letter_date`: the 15th working day after it
    /// (6.1).
    ///
    /// The letter date is day 0 and never counts; the window closes at the end of the returned
    /// day.
    pub fn appeal_deadline(&self, letter_date: NaiveDate) -> NaiveDate {
        self.add_working_days(letter_date, APPEAL_WORKING_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::{APPEAL_WORKING_DAYS, BANK_HOLIDAYS_JSON, Calendar};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The gov.uk `bank-holidays.json` format.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct GovUkFile {
        #[serde(rename = "england-and-wales")]
        england_and_wales: Division,
        scotland: Division,
        #[serde(rename = "northern-ireland")]
        northern_ireland: Division,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Division {
        division: String,
        events: Vec<Event>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Event {
        title: String,
        date: NaiveDate,
        notes: String,
        #[expect(
            dead_code,
            reason = "part of the format; read to check the file parses"
        )]
        bunting: bool,
    }

    #[test]
    fn shipped_file_matches_the_rules_for_every_year_it_covers() {
        let file: GovUkFile = serde_json::from_str(BANK_HOLIDAYS_JSON).unwrap();
        assert_eq!(file.england_and_wales.division, "england-and-wales");
        assert_eq!(file.scotland.division, "scotland");
        assert_eq!(file.northern_ireland.division, "northern-ireland");

        let events = &file.england_and_wales.events;
        let mut by_year: BTreeMap<i32, Vec<(NaiveDate, String)>> = BTreeMap::new();
        for event in events {
            let name = match event.notes.as_str() {
                "" => event.title.clone(),
                "Substitute day" => format!("{} (substitute day)", event.title),
                other => panic!("unexpected notes {other:?} on {}", event.date),
            };
            by_year
                .entry(event.date.year())
                .or_default()
                .push((event.date, name));
        }
        let first = *by_year.keys().next().unwrap();
        let last = *by_year.keys().next_back().unwrap();
        assert!(
            first <= 2018 && last >= 2027,
            "file covers {first}..={last}"
        );
        assert!(
            events.windows(2).all(|w| w[0].date < w[1].date),
            "events not in date order"
        );

        for year in first..=last {
            let mut expected = by_year.remove(&year).unwrap_or_default();
            expected.sort();
            let computed: Vec<(NaiveDate, String)> = Calendar::bank_holidays(year)
                .into_iter()
                .map(|(d, name)| (d, name.to_owned()))
                .collect();
            let expected_dates: BTreeSet<NaiveDate> = expected.iter().map(|(d, _)| *d).collect();
            let computed_dates: BTreeSet<NaiveDate> = computed.iter().map(|(d, _)| *d).collect();
            assert_eq!(
                computed_dates, expected_dates,
                "bank holiday dates of {year}"
            );
            assert_eq!(computed, expected, "bank holiday names of {year}");
        }
    }

    #[test]
    fn easter_dates_of_known_years() {
        // Good Friday and Easter Monday around known Easter Sundays.
        for (y, m, d) in [
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            let easter = date(y, m, d);
            assert_eq!(
                Calendar::bank_holiday(easter),
                None,
                "Easter Sunday {easter}"
            );
            let good_friday = easter.pred_opt().unwrap().pred_opt().unwrap();
            let easter_monday = easter.succ_opt().unwrap();
            assert_eq!(Calendar::bank_holiday(good_friday), Some("Good Friday"));
            assert_eq!(Calendar::bank_holiday(easter_monday), Some("Easter Monday"));
        }
    }

    #[test]
    fn christmas_2021_on_saturday_moves_to_27_and_28_december() {
        assert_eq!(Calendar::bank_holiday(date(2021, 12, 25)), None);
        assert_eq!(Calendar::bank_holiday(date(2021, 12, 26)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2021, 12, 27)),
            Some("Christmas Day (substitute day)")
        );
        assert_eq!(
            Calendar::bank_holiday(date(2021, 12, 28)),
            Some("Boxing Day (substitute day)")
        );
    }

    #[test]
    fn christmas_2022_on_sunday_gives_boxing_day_26_and_substitute_27() {
        assert_eq!(Calendar::bank_holiday(date(2022, 12, 25)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2022, 12, 26)),
            Some("Boxing Day")
        );
        assert_eq!(
            Calendar::bank_holiday(date(2022, 12, 27)),
            Some("Christmas Day (substitute day)")
        );
        assert_eq!(Calendar::bank_holiday(date(2022, 12, 28)), None);
    }

    #[test]
    fn boxing_day_2026_on_saturday_moves_to_monday_28() {
        assert_eq!(
            Calendar::bank_holiday(date(2026, 12, 25)),
            Some("Christmas Day")
        );
        assert_eq!(Calendar::bank_holiday(date(2026, 12, 26)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2026, 12, 28)),
            Some("Boxing Day (substitute day)")
        );
    }

    #[test]
    fn new_year_2022_saturday_and_2023_sunday_substitutes() {
        assert_eq!(Calendar::bank_holiday(date(2022, 1, 1)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2022, 1, 3)),
            Some("New Year’s Day (substitute day)")
        );
        assert_eq!(Calendar::bank_holiday(date(2023, 1, 1)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2023, 1, 2)),
            Some("New Year’s Day (substitute day)")
        );
        assert_eq!(
            Calendar::bank_holiday(date(2024, 1, 1)),
            Some("New Year’s Day")
        );
    }

    #[test]
    fn ve_day_2020_moves_the_early_may_bank_holiday_to_friday_8_may() {
        let calendar = Calendar::default();
        assert_eq!(Calendar::bank_holiday(date(2020, 5, 4)), None);
        assert!(calendar.is_working_day(date(2020, 5, 4)));
        assert_eq!(
            Calendar::bank_holiday(date(2020, 5, 8)),
            Some("Early May bank holiday (VE day)")
        );
        assert!(!calendar.is_working_day(date(2020, 5, 8)));
        // 1995, the 50th anniversary: Monday 1 May moved to Monday 8 May.
        assert_eq!(Calendar::bank_holiday(date(1995, 5, 1)), None);
        assert!(Calendar::bank_holiday(date(1995, 5, 8)).is_some());
    }

    #[test]
    fn platinum_jubilee_and_state_funeral_2022() {
        assert_eq!(Calendar::bank_holiday(date(2022, 5, 30)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2022, 6, 2)),
            Some("Spring bank holiday")
        );
        assert_eq!(
            Calendar::bank_holiday(date(2022, 6, 3)),
            Some("Platinum Jubilee bank holiday")
        );
        assert_eq!(
            Calendar::bank_holiday(date(2022, 9, 19)),
            Some("Bank holiday for the State Funeral of Queen Elizabeth II")
        );
        assert_eq!(Calendar::bank_holidays(2022).len(), 10);
    }

    #[test]
    fn diamond_jubilee_2012_and_royal_wedding_2011() {
        assert_eq!(Calendar::bank_holiday(date(2012, 5, 28)), None);
        assert_eq!(
            Calendar::bank_holiday(date(2012, 6, 4)),
            Some("Spring bank holiday")
        );
        assert!(Calendar::bank_holiday(date(2012, 6, 5)).is_some());
        assert!(Calendar::bank_holiday(date(2011, 4, 29)).is_some());
    }

    #[test]
    fn coronation_2023() {
        assert_eq!(
            Calendar::bank_holiday(date(2023, 5, 8)),
            Some("Bank holiday for the coronation of King Charles III")
        );
        // The early May bank holiday stayed on Monday 1 May.
        assert_eq!(
            Calendar::bank_holiday(date(2023, 5, 1)),
            Some("Early May bank holiday")
        );
        assert_eq!(Calendar::bank_holidays(2023).len(), 9);
    }

    #[test]
    fn bank_holidays_2026_in_date_order() {
        let expected = vec![
            (date(2026, 1, 1), "New Year’s Day"),
            (date(2026, 4, 3), "Good Friday"),
            (date(2026, 4, 6), "Easter Monday"),
            (date(2026, 5, 4), "Early May bank holiday"),
            (date(2026, 5, 25), "Spring bank holiday"),
            (date(2026, 8, 31), "Summer bank holiday"),
            (date(2026, 12, 25), "Christmas Day"),
            (date(2026, 12, 28), "Boxing Day (substitute day)"),
        ];
        assert_eq!(Calendar::bank_holidays(2026), expected);
    }

    #[test]
    fn working_days_are_weekdays_without_holidays_or_closures() {
        let calendar = Calendar::new([date(2025, 6, 25)]);
        assert!(calendar.is_working_day(date(2025, 6, 24))); // Tuesday
        assert!(!calendar.is_working_day(date(2025, 6, 25))); // closure day
        assert!(!calendar.is_working_day(date(2025, 6, 28))); // Saturday
        assert!(!calendar.is_working_day(date(2025, 6, 29))); // Sunday
        assert!(!calendar.is_working_day(date(2025, 8, 25))); // summer bank holiday
        assert!(Calendar::default().is_working_day(date(2025, 6, 25)));
    }

    #[test]
    fn working_days_between_is_zero_unless_to_is_after_from() {
        let calendar = Calendar::default();
        let d = date(2025, 6, 16);
        assert_eq!(calendar.working_days_between(d, d), 0);
        assert_eq!(calendar.working_days_between(d, date(2025, 6, 1)), 0);
        // Mon 16 June (excluded) to Mon 23 June: 17, 18, 19, 20, 23.
        assert_eq!(calendar.working_days_between(d, date(2025, 6, 23)), 5);
        // Whole of 2025: 261 weekdays less 8 bank holidays.
        assert_eq!(
            calendar.working_days_between(date(2024, 12, 31), date(2025, 12, 31)),
            253
        );
    }

    #[test]
    fn add_working_days_zero_returns_from_even_at_a_weekend() {
        let calendar = Calendar::default();
        assert_eq!(
            calendar.add_working_days(date(2025, 6, 14), 0),
            date(2025, 6, 14)
        );
        assert_eq!(calendar.add_working_days(NaiveDate::MAX, 3), NaiveDate::MAX);
    }

    #[test]
    fn policy_6_1_letter_date_is_day_0_and_never_counts() {
        let calendar = Calendar::default();
        // Letter Mon 16 June 2025 (a working day, not counted): day 1 is Tue 17 June.
        assert_eq!(
            calendar.add_working_days(date(2025, 6, 16), 1),
            date(2025, 6, 17)
        );
        assert_eq!(APPEAL_WORKING_DAYS, 15);
    }

    #[test]
    fn policy_6_1_appeal_deadline_across_easter_2026() {
        // Letter Thu 26 Mar 2026 (day 0). Counted: Fri 27 Mar (1), Mon 30 (2), Tue 31 (3),
        // Wed 1 Apr (4), Thu 2 (5); Fri 3 Apr Good Friday and Mon 6 Apr Easter Monday skipped;
        // Tue 7 (6), Wed 8 (7), Thu 9 (8), Fri 10 (9), Mon 13 (10), Tue 14 (11), Wed 15 (12),
        // Thu 16 (13), Fri 17 (14), Mon 20 Apr (15).
        let calendar = Calendar::default();
        let letter = date(2026, 3, 26);
        assert_eq!(calendar.appeal_deadline(letter), date(2026, 4, 20));
        assert_eq!(calendar.working_days_between(letter, date(2026, 4, 20)), 15);
    }

    #[test]
    fn policy_6_1_appeal_deadline_across_christmas_2026() {
        // Letter Fri 11 Dec 2026 (day 0). Counted: Mon 14 (1), Tue 15 (2), Wed 16 (3),
        // Thu 17 (4), Fri 18 (5), Mon 21 (6), Tue 22 (7), Wed 23 (8), Thu 24 (9); Fri 25 Christmas
        // Day and Mon 28 Boxing Day (substitute: 26th is a Saturday) skipped; Tue 29 (10),
        // Wed 30 (11), Thu 31 (12); Fri 1 Jan 2027 New Year's Day skipped; Mon 4 Jan (13),
        // Tue 5 (14), Wed 6 Jan 2027 (15).
        let calendar = Calendar::default();
        assert_eq!(
            calendar.appeal_deadline(date(2026, 12, 11)),
            date(2027, 1, 6)
        );
    }

    #[test]
    fn policy_6_1_appeal_window_of_a_saturday_letter_starts_on_monday() {
        // Letter Sat 14 Jun 2025 (day 0). Counted: Mon 16 (1), Tue 17 (2), Wed 18 (3),
        // Thu 19 (4), Fri 20 (5), Mon 23 (6), Tue 24 (7), Wed 25 (8), Thu 26 (9), Fri 27 (10),
        // Mon 30 (11), Tue 1 Jul (12), Wed 2 (13), Thu 3 (14), Fri 4 Jul 2025 (15).
        let calendar = Calendar::default();
        assert_eq!(
            calendar.add_working_days(date(2025, 6, 14), 1),
            date(2025, 6, 16)
        );
        assert_eq!(
            calendar.appeal_deadline(date(2025, 6, 14)),
            date(2025, 7, 4)
        );
    }

    #[test]
    fn policy_6_1_closure_day_pushes_the_appeal_deadline_by_one_working_day() {
        // As above with Wed 25 Jun 2025 a council closure day: Mon 16 (1) … Tue 24 (7), Wed 25
        // skipped, Thu 26 (8), Fri 27 (9), Mon 30 (10), Tue 1 Jul (11), Wed 2 (12), Thu 3 (13),
        // Fri 4 (14), Mon 7 Jul 2025 (15).
        let calendar = Calendar::new([date(2025, 6, 25)]);
        assert_eq!(
            calendar.appeal_deadline(date(2025, 6, 14)),
            date(2025, 7, 7)
        );
        assert_eq!(
            calendar.working_days_between(date(2025, 6, 14), date(2025, 7, 7)),
            15
        );
    }

    #[test]
    fn policy_6_1_closure_at_a_weekend_or_on_a_bank_holiday_changes_nothing() {
        // Letter Thu 26 Mar 2026; closures on Sat 28 Mar and on Good Friday 3 Apr 2026.
        let calendar = Calendar::new([date(2026, 3, 28), date(2026, 4, 3)]);
        assert_eq!(
            calendar.appeal_deadline(date(2026, 3, 26)),
            date(2026, 4, 20)
        );
        assert_eq!(
            calendar.working_days_between(date(2026, 3, 26), date(2026, 4, 20)),
            15
        );
    }

    /// Dates from 1 January 1990 to 31 December 2099.
    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let lo = date(1990, 1, 1).num_days_from_ce();
        let hi = date(2100, 1, 1).num_days_from_ce();
        (lo..hi).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap())
    }

    /// A calendar with up to 4 closure days within 90 days after `from`.
    fn calendar_near(from: NaiveDate, offsets: &[u64]) -> Calendar {
        Calendar::new(offsets.iter().map(|&o| from + chrono::Days::new(o)))
    }

    proptest! {
        #[test]
        fn prop_add_working_days_lands_on_a_working_day_and_counts_back(
            d in any_date(),
            n in 0u32..60,
            offsets in prop::collection::vec(0u64..90, 0..4),
        ) {
            let calendar = calendar_near(d, &offsets);
            let end = calendar.add_working_days(d, n);
            if n > 0 {
                prop_assert!(end > d);
                prop_assert!(calendar.is_working_day(end));
            } else {
                prop_assert_eq!(end, d);
            }
            prop_assert_eq!(calendar.working_days_between(d, end), n);
        }

        #[test]
        fn prop_add_working_days_is_strictly_monotone_in_n(
            d in any_date(),
            n in 0u32..60,
            offsets in prop::collection::vec(0u64..90, 0..4),
        ) {
            let calendar = calendar_near(d, &offsets);
            prop_assert!(calendar.add_working_days(d, n) < calendar.add_working_days(d, n + 1));
        }

        #[test]
        fn prop_working_days_between_matches_a_day_by_day_count(
            from in any_date(),
            span in 0u64..800,
            offsets in prop::collection::vec(0u64..800, 0..6),
        ) {
            let calendar = calendar_near(from, &offsets);
            let to = from + chrono::Days::new(span);
            let counted = from
                .iter_days()
                .skip(1)
                .take_while(|day| *day <= to)
                .filter(|day| calendar.is_working_day(*day))
                .count();
            prop_assert_eq!(calendar.working_days_between(from, to) as usize, counted);
            prop_assert_eq!(calendar.working_days_between(to, from), 0);
        }

        #[test]
        fn policy_6_1_prop_a_closure_day_never_makes_the_deadline_earlier(
            letter in any_date(),
            n in 1u32..60,
            pick in 1u32..60,
            anywhere in -10i64..120,
        ) {
            let base = Calendar::default();
            let deadline = base.add_working_days(letter, n);
            // A closure on a working day inside the window: the deadline moves one working day.
            let closed = base.add_working_days(letter, 1 + pick % n);
            let with_closure = Calendar::new([closed]);
            let later = with_closure.add_working_days(letter, n);
            prop_assert!(later > deadline);
            prop_assert_eq!(later, with_closure.add_working_days(deadline, 1));
            // A closure on any day at all never makes it earlier.
            let any_day = letter + chrono::TimeDelta::days(anywhere);
            let anywhere_closed = Calendar::new([any_day]);
            prop_assert!(anywhere_closed.add_working_days(letter, n) >= deadline);
            prop_assert!(
                anywhere_closed.appeal_deadline(letter) >= base.appeal_deadline(letter)
            );
        }
    }
}
