"""Periodic work on the one shared scheduler: flow reminders, retention, safety tips.

May import: storage, outbox, answers, config, campaigns (the weekly tip is a campaign).
"""
