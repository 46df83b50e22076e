"""Working days under the official calendar (chinese-calendar), holidays and make-up days included."""

import datetime

from tracker import workdays

D = datetime.date


def test_the_2026_spring_festival_and_its_make_up_days():
    # 2026: off 15–23 February; Saturday 14 and Saturday 28 February are worked.
    assert not workdays.is_working_day(D(2026, 2, 16))  # a Monday in the holiday
    assert workdays.is_working_day(D(2026, 2, 14)) and workdays.is_working_day(D(2026, 2, 28))  # Saturdays worked
    # Five working days from Thursday 12 February: 13, 14 (Sat, worked), then 24, 25, 26.
    assert workdays.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert workdays.add_working_days(D(2026, 2, 26), -5) == D(2026, 2, 12)
    assert workdays.working_days_between(D(2026, 2, 12), D(2026, 2, 26)) == 5


def test_an_ordinary_week():
    assert workdays.add_working_days(D(2026, 11, 6), 1) == D(2026, 11, 9)  # Friday → Monday
    assert workdays.add_working_days(D(2026, 11, 7), 0) == D(2026, 11, 9)  # a Saturday moves to Monday


def test_a_year_the_calendar_does_not_know_falls_back_to_weekdays():
    assert not workdays.known(2099)
    assert workdays.is_working_day(D(2099, 1, 2)) and not workdays.is_working_day(D(2099, 1, 3))  # Fri, Sat
    assert workdays.known(2026)
