"""Built-in doctor checks. They are loaded by the same mechanism as third-party plugins."""
