"""Presentation: renderers for people (rich, Markdown, HTML/SVG) and machines (JSON). No metrics here."""
