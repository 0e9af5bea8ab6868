"""Teman Migran: the bot's application code, in rooms.

    channels/      adapters: verify, parse into one Inbound, send       -> chat, outbox, storage
    chat/          the one path: dispatch, router, Turn, payloads       -> understanding, answers, outbox, storage
    understanding/ what a message means: Rasa client, safety net, intents -> config only
    answers/       cited content library and the interface sentences    -> understanding.intents
    recruitment/   recruiter registry and job-offer red flags           -> storage, understanding
    hotline/       escalations, staff queue, cases, SLA, staff, audit    -> storage, outbox, answers
    campaigns/     dissemination campaigns: audience, sending, counts  -> storage, outbox, answers, hotline
    console/       the staff console pages                              -> hotline, campaigns, storage
    outbox/        replies stored, then sent in order with retries      -> storage, chat.inbound
    jobs/          periodic work on the shared scheduler                -> storage, outbox, answers
    storage/       engine, migrations, tables, people repository        -> chat.inbound (the Inbound type)
    web/           the one ASGI app: webhooks, console, health          -> channels, console

app.py builds everything once (the only module that wires rooms together); cli.py is `python -m bot`.
What the bot says lives in the top-level `handlers` package, which never sees a channel.
"""
