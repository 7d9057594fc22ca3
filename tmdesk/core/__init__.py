"""The tmdesk core: models, domain rules, visibility policy and audit.

Plain Python on Peewee. Nothing here imports Flask or a plugin.
"""
