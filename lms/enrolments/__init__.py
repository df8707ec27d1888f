"""Enrolments: who takes which course, their progress through lessons, gates and completion."""
