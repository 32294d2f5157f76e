"""Labour broker (劳务经纪人) profiles."""
