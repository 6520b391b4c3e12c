// Sign-in, typed calls, signing in again on 111/112, typed errors and 105 with Retry-After.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { Zudui, ZuduiError, ErrorCode, errorMessages, errorStatuses } from "../miniprogram_dist/index.js";
import { makeWx, openid, HTTP_BASE } from "./wx-shim.mjs";

function client(name) {
  const wx = makeWx({ openid: openid(name) });
  return { wx, api: new Zudui({ baseUrl: HTTP_BASE, wx }) };
}

/** An HS256 token of the server's form, signed with the tests' key, that expired an hour ago
 * (past jwt-simple's 15 minutes of tolerance). */
function expiredToken(userId) {
  const now = Math.floor(Date.now() / 1000);
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = { iss: "zudui", sub: userId, iat: now - 7200, nbf: now - 7200, exp: now - 3600 };
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  const secret = process.env.ZUDUI_JWT_SECRET;
  assert.ok(secret, "ZUDUI_JWT_SECRET is set by tests/miniprogram.rs");
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

test("the first call signs in with wx.login and answers typed fields", async () => {
  const { wx, api } = client("alice");
  assert.equal(api.token, undefined);
  const me = await api.call("/user/info/text/getInfo", {});
  assert.equal(wx.counts.login, 1);
  assert.equal(me.code, 0);
  assert.match(me.nickname, /^用户/);
  assert.equal(typeof me.star_rating, "number");
  assert.ok(api.token, "the token is kept in storage");
  const edited = await api.call("/user/info/text/setNickname", { nickname: "小明" });
  assert.equal(edited.code, 0);
  assert.equal((await api.call("/user/info/text/getInfo")).nickname, "小明");
  assert.equal(wx.counts.login, 1, "the stored token is reused");
});

test("a forged token (112) and an expired one (111) sign in again once and retry the call", async () => {
  const { wx, api } = client("bob");
  const me = await api.call("/user/info/text/getInfo");
  for (const [token, code] of [
    [`${api.token.slice(0, -4)}AAAA`, ErrorCode.TokenInvalid],
    [expiredToken(me.id), ErrorCode.TokenExpired],
  ]) {
    // The token really is refused with that code.
    const check = await fetch(`${HTTP_BASE}/user/info/text/getInfo`, { method: "POST", headers: { token } });
    assert.equal((await check.json()).code, code);
    wx.setStorageSync("zudui:token", token);
    const logins = wx.counts.login;
    const again = await api.call("/user/info/text/getInfo");
    assert.equal(again.id, me.id, "the same WeChat user");
    assert.equal(wx.counts.login, logins + 1);
    assert.notEqual(api.token, token);
  }
});

test("calls refused together sign in once", async () => {
  const { wx, api } = client("carol");
  await api.call("/user/info/text/getInfo");
  wx.setStorageSync("zudui:token", "not.a.token");
  const answers = await Promise.all([1, 2, 3].map(() => api.call("/user/info/tag/get", {})));
  assert.equal(answers.length, 3);
  assert.equal(wx.counts.login, 2);
});

test("a documented code is a typed ZuduiError with status, message and code", async () => {
  const { api } = client("dave");
  await assert.rejects(api.call("/user/info/text/getInfo", { user_id: "nobody-has-this-id" }), (err) => {
    assert.ok(err instanceof ZuduiError);
    assert.equal(err.code, ErrorCode.UserNotFound);
    assert.equal(err.status, 404);
    assert.equal(err.status, errorStatuses[ErrorCode.UserNotFound]);
    assert.equal(err.errorMsg, errorMessages[ErrorCode.UserNotFound]);
    // The server's id of the request, to find its log line.
    assert.match(err.requestId, /^[0-9a-f]{32}$/);
    return true;
  });
  await assert.rejects(api.call("/group/external/group/create", { type: "学习", name: "", user_limit: 5 }), {
    code: ErrorCode.BadParam,
    status: 400,
  });
});

// The server of these tests limits searches to `search=1/60`: one at once, one more a second.
test("105 waits for Retry-After and tries again", async () => {
  const { api } = client("erin");
  await api.call("/user/info/text/getInfo");
  const started = Date.now();
  for (let i = 0; i < 3; i++) {
    const found = await api.call("/group/external/search/group", { type: "学习", key: "x" });
    assert.equal(found.code, 0);
  }
  assert.ok(Date.now() - started >= 1500, `three searches waited for two tokens (${Date.now() - started} ms)`);
});

test("105 beyond the retries allowed is thrown with retryAfter", async () => {
  const wx = makeWx({ openid: openid("frank") });
  const api = new Zudui({ baseUrl: HTTP_BASE, wx, maxRateRetries: 0 });
  await api.call("/group/external/search/group", { type: "学习", key: "y" });
  await assert.rejects(api.call("/group/external/search/group", { type: "学习", key: "y" }), (err) => {
    assert.equal(err.code, ErrorCode.TooManyRequests);
    assert.equal(err.status, 429);
    assert.ok(err.retryAfter >= 1, `retryAfter ${err.retryAfter}`);
    return true;
  });
});
