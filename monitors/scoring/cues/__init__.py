"""Cue lexicons for the complaint detector: hand-written, general complaint language (no fitted weights)."""
