"""The EPCIS 2.0 query language (SimpleEventQuery) over the stored event tables.

`params` is the one table of parameters and families, `filters` turns each into a
condition on `Event` (EXISTS subqueries on the fact tables), `pagination` signs the
stateless `nextPageToken`.
"""
