"""A small zone table with coordinates, so ride parsing is tested without the lab_scripts data."""

from mlops_tui.assistant.rides import Place, ZoneIndex

PLACES = [
    Place(161, "Midtown Center", "Manhattan", 40.758, -73.978),
    Place(162, "Midtown East", "Manhattan", 40.756, -73.972),
    Place(163, "Midtown North", "Manhattan", 40.764, -73.978),
    Place(230, "Times Sq/Theatre District", "Manhattan", 40.759, -73.985),
    Place(144, "Little Italy/NoLiTa", "Manhattan", 40.721, -73.997),
    Place(246, "West Chelsea/Hudson Yards", "Manhattan", 40.749, -74.004),
    Place(68, "East Chelsea", "Manhattan", 40.748, -73.999),
    Place(132, "JFK Airport", "Queens", 40.646, -73.786),
    Place(138, "LaGuardia Airport", "Queens", 40.774, -73.872),
    Place(55, "Coney Island", "Brooklyn"),
    Place(186, "Penn Station/Madison Sq West", "Manhattan", 40.750, -73.993),
]
ZONES = ZoneIndex.build(PLACES, aliases={"West 23rd Street": 68, "Centre Market Place": 144})
