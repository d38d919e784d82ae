"""When each product is read, and how often the monthly budget lets it be.

`car.py` decides when a car is read (state check, `vehicle_data`, the next interval), `site.py`
when an energy site is, `budget.py` turns the monthly budget into the intervals both use. All
pure, without Home Assistant; the coordinators call them and do the I/O.
"""
