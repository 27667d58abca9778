"""Spike alerts: the detector (pure), the watch that runs it per brand, alert lifecycle, the report and
chart behind an alert card, and the backtest that replays history through the detector."""
