"""Fakes at the network boundary: real HTTP servers on 127.0.0.1 that record every call."""
