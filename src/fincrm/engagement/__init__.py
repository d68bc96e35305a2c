"""Engagement: cadence rules, event triggers, the RM's tasks, compliant messaging."""
