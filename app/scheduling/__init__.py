"""Spaced-review scheduling (pure): when a missed item comes back. SM-2 today (sm2.py); a new
scheduler is a module beside it. No Flask, no database: dates in, dates out."""
