"""QA checks: small named functions collected in one table (translate-toolkit style)."""
