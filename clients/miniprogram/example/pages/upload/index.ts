// Group files: small files in one request, large ones in parts that survive a restart.
import { ResumableUpload, UploadPaused, type UploadTarget } from "zudui-miniprogram";
import { api } from "../../api";

const LARGE = 10_000_000;
let current: ResumableUpload | undefined;

Page({
  data: { groupId: 0, progress: 0, fileId: 0 },

  onLoad(query: Record<string, string | undefined>) {
    this.setData({ groupId: Number(query.group_id) });
  },

  async choose() {
    const { tempFiles } = await wx.chooseMessageFile({ count: 1, type: "file" });
    const file = tempFiles[0];
    if (file.size <= LARGE) {
      const { file_id } = await api.upload("/group/internal/files/upload", {
        name: "file",
        filePath: file.path,
        formData: { group_id: this.data.groupId, parent_id: 0, file_name: file.name },
      });
      this.setData({ fileId: file_id });
      return;
    }
    // Kept where it outlives a restart, so that the stored progress still names it.
    const kept = `${wx.env.USER_DATA_PATH}/${file.name}`;
    wx.getFileSystemManager().copyFileSync(file.path, kept);
    const target: UploadTarget = { kind: "group", group_id: this.data.groupId };
    current = new ResumableUpload(api, {
      target,
      filePath: kept,
      name: file.name,
      key: `upload:${this.data.groupId}:${file.name}`,
      onProgress: (received, total) => this.setData({ progress: received / total }),
    });
    try {
      this.setData({ fileId: (await current.start()).file_id });
    } catch (err) {
      if (!(err instanceof UploadPaused)) throw err;
    }
  },

  pause() {
    current?.pause();
  },
});
