"""recruitment"""
