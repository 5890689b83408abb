"""Files the app ships: demo data for the simulator, example service units."""
