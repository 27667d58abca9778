"""Earful's inbound HTTP: the push endpoint's server (POST /ingest)."""
