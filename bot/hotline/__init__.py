"""The human side: escalations, the staff queue, cases, SLA, staff accounts, staff group, audit.

May import: storage, outbox, answers (texts), config, campaigns.subscribers (erasure opts out).
Never handlers or the console: both call in.
"""
