"""Getting mentions in: fetching, feed parsing, source kinds, brand matching, identity keys, the ingest pipeline,
the scoring processes, the poller and the push schema."""
