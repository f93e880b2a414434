"""Call boards: the hall board, the display above each window, and what they say aloud."""
