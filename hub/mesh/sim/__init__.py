"""Simulated Meshtastic radio with virtual handsets, speaking the real stream API.

    sim = Simulator(handsets=5, preset="MEDIUM_FAST", seed=1)
    port = sim.start_tcp("127.0.0.1", 0)   # TCPInterface(hostname="127.0.0.1", portNumber=port)
    path = sim.start_pty()                 # SerialInterface(devPath=path)
    sim.send_text(sim.handsets[0].node_id, "JA 12")
    sim.wait_for_text(sim.handsets[0].node_id, lambda t: t.text.startswith("T12"))
    sim.stop()

Several radios share a region channel through ``RegionAir`` (``region.py``).

``run_sim(host, port, handsets, control_port)`` runs one until Ctrl-C (``hub sim``).
"""

from hub.mesh.sim.control import ControlServer, run_sim
from hub.mesh.sim.faults import Faults
from hub.mesh.sim.handsets import Handset, ReceivedText
from hub.mesh.sim.region import RegionAir, Transmission
from hub.mesh.sim.simulator import Simulator
from hub.mesh.sim.volunteers import Behaviour

__all__ = [
    "Behaviour",
    "ControlServer",
    "Faults",
    "Handset",
    "ReceivedText",
    "RegionAir",
    "Simulator",
    "Transmission",
    "run_sim",
]
