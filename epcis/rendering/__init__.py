"""Render stored events as EPCIS documents (JSON-LD and XML)."""
