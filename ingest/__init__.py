"""`augft ingest`: user files (Markdown, text, HTML, PDF, Document JSONL/Parquet) -> corpus.jsonl."""
