"""Shared test helpers: builders of EPCIS documents, child processes, GS1's artefacts.
Test modules import from here, never from one another."""
