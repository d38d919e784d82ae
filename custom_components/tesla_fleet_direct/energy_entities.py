"""Energy-site and wall-connector entities; sensor.py and binary_sensor.py add them per site."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.helpers.typing import StateType

from .api.energy_data import LiveStatus, SiteInfo, WallConnector
from .energy_coordinator import (
    EnergySiteData,
    TeslaEnergySiteCoordinator,
    components,
    wall_connector_dins,
)
from .entity import TeslaEnergySiteEntity

ISLAND_STATUSES = [
    "on_grid",
    "off_grid",
    "off_grid_intentional",
    "off_grid_unintentional",
    "island_status_unknown",
]
OPERATION_MODES = ["self_consumption", "autonomous", "backup"]


def _always(_info: SiteInfo) -> bool:
    return True


def _battery(info: SiteInfo) -> bool:
    return bool(components(info).get("battery"))


def _solar(info: SiteInfo) -> bool:
    return bool(components(info).get("solar"))


def _grid(info: SiteInfo) -> bool:
    return bool(components(info).get("grid"))


def _connector(live: LiveStatus, din: str) -> WallConnector | None:
    return next((wc for wc in live.wall_connectors if wc.din == din), None)


def _choice(value: str | None, options: list[str]) -> str | None:
    # An unknown value from a newer firmware shows as unknown instead of failing validation.
    return value if value in options else None


@dataclass(frozen=True, kw_only=True)
class EnergySiteSensorDescription(SensorEntityDescription):
    """A site sensor: its value from the latest data, and whether this site has it."""

    value_fn: Callable[[EnergySiteData], StateType]
    exists_fn: Callable[[SiteInfo], bool] = _always


@dataclass(frozen=True, kw_only=True)
class WallConnectorSensorDescription(SensorEntityDescription):
    """A sensor of one wall connector."""

    value_fn: Callable[[WallConnector], StateType]


@dataclass(frozen=True, kw_only=True)
class EnergySiteBinarySensorDescription(BinarySensorEntityDescription):
    """A site binary sensor."""

    value_fn: Callable[[EnergySiteData], bool | None]
    exists_fn: Callable[[SiteInfo], bool] = _always


def _power(
    key: str,
    value_fn: Callable[[EnergySiteData], StateType],
    exists_fn: Callable[[SiteInfo], bool] = _always,
    *,
    enabled: bool = True,
) -> EnergySiteSensorDescription:
    return EnergySiteSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
        exists_fn=exists_fn,
    )


SITE_SENSORS: tuple[EnergySiteSensorDescription, ...] = (
    _power("solar_power", lambda d: d.live.solar_power, _solar),
    _power("battery_power", lambda d: d.live.battery_power, _battery),
    _power("load_power", lambda d: d.live.load_power),
    _power("grid_power", lambda d: d.live.grid_power, _grid),
    _power("grid_services_power", lambda d: d.live.grid_services_power, _battery, enabled=False),
    _power("generator_power", lambda d: d.live.generator_power, enabled=False),
    EnergySiteSensorDescription(
        key="percentage_charged",
        translation_key="percentage_charged",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=lambda d: d.live.percentage_charged,
        exists_fn=_battery,
    ),
    EnergySiteSensorDescription(
        key="energy_left",
        translation_key="energy_left",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda d: d.live.energy_left,
        exists_fn=_battery,
    ),
    EnergySiteSensorDescription(
        key="total_pack_energy",
        translation_key="total_pack_energy",
        device_class=SensorDeviceClass.ENERGY_STORAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
        suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.live.total_pack_energy,
        exists_fn=_battery,
    ),
    EnergySiteSensorDescription(
        key="island_status",
        translation_key="island_status",
        device_class=SensorDeviceClass.ENUM,
        options=ISLAND_STATUSES,
        value_fn=lambda d: _choice(d.live.island_status, ISLAND_STATUSES),
        exists_fn=_grid,
    ),
    EnergySiteSensorDescription(
        key="backup_reserve",
        translation_key="backup_reserve",
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda d: d.info.backup_reserve_percent,
        exists_fn=_battery,
    ),
    EnergySiteSensorDescription(
        key="operation_mode",
        translation_key="operation_mode",
        device_class=SensorDeviceClass.ENUM,
        options=OPERATION_MODES,
        value_fn=lambda d: _choice(d.info.default_real_mode, OPERATION_MODES),
        exists_fn=_battery,
    ),
)

WALL_CONNECTOR_SENSORS: tuple[WallConnectorSensorDescription, ...] = (
    WallConnectorSensorDescription(
        key="wall_connector_power",
        translation_key="wall_connector_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=lambda wc: wc.power,
    ),
    # Tesla does not document the state and fault codes, so they are shown as the raw numbers
    # for diagnosis rather than guessed names.
    WallConnectorSensorDescription(
        key="wall_connector_state",
        translation_key="wall_connector_state",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda wc: wc.state,
    ),
    WallConnectorSensorDescription(
        key="wall_connector_fault_state",
        translation_key="wall_connector_fault_state",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda wc: wc.fault_state,
    ),
)

SITE_BINARY_SENSORS: tuple[EnergySiteBinarySensorDescription, ...] = (
    EnergySiteBinarySensorDescription(
        key="storm_mode_active",
        translation_key="storm_mode_active",
        value_fn=lambda d: d.live.storm_mode_active,
        exists_fn=_battery,
    ),
    EnergySiteBinarySensorDescription(
        key="grid_services_active",
        translation_key="grid_services_active",
        device_class=BinarySensorDeviceClass.RUNNING,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.live.grid_services_active,
        exists_fn=_battery,
    ),
    EnergySiteBinarySensorDescription(
        key="grid_status",
        translation_key="grid_status",
        device_class=BinarySensorDeviceClass.POWER,
        value_fn=lambda d: (
            None if d.live.island_status is None else d.live.island_status == "on_grid"
        ),
        exists_fn=_grid,
    ),
)


class TeslaEnergySiteSensor(TeslaEnergySiteEntity, SensorEntity):
    """A sensor of an energy site."""

    entity_description: EnergySiteSensorDescription

    @property
    def native_value(self) -> StateType:
        """The value from the latest data."""
        data = self.coordinator.data
        return self.entity_description.value_fn(data) if data else None


class TeslaWallConnectorSensor(TeslaEnergySiteEntity, SensorEntity):
    """A sensor of one wall connector of a site."""

    entity_description: WallConnectorSensorDescription

    def __init__(
        self,
        coordinator: TeslaEnergySiteCoordinator,
        description: WallConnectorSensorDescription,
        din: str,
    ) -> None:
        """Bind the description to the connector with this DIN."""
        super().__init__(
            coordinator,
            description,
            product_id=din,
            device_info=coordinator.wall_connector_device_info(din),
        )
        self.din = din

    @property
    def native_value(self) -> StateType:
        """The connector's value; unknown while the site does not report this connector."""
        data = self.coordinator.data
        connector = _connector(data.live, self.din) if data else None
        return self.entity_description.value_fn(connector) if connector else None


class TeslaEnergySiteBinarySensor(TeslaEnergySiteEntity, BinarySensorEntity):
    """A binary sensor of an energy site."""

    entity_description: EnergySiteBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The value from the latest data."""
        data = self.coordinator.data
        return self.entity_description.value_fn(data) if data else None


def energy_site_sensors(
    coordinators: Iterable[TeslaEnergySiteCoordinator],
) -> list[SensorEntity]:
    """The sensors of these sites: only what each site's components make meaningful."""
    entities: list[SensorEntity] = []
    for coordinator in coordinators:
        info = coordinator.data.info if coordinator.data else None
        entities.extend(
            TeslaEnergySiteSensor(coordinator, description)
            for description in SITE_SENSORS
            if info is None or description.exists_fn(info)
        )
        dins = list(wall_connector_dins(info))
        if coordinator.data:
            dins += [wc.din for wc in coordinator.data.live.wall_connectors if wc.din]
        entities.extend(
            TeslaWallConnectorSensor(coordinator, description, din)
            for din in dict.fromkeys(dins)
            for description in WALL_CONNECTOR_SENSORS
        )
    return entities


def energy_site_binary_sensors(
    coordinators: Iterable[TeslaEnergySiteCoordinator],
) -> list[BinarySensorEntity]:
    """The binary sensors of these sites."""
    entities: list[BinarySensorEntity] = []
    for coordinator in coordinators:
        info = coordinator.data.info if coordinator.data else None
        entities.extend(
            TeslaEnergySiteBinarySensor(coordinator, description)
            for description in SITE_BINARY_SENSORS
            if info is None or description.exists_fn(info)
        )
    return entities
