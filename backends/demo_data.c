/*
 * The demo shop's fixed cast (demo_shop.h): its pools, its named queues, its
 * deployments and its alert rules, as plain tables. The simulation
 * (demo_pools.c, demo_queues.c, demo_deploys.c, demo_alerts.c) starts from
 * these and never changes them.
 */
#include "demo_shop.h"

const struct pool_def demo_pool_defs[DEMO_POOLS] = {
    {"be_web", "web", 5, 1, 40, 45},
    {"be_api", "api", 4, 2, 25, 80},
    {"be_static", "static", 3, 3, 12, 4},
};

const struct queue_def demo_queue_defs[NAMED_QUEUES] = {
    [Q_ORDERS] = {.name = "orders.created",
                  .vhost = "prod",
                  .type = "quorum",
                  .shape = SHAPE_BUSY,
                  .rate = 120,
                  .consumers = 4,
                  .ready = 180,
                  .policy = "orders-ha",
                  .args = {{"x-queue-type", "quorum"},
                           {"x-dead-letter-exchange", "orders.dlx"},
                           {"x-dead-letter-routing-key", "orders.created.dlq"}}},
    [Q_DLQ] = {.name = "orders.created.dlq",
               .vhost = "prod",
               .type = "classic",
               .shape = SHAPE_DLQ,
               .rate = 1,
               .consumers = 0,
               .ready = 1342,
               .policy = "dlq-retain",
               .args = {{"x-queue-type", "classic"},
                        {"x-message-ttl", "1209600000"},
                        {"receives from", "orders.created (reason: rejected)"}}},
    [Q_PAYMENTS] = {.name = "payments.settle",
                    .vhost = "prod",
                    .type = "quorum",
                    .shape = SHAPE_BUSY,
                    .rate = 35,
                    .consumers = 3,
                    .ready = 40,
                    .policy = "payments-ha",
                    .args = {{"x-queue-type", "quorum"}, {"x-delivery-limit", "20"}}},
    [Q_EMAILS] = {.name = "emails.outbound",
                  .vhost = "prod",
                  .type = "classic",
                  .shape = SHAPE_BACKLOG,
                  .rate = 60,
                  .consumers = 2,
                  .ready = 2400,
                  .policy = "lazy",
                  .args = {{"x-queue-type", "classic"}, {"x-max-length", "200000"}}},
    [Q_INVENTORY] = {.name = "inventory.sync",
                     .vhost = "prod",
                     .type = "classic",
                     .shape = SHAPE_IDLE,
                     .rate = 0,
                     .consumers = 1,
                     .ready = 0,
                     .policy = "",
                     .args = {{"x-queue-type", "classic"}, {"x-expires", "86400000"}}},
    [Q_SEARCH] = {.name = "search.index",
                  .vhost = "prod",
                  .type = "quorum",
                  .shape = SHAPE_BUSY,
                  .rate = 80,
                  .consumers = 2,
                  .ready = 90,
                  .policy = "search-ha",
                  .args = {{"x-queue-type", "quorum"}}},
    [Q_NOTIFY] = {.name = "notifications.push",
                  .vhost = "prod",
                  .type = "classic",
                  .shape = SHAPE_FLAKY,
                  .rate = 25,
                  .consumers = 2,
                  .ready = 0,
                  .policy = "",
                  .args = {{"x-queue-type", "classic"}, {"x-max-priority", "5"}}},
    [Q_AUDIT] = {.name = "audit.events",
                 .vhost = "/",
                 .type = "stream",
                 .shape = SHAPE_STREAM,
                 .rate = 45,
                 .consumers = 1,
                 .ready = 1250000,
                 .policy = "audit-retention",
                 .args = {{"x-queue-type", "stream"}, {"x-max-age", "7D"}}},
};

const struct deploy_def demo_deploy_defs[NDEPLOYS] = {
    [D_CHECKOUT] = {"shop", "checkout", "registry.example.com/shop/checkout:v2.14.1", 4,
                    ROLLOUT_PROGRESSING, 1, 4, false, 41},
    [D_CART] = {"shop", "cart", "registry.example.com/shop/cart:v1.9.3", 3, ROLLOUT_COMPLETE, 3, 1,
                false, 63},
    [D_PAYMENTS] = {"payments", "payments-api", "registry.example.com/payments/payments-api:v3.2.0",
                    3, ROLLOUT_FAILED, 1, 1, true, 120},
    [D_SEARCH] = {"shop", "search", "registry.example.com/shop/search:v5.0.2", 2, ROLLOUT_COMPLETE,
                  2, 1, false, 88},
    [D_NOTIFY] = {"shop", "notifications", "registry.example.com/shop/notifications:v0.31.0", 2,
                  ROLLOUT_PAUSED, 1, 1, false, 17},
    [D_INGRESS] = {"platform", "ingress-nginx", "registry.k8s.io/ingress-nginx/controller:v1.10.1",
                   2, ROLLOUT_COMPLETE, 2, 1, false, 210},
};

const struct alert_def demo_alert_defs[NALERTS] = {
    [AL_DLQ] =
        {
            .name = "DeadLetterQueueGrowing",
            .sev = SEV_CRITICAL,
            .labels = {"queue=orders.created.dlq", "service=orders", "vhost=prod"},
            .target = "queue=orders.created.dlq",
            .summary = "Dead-letter queue orders.created.dlq is growing",
            .description = "Orders are being rejected by their consumers and dead-lettered; "
                           "each one is a customer order that was not processed.",
            .runbook = "https://runbooks.example.com/shop/queue-backlog.md",
            .expr =
                "rate(rabbitmq_queue_messages_published_total{queue=\"orders.created.dlq\"}[5m])"
                " > 0",
            .pending = 1,
            .since_min = 47,
        },
    [AL_TARGET_DOWN] =
        {
            .name = "TargetDown",
            .sev = SEV_CRITICAL,
            .labels = {"instance=web3:8080", "job=haproxy-backends", "pool=be_web"},
            .target = "instance=web3:8080",
            .summary = "be_web/web3 fails its health checks",
            .description = "HAProxy marked web3 DOWN; be_web runs on the remaining servers.",
            .runbook = "https://runbooks.example.com/shop/pool-server-down.md",
            .expr = "haproxy_server_status{proxy=\"be_web\",server=\"web3\"} == 0",
            .pending = 1,
        },
    [AL_ERROR_RATE] =
        {
            .name = "HighErrorRate",
            .sev = SEV_CRITICAL,
            .labels = {"pool=be_web", "service=checkout"},
            .target = "pool=be_web",
            .summary = "5xx responses on be_web above 5%",
            .description = "Requests in flight on a failing server are answered with 502/503.",
            .runbook = "https://runbooks.example.com/shop/high-error-rate.md",
            .expr =
                "sum(rate(haproxy_server_http_responses_total{proxy=\"be_web\",code=\"5xx\"}[1m]))"
                " / sum(rate(haproxy_server_http_responses_total{proxy=\"be_web\"}[1m])) > 0.05",
            .pending = 2,
        },
    [AL_ROLLOUT_STUCK] =
        {
            .name = "KubeDeploymentRolloutStuck",
            .sev = SEV_CRITICAL,
            .labels = {"deployment=payments-api", "namespace=payments"},
            .target = "deployment=payments-api",
            .summary = "Rollout of payments/payments-api is stuck",
            .description = "The new ReplicaSet did not become available before the progress "
                           "deadline (ProgressDeadlineExceeded).",
            .runbook = "https://runbooks.example.com/k8s/deploy-rollback.md",
            .expr =
                "kube_deployment_status_condition{condition=\"Progressing\",status=\"false\"} == 1",
            .pending = 1,
            .since_min = 25,
        },
    [AL_CRASHLOOP] =
        {
            .name = "KubePodCrashLooping",
            .sev = SEV_WARNING,
            .labels = {"container=api", "namespace=payments", "pod=payments-api-6f7c9d8b5-k2x9q"},
            .target = "pod=payments-api-6f7c9d8b5-k2x9q",
            .summary = "payments-api pod is crash looping",
            .description = "Container api restarted 14 times in the last hour: "
                           "missing env SETTLEMENT_BANK_URL.",
            .runbook = "https://runbooks.example.com/k8s/crashloop.md",
            .expr = "increase(kube_pod_container_status_restarts_total[15m]) > 3",
            .pending = 1,
            .since_min = 31,
        },
    [AL_BACKLOG] =
        {
            .name = "QueueBacklog",
            .sev = SEV_WARNING,
            .labels = {"queue=emails.outbound", "service=email", "vhost=prod"},
            .target = "queue=emails.outbound",
            .summary = "emails.outbound has more than 5000 ready messages",
            .description = "The SMTP relay throttles us; mail goes out late but is not lost.",
            .runbook = "https://runbooks.example.com/shop/queue-backlog.md",
            .expr = "rabbitmq_queue_messages_ready{queue=\"emails.outbound\"} > 5000",
            .pending = 1,
        },
    [AL_NO_CONSUMERS] =
        {
            .name = "QueueNoConsumers",
            .sev = SEV_WARNING,
            .labels = {"queue=notifications.push", "service=notifications", "vhost=prod"},
            .target = "queue=notifications.push",
            .summary = "notifications.push has messages and no consumer",
            .description = "The push workers are down; notifications pile up.",
            .runbook = "https://runbooks.example.com/shop/no-consumers.md",
            .expr = "rabbitmq_queue_consumers{queue=\"notifications.push\"} == 0 and "
                    "rabbitmq_queue_messages > 0",
            .pending = 1,
        },
    [AL_CERT] =
        {
            .name = "CertificateExpiringSoon",
            .sev = SEV_INFO,
            .labels = {"instance=shop.example.com:443", "job=blackbox"},
            .target = "instance=shop.example.com:443",
            .summary = "TLS certificate of shop.example.com expires in 9 days",
            .description = "Automatic renewal failed: the ACME HTTP-01 challenge got a 404.",
            .runbook = "https://runbooks.example.com/shop/certificates.md",
            .expr = "probe_ssl_earliest_cert_expiry - time() < 14 * 86400",
            .pending = 1,
            .since_min = 3 * 24 * 60,
        },
    [AL_MEMORY] =
        {
            .name = "HighMemoryUsage",
            .sev = SEV_WARNING,
            .labels = {"instance=search-2:9100", "job=node"},
            .target = "instance=search-2:9100",
            .summary = "search-2 memory above 90%",
            .description = "The search indexer grows its heap during the nightly reindex.",
            .runbook = "https://runbooks.example.com/shop/memory.md",
            .expr = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1",
            .pending = 1,
            .since_min = 5 * 60,
        },
};
