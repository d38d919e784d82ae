"""Gives an account's client its signed-command path, keyed with the app key."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant

from .api.client import TeslaFleetClient
from .api.signing import CommandOutcome, SignedCommands
from .app_key import async_get_app_key


class AccountSigner:
    """The client's signer: loads (or first creates) the app key on the first signed command.

    Accounts whose cars take plain commands never touch the key file.
    """

    def __init__(self, hass: HomeAssistant, client: TeslaFleetClient) -> None:
        """Bind to the account's client, whose `signed_command` carries the messages."""
        self._hass = hass
        self._client = client
        self._signed: SignedCommands | None = None
        self._lock = asyncio.Lock()

    async def signed_commands(self) -> SignedCommands:
        """The per-car signers (created once; raises AppKeyError if the key file is damaged)."""
        async with self._lock:
            if self._signed is None:
                app_key = await async_get_app_key(self._hass)
                client = self._client
                self._signed = SignedCommands(
                    app_key.private_key, lambda vin: client.vehicle(vin).signed_command
                )
            return self._signed

    async def execute(
        self, vin: str, command: str, params: Mapping[str, Any] | None = None
    ) -> CommandOutcome:
        """Sign and send one REST-named command to one car."""
        return await (await self.signed_commands()).execute(vin, command, params)


def async_setup_signing(hass: HomeAssistant, client: TeslaFleetClient) -> AccountSigner:
    """Attach the signer; the client uses it only for cars that require signed commands."""
    signer = AccountSigner(hass, client)
    client.set_command_signer(signer)
    return signer
