/*
 * The exec plugin backend: a command that prints rows in the plugin row
 * schema on every refresh, with optional actions from the config. The
 * protocol is in docs/plugins.md; the parsing in backends/plugin.h.
 */
#ifndef OPSDECK_EXEC_H
#define OPSDECK_EXEC_H

#include "backend.h"

extern const struct backend_impl exec_backend;

#endif
