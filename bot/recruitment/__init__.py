"""Recruiters and job offers: the registry staff import from CSV, and the red flags of an offer.

May import: storage, understanding (text normalising), config.
"""
