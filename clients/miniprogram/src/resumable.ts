import type { Zudui } from "./client";
import { ErrorCode, ZuduiError } from "./errors";
import type { Answer, Body } from "./types";
import { promisify, type Wx } from "./wx";

/** Where a resumable upload goes: a group's file space, or a chat room's temporary files. */
export type UploadTarget =
  | { kind: "group"; group_id: number; parent_id?: number }
  | { kind: "chat"; type: "group" | "private"; room_id: number };

type Started = Answer<"/group/internal/files/upload/begin">;

/** What is kept in storage between runs of the mini-program. */
export interface SavedUpload {
  upload_id: number;
  size: number;
  part_size: number;
  part_count: number;
  received: number[];
}

export interface ResumableOptions {
  target: UploadTarget;
  /** A file the mini-program keeps across restarts (`wx.saveFile`, `USER_DATA_PATH`). */
  filePath: string;
  name: string;
  /** Storage key of its progress; by default from the target, name and path. */
  key?: string;
  /** After each part: parts the server holds, of how many. */
  onProgress?(received: number, total: number): void;
}

/** Raised by `start()` after `pause()`: the progress is stored, a later `start()` goes on. */
export class UploadPaused extends Error {
  constructor() {
    super("upload paused");
    this.name = "UploadPaused";
  }
}

/** An upload in parts (`upload/begin`, `part`, `status`, `complete`, `abort`) that survives a
 * restart: its id and the parts the server acknowledged are kept with `wx.setStorageSync`, and a
 * new `ResumableUpload` of the same file asks `status` and sends only what is missing. */
export class ResumableUpload {
  private readonly base: string;
  private readonly key: string;
  private paused = false;

  constructor(
    private readonly client: Zudui,
    private readonly options: ResumableOptions,
  ) {
    this.base = options.target.kind === "group" ? "/group/internal/files/upload" : "/chat/files/upload";
    this.key = options.key ?? `zudui:upload:${JSON.stringify([options.target, options.name, options.filePath])}`;
  }

  /** The stored progress of this upload, if one was begun. */
  get saved(): SavedUpload | undefined {
    const saved = this.client.wx.getStorageSync(this.key);
    return typeof saved === "object" && saved !== null ? (saved as SavedUpload) : undefined;
  }

  /** Sends what the server lacks and completes the upload; answers the new file's id. */
  async start(): Promise<{ file_id: number }> {
    this.paused = false;
    const upload = (await this.resumed()) ?? (await this.begin());
    const fs = this.client.wx.getFileSystemManager();
    for (let part = 0; part < upload.part_count; part++) {
      if (upload.received.includes(part)) continue;
      if (this.paused) throw new UploadPaused();
      const position = part * upload.part_size;
      const length = Math.min(upload.part_size, upload.size - position);
      const { data } = await promisify<Parameters<ReturnType<Wx["getFileSystemManager"]>["readFile"]>[0], { data: string | ArrayBuffer }>(
        (o) => fs.readFile(o),
        { filePath: this.options.filePath, position, length },
      );
      if (typeof data === "string") throw new Error("readFile answered text: give no encoding");
      await this.client.send("PUT", `${this.base}/part?upload_id=${upload.upload_id}&part=${part}`, data);
      upload.received.push(part);
      this.client.wx.setStorageSync(this.key, upload);
      this.options.onProgress?.(upload.received.length, upload.part_count);
    }
    const done = await this.client.send<Answer<"/group/internal/files/upload/complete">>("POST", `${this.base}/complete`, {
      upload_id: upload.upload_id,
    });
    this.client.wx.removeStorageSync(this.key);
    return { file_id: done.file_id };
  }

  /** Stops before the next part; `start()` then rejects with `UploadPaused`. */
  pause(): void {
    this.paused = true;
  }

  /** Gives the upload up: the server frees its parts and reservation. */
  async abort(): Promise<void> {
    const saved = this.saved;
    this.pause();
    this.client.wx.removeStorageSync(this.key);
    if (saved) await this.client.send("POST", `${this.base}/abort`, { upload_id: saved.upload_id });
  }

  /** The stored upload with the parts the server holds now, or nothing when it is gone. */
  private async resumed(): Promise<SavedUpload | undefined> {
    const saved = this.saved;
    if (!saved) return undefined;
    try {
      const status = await this.client.send<Started>("POST", `${this.base}/status`, { upload_id: saved.upload_id });
      return this.save(status);
    } catch (err) {
      // Expired (24 h), aborted or never there: begin again.
      const gone = err instanceof ZuduiError && (err.code === ErrorCode.FileNotFound || err.code === ErrorCode.TempFileNotFound);
      if (!gone) throw err;
      this.client.wx.removeStorageSync(this.key);
      return undefined;
    }
  }

  private async begin(): Promise<SavedUpload> {
    const fs = this.client.wx.getFileSystemManager();
    const { size } = await promisify<Parameters<ReturnType<Wx["getFileSystemManager"]>["getFileInfo"]>[0], { size: number }>(
      (o) => fs.getFileInfo(o),
      { filePath: this.options.filePath },
    );
    const { kind, ...where } = this.options.target;
    const body = { ...where, name: this.options.name, size };
    const started =
      kind === "group"
        ? await this.client.call("/group/internal/files/upload/begin", body as Body<"/group/internal/files/upload/begin">)
        : await this.client.call("/chat/files/upload/begin", body as Body<"/chat/files/upload/begin">);
    return this.save(started);
  }

  private save({ upload_id, size, part_size, part_count, received }: Started): SavedUpload {
    const upload = { upload_id, size, part_size, part_count, received: [...received] };
    this.client.wx.setStorageSync(this.key, upload);
    return upload;
  }
}
