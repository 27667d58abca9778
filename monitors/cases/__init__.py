"""Cases (pure): the response clock and its deadlines, escalation decisions, who may do what to a case,
response-time statistics, and reading a complaint's public thread for the brand's answer."""
