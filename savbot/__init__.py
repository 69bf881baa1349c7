"""sav-bot's command-line tools (the ``savbot`` console script)."""
