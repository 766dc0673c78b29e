/*
 * The built-in demo simulator (DESIGN rule 9): a small shop whose queues fill,
 * servers flap, deploys roll and alerts fire, publishing all four model kinds.
 * Every action works against the simulation. Config keys: seed, epoch, queues,
 * mode (live, still, trickle); see demo.c.
 */
#ifndef OPSDECK_DEMO_H
#define OPSDECK_DEMO_H

#include "backend.h"

extern const struct backend_impl demo_backend;

#endif
