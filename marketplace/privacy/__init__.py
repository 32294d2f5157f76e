"""Personal information rights: the caller's data export, and closing one's account."""
