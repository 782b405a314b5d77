"""One ComponentResource per concern; none of them reads stack config."""
