//! The group file space over real HTTP: listing, folders, uploads (plain, chunked, cut off,
//! resumable), downloads with validators and ranges, thumbnails, durations, sharing into the chat,
//! the quota, every error code and the permission rules; and what the stores hold afterwards.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod access;
mod changes;
mod codes;
mod listing;
mod media;
mod quota;
mod resumable;
mod sharing;
mod transfer;
