"""Binary sensors: the car's state, closures, charging and warnings (and energy sites')."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .api.car_state import CarState
from .control_entity import CHARGING_SCOPES, VEHICLE_SCOPES
from .devices import TeslaFleetDirectConfigEntry, async_listen_vehicles
from .energy_coordinator import TeslaEnergySiteCoordinator
from .energy_entities import energy_site_binary_sensors
from .energy_sites import async_listen_energy_sites
from .entity import TeslaRememberingVehicleEntity, TeslaVehicleEntity
from .streaming_upkeep import StreamingSettings
from .vehicle_coordinator import TeslaVehicleCoordinator, VehicleSnapshot

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class TeslaVehicleBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A vehicle binary sensor: the endpoints it needs and how to read it."""

    endpoints: frozenset[str]
    # None: the car's connectivity, from the free state check (no vehicle data, no restore).
    value_fn: Callable[[CarState], bool | None] | None
    # The scopes of a control that shows the same thing (the charge switch, the frunk cover,
    # ...): when one is granted, this read-only mirror starts disabled.
    mirror_of: frozenset[str] = frozenset()


def _known[T](value: T | None, on: Callable[[T], bool]) -> bool | None:
    """`on(value)`, or None while the value is unknown."""
    return None if value is None else on(value)


def _open(value: int | None) -> bool | None:
    # Doors, windows and trunks: 0 closed, anything else (1, or a vent position) open.
    return None if value is None else value != 0


def _opened(read: Callable[[CarState], int | None]) -> Callable[[CarState], bool | None]:
    return lambda car: _open(read(car))


def _plugged(cable: str) -> bool:
    # Tesla sends "<invalid>" (or nothing) without a cable.
    return cable not in ("", "<invalid>")


CHARGING_STATES = frozenset({"Charging", "Starting"})
CHARGE = frozenset({"charge_state"})
CLIMATE = frozenset({"climate_state"})
VEHICLE = frozenset({"vehicle_state"})

type Read[T] = Callable[[CarState], T | None]

DOORS: tuple[tuple[str, Read[int]], ...] = (
    ("df", lambda car: car.vehicle.df),
    ("dr", lambda car: car.vehicle.dr),
    ("pf", lambda car: car.vehicle.pf),
    ("pr", lambda car: car.vehicle.pr),
)
WINDOWS: tuple[tuple[str, Read[int]], ...] = (
    ("fd_window", lambda car: car.vehicle.fd_window),
    ("fp_window", lambda car: car.vehicle.fp_window),
    ("rd_window", lambda car: car.vehicle.rd_window),
    ("rp_window", lambda car: car.vehicle.rp_window),
)
TYRE_WARNINGS: tuple[tuple[str, Read[bool]], ...] = (
    ("fl", lambda car: car.vehicle.tpms_soft_warning_fl),
    ("fr", lambda car: car.vehicle.tpms_soft_warning_fr),
    ("rl", lambda car: car.vehicle.tpms_soft_warning_rl),
    ("rr", lambda car: car.vehicle.tpms_soft_warning_rr),
)

VEHICLE_BINARY_SENSORS: tuple[TeslaVehicleBinarySensorEntityDescription, ...] = (
    TeslaVehicleBinarySensorEntityDescription(
        key="state",
        translation_key="state",
        endpoints=frozenset(),
        value_fn=None,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="charge_cable",
        translation_key="charge_cable",
        endpoints=CHARGE,
        value_fn=lambda car: _known(car.charge.conn_charge_cable, _plugged),
        device_class=BinarySensorDeviceClass.PLUG,
        mirror_of=CHARGING_SCOPES,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="charging",
        translation_key="charging",
        endpoints=CHARGE,
        value_fn=lambda car: _known(car.charge.charging_state, CHARGING_STATES.__contains__),
        device_class=BinarySensorDeviceClass.BATTERY_CHARGING,
        mirror_of=CHARGING_SCOPES,
    ),
    *(
        TeslaVehicleBinarySensorEntityDescription(
            key=f"door_{door}",
            translation_key=f"door_{door}",
            endpoints=VEHICLE,
            value_fn=_opened(read),
            device_class=BinarySensorDeviceClass.DOOR,
        )
        for door, read in DOORS
    ),
    *(
        TeslaVehicleBinarySensorEntityDescription(
            key=window,
            translation_key=window,
            endpoints=VEHICLE,
            value_fn=_opened(read),
            device_class=BinarySensorDeviceClass.WINDOW,
        )
        for window, read in WINDOWS
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="frunk",
        translation_key="frunk",
        endpoints=VEHICLE,
        value_fn=lambda car: _open(car.vehicle.ft),
        device_class=BinarySensorDeviceClass.OPENING,
        mirror_of=VEHICLE_SCOPES,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="trunk",
        translation_key="trunk",
        endpoints=VEHICLE,
        value_fn=lambda car: _open(car.vehicle.rt),
        device_class=BinarySensorDeviceClass.OPENING,
        mirror_of=VEHICLE_SCOPES,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="charge_port_door",
        translation_key="charge_port_door",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.charge_port_door_open,
        device_class=BinarySensorDeviceClass.OPENING,
        mirror_of=CHARGING_SCOPES,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="locked",
        translation_key="locked",
        endpoints=VEHICLE,
        # The lock device class is on when unlocked.
        value_fn=lambda car: _known(car.vehicle.locked, lambda locked: not locked),
        device_class=BinarySensorDeviceClass.LOCK,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="user_present",
        translation_key="user_present",
        endpoints=VEHICLE,
        value_fn=lambda car: car.vehicle.is_user_present,
        device_class=BinarySensorDeviceClass.PRESENCE,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="sentry_mode",
        translation_key="sentry_mode",
        endpoints=VEHICLE,
        value_fn=lambda car: car.vehicle.sentry_mode,
        mirror_of=VEHICLE_SCOPES,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="preconditioning",
        translation_key="preconditioning",
        endpoints=CLIMATE,
        value_fn=lambda car: car.climate.is_preconditioning,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="scheduled_charging_pending",
        translation_key="scheduled_charging_pending",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.scheduled_charging_pending,
        entity_registry_enabled_default=False,
    ),
    # The three below as in HA core tesla_fleet/binary_sensor.py (disabled, diagnostic).
    TeslaVehicleBinarySensorEntityDescription(
        key="charger_phases",
        translation_key="charger_phases",
        endpoints=CHARGE,
        # Tesla sends 1 on a single-phase supply, 2 or 3 on a three-phase one, null idle.
        value_fn=lambda car: _known(car.charge.charger_phases, lambda phases: phases > 1),
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="preconditioning_enabled",
        translation_key="preconditioning_enabled",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.preconditioning_enabled,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="trip_charging",
        translation_key="trip_charging",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.trip_charging,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="battery_heater",
        translation_key="battery_heater",
        endpoints=CHARGE,
        value_fn=lambda car: car.charge.battery_heater_on,
        device_class=BinarySensorDeviceClass.HEAT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    TeslaVehicleBinarySensorEntityDescription(
        key="dashcam_recording",
        translation_key="dashcam_recording",
        endpoints=VEHICLE,
        value_fn=lambda car: _known(car.vehicle.dashcam_state, "Recording".__eq__),
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    *(
        TeslaVehicleBinarySensorEntityDescription(
            key=f"tpms_soft_warning_{corner}",
            translation_key=f"tpms_soft_warning_{corner}",
            endpoints=VEHICLE,
            value_fn=value_fn,
            device_class=BinarySensorDeviceClass.PROBLEM,
            entity_category=EntityCategory.DIAGNOSTIC,
        )
        for corner, value_fn in TYRE_WARNINGS
    ),
)


class TeslaVehicleBinarySensor(TeslaRememberingVehicleEntity, BinarySensorEntity, RestoreEntity):
    """A vehicle binary sensor that keeps its last known state while the car sleeps."""

    entity_description: TeslaVehicleBinarySensorEntityDescription

    def __init__(
        self,
        coordinator: TeslaVehicleCoordinator,
        description: TeslaVehicleBinarySensorEntityDescription,
    ) -> None:
        """Bind to the car; a mirror of a control the user may use starts disabled."""
        super().__init__(coordinator, description, endpoints=description.endpoints)
        if not description.mirror_of.isdisjoint(coordinator.scopes):
            self._attr_entity_registry_enabled_default = False

    def _update_from(self, snapshot: VehicleSnapshot) -> None:
        value_fn = self.entity_description.value_fn
        self._attr_is_on = snapshot.online if value_fn is None else value_fn(snapshot.car)

    async def _async_restore(self) -> None:
        if self.entity_description.value_fn is None:
            # The free state check answers on the first poll; an old state would mislead.
            return
        if (last := await self.async_get_last_state()) and last.state in (STATE_ON, STATE_OFF):
            self._attr_is_on = last.state == STATE_ON


STREAMING_DESCRIPTION = BinarySensorEntityDescription(
    key="streaming",
    translation_key="streaming",
    entity_category=EntityCategory.DIAGNOSTIC,
)


class TeslaStreamingBinarySensor(TeslaVehicleEntity, BinarySensorEntity):
    """Whether the car's telemetry stream stands in for polling now (streaming set up only).

    Always available: it tells the integration's own state, which is known even when the car
    is not.
    """

    def __init__(self, coordinator: TeslaVehicleCoordinator) -> None:
        """Bind to the car; it needs no vehicle data."""
        super().__init__(coordinator, STREAMING_DESCRIPTION, endpoints=frozenset())

    @property
    def available(self) -> bool:
        """Always: the stream's state is Home Assistant's own."""
        return True

    @property
    def is_on(self) -> bool:
        """On while the stream is live (polling has stepped back)."""
        return self.coordinator.streaming


def vehicle_binary_sensors(
    coordinator: TeslaVehicleCoordinator,
) -> list[TeslaVehicleBinarySensor]:
    """The binary sensors of one car that its granted scopes allow.

    Even the online state needs `vehicle_device_data` (Tesla refuses the state check without it).
    """
    return [
        TeslaVehicleBinarySensor(coordinator, description)
        for description in VEHICLE_BINARY_SENSORS
        if coordinator.data_allowed
    ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TeslaFleetDirectConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors for every car now and for cars that appear later."""

    streaming = StreamingSettings.from_entry(entry) is not None

    @callback
    def add_vehicle(coordinator: TeslaVehicleCoordinator) -> None:
        async_add_entities(vehicle_binary_sensors(coordinator))
        if streaming and coordinator.data_allowed:
            async_add_entities([TeslaStreamingBinarySensor(coordinator)])

    async_listen_vehicles(hass, entry, add_vehicle)

    @callback
    def add_site(coordinator: TeslaEnergySiteCoordinator) -> None:
        async_add_entities(energy_site_binary_sensors([coordinator]))

    async_listen_energy_sites(hass, entry, add_site)
