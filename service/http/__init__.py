"""What the JSON API and the pages share: the database extension, who is asking, limits and serialization."""
