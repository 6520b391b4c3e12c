// A `wx` for Node over the real network: wx.request and wx.uploadFile over fetch, wx.connectSocket
// over the `ws` package, the file system manager over node:fs, storage in a Map that outlives a
// "restart" (hand it to the next shim), and wx.login answering the openid as its code (the
// server's development login).
import { openSync, readSync, closeSync, statSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import WebSocket from "ws";

export function makeWx({ openid, storage = new Map() }) {
  const showListeners = new Set();
  const sockets = [];
  const counts = { request: 0, uploadFile: 0, login: 0, parts: 0, readFile: 0 };
  const settle = (option, work) =>
    work.then(
      (result) => option.success?.(result),
      (err) => option.fail?.({ errMsg: `${err?.message ?? err}` }),
    );

  const wx = {
    counts,
    storage,
    sockets,
    /** The mini-program comes back to the foreground. */
    show() {
      showListeners.forEach((listener) => listener({}));
    },
    request(option) {
      counts.request += 1;
      if (option.url.includes("/upload/part")) counts.parts += 1;
      const binary = option.data instanceof ArrayBuffer;
      const body = option.data === undefined ? undefined : binary ? Buffer.from(option.data) : JSON.stringify(option.data);
      return settle(
        option,
        fetch(option.url, { method: option.method ?? "GET", headers: option.header, body }).then(async (res) => {
          const text = await res.text();
          let data = text;
          if ((option.dataType ?? "json") === "json") {
            try {
              data = JSON.parse(text);
            } catch {}
          }
          return { data, statusCode: res.status, header: Object.fromEntries(res.headers), errMsg: "request:ok" };
        }),
      );
    },
    uploadFile(option) {
      counts.uploadFile += 1;
      // As wx.uploadFile: the form's text fields first, then the file part.
      const form = new FormData();
      for (const [name, value] of Object.entries(option.formData ?? {})) form.append(name, String(value));
      form.append(option.name, new Blob([readFileSync(option.filePath)]), basename(option.filePath));
      return settle(
        option,
        fetch(option.url, { method: "POST", headers: option.header, body: form }).then(async (res) => ({
          data: await res.text(),
          statusCode: res.status,
          errMsg: "uploadFile:ok",
        })),
      );
    },
    login(option) {
      counts.login += 1;
      settle(option, Promise.resolve({ code: openid, errMsg: "login:ok" }));
    },
    getStorageSync(key) {
      return storage.has(key) ? JSON.parse(storage.get(key)) : "";
    },
    setStorageSync(key, value) {
      storage.set(key, JSON.stringify(value));
    },
    removeStorageSync(key) {
      storage.delete(key);
    },
    getFileSystemManager() {
      return {
        readFile(option) {
          counts.readFile += 1;
          settle(
            option,
            (async () => {
              const fd = openSync(option.filePath, "r");
              try {
                const size = statSync(option.filePath).size;
                const position = option.position ?? 0;
                const length = option.length ?? size - position;
                const bytes = Buffer.alloc(length);
                readSync(fd, bytes, 0, length, position);
                return { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length) };
              } finally {
                closeSync(fd);
              }
            })(),
          );
        },
        getFileInfo(option) {
          settle(option, (async () => ({ size: statSync(option.filePath).size }))());
        },
      };
    },
    connectSocket(option) {
      const socket = new WebSocket(option.url, { headers: option.header });
      const listeners = { open: [], message: [], close: [], error: [] };
      const emit = (kind, value) => listeners[kind].forEach((listener) => listener(value));
      const task = {
        /** While deaf, frames from the server are dropped unseen (an answer lost on the way). */
        deaf: false,
        url: option.url,
        socket,
        /** The network goes away: no close handshake. */
        drop() {
          socket.terminate();
        },
        send(o) {
          if (socket.readyState !== WebSocket.OPEN) return o.fail?.({ errMsg: "sendSocketMessage:fail" });
          socket.send(o.data, (err) => (err ? o.fail?.({ errMsg: String(err) }) : o.success?.({})));
        },
        close(o = {}) {
          socket.close(o.code ?? 1000, o.reason);
          o.success?.({});
        },
        onOpen: (l) => listeners.open.push(l),
        onMessage: (l) => listeners.message.push(l),
        onClose: (l) => listeners.close.push(l),
        onError: (l) => listeners.error.push(l),
      };
      socket.on("open", () => emit("open", {}));
      socket.on("message", (data, isBinary) => {
        if (!task.deaf) emit("message", { data: isBinary ? data : data.toString("utf8") });
      });
      socket.on("close", (code, reason) => emit("close", { code, reason: reason.toString() }));
      socket.on("error", (err) => emit("error", { errMsg: String(err) }));
      sockets.push(task);
      return task;
    },
    onAppShow(listener) {
      showListeners.add(listener);
    },
    offAppShow(listener) {
      showListeners.delete(listener);
    },
  };
  return wx;
}

/** The servers the Rust test started (tests/miniprogram.rs). */
export const HTTP_BASE = required("ZUDUI_HTTP_BASE");
export const WS_BASE = required("ZUDUI_WS_BASE");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with cargo test --test miniprogram`);
  return value;
}

/** A unique openid for this run of a test. */
export function openid(name) {
  return `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
