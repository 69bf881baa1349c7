"""Custom actions of sav-bot, served by the Rasa action server (`rasa run actions`)."""
