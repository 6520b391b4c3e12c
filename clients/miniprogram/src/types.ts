// Request and answer types of each path, read from the generated OpenAPI types.
import type { paths } from "./generated/openapi";

export type { paths, components, operations } from "./generated/openapi";

type Post<P extends keyof paths> = paths[P] extends { post: infer O } ? O : never;
type Content<B, Media extends string> = B extends { content: { [M in Media]: infer T } } ? T : never;
type RequestBody<P extends keyof paths> = Post<P> extends { requestBody?: infer B } ? NonNullable<B> : never;

/** The success answer of a POST: `{code: 0, msg: "success", ...fields}`. */
export type Answer<P extends keyof paths> = Post<P> extends { responses: { 200: infer R } }
  ? Content<R, "application/json">
  : never;

/** POST paths taking JSON (or nothing) and answering JSON: what `Zudui.call` sends. */
export type JsonPath = {
  [P in keyof paths]: [Answer<P>] extends [never]
    ? never
    : [RequestBody<P>] extends [never]
      ? P
      : [Content<RequestBody<P>, "application/json">] extends [never]
        ? never
        : P;
}[keyof paths];

/** The JSON body of a POST path (`{}` for one without). */
export type Body<P extends keyof paths> = [RequestBody<P>] extends [never]
  ? Record<string, never>
  : Content<RequestBody<P>, "application/json">;

/** POST paths taking `multipart/form-data`: what `Zudui.upload` sends with `wx.uploadFile`. */
export type UploadPath = {
  [P in keyof paths]: [Content<RequestBody<P>, "multipart/form-data">] extends [never] ? never : P;
}[keyof paths];

/** The fields of an upload path's form. */
export type Form<P extends UploadPath> = Content<RequestBody<P>, "multipart/form-data">;

/** A message of the chat socket (`ChatServerMessage`). */
export type ChatMessage = import("./generated/openapi").components["schemas"]["ChatServerMessage"];
/** What a client sends on the chat socket (`ChatClientMessage`). */
export type ChatClientMessage = import("./generated/openapi").components["schemas"]["ChatClientMessage"];
