"""The signed-in user: profile and region."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import RegionInfo, UserProfile
from .transport import REGION_PATH, Transport


class UsersApi:
    """`/api/1/users/...`."""

    def __init__(self, transport: Transport) -> None:
        """Share the client's transport."""
        self._transport = transport

    async def me(self) -> UserProfile:
        """Name, email and profile picture (`user_data` scope)."""
        return UserProfile.parse(await self._transport.request("GET", "/api/1/users/me"))

    async def region(self) -> RegionInfo:
        """The account's region and base URL; the client switches to that base URL."""
        info = RegionInfo.parse(await self._transport.request("GET", REGION_PATH), path=REGION_PATH)
        self._transport.set_base_url(info.fleet_api_base_url)
        return info

    async def feature_config(self) -> Mapping[str, Any]:
        """Feature flags Tesla enables for the account (raw)."""
        response = await self._transport.request("GET", "/api/1/users/feature_config")
        return response if isinstance(response, Mapping) else {}
