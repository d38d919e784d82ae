"""Where Tesla lives: OAuth and Fleet API URLs, or the local emulator's in dev and tests.

The emulator is chosen only by the undocumented YAML key `tesla_fleet_direct: emulator_url:`
(read in `async_setup`); users never see it in the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .api.regions import DEFAULT_REGION, FLEET_API_URLS, TESLA_HOSTS

OAUTH_PATH = "/oauth2/v3"
DISCOVERY_PATH = f"{OAUTH_PATH}/thirdparty/.well-known/openid-configuration"


@dataclass(frozen=True, slots=True)
class AuthUrls:
    """Where a region signs in and exchanges tokens, when not at the global hosts."""

    authorize_url: str
    token_url: str


@dataclass(frozen=True, slots=True)
class TeslaEndpoints:
    """The URLs of one Tesla (the real one or the emulator)."""

    discovery_url: str
    # Used when the discovery document cannot be read; discovery may override it.
    authorize_url: str
    # Tesla requires token exchanges on the fleet-auth host, whatever discovery says.
    token_url: str
    base_urls: Mapping[str, str]
    trusted_hosts: tuple[str, ...]
    is_emulator: bool = False
    # The emulator's root URL (its admin and hosted-key routes), empty for Tesla.
    emulator_url: str = ""
    # Regions with their own sign-in (China); the others use the URLs above.
    regional_auth: Mapping[str, AuthUrls] = field(default_factory=dict)

    def auth_for(self, region: str | None) -> AuthUrls | None:
        """A region's own sign-in URLs; None where the global ones serve it."""
        return self.regional_auth.get(region or "")

    def token_url_for(self, region: str | None) -> str:
        """Where a region's tokens are exchanged and refreshed."""
        own = self.auth_for(region)
        return own.token_url if own is not None else self.token_url

    def base_url(self, region: str | None) -> str:
        """The Fleet API base URL of a region (the default region when unknown)."""
        return self.base_urls.get(region or DEFAULT_REGION, self.base_urls[DEFAULT_REGION])

    def region_of(self, base_url: str) -> str | None:
        """The region whose base URL this is, if any."""
        wanted = base_url.rstrip("/")
        for region, url in self.base_urls.items():
            if url == wanted:
                return region
        return None


_FLEET_AUTH = "https://fleet-auth.prd.vn.cloud.tesla.com"
# China has its own accounts, developer portal (developer.tesla.cn) and sign-in host: the token
# endpoint https://auth.tesla.cn/oauth2/v3/token (/work/shared/docs/fleet-api.md,
# Authentication), the authorize page on the same host (xrunda/tesla-fleet-api-demo,
# tesla_oauth_demo.py: "China users must authorize and exchange tokens at auth.tesla.cn, or
# Tesla answers unauthorized_client / unsupported issuer").
_CHINA_AUTH = "https://auth.tesla.cn"

TESLA_ENDPOINTS = TeslaEndpoints(
    discovery_url=f"{_FLEET_AUTH}{DISCOVERY_PATH}",
    authorize_url="https://auth.tesla.com/oauth2/v3/authorize",
    token_url=f"{_FLEET_AUTH}{OAUTH_PATH}/token",
    base_urls=FLEET_API_URLS,
    trusted_hosts=TESLA_HOSTS,
    regional_auth=MappingProxyType(
        {
            "cn": AuthUrls(
                authorize_url=f"{_CHINA_AUTH}{OAUTH_PATH}/authorize",
                token_url=f"{_CHINA_AUTH}{OAUTH_PATH}/token",
            )
        }
    ),
)

DATA_ENDPOINTS: HassKey[TeslaEndpoints] = HassKey("tesla_fleet_direct_endpoints")


def emulator_endpoints(url: str) -> TeslaEndpoints:
    """The emulator's URLs: OAuth under its root, each region under `/<region>`."""
    root = url.rstrip("/")
    host = urlsplit(root).hostname or ""
    return TeslaEndpoints(
        discovery_url=f"{root}{DISCOVERY_PATH}",
        authorize_url=f"{root}{OAUTH_PATH}/authorize",
        token_url=f"{root}{OAUTH_PATH}/token",
        base_urls=MappingProxyType({region: f"{root}/{region}" for region in FLEET_API_URLS}),
        trusted_hosts=(host,),
        is_emulator=True,
        emulator_url=root,
    )


@callback
def async_use_emulator(hass: HomeAssistant, url: str) -> TeslaEndpoints:
    """Point this Home Assistant at the emulator (dev configuration and tests only)."""
    endpoints = hass.data[DATA_ENDPOINTS] = emulator_endpoints(url)
    return endpoints


@callback
def get_endpoints(hass: HomeAssistant) -> TeslaEndpoints:
    """Tesla's endpoints, unless the dev configuration named an emulator."""
    return hass.data.get(DATA_ENDPOINTS, TESLA_ENDPOINTS)
