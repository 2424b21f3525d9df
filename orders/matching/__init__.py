"""The batch matcher: assigns open production demand to factories' free capacity.

`algorithm` is pure Python/NumPy on plain arrays (no Django); `services` adapts the
marketplace's models to it and `tasks` runs it periodically. See docs/adr/0003-batch-matcher.md.
"""
