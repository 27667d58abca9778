"""Persistence: tables, engine setup, and the database functions (each takes a keyword-only `session`)."""
