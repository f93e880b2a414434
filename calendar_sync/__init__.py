"""Calendar files for booking confirmations."""
