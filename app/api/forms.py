"""The API takes query-string parameters only; their validation lives in app/services/codebook.py."""
