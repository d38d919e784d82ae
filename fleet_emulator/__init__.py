"""A local stand-in for Tesla's OAuth server and Fleet API."""
