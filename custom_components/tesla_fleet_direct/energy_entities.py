"""Energy-site and wall-connector entities; sensor.py and binary_sensor.py add them per site."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
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
from .control_entity import SCOPE_ENERGY_CMDS
from .energy_coordinator import EnergySiteData, TeslaEnergySiteCoordinator, wall_connector_dins
from .entity import TeslaEnergySiteEntity

# A car's name on this account by VIN (None for a car the account does not have).
type CarNames = Callable[[str], str | None]
# What the Wall Connector vehicle sensor shows with no car plugged in (as teslemetry/sensor.py).
NO_CAR = "disconnected"

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


# What the site has, from site_info.components, as Home Assistant's own Tesla integrations gate
# their entities (home-assistant/core homeassistant/components/tesla_fleet/ and teslemetry/:
# sensor.py, binary_sensor.py, switch.py, number.py, `components_*` checks).


def _battery(info: SiteInfo) -> bool:
    return info.has_battery


def _solar(info: SiteInfo) -> bool:
    return info.has_solar


def _grid(info: SiteInfo) -> bool:
    return info.has_grid


def _metered(info: SiteInfo) -> bool:
    # A site of wall connectors alone measures no home load (nor a generator): its live status
    # reports zeros there, which would read as real figures.
    return info.has_load_meter


def _storm_watch(info: SiteInfo) -> bool:
    return info.storm_mode_capable


# island_status -> grid up; `island_status_unknown` (a site without a gateway) is unknown.
GRID_UP = {
    "on_grid": True,
    "off_grid": False,
    "off_grid_intentional": False,
    "off_grid_unintentional": False,
}


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
    # Shows what an energy_cmds control also shows: disabled by default when that is granted.
    mirrors_control: bool = False


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
    _power("load_power", lambda d: d.live.load_power, _metered),
    _power("grid_power", lambda d: d.live.grid_power, _grid),
    _power("grid_services_power", lambda d: d.live.grid_services_power, _battery, enabled=False),
    _power("generator_power", lambda d: d.live.generator_power, _metered, enabled=False),
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
        mirrors_control=True,
    ),
    EnergySiteSensorDescription(
        key="operation_mode",
        translation_key="operation_mode",
        device_class=SensorDeviceClass.ENUM,
        options=OPERATION_MODES,
        value_fn=lambda d: _choice(d.info.default_real_mode, OPERATION_MODES),
        exists_fn=_battery,
        mirrors_control=True,
    ),
    # The reserve a virtual power plant programme keeps (HA core tesla_fleet/sensor.py and
    # teslemetry/sensor.py ENERGY_INFO_DESCRIPTIONS).
    EnergySiteSensorDescription(
        key="vpp_backup_reserve",
        translation_key="vpp_backup_reserve",
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.info.vpp_backup_reserve_percent,
        exists_fn=_battery,
    ),
    # The gateway's firmware (site_info.version; a site without a gateway sends none).
    EnergySiteSensorDescription(
        key="version",
        translation_key="version",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.info.version,
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
        exists_fn=_storm_watch,
    ),
    EnergySiteBinarySensorDescription(
        key="backup_capable",
        translation_key="backup_capable",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.live.backup_capable,
        exists_fn=_battery,
    ),
    EnergySiteBinarySensorDescription(
        key="grid_services_enabled",
        translation_key="grid_services_enabled",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.info.grid_services_enabled,
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
        value_fn=lambda d: GRID_UP.get(d.live.island_status or ""),
        exists_fn=_grid,
    ),
)


class TeslaEnergySiteSensor(TeslaEnergySiteEntity, SensorEntity):
    """A sensor of an energy site."""

    entity_description: EnergySiteSensorDescription

    def __init__(
        self,
        coordinator: TeslaEnergySiteCoordinator,
        description: EnergySiteSensorDescription,
        *,
        scopes: Collection[str] = (),
    ) -> None:
        """Bind to the site; a mirror of a granted control starts disabled."""
        super().__init__(coordinator, description)
        if description.mirrors_control and SCOPE_ENERGY_CMDS in scopes:
            self._attr_entity_registry_enabled_default = False

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
        connector = self._connector()
        return self.entity_description.value_fn(connector) if connector else None

    def _connector(self) -> WallConnector | None:
        data = self.coordinator.data
        return _connector(data.live, self.din) if data else None


WALL_CONNECTOR_VEHICLE = WallConnectorSensorDescription(
    key="wall_connector_vehicle",
    translation_key="wall_connector_vehicle",
    value_fn=lambda wc: wc.vin,
)


class TeslaWallConnectorVehicleSensor(TeslaWallConnectorSensor):
    """The car plugged into a wall connector: its name when it is one of the account's cars.

    Tesla names it by VIN in live_status (`wall_connectors[].vin`, only while a car is plugged
    in; home-assistant/core teslemetry/sensor.py `vin`).
    """

    def __init__(
        self, coordinator: TeslaEnergySiteCoordinator, din: str, car_names: CarNames
    ) -> None:
        """Bind to the connector; `car_names` turns a VIN into the car's name."""
        super().__init__(coordinator, WALL_CONNECTOR_VEHICLE, din)
        self._car_names = car_names

    @property
    def native_value(self) -> StateType:
        """The car's name (or VIN), `disconnected` without a car."""
        if (connector := self._connector()) is None:
            return None
        if not connector.vin:
            return NO_CAR
        return self._car_names(connector.vin) or connector.vin


class TeslaEnergySiteBinarySensor(TeslaEnergySiteEntity, BinarySensorEntity):
    """A binary sensor of an energy site."""

    entity_description: EnergySiteBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The value from the latest data."""
        data = self.coordinator.data
        return self.entity_description.value_fn(data) if data else None


def _no_names(_vin: str) -> str | None:
    return None


def energy_site_sensors(
    coordinators: Iterable[TeslaEnergySiteCoordinator],
    *,
    scopes: Collection[str] = (),
    car_names: CarNames = _no_names,
) -> list[SensorEntity]:
    """The sensors of these sites: only what each site's components make meaningful."""
    entities: list[SensorEntity] = []
    for coordinator in coordinators:
        info = coordinator.data.info if coordinator.data else None
        entities.extend(
            TeslaEnergySiteSensor(coordinator, description, scopes=scopes)
            for description in SITE_SENSORS
            if info is None or description.exists_fn(info)
        )
        dins = list(wall_connector_dins(info))
        if coordinator.data:
            dins += [wc.din for wc in coordinator.data.live.wall_connectors if wc.din]
        for din in dict.fromkeys(dins):
            entities.extend(
                TeslaWallConnectorSensor(coordinator, description, din)
                for description in WALL_CONNECTOR_SENSORS
            )
            entities.append(TeslaWallConnectorVehicleSensor(coordinator, din, car_names))
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
