"""Courses: content as code (courses/ folders), modules and lessons with versions."""
