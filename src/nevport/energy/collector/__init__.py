"""The edge collector: poll meters, buffer every reading on disk first, forward to the center."""
