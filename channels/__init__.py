"""Input channels of sav-bot (referenced from credentials.yml)."""
