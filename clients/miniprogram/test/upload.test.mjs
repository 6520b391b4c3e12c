// Uploads over wx.uploadFile (fields before the file) and resumable uploads resumed after a
// restart of the mini-program from what it stored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { Zudui, ResumableUpload, UploadPaused } from "../miniprogram_dist/index.js";
import { makeWx, openid, HTTP_BASE } from "./wx-shim.mjs";

const dir = mkdtempSync(join(tmpdir(), "zudui-sdk-"));

function file(name, bytes) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function signedIn(name, storage) {
  const wx = makeWx({ openid: name, storage });
  const api = new Zudui({ baseUrl: HTTP_BASE, wx });
  return { wx, api };
}

async function group(api) {
  const { group_id } = await api.call("/group/external/group/create", { type: "学习", name: "资料组", user_limit: 5 });
  return group_id;
}

async function download(api, groupId, fileId) {
  const url = `${HTTP_BASE}/group/internal/files/download?group_id=${groupId}&file_id=${fileId}&token=${api.token}`;
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

test("a file goes up with wx.uploadFile, its form fields before it", async () => {
  const { wx, api } = await signedIn(openid("uploader"));
  const groupId = await group(api);
  await api.call("/group/internal/files/mk_dir", { group_id: groupId, name: "笔记" });
  const root = await api.call("/group/internal/files/get_dir", { group_id: groupId });
  const folder = root.files.find((f) => f.name === "笔记").id;
  const bytes = Buffer.from("第一章 内容\n".repeat(1000));
  const uploaded = await api.upload("/group/internal/files/upload", {
    name: "file",
    filePath: file("local-name.txt", bytes),
    formData: { group_id: groupId, parent_id: folder, file_name: "第一章.txt" },
  });
  assert.equal(wx.counts.uploadFile, 1);
  const listing = await api.call("/group/internal/files/get_dir", { group_id: groupId, parent_id: folder });
  const entry = listing.files.find((f) => f.id === uploaded.file_id);
  assert.ok(entry, JSON.stringify(listing));
  assert.equal(entry.name, "第一章.txt");
  assert.equal(entry.size, bytes.length);
  assert.deepEqual(await download(api, groupId, uploaded.file_id), bytes);
});

test("an upload refused by the server is a typed error", async () => {
  const { api } = await signedIn(openid("stranger"));
  await assert.rejects(
    api.upload("/group/internal/files/upload", {
      name: "file",
      filePath: file("x.txt", "x"),
      formData: { group_id: 999999999 },
    }),
    { name: "ZuduiError", code: 301, status: 404 },
  );
});

test("a resumable upload paused after a part is finished by the next run from storage", async () => {
  const name = openid("resumer");
  const storage = new Map();
  const first = await signedIn(name, storage);
  const groupId = await group(first.api);
  // Three parts of 8,000,000 bytes, the last short.
  const bytes = randomBytes(2 * 8_000_000 + 12_345);
  const path = file("video.mp4", bytes);
  const options = { target: { kind: "group", group_id: groupId }, filePath: path, name: "录像.mp4" };

  const upload = new ResumableUpload(first.api, { ...options, onProgress: () => upload.pause() });
  await assert.rejects(upload.start(), UploadPaused);
  assert.equal(first.wx.counts.parts, 1);
  const saved = upload.saved;
  assert.deepEqual(saved.received, [0]);
  assert.equal(saved.part_count, 3);

  // A restart: new wx, client and uploader; only storage is left.
  const second = await signedIn(name, storage);
  const resumed = new ResumableUpload(second.api, options);
  assert.equal(resumed.saved.upload_id, saved.upload_id);
  const { file_id } = await resumed.start();
  assert.equal(second.wx.counts.parts, 2, "only the missing parts are sent");
  assert.equal(resumed.saved, undefined, "the stored progress is removed once complete");
  assert.equal(sha(await download(second.api, groupId, file_id)), sha(bytes));
});

test("a stored upload the server no longer has begins again", async () => {
  const name = openid("restarter");
  const storage = new Map();
  const { api } = await signedIn(name, storage);
  const groupId = await group(api);
  const bytes = randomBytes(1000);
  const options = { target: { kind: "group", group_id: groupId }, filePath: file("a.bin", bytes), name: "a.bin", key: "a.bin" };
  // Progress stored by an earlier run, of an upload since aborted.
  const first = await api.call("/group/internal/files/upload/begin", { group_id: groupId, name: "a.bin", size: 1000 });
  const { upload_id, part_size } = first;
  storage.set("a.bin", JSON.stringify({ upload_id, size: 1000, part_size, part_count: 1, received: [] }));
  await api.call("/group/internal/files/upload/abort", { upload_id: first.upload_id });
  const again = new ResumableUpload(api, options);
  const { file_id } = await again.start();
  assert.deepEqual(await download(api, groupId, file_id), bytes);
});

test("a resumable upload into a chat room", async () => {
  const { api } = await signedIn(openid("chatter"));
  const groupId = await group(api);
  const bytes = randomBytes(8_000_000 + 1);
  const upload = new ResumableUpload(api, {
    target: { kind: "chat", type: "group", room_id: groupId },
    filePath: file("clip.bin", bytes),
    name: "clip.bin",
  });
  const { file_id } = await upload.start();
  const url = `${HTTP_BASE}/chat/files/download?type=group&room_id=${groupId}&file_id=${file_id}&token=${api.token}`;
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(bytes));
});
