"""Sent by this app for the apps that build on it (chibo.notify), so that it never imports them.

- `document_added(document)`: a document published to a subtree or added to a meeting, inside
  the transaction that stores it.
- `comment_added(comment)`: a comment on a paragraph of a draft, inside its transaction."""

from django.dispatch import Signal

document_added = Signal()
comment_added = Signal()
