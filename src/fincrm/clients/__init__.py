"""Clients: parties, households, relationships, accounts, holdings, interactions, memory points, consents, life events."""
