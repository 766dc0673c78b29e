/*
 * The http-json plugin backend: any JSON over HTTP mapped to a pane's rows by
 * JSON pointers (docs/plugins.md). Read-only.
 */
#ifndef OPSDECK_HTTPJSON_H
#define OPSDECK_HTTPJSON_H

#include "backend.h"

extern const struct backend_impl httpjson_backend;

#endif
