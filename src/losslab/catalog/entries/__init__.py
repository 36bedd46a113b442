"""Catalog entries: every module here registers its LossSpecs on import."""
