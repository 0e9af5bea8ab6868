"""Legal-dissemination campaigns: who subscribed to what, a reviewed message to a chosen audience,
queued once per person and sent by the outbox at the channels' limits. The weekly tip is one too.

May import: storage, outbox, answers, config, hotline (regency and country names). Never handlers
or the console: both call in.
"""
