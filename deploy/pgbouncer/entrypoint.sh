#!/bin/sh
# pgbouncer container (deploy/pgbouncer/Dockerfile): pgbouncer.ini with its `rmdesk = …` database line pointed
# at DB_HOST:DB_PORT/DB_NAME and a user list of DB_USER/DB_PASSWORD (a plain password is allowed with
# auth_type scram-sha-256; a `"` in it must be written twice), then Debian's pgbouncer in the foreground.
set -eu
: "${DB_HOST:?set DB_HOST}" "${DB_USER:?set DB_USER}" "${DB_PASSWORD:?set DB_PASSWORD}"
DB_PORT=${DB_PORT:-5432}
DB_NAME=${DB_NAME:-rmdesk}
CONF_DIR=${PGBOUNCER_CONF_DIR:-/etc/pgbouncer}
umask 077
sed "s|^rmdesk = .*|$DB_NAME = host=$DB_HOST port=$DB_PORT dbname=$DB_NAME|" "$CONF_DIR/pgbouncer.ini.in" >"$CONF_DIR/pgbouncer.ini"
printf '"%s" "%s"\n' "$DB_USER" "$DB_PASSWORD" >"$CONF_DIR/userlist.txt"
exec /usr/sbin/pgbouncer "$CONF_DIR/pgbouncer.ini"
