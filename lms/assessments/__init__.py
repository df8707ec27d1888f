"""Assessments: question banks, tests, attempts and scoring."""
