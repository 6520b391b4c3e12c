// A group's chat: live messages in order, older pages on scroll, sends acknowledged by the server.
import { ChatClient, type ChatMessage } from "zudui-miniprogram";
import { api } from "../../api";

let chat: ChatClient | undefined;

Page({
  data: { messages: [] as ChatMessage[], draft: "", sending: false },

  onLoad(query: Record<string, string | undefined>) {
    chat = new ChatClient(api, {
      room: { type: "group", group_id: Number(query.group_id) },
      onMessage: (message) => this.setData({ messages: [...this.data.messages, message] }),
      onError: (error) => wx.showToast({ title: error.errorMsg, icon: "none" }),
    });
    void chat.connect();
  },

  onUnload() {
    chat?.close();
  },

  async onScrollToUpper() {
    const older = (await chat?.loadOlder()) ?? [];
    this.setData({ messages: [...older, ...this.data.messages] });
  },

  onInput(event: WechatMiniprogram.Input) {
    this.setData({ draft: event.detail.value });
  },

  async send() {
    if (!chat || this.data.draft === "") return;
    this.setData({ sending: true });
    try {
      // Resolves once stored; a send during a disconnection goes out after the reconnect.
      await chat.sendText(this.data.draft);
      this.setData({ draft: "" });
    } finally {
      this.setData({ sending: false });
    }
  },
});
