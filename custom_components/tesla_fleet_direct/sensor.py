"""Sensors: vehicle data, energy site data and the account's API cost meter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_NAME,
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfLength,
    UnitOfPower,
    UnitOfPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api.accounting import COUNTED_CATEGORIES
from .api.car_state import CarState
from .api.vehicle_data import ChargingState, Section
from .const import DOMAIN, LOGGER
from .control_entity import CHARGING_SCOPES
from .devices import TeslaFleetDirectConfigEntry, async_listen_vehicles
from .energy_coordinator import TeslaEnergySiteCoordinator
from .energy_entities import energy_site_sensors
from .energy_sites import async_listen_energy_sites
from .entity import TeslaRememberingVehicleEntity
from .models import TeslaFleetDirectData
from .vehicle_coordinator import LOCATION_ENDPOINT, TeslaVehicleCoordinator, VehicleSnapshot

# Entities only read the coordinators' data; commands are serialised elsewhere.
PARALLEL_UPDATES = 0

type SensorValue = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class TeslaVehicleSensorEntityDescription(SensorEntityDescription):
    """A vehicle sensor: which `vehicle_data` endpoints it needs and how to read its value."""

    endpoints: frozenset[str]
    value_fn: Callable[[CarState], SensorValue]
    # Created only when the user granted the location scope.
    needs_location: bool = False
    # The scopes of a control that shows the same thing (e.g. the charge limit number): when
    # one is granted, this read-only mirror starts disabled so the value is not shown twice.
    mirror_of: frozenset[str] = frozenset()


# Tesla's charging_state -> the sensor's option (HA core tesla_fleet/sensor.py CHARGE_STATES).
CHARGING_OPTIONS: Mapping[ChargingState, str] = {
    ChargingState.STARTING: "starting",
    ChargingState.CHARGING: "charging",
    ChargingState.STOPPED: "stopped",
    ChargingState.COMPLETE: "complete",
    ChargingState.DISCONNECTED: "disconnected",
    ChargingState.NO_POWER: "no_power",
}
# charging_state values Tesla sent that we do not know yet, each logged once.
_UNKNOWN_CHARGING_STATES: set[str] = set()


def _charging_state(car: CarState) -> SensorValue:
    """Tesla's charging state as an option; a value Tesla adds later reads as unknown."""
    if (state := car.charge.state) is not None:
        return CHARGING_OPTIONS[state]
    value = car.charge.charging_state
    if value is not None and value not in _UNKNOWN_CHARGING_STATES:
        _UNKNOWN_CHARGING_STATES.add(value)
        LOGGER.warning("Tesla sent a charging state this version does not know: %s", value)
    return None


def _tyre_pressure(wheel: str) -> Callable[[CarState], SensorValue]:
    """A wheel's pressure; a sensor that has not reported (0.0 or null) is unknown."""
    return lambda car: car.vehicle.tpms_pressure(wheel)


def _time_to_full(car: CarState) -> SensorValue:
    """When the charge completes, as a timestamp (only while charging)."""
    charge = car.charge
    minutes = charge.minutes_to_full_charge
    if charge.state is not ChargingState.CHARGING or minutes is None or minutes <= 0:
        return None
    if (sent := car.observed_at(Section.CHARGE_STATE, "minutes_to_full_charge")) is None:
        return None
    # Counted from when Tesla sent the figure, whole minutes, so it does not creep each poll.
    done = dt_util.utc_from_timestamp(sent) + timedelta(minutes=minutes)
    return done.replace(second=0, microsecond=0)


def _shift_state(car: CarState) -> SensorValue:
    """Tesla sends no shift state (null) while parked."""
    if not car.has(Section.DRIVE_STATE):
        return None
    value = car.drive.shift_state
    return value.lower() if value is not None else "p"


CHARGE = frozenset({"charge_state"})
CLIMATE = frozenset({"climate_state"})
DRIVE = frozenset({"drive_state"})
VEHICLE = frozenset({"vehicle_state"})
ROUTE = frozenset({"drive_state", LOCATION_ENDPOINT})

VEHICLE_SENSORS: tuple[TeslaVehicleSensorEntityDescription, ...] = (
    TeslaVehicleSensorEntityDescription(
        key="battery_level",
        translation_key="battery_level",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.battery_level,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
    ),
    TeslaVehicleSensorEntityDescription(
        key="usable_battery_level",
        translation_key="usable_battery_level",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.usable_battery_level,
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="battery_range",
        translation_key="battery_range",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.battery_range,
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.MILES,
        suggested_display_precision=1,
    ),
    TeslaVehicleSensorEntityDescription(
        key="est_battery_range",
        translation_key="est_battery_range",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.est_battery_range,
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.MILES,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="ideal_battery_range",
        translation_key="ideal_battery_range",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.ideal_battery_range,
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.MILES,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charging_state",
        translation_key="charging_state",
        endpoints=CHARGE,
        value_fn=_charging_state,
        device_class=SensorDeviceClass.ENUM,
        options=list(CHARGING_OPTIONS.values()),
    ),
    TeslaVehicleSensorEntityDescription(
        key="charger_power",
        translation_key="charger_power",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charger_power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charger_voltage",
        translation_key="charger_voltage",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charger_voltage,
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charger_actual_current",
        translation_key="charger_actual_current",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charger_actual_current,
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charge_rate",
        translation_key="charge_rate",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charge_rate,
        device_class=SensorDeviceClass.SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfSpeed.MILES_PER_HOUR,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charge_energy_added",
        translation_key="charge_energy_added",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charge_energy_added,
        device_class=SensorDeviceClass.ENERGY,
        # Tesla resets it when a new charge session starts.
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
    ),
    TeslaVehicleSensorEntityDescription(
        key="time_to_full_charge",
        translation_key="time_to_full_charge",
        endpoints=CHARGE,
        value_fn=_time_to_full,
        device_class=SensorDeviceClass.TIMESTAMP,
    ),
    TeslaVehicleSensorEntityDescription(
        key="charge_limit_soc",
        translation_key="charge_limit_soc",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charge_limit_soc,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        entity_category=EntityCategory.DIAGNOSTIC,
        mirror_of=CHARGING_SCOPES,
    ),
    TeslaVehicleSensorEntityDescription(
        key="conn_charge_cable",
        translation_key="conn_charge_cable",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.conn_charge_cable,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="fast_charger_type",
        translation_key="fast_charger_type",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.fast_charger_type,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="odometer",
        translation_key="odometer",
        endpoints=VEHICLE,
        value_fn=lambda car: car.vehicle.odometer,
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfLength.MILES,
        suggested_display_precision=0,
    ),
    TeslaVehicleSensorEntityDescription(
        key="speed",
        translation_key="speed",
        endpoints=DRIVE,
        value_fn=lambda car: car.drive.speed,
        device_class=SensorDeviceClass.SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfSpeed.MILES_PER_HOUR,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="power",
        translation_key="power",
        endpoints=DRIVE,
        value_fn=lambda car: car.drive.power,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="shift_state",
        translation_key="shift_state",
        endpoints=DRIVE,
        value_fn=_shift_state,
        device_class=SensorDeviceClass.ENUM,
        options=["p", "d", "r", "n"],
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="inside_temp",
        translation_key="inside_temp",
        endpoints=CLIMATE,
        value_fn=lambda car: car.climate.inside_temp,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
    TeslaVehicleSensorEntityDescription(
        key="outside_temp",
        translation_key="outside_temp",
        endpoints=CLIMATE,
        value_fn=lambda car: car.climate.outside_temp,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
    ),
    TeslaVehicleSensorEntityDescription(
        key="driver_temp_setting",
        translation_key="driver_temp_setting",
        endpoints=CLIMATE,
        value_fn=lambda car: car.climate.driver_temp_setting,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="passenger_temp_setting",
        translation_key="passenger_temp_setting",
        endpoints=CLIMATE,
        value_fn=lambda car: car.climate.passenger_temp_setting,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
    ),
    *(
        TeslaVehicleSensorEntityDescription(
            key=f"tpms_pressure_{corner}",
            translation_key=f"tpms_pressure_{corner}",
            endpoints=VEHICLE,
            value_fn=_tyre_pressure(corner),
            device_class=SensorDeviceClass.PRESSURE,
            state_class=SensorStateClass.MEASUREMENT,
            native_unit_of_measurement=UnitOfPressure.BAR,
            suggested_display_precision=2,
            entity_category=EntityCategory.DIAGNOSTIC,
            entity_registry_enabled_default=False,
        )
        for corner in ("fl", "fr", "rl", "rr")
    ),
    TeslaVehicleSensorEntityDescription(
        key="car_version",
        translation_key="car_version",
        endpoints=VEHICLE,
        value_fn=lambda car: car.vehicle.car_version,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    TeslaVehicleSensorEntityDescription(
        key="active_route_destination",
        translation_key="active_route_destination",
        endpoints=ROUTE,
        value_fn=lambda car: car.location.active_route_destination,
        needs_location=True,
    ),
    TeslaVehicleSensorEntityDescription(
        key="active_route_miles_to_arrival",
        translation_key="active_route_miles_to_arrival",
        endpoints=ROUTE,
        value_fn=lambda car: car.location.active_route_miles_to_arrival,
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.MILES,
        suggested_display_precision=1,
        needs_location=True,
    ),
    TeslaVehicleSensorEntityDescription(
        key="active_route_minutes_to_arrival",
        translation_key="active_route_minutes_to_arrival",
        endpoints=ROUTE,
        value_fn=lambda car: car.location.active_route_minutes_to_arrival,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        needs_location=True,
    ),
    TeslaVehicleSensorEntityDescription(
        key="active_route_energy_at_arrival",
        translation_key="active_route_energy_at_arrival",
        endpoints=ROUTE,
        value_fn=lambda car: car.location.active_route_energy_at_arrival,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        needs_location=True,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleSensorEntityDescription(
        key="active_route_traffic_minutes_delay",
        translation_key="active_route_traffic_minutes_delay",
        endpoints=ROUTE,
        value_fn=lambda car: car.location.active_route_traffic_minutes_delay,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        needs_location=True,
        entity_registry_enabled_default=False,
    ),
)


class TeslaVehicleSensor(TeslaRememberingVehicleEntity, RestoreSensor):
    """A vehicle sensor that shows its last known value while the car sleeps."""

    entity_description: TeslaVehicleSensorEntityDescription

    def __init__(
        self,
        coordinator: TeslaVehicleCoordinator,
        description: TeslaVehicleSensorEntityDescription,
    ) -> None:
        """Bind to the car; a mirror of a control the user may use starts disabled."""
        super().__init__(coordinator, description, endpoints=description.endpoints)
        if not description.mirror_of.isdisjoint(coordinator.scopes):
            self._attr_entity_registry_enabled_default = False

    def _update_from(self, snapshot: VehicleSnapshot) -> None:
        self._attr_native_value = self.entity_description.value_fn(snapshot.car)

    async def _async_restore(self) -> None:
        if last := await self.async_get_last_sensor_data():
            self._attr_native_value = last.native_value


@dataclass(frozen=True, kw_only=True)
class CostMeterSensorEntityDescription(SensorEntityDescription):
    """An account-level sensor about the API traffic itself."""

    value_fn: Callable[[TeslaFleetDirectData], SensorValue]


def _requests(period: str, category: str) -> CostMeterSensorEntityDescription:
    def read(data: TeslaFleetDirectData) -> SensorValue:
        meter = data.meter
        return meter.today(category) if period == "today" else meter.month(category)

    return CostMeterSensorEntityDescription(
        key=f"requests_{category}_{period}",
        translation_key=f"requests_{category}_{period}",
        value_fn=read,
        # Counts restart each day / billing month.
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="requests",
        entity_category=EntityCategory.DIAGNOSTIC,
        # Data requests are what the budget is about, and energy requests show what the sites'
        # polling amounts to (not billed); commands and wakes are for the curious.
        entity_registry_enabled_default=category in ("data", "energy"),
    )


def _projected_cost(data: TeslaFleetDirectData) -> SensorValue:
    projected = data.meter.projected_month_cost_usd()
    return round(projected, 2) if projected is not None else None


COST_METER_SENSORS: tuple[CostMeterSensorEntityDescription, ...] = (
    *(
        _requests(period, category)
        for period in ("today", "month")
        for category in COUNTED_CATEGORIES
    ),
    CostMeterSensorEntityDescription(
        key="signals_month",
        translation_key="signals_month",
        value_fn=lambda data: data.meter.signals_month(),
        # Restarts each billing month, like the request counts.
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="signals",
        entity_category=EntityCategory.DIAGNOSTIC,
        # Enabled by default: billed, like the data requests it stands in for while cars stream.
    ),
    CostMeterSensorEntityDescription(
        key="cost_month",
        translation_key="cost_month",
        # Requests and streamed signals: what the budget has spent.
        value_fn=lambda data: round(data.meter.month_cost_usd(), 2),
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement="USD",
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    CostMeterSensorEntityDescription(
        key="cost_month_projected",
        translation_key="cost_month_projected",
        value_fn=_projected_cost,
        device_class=SensorDeviceClass.MONETARY,
        # A forecast, not an amount that accumulates: no long-term sums (monetary sensors
        # allow only `total` or no state class).
        state_class=None,
        native_unit_of_measurement="USD",
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    CostMeterSensorEntityDescription(
        key="rate_limit_lifted",
        translation_key="rate_limit_lifted",
        value_fn=lambda data: data.polling.gate.blocked_until,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
)


class TeslaCostMeterSensor(SensorEntity):
    """One figure of the account's API cost meter (a service device per account)."""

    _attr_has_entity_name = True
    # Local arithmetic only: polled so day and month roll-overs, the 429 wait and streamed
    # signals (which do not call the meter's listeners) show.
    _attr_should_poll = True
    entity_description: CostMeterSensorEntityDescription

    def __init__(
        self,
        entry: TeslaFleetDirectConfigEntry,
        description: CostMeterSensorEntityDescription,
    ) -> None:
        """Bind to the entry's account."""
        self.entity_description = description
        self._data: TeslaFleetDirectData = entry.runtime_data
        account_id = entry.unique_id or entry.entry_id
        self._attr_unique_id = f"{account_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"account-{account_id}")},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Tesla",
            model="Fleet API",
            name=entry.title,
        )

    async def async_added_to_hass(self) -> None:
        """Follow every counted request."""
        self.async_on_remove(self._data.meter.async_add_listener(self.async_write_ha_state))

    async def async_update(self) -> None:
        """Nothing to fetch: the figures are read from the meter when the state is written."""

    @property
    def native_value(self) -> SensorValue:
        """The current figure."""
        return self.entity_description.value_fn(self._data)


def vehicle_sensors(coordinator: TeslaVehicleCoordinator) -> list[TeslaVehicleSensor]:
    """The sensors of one car that its granted scopes allow."""
    if not coordinator.data_allowed:
        return []
    return [
        TeslaVehicleSensor(coordinator, description)
        for description in VEHICLE_SENSORS
        if coordinator.location_allowed or not description.needs_location
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every car now and for cars that appear later."""

    @callback
    def add_vehicle(coordinator: TeslaVehicleCoordinator) -> None:
        async_add_entities(vehicle_sensors(coordinator))

    async_listen_vehicles(hass, entry, add_vehicle)

    def car_name(vin: str) -> str | None:
        car = entry.runtime_data.vehicles.coordinators.get(vin)
        name = car.device_info.get(ATTR_NAME) if car is not None else None
        return name if isinstance(name, str) else None

    @callback
    def add_site(coordinator: TeslaEnergySiteCoordinator) -> None:
        async_add_entities(
            energy_site_sensors([coordinator], scopes=entry.runtime_data.scopes, car_names=car_name)
        )

    async_listen_energy_sites(hass, entry, add_site)
    async_add_entities(TeslaCostMeterSensor(entry, d) for d in COST_METER_SENSORS)
