"""Worker profiles: identity, groups, skills, home base and availability."""
