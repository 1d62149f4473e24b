#!/usr/bin/env bash
# The project's real test environment: Keystone and Glance from Debian's packages, on
# 127.0.0.1 only, with sqlite and file stores. No systemd needed; processes are tracked by pid
# files and outlive this script.
#
#   testenv.sh up      install when missing, configure when state is missing, start what is
#                      stopped (idempotent; a second `up` takes a second or two)
#   testenv.sh down    stop everything (pid files, never pkill)
#   testenv.sh status  what runs
#   testenv.sh smoke   curl checks of the APIs the provider uses
#   testenv.sh reset   down, wipe the state, up
#
# Services: Keystone :5000 (and :5001, same users, tokens that expire after 20 s); Glance :9292 (stores fast (default) and slow, staging, glance-direct,
# web-download, copy-image, glance-download, unified limits); the same Glance under /glance on
# :9393 (the catalog's admin endpoint, like Platform9 PCD); a second, plain Glance on :9294
# (one store, no quotas, its own database: the catalog's RegionThree); a web server on :8000 for web-download; TLS front
# ends with a certificate of a private test CA: Keystone on https://127.0.0.1:5443, Glance on
# https://127.0.0.1:9443/glance (CA in $GLANCE_ENV_DIR/tls/ca.pem).
# Settings for tests: $GLANCE_ENV_DIR/env/acctest.env.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E=${GLANCE_ENV_DIR:-$ROOT/.testenv}
KS_PORT=5000 KS_SHORT_PORT=5001 GL_PORT=9292 PREFIX_PORT=9393 PLAIN_PORT=9294 WEB_PORT=8000 TLS_KS_PORT=5443 TLS_GL_PORT=9443
KS_URL=http://127.0.0.1:$KS_PORT
GL_URL=http://127.0.0.1:$GL_PORT
ADMIN_GL_URL=http://127.0.0.1:$PREFIX_PORT/glance
PLAIN_GL_URL=http://127.0.0.1:$PLAIN_PORT
WEB_URL=http://127.0.0.1:$WEB_PORT
TLS_KS_URL=https://127.0.0.1:$TLS_KS_PORT
TLS_GL_URL=https://127.0.0.1:$TLS_GL_PORT/glance
PY=/usr/bin/python3 # the pyenv python first on PATH lacks the OpenStack modules
ADMIN_PASS=admin-secret GLANCE_PASS=glance-secret DEMO_PASS=demo-secret ALT_PASS=alt-secret

T0=$(date +%s.%N)
log() { printf '[testenv +%5.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*"; }
die() { log "ERROR: $*"; exit 1; }

wait_http() { # url seconds: until 200 or 300
  local i c
  for ((i = 0; i < $2 * 10; i++)); do
    c=$(curl -s --cacert "$E/tls/ca.pem" -o /dev/null -w '%{http_code}' "$1" || true)
    [[ $c == 200 || $c == 300 ]] && return 0
    sleep 0.1
  done
  return 1
}

# alive: exists and is not a zombie (PID 1 here reaps orphans late)
alive() { kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]; }
running() { [[ -f $E/run/$1.pid ]] && alive "$(cat "$E/run/$1.pid")"; }

stop_one() {
  running "$1" || { rm -f "$E/run/$1.pid"; return 0; }
  local p
  p=$(cat "$E/run/$1.pid")
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do alive "$p" || break; sleep 0.1; done
  if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
  rm -f "$E/run/$1.pid"
  log "stopped $1"
}

# start_bg NAME URL-TO-WAIT-FOR COMMAND...
start_bg() {
  local name=$1 url=$2
  shift 2
  running "$name" && return 0
  # A server that answers before ours starts belongs to something else (another checkout's
  # test environment, say): our tests would talk to it, with other users and ids.
  if curl -s -k -o /dev/null --max-time 2 "$url"; then
    die "something else already answers on $url: stop it (another checkout's testenv.sh down) and run up again"
  fi
  nohup "$@" >"$E/logs/$name.stdout" 2>&1 &
  echo $! >"$E/run/$name.pid"
  wait_http "$url" 60 || { tail -20 "$E/logs/$name.stdout" >&2; die "$name did not come up (logs in $E/logs)"; }
  log "$name up (pid $(cat "$E/run/$name.pid"))"
}

# ---------------------------------------------------------------------------------------------
install() {
  if [[ -x /usr/bin/glance-api && -x /usr/bin/keystone-manage && -x /usr/bin/openstack && -x /usr/bin/jq &&
    -x /usr/bin/sqlite3 && -x /usr/bin/bc && -x /usr/bin/openssl && -e /usr/lib/uwsgi/plugins/python3_plugin.so &&
    -x /usr/bin/qemu-img && -x /usr/bin/xorriso && -x /usr/bin/zstd && -x /usr/bin/xz && -x /usr/bin/bzip2 &&
    -x /usr/bin/pbzip2 && -x /usr/bin/lbzip2 ]]; then
    return 0
  fi
  [[ $(id -u) == 0 ]] || die "Keystone and Glance are not installed, and installing them needs root (apt-get)"
  log "installing keystone, glance-api, qemu-utils and xorriso from Debian (about 60 MB, ~60 s)"
  # The packages' postinst would start the services with /etc configs on 0.0.0.0; a
  # policy-rc.d that refuses keeps them stopped (Docker-style images already have one).
  local guard=0 rc=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
  fi
  mkdir -p "$E/logs"
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        glance-api keystone python3-glanceclient python3-openstackclient curl jq sqlite3 bc openssl \
        qemu-utils xorriso zstd xz-utils bzip2 pbzip2 lbzip2
  } >"$E/logs/apt.log" 2>&1 || rc=$?
  if [[ $guard == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  [[ $rc == 0 ]] || { tail -20 "$E/logs/apt.log" >&2; die "apt-get install failed"; }
  log "installed"
}

# ---------------------------------------------------------------------------------------------
write_keystone_conf() {
  mkdir -p "$E/keystone"
  # No inline comments in oslo config files: they become part of the value.
  cat >"$E/keystone/keystone.conf" <<CONF
[DEFAULT]
log_file = $E/logs/keystone.log
[database]
connection = sqlite:///$E/keystone/keystone.db
[identity]
# bcrypt cost 4: a token in ~60 ms instead of ~300 ms (tests only)
password_hash_rounds = 4
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $E/keystone/fernet-keys
[fernet_receipts]
key_repository = $E/keystone/fernet-keys
[credential]
key_repository = $E/keystone/credential-keys
CONF
  # A second Keystone on the same database and keys whose tokens live 20 s: tests of token
  # expiry during a long apply authenticate there (Glance validates them like any other).
  mkdir -p "$E/keystone-short"
  sed 's/^expiration = .*/expiration = 20/' "$E/keystone/keystone.conf" >"$E/keystone-short/keystone.conf"
  cat >"$E/keystone/uwsgi.ini" <<CONF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$KS_PORT
wsgi-file = /usr/bin/keystone-wsgi-public
env = OS_KEYSTONE_CONFIG_DIR=$E/keystone
master = true
# sqlite connections must not cross threads: scale with processes
processes = 2
threads = 1
lazy-apps = true
# SIGTERM stops (uwsgi 2.0 would reload)
die-on-term = true
no-orphans = true
buffer-size = 65535
# http-socket has no keep-alive; without this clients reuse the socket and get ECONNRESET
add-header = Connection: close
logto = $E/logs/keystone-uwsgi.log
CONF
  sed -e "s#127.0.0.1:$KS_PORT#127.0.0.1:$KS_SHORT_PORT#" -e "s#OS_KEYSTONE_CONFIG_DIR=.*#OS_KEYSTONE_CONFIG_DIR=$E/keystone-short#" \
    -e "s#keystone-uwsgi.log#keystone-short-uwsgi.log#" "$E/keystone/uwsgi.ini" >"$E/keystone-short/uwsgi.ini"
}

# write_glance_conf DIR PORT LIMITS(true|false) MULTISTORE(1|0) OSLO_LIMIT_ENDPOINT_ID
write_glance_conf() {
  local d=$1 port=$2 limits=$3 multi=$4 ep=$5
  mkdir -p "$d"/{images/fast,images/slow,images/default,staging,tasks,lock,cache}
  sed "s#^disable_by_file_path = .*#disable_by_file_path = $d/healthcheck_disable#" \
    /etc/glance/glance-api-paste.ini >"$d/glance-api-paste.ini"
  {
    cat <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
# one process: more than one makes sqlite answer "database is locked" under parallel load
workers = 0
log_file = $d/glance-api.log
enabled_import_methods = [glance-direct,web-download,copy-image,glance-download]
worker_self_reference_url = http://127.0.0.1:$port
use_keystone_limits = $limits
# the image cache and its management API (GET/PUT/DELETE /v2/cache), for glance_image_cache
image_cache_dir = $d/cache
CONF
    if [[ $multi == 1 ]]; then
      cat <<CONF
enabled_backends = fast:file, slow:file

[glance_store]
default_backend = fast

[fast]
filesystem_store_datadir = $d/images/fast
store_description = Fast file store

[slow]
filesystem_store_datadir = $d/images/slow
store_description = Slow file store

[os_glance_staging_store]
filesystem_store_datadir = $d/staging

[os_glance_tasks_store]
filesystem_store_datadir = $d/tasks
CONF
    else
      cat <<CONF
node_staging_uri = file://$d/staging

[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = $d/images/default
CONF
    fi
    cat <<CONF

[database]
connection = sqlite:///$d/glance.db

[import_filtering_opts]
# list options need the bracket syntax; loopback is refused unless listed
allowed_hosts = [127.0.0.1]
allowed_ports = [80,443,$WEB_PORT,$GL_PORT,$PREFIX_PORT]

[keystone_authtoken]
www_authenticate_uri = $KS_URL
auth_url = $KS_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $GLANCE_PASS
service_token_roles_required = true

[oslo_limit]
auth_url = $KS_URL
auth_type = password
user_domain_id = default
username = glance
password = $GLANCE_PASS
system_scope = all
endpoint_id = $ep

[paste_deploy]
flavor = keystone+cachemanagement
config_file = $d/glance-api-paste.ini

[oslo_concurrency]
lock_path = $d/lock

[oslo_middleware]
enable_proxy_headers_parsing = true
CONF
  } >"$d/glance-api.conf"
}

token() { # user password project
  curl -s -i -X POST "$KS_URL/v3/auth/tokens" -H 'Content-Type: application/json' -d \
    '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"'"$1"'","domain":{"id":"default"},"password":"'"$2"'"}}},"scope":{"project":{"name":"'"$3"'","domain":{"id":"default"}}}}}' |
    tr -d '\r' | awk -F': ' 'tolower($1)=="x-subject-token"{print $2}'
}

osc_admin() {
  env OS_AUTH_URL="$KS_URL/v3" OS_IDENTITY_API_VERSION=3 OS_USERNAME=admin OS_PASSWORD="$ADMIN_PASS" \
    OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
    OS_REGION_NAME=RegionOne OS_INTERFACE=public openstack "$@"
}

configure() {
  log "configuring from scratch in $E"
  down_all quiet
  rm -rf "$E"/{keystone,keystone-short,glance,glance-plain,run,www,env,demo,bench,configured}
  mkdir -p "$E"/{logs,run,www,env,bin}
  write_keystone_conf
  local KC="--config-file $E/keystone/keystone.conf"
  # shellcheck disable=SC2086
  {
    keystone-manage $KC db_sync || die "keystone db_sync failed"
    # WAL: with the rollback journal an idle worker's handle makes writes fail after 5 s
    sqlite3 "$E/keystone/keystone.db" 'PRAGMA journal_mode=WAL;' >/dev/null
    keystone-manage $KC fernet_setup --keystone-user root --keystone-group root
    keystone-manage $KC credential_setup --keystone-user root --keystone-group root
    keystone-manage $KC bootstrap --bootstrap-password "$ADMIN_PASS" --bootstrap-username admin \
      --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
      --bootstrap-region-id RegionOne --bootstrap-admin-url "$KS_URL/v3/" \
      --bootstrap-public-url "$KS_URL/v3/" --bootstrap-internal-url "$KS_URL/v3/" || die "keystone bootstrap failed"
  } >"$E/logs/keystone-manage.log" 2>&1
  log "keystone database, keys and bootstrap done"
  start_keystone

  # One CLI process reading commands from stdin (0.2 s per command instead of 1.4 s). It does
  # not stop on errors and cannot take quoted multi-word arguments: verified over REST below.
  {
    cat <<CMDS
project create --domain default service
user create --domain default --password $GLANCE_PASS glance
role add --project service --user glance admin
role create service
role add --project service --user glance service
role add --user glance --user-domain Default --system all reader
project create --domain default demo
user create --domain default --password $DEMO_PASS --project demo demo
role add --project demo --user demo member
project create --domain default alt
user create --domain default --password $ALT_PASS --project alt alt
role add --project alt --user alt member
service create --name glance image
region create RegionTwo
endpoint create --region RegionOne image public $GL_URL
endpoint create --region RegionOne image internal $GL_URL
endpoint create --region RegionOne image admin $ADMIN_GL_URL
endpoint create --region RegionTwo image public $GL_URL
endpoint create --region RegionTwo image internal $GL_URL
endpoint create --region RegionTwo image admin $GL_URL
region create RegionThree
endpoint create --region RegionThree image public $PLAIN_GL_URL
endpoint create --region RegionThree image internal $PLAIN_GL_URL
endpoint create --region RegionThree image admin $PLAIN_GL_URL
CMDS
    for rl in image_size_total:1000000 image_stage_total:1000000 image_count_total:10000 image_count_uploading:1000; do
      echo "registered limit create --service glance --region RegionOne --default-limit ${rl#*:} ${rl%%:*}"
    done
  } | osc_admin >"$E/logs/keystone-objects.log" 2>&1 || true

  local AT SID EP
  AT=$(token admin "$ADMIN_PASS" admin)
  ks() { curl -s "$KS_URL/v3/$1" -H "X-Auth-Token: $AT"; }
  SID=$(ks 'services?type=image' | jq -r '.services[0].id')
  [[ $(ks "endpoints?service_id=$SID" | jq '.endpoints|length') == 9 ]] || { cat "$E/logs/keystone-objects.log"; die "image endpoints missing"; }
  [[ $(ks registered_limits | jq '.registered_limits|length') == 4 ]] || die "registered limits missing"
  for u in glance demo alt; do [[ $(ks "users?name=$u" | jq '.users|length') == 1 ]] || die "user $u missing"; done
  EP=$(ks "endpoints?service_id=$SID&interface=public&region_id=RegionOne" | jq -r '.endpoints[0].id')
  log "keystone users, projects, catalog and limits created"

  write_glance_conf "$E/glance" "$GL_PORT" true 1 "$EP"
  write_glance_conf "$E/glance-plain" "$PLAIN_PORT" false 0 "$EP"
  for d in glance glance-plain; do
    glance-manage --config-file "$E/$d/glance-api.conf" db_sync >"$E/logs/$d-manage.log" 2>&1 || die "$d db_sync failed"
    sqlite3 "$E/$d/glance.db" 'PRAGMA journal_mode=WAL;' >/dev/null
  done
  log "glance databases created"
  head -c 8M /dev/urandom >"$E/www/img8m.bin"
  write_env "$AT"
  touch "$E/configured"
}

write_env() {
  local AT=$1 u p ids
  for u in admin demo alt; do
    case $u in admin) p=$ADMIN_PASS ;; demo) p=$DEMO_PASS ;; *) p=$ALT_PASS ;; esac
    cat >"$E/env/$u.sh" <<VARS
export OS_AUTH_URL=$KS_URL/v3
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=$u
export OS_PASSWORD=$p
export OS_PROJECT_NAME=$u
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_IMAGE_API_VERSION=2
VARS
  done
  ids=$(curl -s "$KS_URL/v3/projects" -H "X-Auth-Token: $AT" | jq -r '.projects[] | "GLANCE_ACC_PROJECT_ID_\(.name|ascii_upcase)=\(.id)"')
  cat >"$E/env/acctest.env" <<VARS
OS_AUTH_URL=$KS_URL/v3
OS_USERNAME=admin
OS_PASSWORD=$ADMIN_PASS
OS_PROJECT_NAME=admin
OS_USER_DOMAIN_NAME=Default
OS_PROJECT_DOMAIN_NAME=Default
OS_REGION_NAME=RegionOne
GLANCE_ACC_DEMO_USERNAME=demo
GLANCE_ACC_DEMO_PASSWORD=$DEMO_PASS
GLANCE_ACC_DEMO_PROJECT=demo
GLANCE_ACC_ALT_USERNAME=alt
GLANCE_ACC_ALT_PASSWORD=$ALT_PASS
GLANCE_ACC_ALT_PROJECT=alt
$ids
GLANCE_ACC_SHORT_TOKEN_AUTH_URL=http://127.0.0.1:$KS_SHORT_PORT/v3
GLANCE_ACC_PUBLIC_ENDPOINT=$GL_URL
GLANCE_ACC_ADMIN_ENDPOINT=$ADMIN_GL_URL
GLANCE_ACC_PLAIN_ENDPOINT=$PLAIN_GL_URL
GLANCE_ACC_WEB_URL=$WEB_URL
GLANCE_ACC_TLS_AUTH_URL=$TLS_KS_URL/v3
GLANCE_ACC_TLS_ENDPOINT=$TLS_GL_URL
GLANCE_ACC_TLS_CACERT=$E/tls/ca.pem
GLANCE_ACC_WEB_DIR=$E/www
GLANCE_ACC_ENV_DIR=$E
GLANCE_ENV_DIR=$E
VARS
  grep -q GLANCE_ACC_PROJECT_ID_ALT "$E/env/acctest.env" || die "project ids missing from acctest.env"
}

start_keystone() {
  start_bg keystone "$KS_URL/v3" uwsgi --ini "$E/keystone/uwsgi.ini"
}

# make_tls creates a private CA and a server certificate it signs for 127.0.0.1 and localhost.
make_tls() {
  [[ -f $E/tls/server.pem && -f $E/tls/ca.pem ]] && return 0
  mkdir -p "$E/tls"
  (
    cd "$E/tls" &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=glance-testenv CA" -keyout ca-key.pem -out ca.pem &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext &&
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile server.ext -out server.pem
  ) >"$E/logs/tls.log" 2>&1 || die "creating the test CA failed (see $E/logs/tls.log)"
  log "test CA and server certificate created in $E/tls"
}

start_all() {
  start_keystone
  start_bg keystone-short "http://127.0.0.1:$KS_SHORT_PORT/v3" uwsgi --ini "$E/keystone-short/uwsgi.ini"
  start_bg glance-api "$GL_URL/healthcheck" glance-api --config-file "$E/glance/glance-api.conf"
  start_bg glance-plain "$PLAIN_GL_URL/healthcheck" glance-api --config-file "$E/glance-plain/glance-api.conf"
  if [[ ! -x $E/bin/prefixproxy || $ROOT/testenv/prefixproxy/main.go -nt $E/bin/prefixproxy ]]; then
    (cd "$ROOT" && go build -o "$E/bin/prefixproxy" ./testenv/prefixproxy) || die "building the prefix proxy failed"
  fi
  start_bg prefixproxy "$ADMIN_GL_URL/healthcheck" "$E/bin/prefixproxy" -listen "127.0.0.1:$PREFIX_PORT" -target "$GL_URL" -prefix /glance
  make_tls
  start_bg tls-keystone "$TLS_KS_URL/v3" "$E/bin/prefixproxy" -listen "127.0.0.1:$TLS_KS_PORT" -target "$KS_URL" -prefix "" \
    -tls-cert "$E/tls/server.pem" -tls-key "$E/tls/server-key.pem"
  start_bg tls-glance "$TLS_GL_URL/healthcheck" "$E/bin/prefixproxy" -listen "127.0.0.1:$TLS_GL_PORT" -target "$GL_URL" -prefix /glance \
    -tls-cert "$E/tls/server.pem" -tls-key "$E/tls/server-key.pem"
  start_bg web "$WEB_URL/img8m.bin" "$PY" -m http.server "$WEB_PORT" --bind 127.0.0.1 --directory "$E/www"
}

down_all() {
  local n
  for n in tls-glance tls-keystone web prefixproxy glance-plain glance-api keystone-short keystone; do
    if [[ ${1:-} == quiet ]]; then stop_one "$n" >/dev/null; else stop_one "$n"; fi
  done
}

healthy() { # state is complete
  [[ -f $E/configured && -f $E/env/acctest.env && -f $E/keystone-short/uwsgi.ini && -f $E/keystone/keystone.db && -f $E/glance/glance.db && -f $E/www/img8m.bin ]] &&
    grep -q GLANCE_ACC_TLS_CACERT "$E/env/acctest.env" && # written since the TLS front ends exist
    grep -q '^image_cache_dir' "$E/glance/glance-api.conf" && # the image cache is on since issue 16
    grep -q RegionThree "$E/logs/keystone-objects.log" # RegionThree: the plain Glance, for per-resource regions
}

up() {
  mkdir -p "$E"/{logs,run}
  install
  healthy || configure
  start_all
  # a token and an authenticated call through the prefix proxy prove the whole chain works
  local t
  t=$(token demo "$DEMO_PASS" demo)
  [[ -n $t ]] || die "keystone issues no token"
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_GL_URL/v2/info/stores" -H "X-Auth-Token: $t") == 200 ]] ||
    die "glance does not answer through the /glance proxy"
  [[ $(curl -s --cacert "$E/tls/ca.pem" -o /dev/null -w '%{http_code}' "$TLS_GL_URL/v2/info/stores" -H "X-Auth-Token: $t") == 200 ]] ||
    die "glance does not answer through the TLS proxy"
  log "ready: settings in $E/env/acctest.env"
}

status() {
  local n p
  for n in keystone keystone-short glance-api glance-plain prefixproxy web tls-keystone tls-glance; do
    if running "$n"; then
      p=$(cat "$E/run/$n.pid")
      echo "$n: running (pid $p, rss $(ps -o rss= -p "$p" --ppid "$p" | awk '{s+=$1} END {print int(s/1024)}') MiB)"
    else
      echo "$n: stopped"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
PASS=0 FAIL=0
check() {
  if [[ $2 == "$3" ]]; then PASS=$((PASS + 1)); echo "ok   - $1"; else FAIL=$((FAIL + 1)); echo "FAIL - $1: want [$2] got [$3]"; fi
}
smoke() {
  local A D H J id
  A=$(token admin "$ADMIN_PASS" admin)
  D=$(token demo "$DEMO_PASS" demo)
  H="X-Auth-Token: $D" J='Content-Type: application/json'
  check "tokens" yes "$([[ -n $A && -n $D ]] && echo yes || echo no)"
  check "catalog admin image endpoint is prefixed" "$ADMIN_GL_URL" \
    "$(curl -s "$KS_URL/v3/endpoints?interface=admin&region_id=RegionOne" -H "X-Auth-Token: $A" | jq -r '.endpoints[] | select(.url | test("glance")) | .url')"
  check "import methods" '["glance-direct","web-download","copy-image","glance-download"]' \
    "$(curl -s "$ADMIN_GL_URL/v2/info/import" -H "$H" | jq -c '.["import-methods"].value')"
  check "stores" '["fast","slow"]' "$(curl -s "$ADMIN_GL_URL/v2/info/stores" -H "$H" | jq -c '[.stores[].id]')"
  check "stores detail as member -> 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' "$GL_URL/v2/info/stores/detail" -H "$H")"
  check "usage limits" 1000000 "$(curl -s "$GL_URL/v2/info/usage" -H "$H" | jq -r .usage.image_size_total.limit)"
  check "plain glance: no multi-store" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$PLAIN_GL_URL/v2/info/stores" -H "$H")"
  check "plain glance: no quotas" '{}' "$(curl -s "$PLAIN_GL_URL/v2/info/usage" -H "$H" | jq -c .usage)"
  id=$(curl -s -X POST "$ADMIN_GL_URL/v2/images" -H "$H" -H "$J" -d '{"name":"smoke","disk_format":"raw","container_format":"bare"}' | jq -r .id)
  check "upload through /glance" 204 "$(curl -s -o /dev/null -w '%{http_code}' -T "$E/www/img8m.bin" -H "$H" -H 'Content-Type: application/octet-stream' -H 'X-Image-Meta-Store: slow' "$ADMIN_GL_URL/v2/images/$id/file")"
  check "active in slow with sha512" "active|slow|$(sha512sum <"$E/www/img8m.bin" | cut -d' ' -f1)" \
    "$(curl -s "$GL_URL/v2/images/$id" -H "$H" | jq -r '[.status,.stores,.os_hash_value]|join("|")')"
  check "delete" 204 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$GL_URL/v2/images/$id" -H "$H")"
  echo "$PASS passed, $FAIL failed"
  [[ $FAIL == 0 ]]
}

case ${1:-up} in
  up) up ;;
  down) mkdir -p "$E/run" && down_all ;;
  status) status ;;
  smoke) smoke ;;
  reset)
    mkdir -p "$E/run"
    down_all
    rm -rf "$E"/{keystone,keystone-short,glance,glance-plain,run,www,env,configured}
    up
    ;;
  *)
    echo "usage: $0 [up|down|status|smoke|reset]" >&2
    exit 2
    ;;
esac
