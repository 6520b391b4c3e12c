// Two members of one group, each with a `wx` of their own, and a chat client's messages kept.
import assert from "node:assert/strict";
import { Zudui, ChatClient } from "../miniprogram_dist/index.js";
import { makeWx, openid, HTTP_BASE, WS_BASE } from "./wx-shim.mjs";

export async function member(name) {
  const wx = makeWx({ openid: openid(name) });
  const api = new Zudui({ baseUrl: HTTP_BASE, wsUrl: WS_BASE, wx });
  const me = await api.call("/user/info/text/getInfo");
  return { wx, api, id: me.id };
}

/** A group of `owner` that `others` have joined. */
export async function groupOf(owner, ...others) {
  const { group_id } = await owner.api.call("/group/external/group/create", { type: "游戏", name: "开黑", user_limit: 10 });
  for (const other of others) {
    const { request_id } = await other.api.call("/group/external/group/join", { group_id });
    await owner.api.call("/group/external/joinRequest/process", { request_id, action: true });
  }
  return group_id;
}

/** A chat client whose `onMessage` calls are recorded in `got`; `until(n)` waits for n of them. */
export function chat(who, room, options = {}) {
  const got = [];
  const states = [];
  const waiters = [];
  const client = new ChatClient(who.api, {
    room,
    ...options,
    onMessage(message) {
      got.push(message);
      waiters.filter((w) => got.length >= w.n).forEach((w) => w.resolve());
    },
    onState: (state) => states.push(state),
  });
  const until = (n, ms = 10_000) =>
    got.length >= n
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} messages after ${ms} ms`)), ms);
          waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
        });
  return { client, got, states, until };
}

/** Ids strictly increasing, with no message twice. */
export function assertOrdered(messages) {
  const ids = messages.map((m) => m.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(new Set(ids).size, ids.length, `no message twice: ${ids}`);
}

export const texts = (messages) => messages.map((m) => m.msg.content);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate()` holds (checked every 20 ms), or fails after `ms`. */
export async function eventually(predicate, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`never: ${what}`);
    await sleep(20);
  }
}
