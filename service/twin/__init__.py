"""The twin: persona, guardrails, the extractive and LLM composers, citation checks and the answer engine."""
