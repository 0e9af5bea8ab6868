"""What a message means: the Rasa client, the urgent safety net, the intent catalogue.

May import: config, and nothing that touches the database or a channel, so `triage` and the safety
net work with the store down.
"""
