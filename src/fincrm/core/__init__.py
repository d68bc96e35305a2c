"""Toolkit with no domain knowledge: money, clock, PII protection, Chinese text helpers."""
