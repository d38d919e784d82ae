"""Climate: the cabin (on/off, target temperature, keeper presets) and cabin overheat protection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.climate import ClimateEntity, ClimateEntityDescription
from homeassistant.components.climate.const import ATTR_HVAC_MODE, ClimateEntityFeature, HVACMode
from homeassistant.const import (
    ATTR_TEMPERATURE,
    PRECISION_HALVES,
    PRECISION_WHOLE,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api.vehicle_commands import (
    TEMP_MAX_C,
    TEMP_MIN_C,
    CabinOverheatTemp,
    ClimateKeeperMode,
    VehicleCommands,
)
from .command_errors import require_range
from .command_runner import VehicleCommander
from .const import DOMAIN
from .control_entity import (
    VehicleControlDescription,
    VehicleControlEntity,
    async_add_vehicle_controls,
)
from .devices import TeslaFleetDirectConfigEntry
from .vehicle_coordinator import TeslaVehicleCoordinator

PARALLEL_UPDATES = 0

# Presets in the order of Tesla's climate_keeper_mode values (off, keep, dog, camp).
KEEPER_PRESETS = tuple(mode.name.lower() for mode in ClimateKeeperMode)
# Tesla's fixed cabin overheat protection thresholds (°C) by the name the car reports.
COP_TEMPS = {"Low": 30, "Medium": 35, "High": 40}
COP_LEVELS = {name: CabinOverheatTemp[name.upper()] for name in COP_TEMPS}
COP_MODES = {"Off": HVACMode.OFF, "On": HVACMode.COOL, "FanOnly": HVACMode.FAN_ONLY}


@dataclass(frozen=True, kw_only=True)
class VehicleClimateDescription(VehicleControlDescription, ClimateEntityDescription):
    """A climate control of the car."""


CABIN = VehicleClimateDescription(
    key="cabin", translation_key="cabin", endpoints=frozenset({"climate_state"})
)
OVERHEAT = VehicleClimateDescription(
    key="cabin_overheat_protection",
    translation_key="cabin_overheat_protection",
    endpoints=frozenset({"climate_state"}),
    fitting_endpoints=frozenset({"vehicle_config"}),
    # Cars without it send allow_cabin_overheat_protection false (the 2015 Model S,
    # tests/fixtures/real/models_2015_teslatte_*.json).
    exists_fn=lambda car: (
        car.climate.cabin_overheat_protection is not None
        and car.climate.allow_cabin_overheat_protection is not False
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the climate entities of every car the granted scopes allow."""

    def factory(
        coordinator: TeslaVehicleCoordinator,
        description: VehicleClimateDescription,
        commander: VehicleCommander,
    ) -> VehicleControlEntity:
        cls = CabinClimate if description.key == "cabin" else OverheatProtection
        return cls(coordinator, description, commander)

    async_add_vehicle_controls(hass, entry, (CABIN, OVERHEAT), factory, async_add_entities)


class CabinClimate(VehicleControlEntity, ClimateEntity):
    """The cabin's HVAC; presets are the climate keeper modes."""

    entity_description: VehicleClimateDescription
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_hvac_modes = [HVACMode.OFF, HVACMode.HEAT_COOL]
    _attr_preset_modes = list(KEEPER_PRESETS)
    _attr_target_temperature_step = PRECISION_HALVES
    _attr_precision = PRECISION_HALVES
    _attr_supported_features = (
        ClimateEntityFeature.TARGET_TEMPERATURE
        | ClimateEntityFeature.PRESET_MODE
        | ClimateEntityFeature.TURN_ON
        | ClimateEntityFeature.TURN_OFF
    )

    def _update_attrs(self) -> None:
        climate = self.car.climate
        on = climate.is_climate_on
        self._attr_hvac_mode = None if on is None else HVACMode.HEAT_COOL if on else HVACMode.OFF
        self._attr_current_temperature = climate.inside_temp
        self._attr_target_temperature = climate.driver_temp_setting
        keeper = climate.climate_keeper_mode
        self._attr_preset_mode = keeper if keeper in KEEPER_PRESETS else None
        # Tesla's range until the car reports its own.
        low, high = climate.min_avail_temp, climate.max_avail_temp
        self._attr_min_temp = low if low is not None else TEMP_MIN_C
        self._attr_max_temp = high if high is not None else TEMP_MAX_C

    async def async_turn_on(self) -> None:
        """Start the cabin climate."""
        await self.async_send(
            VehicleCommands.auto_conditioning_start, climate_state={"is_climate_on": True}
        )

    async def async_turn_off(self) -> None:
        """Stop the cabin climate (keeper modes end with it)."""
        await self.async_send(
            VehicleCommands.auto_conditioning_stop,
            climate_state={"is_climate_on": False, "climate_keeper_mode": "off"},
        )

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Off, or heat/cool to the target."""
        if hvac_mode == HVACMode.OFF:
            await self.async_turn_off()
        else:
            await self.async_turn_on()

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Set both front zones to the target (°C), then the mode if one was given."""
        if (temp := kwargs.get(ATTR_TEMPERATURE)) is not None:
            # The car's own range, which may be narrower than the API's.
            require_range(temp, self.min_temp, self.max_temp, field="temperature")
            await self.async_send(
                lambda car: car.set_temps(temp, temp),
                climate_state={"driver_temp_setting": temp, "passenger_temp_setting": temp},
            )
        if (mode := kwargs.get(ATTR_HVAC_MODE)) is not None:
            await self.async_set_hvac_mode(mode)

    async def async_set_preset_mode(self, preset_mode: str) -> None:
        """Keep, dog or camp mode (keeps the climate running); off ends it."""
        shown: dict[str, Any] = {"climate_keeper_mode": preset_mode}
        if preset_mode != "off":
            shown["is_climate_on"] = True
        mode = ClimateKeeperMode[preset_mode.upper()]
        await self.async_send(lambda car: car.set_climate_keeper_mode(mode), climate_state=shown)


class OverheatProtection(VehicleControlEntity, ClimateEntity):
    """Cabin overheat protection: off, cooling (A/C) or fan only, at Tesla's three thresholds."""

    entity_description: VehicleClimateDescription

    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_min_temp = float(min(COP_TEMPS.values()))
    _attr_max_temp = float(max(COP_TEMPS.values()))
    _attr_target_temperature_step = 5
    _attr_precision = PRECISION_WHOLE

    def _update_attrs(self) -> None:
        # What this car offers: fan-only protection and a choice of threshold are not on every
        # car (supports_fan_only_cabin_overheat_protection; vehicle_config.cop_user_set_temp_
        # supported, which HA core tesla_fleet/climate.py checks for the target temperature).
        car = self.car
        climate = car.climate
        fan_only = climate.supports_fan_only_cabin_overheat_protection
        self._attr_hvac_modes = [
            mode
            for mode in COP_MODES.values()
            if mode != HVACMode.FAN_ONLY or fan_only is not False
        ]
        features = ClimateEntityFeature.TURN_ON | ClimateEntityFeature.TURN_OFF
        if car.config.cop_user_set_temp_supported:
            features |= ClimateEntityFeature.TARGET_TEMPERATURE
        self._attr_supported_features = features
        self._attr_hvac_mode = COP_MODES.get(str(climate.cabin_overheat_protection))
        self._attr_current_temperature = climate.inside_temp
        self._attr_target_temperature = COP_TEMPS.get(str(climate.cop_activation_temperature))

    async def async_turn_on(self) -> None:
        """Protect with the A/C."""
        await self.async_set_hvac_mode(HVACMode.COOL)

    async def async_turn_off(self) -> None:
        """Stop protecting."""
        await self.async_set_hvac_mode(HVACMode.OFF)

    async def async_set_hvac_mode(self, hvac_mode: HVACMode) -> None:
        """Off, cool or fan only."""
        name = next(k for k, v in COP_MODES.items() if v == hvac_mode)
        on, fan_only = hvac_mode != HVACMode.OFF, hvac_mode == HVACMode.FAN_ONLY
        await self.async_send(
            lambda car: car.set_cabin_overheat_protection(on, fan_only=fan_only),
            climate_state={"cabin_overheat_protection": name},
        )

    async def async_set_temperature(self, **kwargs: Any) -> None:
        """Pick one of Tesla's thresholds (30, 35 or 40 °C)."""
        if (temp := kwargs.get(ATTR_TEMPERATURE)) is not None:
            level = next((k for k, v in COP_TEMPS.items() if v == temp), None)
            if level is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="cop_temperature_invalid",
                    translation_placeholders={"value": str(temp)},
                )
            cop_temp = COP_LEVELS[level]
            await self.async_send(
                lambda car: car.set_cop_temp(cop_temp),
                climate_state={"cop_activation_temperature": level},
            )
        if (mode := kwargs.get(ATTR_HVAC_MODE)) is not None:
            await self.async_set_hvac_mode(mode)
