// Package deploy holds prefstream's deployment files, not code: NATS server configs for a 3-node
// JetStream cluster with one user per service (nats/), a Dockerfile and docker-compose.yml,
// Kubernetes manifests (k8s/) and values for the official NATS Helm chart (helm/).
//
// Its tests boot the configs in nats/ as three in-process servers (only ports and store
// directories changed), with TLS and the users' real permissions, and run the prefstream binary
// against them: the Stack Exchange pipeline with R3 streams while a node is killed and brought
// back, the services as separate users, and the permissions each user must not have.
// BenchmarkPipelineR1vsR3 (or bench.sh) measures the pipeline on the embedded server beside the
// cluster.
package deploy
