"""The user rows of the commands that change accounts."""
