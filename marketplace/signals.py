"""Signals marketplace sends so that other apps can set up their part of a use case
without marketplace importing them (marketplace is the foundation every app builds on)."""

from django.dispatch import Signal

# Sent inside the transaction that created an organization (sign-up, an operator's add
# form), with `organization=`. A receiver that fails rolls the creation back.
organization_created = Signal()
