"""Cross-cutting code with no domain models: errors, request context, crypto, validation helpers."""
