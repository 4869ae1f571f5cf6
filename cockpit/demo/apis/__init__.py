"""The simulator's API families, one module each (see cockpit/demo/simulator.py). No Qt."""
