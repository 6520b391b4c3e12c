// The part of the mini-program's `wx` the SDK uses. Structural, so the SDK's types need no
// global typings, the real `wx` (miniprogram-api-typings' `WechatMiniprogram.Wx`) fits it
// (example/ type-checks that), and tests can hand in a shim.

export interface WxFail {
  errMsg: string;
}

interface Callbacks<T> {
  success?(result: T): void;
  fail?(error: WxFail): void;
}

export interface WxRequestOption extends Callbacks<WxResponse> {
  url: string;
  method?: "GET" | "POST" | "PUT";
  data?: string | Record<string, unknown> | ArrayBuffer;
  header?: Record<string, string>;
  dataType?: "json" | "其他";
  responseType?: "text" | "arraybuffer";
}

export interface WxResponse {
  data: unknown;
  statusCode: number;
  header: Record<string, unknown>;
}

export interface WxUploadOption extends Callbacks<{ data: string; statusCode: number }> {
  url: string;
  filePath: string;
  name: string;
  header?: Record<string, string>;
  formData?: Record<string, unknown>;
}

export interface WxReadFileOption extends Callbacks<{ data: string | ArrayBuffer }> {
  filePath: string;
  position?: number;
  length?: number;
}

export interface WxSocketTask {
  send(option: Callbacks<unknown> & { data: string | ArrayBuffer }): void;
  close(option: Callbacks<unknown> & { code?: number; reason?: string }): void;
  onOpen(listener: (result: unknown) => void): void;
  onMessage(listener: (result: { data: string | ArrayBuffer }) => void): void;
  onClose(listener: (result: { code: number; reason: string }) => void): void;
  onError(listener: (result: WxFail) => void): void;
}

export interface Wx {
  request(option: WxRequestOption): unknown;
  uploadFile(option: WxUploadOption): unknown;
  login(option: Callbacks<{ code: string }>): void;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: unknown): void;
  removeStorageSync(key: string): void;
  getFileSystemManager(): {
    readFile(option: WxReadFileOption): void;
    getFileInfo(option: Callbacks<{ size: number }> & { filePath: string }): void;
  };
  connectSocket(option: Callbacks<unknown> & { url: string; header?: Record<string, string> }): WxSocketTask;
  onAppShow(listener: (result: unknown) => void): void;
  offAppShow(listener: (result: unknown) => void): void;
}

declare const wx: Wx | undefined;

/** The `wx` given, else the mini-program's global one. */
export function resolveWx(given?: Wx): Wx {
  const found = given ?? (typeof wx === "undefined" ? undefined : wx);
  if (!found) throw new Error("zudui-miniprogram: no `wx` (pass one in the options)");
  return found;
}

/** A `wx` callback API as a promise. */
export function promisify<O extends Callbacks<R>, R>(
  call: (option: O) => unknown,
  option: Omit<O, "success" | "fail">,
): Promise<R> {
  return new Promise((resolve, reject) => {
    call({ ...option, success: resolve, fail: (e: WxFail) => reject(new NetworkError(e.errMsg)) } as O);
  });
}

/** A call that never reached the server, or whose answer never came (`errMsg` of `fail`). */
export class NetworkError extends Error {
  constructor(readonly errMsg: string) {
    super(errMsg);
    this.name = "NetworkError";
  }
}
