"""Sent by this app for the apps that build on it (chibo.notify), so that it never imports them.

- `proposal_closed(proposal)`: an upper level answered or rejected a proposal, inside the
  transaction that closes it."""

from django.dispatch import Signal

proposal_closed = Signal()
