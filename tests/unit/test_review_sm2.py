"""SM-2 scheduling (Wozniak 1990), with our cap before an exam date."""
from datetime import date, timedelta

import pytest

from app.scheduling.sm2 import CardState, cap_interval, lapse, next_ease, review

TODAY = date(2026, 3, 2)


def test_first_two_successes_give_1_then_6_days_then_interval_times_ease():
    s = review(CardState(), 4, TODAY)
    assert (s.repetitions, s.interval, s.due) == (1, 1, TODAY + timedelta(days=1))
    s = review(s, 4, s.due)
    assert (s.repetitions, s.interval) == (2, 6)
    s = review(s, 4, s.due)
    assert (s.repetitions, s.interval) == (3, 15)  # 6 x 2.5 (the ease is unchanged by a 4)


@pytest.mark.parametrize("quality, ease", [(5, 2.6), (4, 2.5), (3, 2.36), (2, 2.18), (1, 1.96), (0, 1.7)])
def test_ease_follows_the_published_formula(quality, ease):
    assert next_ease(2.5, quality) == pytest.approx(ease)


def test_ease_never_drops_below_1_3():
    s = CardState()
    for _ in range(10):
        s = review(s, 0, TODAY)
    assert s.ease == pytest.approx(1.3)


def test_a_failed_recall_starts_the_card_again():
    s = CardState(ease=2.5, interval=15, repetitions=3)
    s = review(s, 2, TODAY)
    assert (s.repetitions, s.interval, s.due) == (0, 1, TODAY + timedelta(days=1))


def test_an_exam_date_caps_the_interval_to_the_day_before():
    s = CardState(ease=2.5, interval=15, repetitions=3)
    exam = TODAY + timedelta(days=10)
    s = review(s, 5, TODAY, exam_date=exam)
    assert s.interval == 9 and s.due == exam - timedelta(days=1)
    assert cap_interval(30, TODAY, TODAY + timedelta(days=1)) == 1
    assert cap_interval(30, TODAY, TODAY - timedelta(days=1)) == 30  # the exam is past: no cap


def test_missed_again_is_due_today_and_keeps_the_ease():
    s = lapse(CardState(ease=2.2, interval=20, repetitions=4), TODAY)
    assert (s.ease, s.interval, s.repetitions, s.due) == (2.2, 0, 0, TODAY)


@pytest.mark.parametrize("bad", [-1, 6, 2.5, None])
def test_quality_outside_0_to_5_is_refused(bad):
    with pytest.raises(ValueError):
        review(CardState(), bad, TODAY)


@pytest.mark.parametrize("quality,interval,ease", [
    # the third interval multiplies by the ease the card had BEFORE this review (2.5), and the ease
    # moves after: 6 * 2.5 = 15 days (the new ease 2.6 would give 16; 2.36 would give 15; 2.18 gives 14)
    (5, 15, 2.6),
    (4, 15, 2.5),
    (3, 15, 2.36),
])
def test_the_interval_uses_the_ease_before_this_review(quality, interval, ease):
    state = CardState(ease=2.5, interval=6, repetitions=2, due=date(2026, 5, 1))
    after = review(state, quality, date(2026, 5, 1))
    assert (after.interval, after.ease, after.repetitions) == (interval, ease, 3)
    assert after.due == date(2026, 5, 1 + interval)


def test_a_lowered_ease_shortens_the_next_interval_not_this_one():
    state = CardState(ease=1.5, interval=10, repetitions=3, due=date(2026, 5, 1))
    after = review(state, 3, date(2026, 5, 1))   # ease 1.5 -> 1.36; interval ceil(10 * 1.5) = 15, not 14
    assert (after.interval, after.ease) == (15, 1.36)
