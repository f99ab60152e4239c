"""The C function REBOUND calls for the forces: it finds the simulation's time, particles and our buffer by address
and runs the compiled force (forces.evaluate), so no Python runs during an integration.

REBOUND's `additional_forces` takes a C function of the simulation's address; `sim.extras` carries the address of
the float64 buffer of forces.build_buffer. The struct offsets are read from the installed REBOUND, so a change of
its layout cannot go unnoticed.
"""
from __future__ import annotations

import rebound
from numba import carray, cfunc, types
from numba.extending import intrinsic

from .forces import H_GM_SATS, PARTICLE_DOUBLES, buffer_length, evaluate

SIM_T = rebound.Simulation.t.offset
SIM_N = rebound.Simulation.N.offset
SIM_PARTICLES = rebound.Simulation._particles.offset
SIM_EXTRAS = rebound.Simulation.extras.offset


def _pointer_cast(element_type):
    """A numba intrinsic turning an integer address into a pointer to `element_type` (REBOUND's structs and our
    buffer are read by address)."""
    pointer = types.CPointer(element_type)

    def cast(typingctx, address):
        def codegen(context, builder, sig, args):
            return builder.inttoptr(args[0], context.get_value_type(pointer))
        return pointer(types.intp), codegen
    cast.__name__ = cast.__qualname__ = f"_{element_type}_pointer"
    return intrinsic(cast)


_double_pointer = _pointer_cast(types.float64)
_int_pointer = _pointer_cast(types.intp)


@cfunc(types.void(types.intp), cache=True)
def rebound_additional_forces(sim_address):
    t_rel = _double_pointer(sim_address + SIM_T)[0]
    n_particles = _int_pointer(sim_address + SIM_N)[0]
    particles_address = _int_pointer(sim_address + SIM_PARTICLES)[0]
    buf_address = _int_pointer(sim_address + SIM_EXTRAS)[0]
    head = carray(_double_pointer(buf_address), (H_GM_SATS,))
    buf = carray(_double_pointer(buf_address), (buffer_length(head),))
    particles = carray(_double_pointer(particles_address), (n_particles * PARTICLE_DOUBLES,))
    evaluate(t_rel, buf, particles, n_particles)
