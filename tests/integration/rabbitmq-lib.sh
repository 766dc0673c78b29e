# A real RabbitMQ (3.10, management + shovel plugins) on loopback for the
# tests, started once per script on free ports with its own epmd. Source it
# after tap.sh, with $T a temp dir for logs and PIDS an array the caller's
# cleanup kills; call rabbitmq_stop from that cleanup.
#
# rabbitmq_start DIR: the node's files under DIR; exports the RABBITMQ_* and
# ERL_EPMD_* environment (rabbitmqctl and rabbitmq-plugins then reach this
# node) and HOME=DIR/home; sets AMQP_PORT, MGMT_PORT, EPMD_PORT and API (the
# management API's base URL); returns once the management API answers.
# api METHOD PATH [JSON]: the management API as guest; prints the body.
RMQ_BIN=${RMQ_BIN:-/usr/lib/rabbitmq/bin}
RMQ_DIR=
EPMD_PORT=

rabbitmq_start() {
    RMQ_DIR=$1
    mkdir -p "$RMQ_DIR/home"
    local dist prom
    read -r AMQP_PORT dist MGMT_PORT prom EPMD_PORT < <(free_ports 5)
    export HOME="$RMQ_DIR/home"
    export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
    export RABBITMQ_NODENAME="rabbit-opsdeck-$$@localhost"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT=$AMQP_PORT
    export RABBITMQ_DIST_PORT=$dist
    export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    export RABBITMQ_LOGS=-
    export RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export ERL_EPMD_PORT=$EPMD_PORT
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export PATH="$RMQ_BIN:$PATH"
    : >"$RMQ_DIR/rabbitmq-env.conf"
    cat >"$RMQ_DIR/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip   = 127.0.0.1
management.tcp.port = $MGMT_PORT
prometheus.tcp.ip   = 127.0.0.1
prometheus.tcp.port = $prom
collect_statistics_interval = 1000
loopback_users.guest = true
CONF
    rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_shovel \
        rabbitmq_shovel_management >"$T/plugins.log" 2>&1 || bail "rabbitmq-plugins failed"
    rabbitmq-server >"$T/rabbitmq.log" 2>&1 &
    PIDS+=($!)
    API="http://127.0.0.1:$MGMT_PORT/api"
    local started=$SECONDS
    wait_until 90 curl -sf -u guest:guest "$API/overview" >/dev/null || bail "RabbitMQ did not start"
    echo "# RabbitMQ ready in $((SECONDS - started)) s"
}

api() {
    curl -sf -u guest:guest -X "$1" -H 'content-type: application/json' \
        ${3:+--data-binary "$3"} "$API$2"
}

# A throwaway node: SIGKILL is enough (SIGTERM takes ~6 s); then its epmd, by the port we gave it.
rabbitmq_stop() {
    [ -n "$RMQ_DIR" ] && [ -s "$RMQ_DIR/rabbitmq.pid" ] && kill -KILL "$(cat "$RMQ_DIR/rabbitmq.pid")" 2>/dev/null
    if [ -n "$EPMD_PORT" ]; then
        for pid in $(ss -ltnpH "sport = :$EPMD_PORT" 2>/dev/null | sed -n 's/.*"epmd",pid=\([0-9]*\).*/\1/p' | sort -u); do
            kill "$pid" 2>/dev/null
        done
    fi
}
