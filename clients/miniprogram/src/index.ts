export { Zudui, type ClientOptions } from "./client";
export { ChatClient, type ChatOptions, type Room } from "./chat";
export { ResumableUpload, UploadPaused, type ResumableOptions, type SavedUpload, type UploadTarget } from "./resumable";
export { ZuduiError, NetworkError, ErrorCode, errorMessages, errorStatuses } from "./errors";
export type { Answer, Body, ChatClientMessage, ChatMessage, Form, JsonPath, UploadPath, paths, components, operations } from "./types";
export type { Wx } from "./wx";
