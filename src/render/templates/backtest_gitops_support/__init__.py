"""Support code deployed next to the backtest DAGs rendered by backtest-gitops.

Import nothing heavy here: the scheduler may import this package while parsing.
"""
