"""A FastAPI + pydantic v2 backend for the chat contract: the worked example of docs/conformance.md."""
