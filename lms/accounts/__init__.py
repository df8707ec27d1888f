"""Accounts: organisations (countries, agencies, units), people, role grants, signing in.

The blueprint lives in ``lms.accounts.views``, so importing the models never pulls in
the views (and with them lms.permissions).
"""
