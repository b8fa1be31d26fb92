#!/usr/bin/env bash
# Makes a private CA and the certificates the cluster and the services need, with openssl:
#   ca.pem                      the CA (clients: --tls-ca; servers: NATS_TLS_CA)
#   server.pem, server-key.pem  every NATS node, for clients and for routes (NATS_TLS_CERT/KEY)
#   client.pem, client-key.pem  the prefstream services (--tls-cert, --tls-key)
# Usage: deploy/gen-certs.sh [DIR] [EXTRA_DNS_NAME...]   (DIR defaults to deploy/tls)
# The server certificate names nats, nats-1..3 (docker-compose), localhost, 127.0.0.1 and the
# NATS Helm chart's names in the namespace $NAMESPACE (default prefstream), plus any extra names.
# Keys are written mode 600 (KEY_MODE=644 for docker-compose, whose containers run as uid 65532
# and read them through a bind mount). For production prefer your own PKI (e.g. cert-manager);
# keep ca-key.pem offline.
set -euo pipefail

dir=${1:-"$(dirname "$0")/tls"}
shift || true
ns=${NAMESPACE:-prefstream}
days=${DAYS:-825}
key_mode=${KEY_MODE:-600}
mkdir -p "$dir"
cd "$dir"

sans="DNS:localhost,DNS:nats,DNS:nats-1,DNS:nats-2,DNS:nats-3,IP:127.0.0.1,IP:::1"
sans+=",DNS:nats.$ns,DNS:nats.$ns.svc,DNS:nats.$ns.svc.cluster.local"
sans+=",DNS:*.nats-headless,DNS:*.nats-headless.$ns,DNS:*.nats-headless.$ns.svc,DNS:*.nats-headless.$ns.svc.cluster.local"
for extra in "$@"; do sans+=",DNS:$extra"; done

if [[ ! -f ca.pem ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
    -subj "/CN=prefstream NATS CA" -keyout ca-key.pem -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

leaf() { # name cn usage sans
  local name=$1 cn=$2 usage=$3 san=$4
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
    -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
  local ext
  ext=$(mktemp)
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
    -extfile "$ext" -out "$name.pem" 2>/dev/null
  rm -f "$name.csr" "$ext"
  chmod "$key_mode" "$name-key.pem"
}

# Nodes dial each other's routes, so the server certificate is also a client certificate.
leaf server nats serverAuth,clientAuth "$sans"
leaf client prefstream clientAuth ""
chmod 600 ca-key.pem
echo "certificates in $(pwd): ca.pem server.pem server-key.pem client.pem client-key.pem"
