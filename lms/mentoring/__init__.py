"""Mentoring and coaching of dedicated units: mentors assigned to units, session logs with
attendees, topics and action points, a guard against victims' personal data, and the
free texts sealed at rest."""
