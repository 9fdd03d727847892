"""Retrieval for `rag` conditions: an index per corpus and retriever (BM25 or dense), built once
(locally or on Ray Data over the corpus shards) and searched with each question's prompt."""
