"""The simulator's API families, one module each (see cockpit/simulator.py). No Qt."""
