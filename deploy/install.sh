#!/usr/bin/env bash
# Install or upgrade chibo on a Debian server: PostgreSQL, gunicorn behind nginx with TLS, the
# worker and the nightly backup under systemd (README, "Triển khai"). Run as root from a checkout
# of the repository, /srv/chibo by convention:
#
#     deploy/install.sh --domain chibo.tinhuy.vn [--cert FILE --key FILE] [--listen ADDRESS]
#
#   --domain   the name (or IP address) users type; a later run remembers it
#   --cert, --key   certificate (with its chain) and key in PEM; without them a self-signed
#              certificate is made the first time (replace it later by running again with them)
#   --listen   an address for nginx to listen on instead of every address (e.g. 127.0.0.1)
#
# Idempotent: run it again after "git pull" to upgrade (new code, migrations, static files,
# units), or with --cert/--key to put a real certificate in place. /etc/chibo/chibo.env is
# written once and never overwritten.
#
# Layout: code in /opt/chibo (a virtualenv), settings in /etc/chibo, data in /var/lib/chibo,
# backups in /var/backups/chibo, management command /usr/local/bin/chibo.
set -euo pipefail

VENV=/opt/chibo
ETC=/etc/chibo
VAR=/var/lib/chibo
BACKUPS=/var/backups/chibo
SITE=/etc/nginx/sites-available/chibo.conf

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
systemd_running() { [ -d /run/systemd/system ]; }

src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/pyproject.toml" ] || die "chạy từ thư mục mã nguồn chibo (deploy/install.sh)"
[ "$(id -u)" = 0 ] || die "cần chạy bằng root (sudo deploy/install.sh …)"
cd /   # psql and runuser complain about a home folder they cannot enter

# Options; what a previous run was given is remembered in /etc/chibo/install.conf.
domain="" listen="" cert="" key=""
# shellcheck disable=SC1091
[ -f "$ETC/install.conf" ] && . "$ETC/install.conf"
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) domain=${2:?}; shift 2 ;;
    --listen) listen=${2:?}; shift 2 ;;
    --cert) cert=${2:?}; shift 2 ;;
    --key) key=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "không hiểu tham số: $1 (xem --help)" ;;
  esac
done
[ -n "$domain" ] || die "cần --domain TÊN (tên miền hoặc địa chỉ IP của máy chủ)"
[ -z "$cert" ] || [ -n "$key" ] || die "--cert cần đi cùng --key"
[ -z "$cert" ] || { cert=$(realpath "$cert"); key=$(realpath "$key"); }

say "1/9 Gói Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  python3 python3-venv postgresql postgresql-client nginx openssl ca-certificates curl \
  libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 >/dev/null
python=/usr/bin/python3
[ -x /usr/bin/python3.11 ] && python=/usr/bin/python3.11
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "chibo cần Python 3.11 (Debian 12 có sẵn); $python là $("$python" --version)"

say "2/9 Tài khoản chibo và thư mục"
id chibo >/dev/null 2>&1 || useradd --system --user-group --home-dir "$VAR" --no-create-home \
  --shell /usr/sbin/nologin --comment "chibo" chibo
# Others (nginx) may pass through /var/lib/chibo but not list it; static/ belongs to group
# www-data (setgid: files collectstatic adds stay readable by nginx); media/ is chibo's alone.
install -d -o chibo -g chibo -m 0711 "$VAR"
install -d -o chibo -g www-data -m 2750 "$VAR/static"
install -d -o chibo -g chibo -m 0750 "$VAR/media" "$BACKUPS"
install -d -o root -g chibo -m 0750 "$ETC"
install -d -o root -g root -m 0755 "$ETC/tls"
printf 'domain=%q\nlisten=%q\n' "$domain" "$listen" > "$ETC/install.conf"

say "3/9 PostgreSQL: vai trò và CSDL chibo"
if systemd_running; then systemctl enable --now --quiet postgresql; else service postgresql start >/dev/null; fi
for _ in $(seq 30); do runuser -u postgres -- pg_isready -q && break; sleep 1; done
runuser -u postgres -- pg_isready -q || die "PostgreSQL không trả lời"
pg() { runuser -u postgres -- psql -X -q -tA -c "$1"; }
# The role has the name of the system user: peer authentication on the Unix socket, no password.
[ "$(pg "SELECT 1 FROM pg_roles WHERE rolname = 'chibo'")" = 1 ] || runuser -u postgres -- createuser chibo
[ "$(pg "SELECT 1 FROM pg_database WHERE datname = 'chibo'")" = 1 ] \
  || runuser -u postgres -- createdb --owner=chibo --encoding=UTF8 --locale=C.UTF-8 --template=template0 chibo

say "4/9 Môi trường Python $VENV"
[ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -c "$src/constraints.txt" "$src"
# The version number rarely changes: reinstall chibo itself so that new code is always taken.
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$src"
rm -rf "$src/build"

say "5/9 Cấu hình $ETC"
if [ ! -f "$ETC/chibo.env" ]; then
  secret=$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')
  sed -e "s/chibo\.example\.vn/$domain/g" -e "s/^CHIBO_SECRET_KEY=.*/CHIBO_SECRET_KEY=$secret/" \
    "$src/deploy/chibo.env.example" > "$ETC/chibo.env.new"
  chown root:chibo "$ETC/chibo.env.new"; chmod 0640 "$ETC/chibo.env.new"
  mv "$ETC/chibo.env.new" "$ETC/chibo.env"
  echo "Đã tạo $ETC/chibo.env (khóa bí mật mới). Điền máy chủ thư điện tử vào đó."
else
  echo "Giữ nguyên $ETC/chibo.env."
fi
install -o root -g root -m 0644 "$src/deploy/gunicorn.conf.py" "$ETC/gunicorn.conf.py"
cat > /usr/local/bin/chibo <<EOF
#!/bin/sh
# chibo's management command on this server (installed by deploy/install.sh): runs as the user
# chibo with $ETC/chibo.env. E.g. chibo createsuperuser, chibo backup, chibo check --deploy
set -e
if [ "\$(id -u)" = 0 ]; then exec runuser -u chibo -- "\$0" "\$@"; fi
[ "\$(id -un)" = chibo ] || { echo "chibo: chạy bằng root hoặc tài khoản chibo" >&2; exit 1; }
set -a; . $ETC/chibo.env; set +a
export HOME=$VAR
umask 027
cd $VAR
exec $VENV/bin/chibo "\$@"
EOF
chmod 0755 /usr/local/bin/chibo

say "6/9 CSDL (migrate) và tệp tĩnh (collectstatic)"
chibo migrate --noinput
chibo collectstatic --noinput -v 0
chibo check --deploy || echo "(chibo check --deploy báo lỗi: xem ở trên, sửa $ETC/chibo.env)"

say "7/9 Chứng chỉ TLS $ETC/tls"
if [ -n "$cert" ]; then
  install -o root -g root -m 0644 "$cert" "$ETC/tls/chibo.crt"
  install -o root -g root -m 0600 "$key" "$ETC/tls/chibo.key"
  echo "Đã chép chứng chỉ $cert."
elif [ ! -f "$ETC/tls/chibo.crt" ]; then
  if [[ $domain =~ ^[0-9.]+$|: ]]; then san="IP:$domain"; else san="DNS:$domain"; fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=$domain" -addext "subjectAltName=$san" \
    -keyout "$ETC/tls/chibo.key" -out "$ETC/tls/chibo.crt" 2>/dev/null
  chmod 0600 "$ETC/tls/chibo.key"
  echo "Đã tạo chứng chỉ tự ký cho $domain (trình duyệt sẽ cảnh báo; thay bằng --cert/--key)."
else
  echo "Giữ nguyên chứng chỉ đang có."
fi

say "8/9 nginx $SITE"
sed_listen=()
if [ -n "$listen" ]; then
  sed_listen=(-e "/^ *#/!s/listen 80/listen $listen:80/" -e "/^ *#/!s/listen 443/listen $listen:443/"
              -e '/^ *listen \[::\]/d')
fi
sed -e "/^ *#/!s/chibo\.example\.vn/$domain/g" "${sed_listen[@]}" "$src/deploy/nginx/chibo.conf" > "$SITE"
ln -sf "$SITE" /etc/nginx/sites-enabled/chibo.conf
rm -f /etc/nginx/sites-enabled/default   # it would take port 80 as default_server
nginx -t -q
if systemd_running; then
  systemctl enable --quiet nginx && systemctl reload-or-restart nginx
else
  if service nginx status >/dev/null 2>&1; then service nginx reload >/dev/null; else service nginx start >/dev/null; fi
fi

say "9/9 Dịch vụ systemd"
install -o root -g root -m 0644 "$src"/deploy/chibo-web.service "$src"/deploy/chibo-worker.service \
  "$src"/deploy/chibo-backup.service "$src"/deploy/chibo-backup.timer /etc/systemd/system/
url="https://$domain/"
if systemd_running; then
  systemctl daemon-reload
  systemctl enable --quiet chibo-web chibo-worker chibo-backup.timer
  systemctl restart chibo-web chibo-worker
  systemctl start chibo-backup.timer
  ip=${listen:-127.0.0.1}
  for _ in $(seq 30); do
    curl -fsk -o /dev/null --resolve "$domain:443:$ip" "${url}health" && break
    sleep 1
  done
  curl -fsk --resolve "$domain:443:$ip" "${url}health" >/dev/null \
    || die "chibo chưa trả lời ${url}health: xem journalctl -u chibo-web -u chibo-worker"
  echo "chibo đang chạy: ${url}accounts/login/"
else
  cat <<EOF
systemd không chạy trên máy này (một container?): các tệp dịch vụ đã được chép nhưng không khởi
động được. Chạy tay đúng các lệnh của chúng, bằng tài khoản chibo với $ETC/chibo.env:
  runuser -u chibo -- sh -c 'umask 027; set -a; . $ETC/chibo.env; cd $VAR; exec $VENV/bin/gunicorn --config $ETC/gunicorn.conf.py chibo.wsgi:application' &
  runuser -u chibo -- sh -c 'umask 027; set -a; . $ETC/chibo.env; cd $VAR; exec $VENV/bin/chibo worker --worker-id \$(hostname)' &
rồi mở ${url}accounts/login/
EOF
fi
echo "Tạo tài khoản quản trị đầu tiên: chibo createsuperuser"
