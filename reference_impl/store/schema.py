"""The tables (SQLite's dialect), and which columns hold JSON."""

from __future__ import annotations

import re

__all__ = ["SCHEMA", "JSON_COLUMNS", "COPIED_TABLES"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL, display_name TEXT NOT NULL,
  salt BLOB NOT NULL, password_hash BLOB NOT NULL, dev_password TEXT);
CREATE TABLE IF NOT EXISTS tokens (
  token TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS stream_tickets (
  ticket TEXT PRIMARY KEY, user_id TEXT NOT NULL, message_id TEXT NOT NULL,
  expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,
  title TEXT, status TEXT NOT NULL, chatbot_id TEXT, model TEXT, metadata TEXT NOT NULL,
  is_anonymized INTEGER NOT NULL, mapping TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conv_user ON conversations(user_id, seq);
CREATE INDEX IF NOT EXISTS conv_status ON conversations(user_id, status, seq);
CREATE INDEX IF NOT EXISTS conv_chatbot ON conversations(user_id, chatbot_id, seq);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  conversation_id TEXT NOT NULL, parent_id TEXT, role TEXT NOT NULL, content TEXT NOT NULL,
  original TEXT, status TEXT NOT NULL, model TEXT, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, reactions TEXT NOT NULL, feedback TEXT,
  metadata TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS msg_conv ON messages(conversation_id, seq);
CREATE INDEX IF NOT EXISTS msg_parent ON messages(parent_id);
-- Replies being written: found at start-up without reading every message.
CREATE INDEX IF NOT EXISTS msg_streaming ON messages(status) WHERE status = 'streaming';
CREATE TABLE IF NOT EXISTS attachments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, message_id TEXT NOT NULL,
  filename TEXT NOT NULL, content_type TEXT NOT NULL, size_bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS att_msg ON attachments(message_id, seq);
CREATE INDEX IF NOT EXISTS att_sha ON attachments(sha256);
CREATE TABLE IF NOT EXISTS providers (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
  name_key TEXT UNIQUE NOT NULL, api_endpoint TEXT NOT NULL, models TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS provider_configs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,
  provider_id TEXT NOT NULL, api_key TEXT NOT NULL, default_model TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (user_id, provider_id));
CREATE INDEX IF NOT EXISTS cfg_user ON provider_configs(user_id, seq);
CREATE TABLE IF NOT EXISTS shares (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,
  conversation_id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL, title TEXT,
  snapshot_id TEXT NOT NULL, message_count INTEGER NOT NULL, created_at TEXT NOT NULL,
  snapshot_at TEXT NOT NULL, expires_at TEXT);
CREATE INDEX IF NOT EXISTS share_user ON shares(user_id, seq);
-- A share's snapshot, one row per message, written and read in slices (services/shares.py):
-- `message` is the public JSON of the message as served, `sha256s` its attachments' hashes
-- (attachment id -> sha256, for clones; before `message`, so a scan for a hash skips the text).
CREATE TABLE IF NOT EXISTS share_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, snapshot_id TEXT NOT NULL, sha256s TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS share_msg_snapshot ON share_messages(snapshot_id, seq);
CREATE TABLE IF NOT EXISTS read_markers (
  user_id TEXT NOT NULL, conversation_id TEXT NOT NULL, message_seq INTEGER NOT NULL,
  message_id TEXT, read_at TEXT NOT NULL, PRIMARY KEY (user_id, conversation_id));
CREATE TABLE IF NOT EXISTS reply_events (
  message_id TEXT NOT NULL, position INTEGER NOT NULL, event TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (message_id, position));
-- Sign-in attempts of the last window (throttle.py), shared by every worker of a database.
CREATE TABLE IF NOT EXISTS sign_in_attempts (username_key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sign_in_key ON sign_in_attempts(username_key, at);
CREATE INDEX IF NOT EXISTS sign_in_at ON sign_in_attempts(at);
-- Replies being written and the processes writing them (recovery.py): a lease whose worker
-- has stopped beating is ended by a live one.
CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS reply_leases (message_id TEXT PRIMARY KEY, worker TEXT NOT NULL);
-- Settings every host of a shared database reads the same (the admin API's token).
CREATE TABLE IF NOT EXISTS server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prices (
  model TEXT PRIMARY KEY, input_per_1k REAL NOT NULL, output_per_1k REAL NOT NULL,
  currency TEXT NOT NULL);
"""

JSON_COLUMNS = {"metadata", "mapping", "reactions", "feedback", "models", "sha256s"}
# What a copy of a store (a mock session, a snapshot, a reset) holds: every table but the
# processes' own (heartbeats, leases) and the server's settings.
COPIED_TABLES = tuple(t for t in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA)
                      if t not in ("workers", "reply_leases", "server_settings"))
