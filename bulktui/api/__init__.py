"""The Bulk API layer: models, wire codec, errors, ids and the async client. No Textual here."""
