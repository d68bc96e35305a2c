"""Team readiness: the pre-call brief with SPIN questions, extreme-market drills and team dashboards."""
