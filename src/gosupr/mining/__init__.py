"""Discovery and analysis: nothing in here prints."""
