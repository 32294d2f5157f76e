"""Bookings: a worker's place on a shift, from booking to attendance, pay and ratings."""
