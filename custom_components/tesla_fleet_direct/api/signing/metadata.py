"""Canonical tag-length-value serialisation of signed metadata (Vehicle Command Protocol)."""

from __future__ import annotations

from typing import Self

from tesla_protocol.command import signatures_pb2

TAG_END = signatures_pb2.TAG_END


class MetadataError(ValueError):
    """Metadata that the protocol cannot encode (order, length)."""


class Metadata:
    """Collects TLV items in ascending tag order; the serialised form is what gets MACed."""

    def __init__(self) -> None:
        """Start an empty metadata string."""
        self._buffer = bytearray()
        self._last_tag = -1

    def add(self, tag: int, value: bytes) -> Self:
        """Append one item; tags must strictly ascend so both peers hash the same bytes."""
        if tag <= self._last_tag:
            raise MetadataError(f"tag {tag} out of order")
        if len(value) > 255:
            raise MetadataError(f"value of tag {tag} longer than 255 bytes")
        self._buffer += bytes((tag, len(value))) + value
        self._last_tag = tag
        return self

    def add_uint32(self, tag: int, value: int) -> Self:
        """Append an integer as the protocol's four-byte big-endian value."""
        return self.add(tag, value.to_bytes(4, "big"))

    def serialize(self) -> bytes:
        """Return the items followed by the end-of-metadata marker."""
        return bytes(self._buffer) + bytes((TAG_END,))
