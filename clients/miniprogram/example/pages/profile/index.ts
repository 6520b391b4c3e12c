// Sign-in and profile: the first call signs in with wx.login; 111/112 later sign in again.
import { ErrorCode, ZuduiError, type Answer } from "zudui-miniprogram";
import { api } from "../../api";

type Profile = Answer<"/user/info/text/getInfo">;

Page({
  data: { profile: null as Profile | null, error: "" },

  async onLoad() {
    const profile = await api.call("/user/info/text/getInfo", {});
    this.setData({ profile });
  },

  async rename(event: WechatMiniprogram.Input) {
    try {
      await api.call("/user/info/text/setNickname", { nickname: event.detail.value });
      this.setData({ profile: await api.call("/user/info/text/getInfo") });
    } catch (err) {
      if (err instanceof ZuduiError && err.code === ErrorCode.NicknameEmpty) {
        this.setData({ error: "昵称不能为空" });
      } else if (err instanceof ZuduiError) {
        this.setData({ error: err.errorMsg });
      } else throw err;
    }
  },

  async chooseAvatar() {
    const { tempFiles } = await wx.chooseMedia({ count: 1, mediaType: ["image"] });
    await api.upload("/user/info/avatar/add", { name: "avatar", filePath: tempFiles[0].tempFilePath });
  },
});
