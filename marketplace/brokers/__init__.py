"""Labour broker (劳务经纪人) profiles, and the delegations that let one act for an employer."""
