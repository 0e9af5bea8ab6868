"""Engine, sessions and Alembic migrations, the tables, and the people/conversation repository.

May import: config, chat.inbound (the Inbound type). Repository functions take a session and never commit.
"""
