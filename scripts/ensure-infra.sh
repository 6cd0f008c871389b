#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer on their usual local ports: start them where they are
# installed but stopped, otherwise say exactly how to start them. Used by `make run`, `make test` and CI.
set -u
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || (exec 3<>"/dev/tcp/$PGHOST/$PGPORT") 2>/dev/null; }
rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi
if ! pg_up; then
  echo "PostgreSQL is not answering on $PGHOST:$PGPORT. Start it, for example:" >&2
  echo "  install postgresql and start its cluster, or run it with docker compose (see docs/operations.md" >&2
  echo "  for the passwords and the CASEREV_DB_ADMIN_URL, AMQP_URI and CASEREV_DB_PASSWORD to export)" >&2
  exit 1
fi

if ! rabbit_up; then
  if command -v rabbitmq-server >/dev/null 2>&1; then
    echo "Starting RabbitMQ ..."
    rabbitmq-server -detached || true
    for _ in $(seq 1 60); do rabbit_up && break; sleep 1; done
  fi
fi
if ! rabbit_up; then
  echo "RabbitMQ is not answering on 127.0.0.1:5672. Start it, for example:" >&2
  echo "  install rabbitmq-server and run: rabbitmq-server -detached   (or docker compose: docs/operations.md)" >&2
  exit 1
fi

# The integration tests create a virtual host per run through the management API.
if [ "${NEED_RABBIT_MANAGEMENT:-0}" = "1" ] && command -v rabbitmq-plugins >/dev/null 2>&1; then
  rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/15672) 2>/dev/null && break; sleep 1; done
  # A node wedged under load keeps its ports open while its management API never answers (seen here): every
  # suite would then hang. A local node that does not answer in 20 s is restarted.
  management_answers() { curl -s -f -m 20 -u guest:guest -o /dev/null http://127.0.0.1:15672/api/overview; }
  if command -v curl >/dev/null 2>&1 && ! management_answers && command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ's management API does not answer: restarting the local node ..."
    if ! timeout 30 rabbitmqctl stop >/dev/null 2>&1; then
      # The node on 5672 only (test suites run private nodes of their own on other ports).
      node_pid=$(ss -Hltnp 'sport = :5672' 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
      [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null
    fi
    sleep 2
    rabbitmq-server -detached || true
    for _ in $(seq 1 90); do management_answers && break; sleep 1; done
  fi
fi
echo "PostgreSQL and RabbitMQ are up."
