import type { Zudui } from "./client";
import { ErrorCode, ZuduiError } from "./errors";
import { later, sleep } from "./timers";
import type { ChatMessage } from "./types";
import type { WxSocketTask } from "./wx";

/** A chat room: a group's, or the private room with one user. */
export type Room = { type: "group"; group_id: number } | { type: "private"; user_id: string };

export interface ChatOptions {
  room: Room;
  /** Each message once, in id order with no gap: on the first connection the greeting (the
   * newest 20, `history: true`), then every later one, including those sent while the socket was
   * down (caught up on reconnect). */
  onMessage?(message: ChatMessage): void;
  /** An error frame no request of this client was waiting for. */
  onError?(error: ZuduiError): void;
  /** The socket opened (after its catch-up) or closed. */
  onState?(state: "open" | "closed"): void;
  /** Reconnect delays: from `minDelayMs` doubling to `maxDelayMs`, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The server sends nothing for an empty history page, and no end of the greeting: a page
   * shorter than 20 is taken as whole once this long passes without another message. */
  quietMs?: number;
  /** 105 on a send: how many times to wait `retry_after` and send again. */
  maxRateRetries?: number;
}

const PAGE = 20;

type Request =
  | { kind: "send"; frame: Record<string, unknown>; id: string; done: Settle<ChatMessage>; tries: number }
  | { kind: "history"; before: number; done: Settle<ChatMessage[]>; page: ChatMessage[]; tries: number; catchUp?: true };

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** One room's socket over `wx.connectSocket`. The server pings every 5 s and closes a socket
 * silent for 15 s; the platform's socket answers those pings itself, so the client sends nothing
 * to stay open (any frame would cost a chat rate-limit token). A closed socket is opened again
 * with exponential backoff, and at once when the mini-program comes back to the foreground
 * (`wx.onAppShow`); after the greeting, the client resends what was not acknowledged (same
 * `client_msg_id`: the server stores it once) and pages back until the last message it had. */
export class ChatClient {
  private task?: WxSocketTask;
  private open = false;
  private closedByUser = false;
  private attempt = 0;
  private cancelRetry?: () => void;
  private readonly requests: Request[] = [];
  private inFlight?: Request;
  private busy = false;
  /** Messages received but not yet given to `onMessage` (held during a catch-up). */
  private readonly inbox = new Map<number, ChatMessage>();
  /** The greeting of the current socket, until it is complete. */
  private greeting?: { messages: ChatMessage[]; done: () => void };
  private catchingUp = false;
  private everOpen = false;
  private lastSeen?: number;
  private oldest?: number;
  private quietTimer?: () => void;
  private readonly onAppShow = () => {
    if (!this.open && !this.closedByUser) this.reconnectNow();
  };

  constructor(
    private readonly client: Zudui,
    private readonly options: ChatOptions,
  ) {
    client.wx.onAppShow(this.onAppShow);
  }

  /** Opens the socket; resolves once it is open and caught up. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => this.dial(resolve, reject));
  }

  /** Sends a text; resolves with the stored message (the server's echo is the acknowledgement). */
  sendText(content: string, at?: string[]): Promise<ChatMessage> {
    return this.sendFrame({ msg_type: "text", content, ...(at ? { at } : {}) });
  }

  /** Sends a file message naming a temporary file of the room (`/chat/files/upload`). */
  sendFile(msg_type: "image" | "voice" | "video" | "file", file_id: number): Promise<ChatMessage> {
    return this.sendFrame({ msg_type, file_id });
  }

  /** The page of up to 20 messages before `before` (default: the oldest this client has),
   * oldest first; empty at the start of the room. */
  loadOlder(before?: number): Promise<ChatMessage[]> {
    const from = before ?? this.oldest;
    if (from === undefined) return Promise.resolve([]);
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: "history", before: from, done: { resolve, reject }, page: [], tries: 0 }),
    );
  }

  /** Closes for good: no reconnect; waiting calls are rejected. */
  close(): void {
    this.closedByUser = true;
    this.cancelRetry?.();
    this.client.wx.offAppShow(this.onAppShow);
    this.task?.close({});
    const waiting = [...(this.inFlight ? [this.inFlight] : []), ...this.requests.splice(0)];
    this.inFlight = undefined;
    waiting.forEach((r) => r.done.reject(new Error("chat closed")));
  }

  private sendFrame(frame: Record<string, unknown>): Promise<ChatMessage> {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: "send", frame: { ...frame, client_msg_id: id }, id, done: { resolve, reject }, tries: 0 }),
    );
  }

  private enqueue(request: Request): void {
    this.requests.push(request);
    void this.pump();
  }

  private async dial(opened?: () => void, failed?: (e: unknown) => void): Promise<void> {
    let token: string;
    try {
      token = await this.client.ensureToken();
    } catch (err) {
      failed ? failed(err) : this.scheduleReconnect();
      return;
    }
    const { room } = this.options;
    const query = room.type === "group" ? `group_id=${room.group_id}` : `user_id=${encodeURIComponent(room.user_id)}`;
    const task = this.client.wx.connectSocket({ url: `${this.client.wsUrl}/chat/${room.type}?${query}`, header: { token } });
    this.task = task;
    let wasOpen = false;
    let ended = false;
    task.onOpen(() => {
      wasOpen = true;
      this.attempt = 0;
      this.greet().then(
        () => {
          this.options.onState?.("open");
          opened?.();
        },
        () => undefined,
      );
    });
    task.onMessage(({ data }) => {
      if (this.task === task && typeof data === "string") this.receive(data);
    });
    const end = (why: unknown) => {
      if (ended || this.task !== task) return;
      ended = true;
      this.open = false;
      this.greeting = undefined;
      this.busy = false;
      this.stopQuiet();
      this.dropCatchUp();
      this.options.onState?.("closed");
      if (!wasOpen && failed) failed(why);
      else if (!this.closedByUser) void this.afterFailure(!wasOpen);
    };
    task.onClose((e) => end(new Error(`socket closed: ${e.code} ${e.reason}`)));
    task.onError((e) => end(new Error(e.errMsg)));
  }

  /** A socket refused at the handshake may carry a stale token: check it (111/112 there are
   * HTTP answers the socket API does not show) before the next try. */
  private async afterFailure(refused: boolean): Promise<void> {
    if (refused) {
      try {
        const { status } = await this.client.call("/auth/checkLogin");
        if (!status) await this.client.login();
      } catch {
        // offline: the backoff tries again
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const min = this.options.minDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.cancelRetry?.();
    this.cancelRetry = later(() => void this.dial(), delay);
  }

  private reconnectNow(): void {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    void this.dial();
  }

  /** Waits for the greeting; resends unacknowledged sends it does not show; catches up. */
  private async greet(): Promise<void> {
    const messages = await new Promise<ChatMessage[]>((resolve) => {
      const got: ChatMessage[] = [];
      this.greeting = { messages: got, done: () => resolve(got) };
      this.quiet();
    });
    this.greeting = undefined;
    // Sends this socket's greeting shows were stored: settle them.
    for (const message of messages) this.settleSend(message);
    // What was in flight is sent again first, then what was queued (the same `client_msg_id`: a
    // message stored already comes back rather than being stored twice), then the catch-up.
    if (this.inFlight) this.requests.unshift(this.inFlight);
    this.inFlight = undefined;
    this.open = true;
    // Back from a break, with more than a greeting missed: page back to the last message had
    // (or to the room's start if none was), holding new messages until the gap is closed.
    if (this.everOpen && messages.length === PAGE) {
      const floor = this.lastSeen ?? 0;
      this.catchingUp = true;
      try {
        for (let before = messages[0].id; before > floor; ) {
          const page = await new Promise<ChatMessage[]>((resolve, reject) => {
            this.requests.push({ kind: "history", before, done: { resolve, reject }, page: [], tries: 0, catchUp: true });
            void this.pump();
          });
          if (page.length === 0) break;
          before = page[0].id;
        }
      } finally {
        this.catchingUp = false;
      }
    }
    this.everOpen = true;
    this.flush();
    void this.pump();
  }

  private receive(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof frame.id !== "number") return this.failed(ZuduiError.from(frame, 0) as ZuduiError);
    const message = frame as unknown as ChatMessage;
    this.oldest = Math.min(this.oldest ?? message.id, message.id);
    if (this.greeting) {
      this.inbox.set(message.id, message);
      if (message.history) this.greeting.messages.push(message);
      if (!message.history || this.greeting.messages.length === PAGE) this.endGreeting();
      else this.quiet();
      return;
    }
    const request = this.inFlight;
    if (request?.kind === "history" && message.history && !this.settleSend(message)) {
      request.page.push(message);
      this.inbox.set(message.id, message);
      if (request.page.length === PAGE) this.finish(request.page);
      else this.quiet();
      return;
    }
    this.inbox.set(message.id, message);
    this.settleSend(message);
    this.flush();
  }

  /** An acknowledgement of a send of ours, in flight or waiting to be resent. */
  private settleSend(message: ChatMessage): boolean {
    const id = message.msg.client_msg_id;
    if (id === undefined) return false;
    if (this.inFlight?.kind === "send" && this.inFlight.id === id) {
      this.finish(message);
      return true;
    }
    const waiting = this.requests.findIndex((r) => r.kind === "send" && r.id === id);
    if (waiting >= 0) this.requests.splice(waiting, 1)[0].done.resolve(message as never);
    return waiting >= 0;
  }

  private failed(error: ZuduiError): void {
    const request = this.inFlight;
    if (!request || this.greeting) return this.options.onError?.(error);
    this.stopQuiet();
    if (error.code === ErrorCode.TooManyRequests && request.tries < (this.options.maxRateRetries ?? 3)) {
      request.tries += 1;
      this.inFlight = undefined;
      this.busy = true;
      void sleep((error.retryAfter ?? 1) * 1000).then(() => {
        this.requests.unshift(request);
        this.busy = false;
        void this.pump();
      });
      return;
    }
    this.inFlight = undefined;
    request.done.reject(error);
    void this.pump();
  }

  /** The request in flight is answered. */
  private finish(value: ChatMessage | ChatMessage[]): void {
    const request = this.inFlight;
    if (!request) return;
    this.stopQuiet();
    this.inFlight = undefined;
    request.done.resolve(value as never);
    void this.pump();
  }

  /** Sends the next request once the one before is answered: error frames name no request, so
   * one at a time is what lets an error be matched to its request. */
  private async pump(): Promise<void> {
    if (!this.open || this.busy || this.inFlight || this.task === undefined) return;
    const next = this.requests.shift();
    if (!next) return;
    this.inFlight = next;
    const frame = next.kind === "send" ? next.frame : { msg_type: "history", msg_id: next.before };
    if (next.kind === "history") next.page = [];
    this.task.send({ data: JSON.stringify(frame) });
    if (next.kind === "history") this.quiet();
  }

  /** A catch-up belongs to its socket: the next one starts its own. */
  private dropCatchUp(): void {
    const stale = (r: Request) => r.kind === "history" && r.catchUp === true;
    const dropped = this.requests.filter(stale);
    if (this.inFlight && stale(this.inFlight)) dropped.push(this.inFlight), (this.inFlight = undefined);
    this.requests.splice(0, this.requests.length, ...this.requests.filter((r) => !stale(r)));
    dropped.forEach((r) => r.done.reject(new Error("socket closed during the catch-up")));
  }

  /** Restarts the wait after which a short greeting or history page counts as whole. */
  private quiet(): void {
    this.stopQuiet();
    this.quietTimer = later(() => {
      this.quietTimer = undefined;
      if (this.greeting) this.endGreeting();
      else if (this.inFlight?.kind === "history") this.finish(this.inFlight.page);
    }, this.options.quietMs ?? 1000);
  }

  private stopQuiet(): void {
    this.quietTimer?.();
    this.quietTimer = undefined;
  }

  private endGreeting(): void {
    this.stopQuiet();
    this.greeting?.done();
  }

  /** Gives `onMessage` what it has not had, in id order; held while catching up. */
  private flush(): void {
    if (this.catchingUp || this.greeting) return;
    const ids = [...this.inbox.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const message = this.inbox.get(id) as ChatMessage;
      this.inbox.delete(id);
      if (this.lastSeen !== undefined && id <= this.lastSeen) continue;
      this.lastSeen = id;
      this.options.onMessage?.(message);
    }
  }
}
