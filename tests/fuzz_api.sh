#!/usr/bin/env bash
# Fuzzes every HTTP operation of shared/openapi.json against the real native server with
# schemathesis: no 5xx, and every response must match the document (schema, status code, content
# type). Exits non-zero on any failure.
#
#   bash tests/fuzz_api.sh                  # about 2 minutes on 2 cores (50 examples per operation)
#   FUZZ_EXAMPLES=200 bash tests/fuzz_api.sh # more examples per operation
#   FUZZ_SEED=123 bash tests/fuzz_api.sh     # replay a run (the seed is printed at the end)
#
# It builds `zudui`, starts it on a free loopback port with a temporary data directory, the
# development login, an admin token and a relay secret, seeds a few users, groups, tags,
# announcements, pictures, files, chat rooms and uploads (so that generated ids hit real rows as
# well as missing ones), and hands their ids to schemathesis as dictionaries.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

SCHEMATHESIS_VERSION=4.32.5
examples=${FUZZ_EXAMPLES:-50}

echo "== schemathesis $SCHEMATHESIS_VERSION"
py=python3
version_of() {
  "$1" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}
venv="$root/target/schemathesis-$SCHEMATHESIS_VERSION"
if [ -x "$venv/bin/python" ]; then
  py="$venv/bin/python"
fi
if [ "$(version_of "$py")" != "$SCHEMATHESIS_VERSION" ]; then
  # A Python that refuses global installs (PEP 668) gets a virtual environment under target/.
  if ! "$py" -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$venv"
    py="$venv/bin/python"
    "$py" -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi

echo "== cargo build --bin zudui"
cargo build --bin zudui
bin="$root/target/debug/zudui"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
admin_token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
relay_secret=$(python3 -c 'import secrets; print(secrets.token_hex(16))')

echo "== zudui on $base (data in $work/data)"
mkdir -p "$work/data"
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  ZUDUI_LISTEN="127.0.0.1:$port" \
  ZUDUI_DATA_DIR="$work/data" \
  ZUDUI_DEV_LOGIN=1 \
  ZUDUI_ADMIN_TOKEN="$admin_token" \
  ZUDUI_RELAY_SECRET="$relay_secret" \
  ZUDUI_RATE_LIMITS=off \
  RUST_LOG=warn \
  "$bin" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$base/openapi.json" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/server.log" >&2
    echo "zudui did not start" >&2
    exit 1
  fi
  sleep 0.1
done

echo "== seed data and schemathesis configuration"
BASE="$base" ADMIN_TOKEN="$admin_token" RELAY_SECRET="$relay_secret" CONFIG="$work/schemathesis.toml" \
  python3 - <<'PY'
"""Seeds the server and writes the schemathesis configuration: credentials for every security
scheme and dictionaries of real ids that generated parameters draw from half of the time."""
import json
import os
import struct
import urllib.error
import urllib.request
import uuid
import zlib

BASE = os.environ["BASE"]
ADMIN = os.environ["ADMIN_TOKEN"]
RELAY = os.environ["RELAY_SECRET"]


def call(path, body=None, token=None, headers=None, raw=None, content_type=None, method="POST"):
    data = raw if raw is not None else json.dumps(body or {}).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", content_type or "application/json")
    if token:
        req.add_header("token", token)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            answer = json.loads(res.read())
    except urllib.error.HTTPError as err:
        raise SystemExit(f"seeding {path} failed: {err.code} {err.read().decode(errors='replace')}")
    assert answer["code"] == 0, (path, answer)
    return answer


def upload(path, token, fields, part, file_name, content):
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; "
             f"filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return call(path, token=token, raw=body, content_type=f"multipart/form-data; boundary={boundary}")


def png(width=24, height=16):
    """An RGB PNG, each row filter byte 0 and then its pixels."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 90)) for x in range(width))
        for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def login(openid):
    token = call("/auth/login", {"code": openid})["token"]
    return token, call("/user/info/text/getInfo", token=token)["id"]


owner, owner_id = login("fuzz-owner")
member, member_id = login("fuzz-member")
asker, asker_id = login("fuzz-asker")

ids = {name: [] for name in ("group", "file", "folder", "tag", "announcement", "picture",
                             "request", "upload", "room", "chat_file")}
for text in ("篮球", "python", "夜跑"):
    call("/user/info/tag/add", {"tag_text": text}, owner)
ids["tag"] += [t["id"] for t in call("/user/info/tag/get", token=owner)["tags"]]
upload("/user/info/avatar/add", owner, {}, "avatar", "me.png", png())

groups = []
for i, kind in enumerate(("学习", "运动", "游戏", "竞赛")):
    group = call("/group/external/group/create",
                 {"type": kind, "name": f"模糊测试 {i} 组", "user_limit": 10}, owner)["group_id"]
    groups.append(group)
    request = call("/group/external/group/join", {"group_id": group}, member)["request_id"]
    call("/group/external/joinRequest/process", {"request_id": request, "action": True}, owner)
    ids["request"].append(call("/group/external/group/join", {"group_id": group}, asker)["request_id"])
    for text in ("算法", "周末"):
        call("/group/internal/info/tag/add", {"group_id": group, "tag_text": text}, owner)
    ids["tag"] += [t["id"] for t in
                   call("/group/internal/info/tag/get", {"group_id": group}, owner)["tags"]]
ids["group"] = groups
active, dismissed = groups[0], groups[-1]

upload("/group/internal/info/avatar/add", owner, {"group_id": active}, "avatar", "g.png", png())
ids["picture"].append(upload("/group/internal/info/picture/add", owner, {"group_id": active},
                             "pic", "p.png", png())["pic_id"])
notice = call("/group/internal/announcement/add",
              {"group_id": active, "title": "第一次活动", "text": "周六图书馆见"}, owner)["announcement_id"]
upload("/group/internal/announcement/setPic", owner,
       {"group_id": active, "announcement_id": notice}, "pic", "a.png", png())
ids["announcement"].append(notice)
ids["announcement"].append(call("/group/internal/announcement/add",
                                {"group_id": active, "title": "第二次", "text": "待定"},
                                owner)["announcement_id"])

call("/group/internal/files/mk_dir", {"group_id": active, "name": "资料"}, owner)
folder = [f["id"] for f in call("/group/internal/files/get_dir", {"group_id": active}, owner)["files"]
          if f["type"] == "dir"][0]
ids["folder"].append(folder)
ids["file"].append(upload("/group/internal/files/upload", owner, {"group_id": active},
                          "file", "photo.png", png())["file_id"])
ids["file"].append(upload("/group/internal/files/upload", member,
                          {"group_id": active, "parent_id": folder}, "file", "笔记.txt",
                          "组队 notes\n".encode())["file_id"])
call("/group/internal/files/share", {"group_id": active, "file_id": ids["file"][0]}, owner)
ids["upload"].append(call("/group/internal/files/upload/begin",
                          {"group_id": active, "name": "big.bin", "size": 10}, owner)["upload_id"])

room = call("/chat/internal/open", {"user_id": owner_id, "peer_id": member_id},
            headers={"x-relay-secret": RELAY})["room"]
private_room = int(room.split(":")[1])
call("/chat/internal/post", {"room": room, "user_id": owner_id,
                             "frame": json.dumps({"msg_type": "text", "content": "你好"})},
     headers={"x-relay-secret": RELAY})
ids["room"] = [active, private_room]
ids["chat_file"].append(upload("/chat/files/upload", owner, {"type": "group", "room_id": active},
                               "file", "voice.png", png())["file_id"])
ids["chat_file"].append(upload("/chat/files/upload", owner,
                               {"type": "private", "room_id": private_room},
                               "file", "hello.txt", b"hello")["file_id"])
call("/group/internal/setting/dismiss", {"group_id": dismissed}, owner)
call("/group/internal/member/rate",
     {"group_id": dismissed, "rates": [{"user_id": owner_id, "star_rating": 7.5}]}, member)

users = [owner_id, member_id, asker_id]
dictionaries = {
    "groups": groups,
    "files": ids["file"] + ids["folder"] + ids["chat_file"],
    "folders": ids["folder"] + [0],
    "tags": ids["tag"],
    "announcements": ids["announcement"],
    "pictures": ids["picture"],
    "requests": ids["request"],
    "uploads": ids["upload"],
    "users": users,
    "rooms": ids["room"],
    "room_keys": [f"group:{active}", room],
    "group_types": ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"],
    "tables": ["users", "user_tags", "groups", "group_members", "group_files", "chat_messages"],
    "picture_ids": [str(v) for v in groups + ids["picture"] + ids["announcement"]] + users,
}
bindings = {
    "group_id": "groups", "file_id": "files", "parent_id": "folders", "tag_id": "tags",
    "announcement_id": "announcements", "pic_id": "pictures", "request_id": "requests",
    "upload_id": "uploads", "user_id": "users", "peer_id": "users", "room_id": "rooms",
    "room": "room_keys", "before": "announcements",
}


def toml(value):
    return json.dumps(value, ensure_ascii=False)


lines = [
    "# Written by tests/fuzz_api.sh for one run.",
    "[auth.openapi.tokenHeader]", f"api_key = {toml(owner)}",
    "[auth.openapi.tokenQuery]", f"api_key = {toml(owner)}",
    "[auth.openapi.adminBearer]", f"bearer = {toml(ADMIN)}",
    "[auth.openapi.relaySecret]", f"api_key = {toml(RELAY)}",
]
for name, values in dictionaries.items():
    lines += [f"[dictionaries.{name}]", f"values = {toml(values)}"]
lines.append("[parameters]")
for param, name in bindings.items():
    for location in ("body", "query"):
        lines.append(f"{toml(location + '.' + param)} = {{ dictionary = {toml(name)}, probability = 0.5 }}")
lines.append(f"{toml('query.table')} = {{ dictionary = \"tables\", probability = 0.7 }}")
lines.append(f"{toml('query.id')} = {{ dictionary = \"picture_ids\", probability = 0.7 }}")
# `type` is a group type in /group (a room type elsewhere, which the schema enumerates).
lines += ["[[operations]]", 'include-path-regex = "^/group/"', "[operations.parameters]",
          f"{toml('body.type')} = {{ dictionary = \"group_types\", probability = 0.7 }}"]
with open(os.environ["CONFIG"], "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"seeded {len(users)} users, {len(groups)} groups, "
      f"{sum(len(v) for v in dictionaries.values())} ids")
PY

echo "== schemathesis ($examples examples per operation)"
# Excluded: the WebSocket upgrades /chat/group and /chat/private (documented, but not HTTP
# request/response operations a fuzzer can check; tests/chat*.rs cover them), and account
# deletion (/user/account/delete, /debug/api/user/delete): its first success would delete the
# seeded user whose token every other operation uses (tests/account.rs and tests/debug cover it).
# --workers 1: the server gets the other core, and schemathesis's hypothesis on CPython 3.11 can
# crash ("AST constructor recursion depth mismatch") when several threads generate at once.
seed_args=()
if [ -n "${FUZZ_SEED:-}" ]; then
  seed_args=(--seed "$FUZZ_SEED")
fi
cd "$work"
status=0
"$py" -c 'import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())' \
  --config-file "$work/schemathesis.toml" \
  run "$root/shared/openapi.json" \
  --url "$base" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --exclude-path-regex '^(/chat/(group|private)|/user/account/delete|/debug/api/user/delete)$' \
  --max-examples "$examples" \
  --workers 1 \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  "${seed_args[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "== schemathesis failed ($status); server log tail:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
