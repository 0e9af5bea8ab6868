"""The cited content library (content/answers) and the bot's own sentences (content/ui.yml).

May import: config, understanding.intents. Pure data and rendering: no database, no channel.
"""
