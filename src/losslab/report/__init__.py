"""Views of catalog entries and stored results: terminal (Rich), JSON, Markdown, HTML."""
