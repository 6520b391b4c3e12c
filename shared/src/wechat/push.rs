//! Message push (消息推送): WeChat calls us back with the verdicts of media checks.
