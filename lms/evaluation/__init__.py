"""Evaluation beyond tests: end-of-course feedback and follow-up surveys (Kirkpatrick
levels 1 and 3)."""
