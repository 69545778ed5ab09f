"""Webhooks: a project's events sent, signed, to the URLs its managers subscribe (docs/webhooks.md).

- ``events``  (pure) the event names, the payload's shape, the retry schedule
- ``signing`` (pure) the HMAC-SHA256 signature and its headers, and how a receiver checks them
- ``http``    (pure) one POST to a checked, pinned address (the rules of ``annotator.netpolicy``)
- ``outbox``  the rows: ``emit`` (one delivery per matching subscription, in the caller's
  transaction, its message sent on commit), ``deliver`` (one attempt), ``redeliver``, ``ping``,
  ``sweep`` (what is due or was lost)

The Celery tasks are ``annotator.tasks.deliver_webhook`` and the beat's
``annotator.tasks.sweep_webhooks``. Events from background jobs are emitted by ``worker``
(which may import the core); the core imports nothing of ``worker``.
"""
