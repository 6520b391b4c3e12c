import { ErrorCode, ZuduiError } from "./errors";
import type { Answer, Body, Form, JsonPath, UploadPath } from "./types";
import { sleep } from "./timers";
import { promisify, resolveWx, type Wx, type WxResponse } from "./wx";

export interface ClientOptions {
  /** The API's base URL, `https://api.example.com` (no trailing path). */
  baseUrl: string;
  /** Where chat sockets open, `wss://chat.example.com`: the relay in front of Spin. Defaults to
   * `baseUrl` with `ws(s)://`, which is right for the native server. */
  wsUrl?: string;
  /** The mini-program's `wx` (the default), or a stand-in. */
  wx?: Wx;
  /** Storage key of the token (`wx.setStorageSync`). */
  tokenKey?: string;
  /** 105: the longest `Retry-After` (seconds) worth waiting for; a longer one is thrown. */
  maxRetryAfter?: number;
  /** 105: how many times one call waits and tries again before the error is thrown. */
  maxRateRetries?: number;
}

/** A raw exchange with the API, for the helpers (uploads, parts) built on `Zudui`. */
interface Exchange {
  data: unknown;
  statusCode: number;
  header: Record<string, unknown>;
}

const TOKEN_CODES: readonly number[] = [ErrorCode.TokenExpired, ErrorCode.TokenInvalid, ErrorCode.TokenMissing];

/** The API client: typed calls over `wx.request` that sign in with `wx.login` when the token is
 * missing, expired (111) or refused (112, 113) — once per call, then the call is tried again —
 * and wait out 105 for its `Retry-After`, a bounded number of times. */
export class Zudui {
  readonly wx: Wx;
  readonly baseUrl: string;
  readonly wsUrl: string;
  private readonly tokenKey: string;
  private readonly maxRetryAfter: number;
  private readonly maxRateRetries: number;
  /** One sign-in at a time: calls refused together wait for the same one. */
  private signingIn?: Promise<string>;

  constructor(options: ClientOptions) {
    this.wx = resolveWx(options.wx);
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.wsUrl = (options.wsUrl ?? this.baseUrl.replace(/^http/, "ws")).replace(/\/+$/, "");
    this.tokenKey = options.tokenKey ?? "zudui:token";
    this.maxRetryAfter = options.maxRetryAfter ?? 10;
    this.maxRateRetries = options.maxRateRetries ?? 3;
  }

  /** The stored token, if any. */
  get token(): string | undefined {
    const token = this.wx.getStorageSync(this.tokenKey);
    return typeof token === "string" && token !== "" ? token : undefined;
  }

  /** Signs in with a fresh `wx.login` code and stores the token. */
  async login(): Promise<Answer<"/auth/login">> {
    const { code } = await promisify<Parameters<Wx["login"]>[0], { code: string }>((o) => this.wx.login(o), {});
    const answer = await this.exchange("POST", "/auth/login", { code }, {});
    this.wx.setStorageSync(this.tokenKey, answer.token);
    return answer;
  }

  /** The stored token, signing in first when there is none. */
  async ensureToken(): Promise<string> {
    return this.token ?? this.signIn();
  }

  /** POSTs a JSON body to `path` and answers its success, or throws a `ZuduiError`. */
  async call<P extends JsonPath>(path: P, body?: Body<P>): Promise<Answer<P>> {
    return this.withToken((token) => this.exchange("POST", path, body ?? {}, { token }));
  }

  /** Sends a file with `wx.uploadFile` (the form's text fields go before the file, as the server
   * needs), to an upload path such as `/group/internal/files/upload` (part `file`) or
   * `/user/info/avatar/add` (part `avatar`). */
  async upload<P extends UploadPath, N extends keyof Form<P> & string>(
    path: P,
    file: { name: N; filePath: string; formData?: Omit<Form<P>, N> },
  ): Promise<Answer<P>> {
    return this.withToken(async (token) => {
      const sent = await promisify<Parameters<Wx["uploadFile"]>[0], { data: string; statusCode: number }>(
        (o) => this.wx.uploadFile(o),
        { url: this.url(path), name: file.name, filePath: file.filePath, header: { token }, formData: file.formData },
      );
      return this.answer<Answer<P>>({ data: parseJson(sent.data), statusCode: sent.statusCode, header: {} });
    });
  }

  /** A call with any method and raw body (`ArrayBuffer` for upload parts), signed in. */
  async send<T>(method: "POST" | "PUT", path: string, data: ArrayBuffer | Record<string, unknown>): Promise<T> {
    return this.withToken((token) => this.exchange(method, path, data, { token }) as Promise<T>);
  }

  /** The absolute URL of an API path. */
  url(path: string): string {
    return this.baseUrl + path;
  }

  /** Runs `attempt` with the token: signs in again once on 111/112/113, waits out 105. */
  private async withToken<T>(attempt: (token: string) => Promise<T>): Promise<T> {
    let token = await this.ensureToken();
    let signedInAgain = false;
    for (let waited = 0; ; ) {
      try {
        return await attempt(token);
      } catch (err) {
        if (!(err instanceof ZuduiError)) throw err;
        if (TOKEN_CODES.includes(err.code) && !signedInAgain) {
          signedInAgain = true;
          token = await this.signIn(token);
          continue;
        }
        if (err.code === ErrorCode.TooManyRequests && waited < this.maxRateRetries && (err.retryAfter ?? 1) <= this.maxRetryAfter) {
          waited += 1;
          await sleep((err.retryAfter ?? 1) * 1000);
          continue;
        }
        throw err;
      }
    }
  }

  /** Signs in unless another call already replaced `refused` meanwhile. */
  private signIn(refused?: string): Promise<string> {
    const current = this.token;
    if (current !== undefined && current !== refused) return Promise.resolve(current);
    if (!this.signingIn) {
      const done = () => (this.signingIn = undefined);
      this.signingIn = this.login().then(
        (answer) => (done(), answer.token),
        (err: unknown) => {
          done();
          throw err;
        },
      );
    }
    return this.signingIn;
  }

  /** One `wx.request`; answers the success body or throws its `ZuduiError`. */
  private async exchange<T = Answer<"/auth/login">>(
    method: "POST" | "PUT",
    path: string,
    data: ArrayBuffer | Record<string, unknown>,
    header: Record<string, string>,
  ): Promise<T> {
    const binary = data instanceof ArrayBuffer;
    const res = await promisify<Parameters<Wx["request"]>[0], WxResponse>((o) => this.wx.request(o), {
      url: this.url(path),
      method,
      data,
      header: { ...header, "content-type": binary ? "application/octet-stream" : "application/json" },
    });
    return this.answer<T>(res);
  }

  private answer<T>(res: Exchange): T {
    const error = ZuduiError.from(res.data, res.statusCode, res.header);
    if (error) throw error;
    return res.data as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
