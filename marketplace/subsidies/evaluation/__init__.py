"""Evaluating workers: gathering their facts set-based (``queries``, ``gathered``), the risk
signals, and the one evaluator that turns proposals into flags."""
