"""The operators' console: cross-app pieces of Django admin (staff groups and second
factor, audit log, work queues, dashboard, read-only support views). Each app's own
`admin.py` keeps its models' pages; this package only reads through selectors."""
