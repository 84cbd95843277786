// Package cluster holds the cluster test (`make test-cluster`, build tag
// cluster): PostgreSQL, PgBouncer in transaction pooling mode, three
// replicas of the real `directory serve` binary and HAProxy in front, all
// on loopback ports, started and stopped by the test. Through HAProxy it
// runs the provisioning simulator (initial sync, then churn), a GraphQL
// reader, two event subscribers over WebSocket and a webhook receiver,
// while it kills one replica with SIGKILL and starts it again, restarts all
// three one by one with SIGTERM (a rolling restart) and restarts
// PgBouncer. It then checks that every acknowledged SCIM write is in the
// database, that each subscriber got every event exactly once and in
// order (resuming with its cursor), that the webhook receiver got each
// event at least once, in order per subject, duplicates only under the
// same webhook-id, and that no request failed during the rolling restart;
// and it prints a table of delivery lag, request latency and counts.
//
// It needs the PostgreSQL server binaries, pgbouncer and haproxy (Debian
// packages postgresql, pgbouncer and haproxy; .ci/run installs them).
package cluster
