/*
 * The Prometheus backend: the alerts Prometheus's rules evaluate right now,
 * pending and firing (GET /api/v1/alerts). Read-only: silences live in
 * Alertmanager.
 */
#ifndef OPSDECK_PROMETHEUS_H
#define OPSDECK_PROMETHEUS_H

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>

extern const struct backend_impl prometheus_backend;

/*
 * Parse a GET /api/v1/alerts body ({"status":"success","data":{"alerts":[...]}})
 * into rows of rs, keyed by a hash of each alert's labels. False with *cause
 * for an error response ("Prometheus error (bad_data): ...") or anything that
 * is not that shape; alerts that are not objects are skipped, fields of the
 * wrong type count as missing.
 */
bool prometheus_parse_alerts(const char *body, size_t len, struct rowset *rs, char **cause);

#endif
