"""Finding mentions and judging them: sources, fetching, matching, scoring, spikes, digests, jobs."""
