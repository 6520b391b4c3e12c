// The chat client: sends acknowledged by their echo, history pages, reconnecting with backoff
// and on wx.onAppShow, catch-up without gaps, and resends stored once.
import { test } from "node:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { ChatClient, ErrorCode } from "../miniprogram_dist/index.js";
import { member, groupOf, chat, assertOrdered, texts, eventually, sleep } from "./chat-support.mjs";

/** What a fresh socket's greeting and pages back show: the room's stored messages, in order. */
async function stored(who, room) {
  const reader = chat(who, room);
  await reader.client.connect();
  const all = [...reader.got];
  for (let page = await reader.client.loadOlder(); page.length > 0; page = await reader.client.loadOlder()) {
    all.unshift(...page);
  }
  reader.client.close();
  return all;
}

test("a message sent is acknowledged by its echo and reaches the other member", async () => {
  const alice = await member("alice");
  const bob = await member("bob");
  const room = { type: "group", group_id: await groupOf(alice, bob) };
  const a = chat(alice, room);
  const b = chat(bob, room);
  await Promise.all([a.client.connect(), b.client.connect()]);
  const sent = await a.client.sendText("你好");
  assert.equal(sent.user_id, alice.id);
  assert.equal(sent.msg.content, "你好");
  assert.ok(sent.msg.client_msg_id, "the send carried a client_msg_id");
  await b.until(1);
  assert.deepEqual(b.got[0], sent);
  // A refused send rejects with the error frame's code; the socket stays usable.
  await assert.rejects(a.client.sendText("x".repeat(4001)), { name: "ZuduiError", code: ErrorCode.MessageTooLong });
  assert.equal((await a.client.sendText("还在")).msg.content, "还在");
  a.client.close();
  b.client.close();
});

test("history pages back 20 at a time to the start of the room", async () => {
  const alice = await member("pager");
  const bob = await member("pager2");
  const room = { type: "group", group_id: await groupOf(alice, bob) };
  // Two senders, each within the chat's burst of 30.
  const a = chat(alice, room);
  const b = chat(bob, room);
  await Promise.all([a.client.connect(), b.client.connect()]);
  for (let i = 1; i <= 45; i++) await (i % 2 ? a : b).client.sendText(`m${i}`);
  a.client.close();
  b.client.close();

  const reader = chat(alice, room);
  await reader.client.connect();
  assert.deepEqual(texts(reader.got), Array.from({ length: 20 }, (_, i) => `m${i + 26}`), "the greeting: newest 20");
  const second = await reader.client.loadOlder();
  assert.deepEqual(texts(second), Array.from({ length: 20 }, (_, i) => `m${i + 6}`));
  const third = await reader.client.loadOlder();
  assert.deepEqual(texts(third), ["m1", "m2", "m3", "m4", "m5"]);
  assert.deepEqual(await reader.client.loadOlder(), [], "nothing before the first");
  assert.equal(reader.got.length, 20, "pages are answered, not given to onMessage");
  reader.client.close();
});

test("a dropped socket comes back on wx.onAppShow and catches up what was missed, in order", async () => {
  const alice = await member("sender");
  const bob = await member("sleeper");
  const room = { type: "group", group_id: await groupOf(alice, bob) };
  const a = chat(alice, room);
  // A long backoff: only the app coming back to the foreground reconnects in time.
  const b = chat(bob, room, { minDelayMs: 60_000, maxDelayMs: 60_000 });
  await Promise.all([a.client.connect(), b.client.connect()]);
  await a.client.sendText("before");
  await b.until(1);

  bob.wx.sockets.at(-1).drop();
  await eventually(() => b.states.includes("closed"), "bob's socket closed");
  // More than a greeting's 20 while bob is away.
  for (let i = 1; i <= 25; i++) await a.client.sendText(`away ${i}`);
  // Bob writes while offline: queued, sent after the reconnect.
  const queued = b.client.sendText("from the train");

  bob.wx.show();
  const mine = await queued;
  await b.until(27);
  assert.deepEqual(texts(b.got), ["before", ...Array.from({ length: 25 }, (_, i) => `away ${i + 1}`), "from the train"]);
  assertOrdered(b.got);
  assert.equal(b.got.at(-1).id, mine.id);
  assert.equal(bob.wx.sockets.length, 2);
  a.client.close();
  b.client.close();
});

test("a closed socket reconnects by itself with backoff", async () => {
  const alice = await member("backoff");
  const room = { type: "group", group_id: await groupOf(alice) };
  const a = chat(alice, room, { minDelayMs: 100, maxDelayMs: 400 });
  await a.client.connect();
  alice.wx.sockets.at(-1).drop();
  await eventually(() => alice.wx.sockets.length === 2 && a.states.at(-1) === "open", "reconnected");
  assert.equal((await a.client.sendText("back")).msg.content, "back");
  a.client.close();
});

test("a send whose acknowledgement was lost is resent with its client_msg_id and stored once", async () => {
  const alice = await member("writer");
  const bob = await member("unlucky");
  const room = { type: "group", group_id: await groupOf(alice, bob) };
  const a = chat(alice, room);
  const b = chat(bob, room, { minDelayMs: 60_000, maxDelayMs: 60_000 });
  await Promise.all([a.client.connect(), b.client.connect()]);

  // Bob's answers are lost on the way: the server stores his message, he never hears the echo.
  const socket = bob.wx.sockets.at(-1);
  socket.deaf = true;
  const sending = b.client.sendText("only once");
  await a.until(1);
  const storedFirst = a.got[0];
  assert.equal(storedFirst.msg.content, "only once");
  // Enough after it that the next greeting does not show it: bob must resend.
  for (let i = 1; i <= 20; i++) await a.client.sendText(`later ${i}`);
  const frames = [];
  socket.socket.on("message", (data) => frames.push(String(data)));
  socket.drop();
  await eventually(() => b.states.includes("closed"), "bob's socket closed");

  const sentFrames = [];
  const connect = bob.wx.connectSocket;
  bob.wx.connectSocket = (option) => {
    const task = connect(option);
    const send = task.send;
    task.send = (o) => (sentFrames.push(JSON.parse(o.data)), send(o));
    return task;
  };
  bob.wx.show();
  const acknowledged = await sending;
  assert.equal(acknowledged.id, storedFirst.id, "the stored message is the acknowledgement");
  const resent = sentFrames.filter((f) => f.msg_type === "text");
  assert.equal(resent.length, 1, JSON.stringify(sentFrames));
  assert.equal(resent[0].client_msg_id, storedFirst.msg.client_msg_id, "resent with the same id");

  const all = await stored(alice, room);
  assert.equal(all.filter((m) => m.msg.content === "only once").length, 1, "stored once");
  assert.equal(all.length, 21);
  await b.until(21);
  assertOrdered(b.got);
  a.client.close();
  b.client.close();
});

test("a send past the chat's rate limit (105) waits retry_after and goes through", async () => {
  const alice = await member("chatty");
  const room = { type: "group", group_id: await groupOf(alice) };
  const a = chat(alice, room);
  await a.client.connect();
  const refusals = [];
  alice.wx.sockets.at(-1).socket.on("message", (data) => {
    const frame = JSON.parse(String(data));
    if (frame.code === ErrorCode.TooManyRequests) refusals.push(frame);
  });
  // The default rule is a burst of 30 messages, then two a second.
  const sent = await Promise.all(Array.from({ length: 33 }, (_, i) => a.client.sendText(`n${i}`)));
  assert.ok(refusals.length > 0, "the server refused some with 105");
  assert.ok(refusals.every((f) => f.retry_after >= 1));
  assert.deepEqual(texts(sent), Array.from({ length: 33 }, (_, i) => `n${i}`), "sent in order, each once");
  await a.until(33);
  assertOrdered(a.got);
  a.client.close();
});

test("a private room carries a temporary file uploaded with wx.uploadFile", async () => {
  const alice = await member("privately");
  const bob = await member("friend");
  const a = chat(alice, { type: "private", user_id: bob.id });
  const b = chat(bob, { type: "private", user_id: alice.id });
  await Promise.all([a.client.connect(), b.client.connect()]);
  const hello = await a.client.sendText("文件发你了");
  const path = join(mkdtempSync(join(tmpdir(), "zudui-chat-")), "notes.txt");
  writeFileSync(path, "会议纪要");
  const { file_id } = await alice.api.upload("/chat/files/upload", {
    name: "file",
    filePath: path,
    formData: { type: "private", room_id: hello.room_id },
  });
  const sent = await a.client.sendFile("file", file_id);
  assert.equal(sent.msg.file_id, file_id);
  assert.equal(sent.msg.file_info.name, "notes.txt");
  await b.until(2);
  assert.deepEqual(b.got.at(-1), sent);
  a.client.close();
  b.client.close();
});

test("close() ends the socket for good and rejects what waits", async () => {
  const alice = await member("closer");
  const room = { type: "group", group_id: await groupOf(alice) };
  const a = chat(alice, room, { minDelayMs: 2000 });
  await a.client.connect();
  alice.wx.sockets.at(-1).drop();
  await eventually(() => a.states.includes("closed"), "closed");
  const waiting = a.client.sendText("never");
  a.client.close();
  await assert.rejects(waiting, /chat closed/);
  await sleep(300);
  assert.equal(alice.wx.sockets.length, 1, "no reconnect after close()");
  assert.ok(ChatClient);
});
