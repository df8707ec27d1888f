"""Learners' data rights (export, erasure) and the retention of records."""
