// One client for the whole mini-program: the API's domain and the chat relay's.
import { Zudui } from "zudui-miniprogram";

export const api = new Zudui({
  baseUrl: "https://api.example.com",
  wsUrl: "wss://chat.example.com",
  // The real `wx` fits the SDK's structural type (the default; named here to type-check it).
  wx,
});
