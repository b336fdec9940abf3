# Throwaway PostgreSQL and mosquitto on loopback for the tests. Source it, then call
# services_start; it exports NEVPORT_TEST_POSTGRES_URL and NEVPORT_TEST_MQTT_{HOST,PORT}.
# shellcheck shell=bash

services_start() {
  local base pg_bin port mport
  base=$(mktemp -d /tmp/nevport-services.XXXXXX)
  chmod 755 "$base"
  export NEVPORT_SERVICES_DIR="$base"
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

  # PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$base"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$pg_bin/initdb" -D "$base/pg" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  "${as[@]}" "$pg_bin/pg_ctl" -D "$base/pg" -l "$base/pg.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $base -c fsync=off -c full_page_writes=off -c max_connections=200" >/dev/null
  export NEVPORT_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"

  local mosq
  mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mport" > "$base/mosquitto.conf"
  "$mosq" -c "$base/mosquitto.conf" > "$base/mosquitto.log" 2>&1 &
  echo $! > "$base/mosquitto.pid"
  export NEVPORT_TEST_MQTT_HOST=127.0.0.1 NEVPORT_TEST_MQTT_PORT="$mport"
  for _ in $(seq 50); do
    (echo > "/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
    sleep 0.1
  done
  echo "services: PostgreSQL on 127.0.0.1:$port, mosquitto on 127.0.0.1:$mport"
}

services_stop() {
  local base="${NEVPORT_SERVICES_DIR:-}"
  [ -n "$base" ] && [ -d "$base" ] || return 0
  local pg_bin as=()
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
  "${as[@]}" "$pg_bin/pg_ctl" -D "$base/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$base/mosquitto.pid" ] && kill "$(cat "$base/mosquitto.pid")" 2>/dev/null || true
  rm -rf "$base"
}
