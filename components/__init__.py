"""Custom Rasa NLU components of sav-bot (referenced from config.yml)."""
