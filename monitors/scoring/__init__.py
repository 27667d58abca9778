"""Judging a mention (pure): VADER sentiment, the complaint detector and its cue lexicon, and the threshold
tuning that learns from people's verdicts."""
