"""Portfolio lab: risk metrics, scenarios and stress tests, backtests, robo-allocation with RM
review, suitability and fee disclosure."""
