"""Bookings: a worker's place on a shift, from offer or booking to attendance and ratings.

Approving the hours into pay, and marking them paid, are the earnings' (``earnings.pay``).
"""
