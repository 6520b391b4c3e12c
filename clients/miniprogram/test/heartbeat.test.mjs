// What keeps a socket open: the server pings every 5 s and closes one silent for 15 s; the
// platform's socket answers the pings, so an idle client sends nothing and stays connected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { member, groupOf, chat, sleep } from "./chat-support.mjs";

test("an idle socket stays open past the server's 15 s of silence", async () => {
  const alice = await member("idle");
  const room = { type: "group", group_id: await groupOf(alice) };
  const a = chat(alice, room);
  await a.client.connect();
  const sent = [];
  const socket = alice.wx.sockets.at(-1);
  const send = socket.send;
  socket.send = (o) => (sent.push(o.data), send(o));
  let pings = 0;
  socket.socket.on("ping", () => (pings += 1));
  await sleep(16_500);
  assert.deepEqual(a.states, ["open"], "never closed");
  assert.deepEqual(sent, [], "nothing sent to stay open");
  assert.ok(pings >= 3, `the server pinged (${pings})`);
  assert.equal((await a.client.sendText("still here")).msg.content, "still here");
  assert.equal(alice.wx.sockets.length, 1);
  a.client.close();
});

test("a handshake refused for a stale token signs in again and reconnects", async () => {
  const alice = await member("stale");
  const room = { type: "group", group_id: await groupOf(alice) };
  const a = chat(alice, room, { minDelayMs: 100, maxDelayMs: 400 });
  await a.client.connect();
  const logins = alice.wx.counts.login;
  alice.wx.setStorageSync("zudui:token", `${alice.api.token.slice(0, -4)}AAAA`);
  alice.wx.sockets.at(-1).drop();
  const back = a.client.sendText("after signing in again");
  assert.equal((await back).msg.content, "after signing in again");
  assert.equal(alice.wx.counts.login, logins + 1);
  assert.ok(alice.wx.sockets.length >= 3, "one socket refused, then one accepted");
  a.client.close();
});
