"""SM-2 spaced-repetition scheduling for the review queue (pure).

The algorithm is SuperMemo 2 as published by Piotr Wozniak: "Optimization of learning", 1990,
chapter 3.2 (https://super-memory.com/english/ol/sm2.htm). After each review the student grades
recall from 0 to 5:

* quality < 3: the card starts again (repetitions 0, interval 1 day); the E-Factor still changes.
* quality >= 3: interval 1 day after the first success, 6 days after the second, then the previous
  interval times the E-Factor (rounded up, as the original does for fractional intervals).
* E-Factor' = EF + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)), never below 1.3; new cards start at 2.5.

One addition of ours: when the student sets an exam date, no interval reaches past the day before
it, so every card comes due again before the exam.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

INITIAL_EASE = 2.5
MIN_EASE = 1.3


@dataclass(frozen=True)
class CardState:
    ease: float = INITIAL_EASE
    interval: int = 0
    repetitions: int = 0
    due: date | None = None


def next_ease(ease: float, quality: int) -> float:
    q = 5 - quality
    return max(MIN_EASE, round(ease + (0.1 - q * (0.08 + q * 0.02)), 4))


def review(state: CardState, quality: int, today: date, exam_date: date | None = None) -> CardState:
    """The card's state after a review graded ``quality`` (0..5) on ``today``."""
    if not isinstance(quality, int) or not 0 <= quality <= 5:
        raise ValueError("quality must be a whole number from 0 to 5")
    ease = next_ease(state.ease, quality)
    if quality < 3:
        repetitions, interval = 0, 1
    else:
        repetitions = state.repetitions + 1
        if repetitions == 1:
            interval = 1
        elif repetitions == 2:
            interval = 6
        else:
            interval = math.ceil(state.interval * state.ease)
    interval = cap_interval(interval, today, exam_date)
    return CardState(ease=ease, interval=interval, repetitions=repetitions, due=today + timedelta(days=interval))


def cap_interval(interval: int, today: date, exam_date: date | None) -> int:
    """Keep the next review on or before the day before the exam (at least one day ahead)."""
    if exam_date is None or exam_date <= today:
        return interval
    return max(1, min(interval, (exam_date - today).days - 1))


def lapse(state: CardState, today: date) -> CardState:
    """Missed again (in a new exam or case): back to the start, due today; the ease is kept."""
    return CardState(ease=state.ease, interval=0, repetitions=0, due=today)
