"""Helpers for testing pbe and its modules against real hosts (see ``fleet``)."""
