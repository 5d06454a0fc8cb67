package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.InvalidArgumentException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** Table names under one prefix. */
final class Tables {
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,23}");

  final String prefix;
  final String migrations;
  final String migrationLock;
  final String heads;
  final String checkpoints;
  final String revisions;
  final String entries;
  final String blobs;
  final String conversations;
  final String messages;
  final String runs;
  final String events;
  final String leases;
  final String labels;
  final String appStreams;
  final String appEvents;

  Tables(String prefix) {
    Objects.requireNonNull(prefix, "prefix == null");
    if (!PREFIX.matcher(prefix).matches()) {
      throw new InvalidArgumentException("table prefix '" + prefix
          + "' must be a letter followed by at most 23 letters, digits or underscores");
    }
    this.prefix = prefix;
    this.migrations = prefix + "schema_migrations";
    this.migrationLock = prefix + "schema_lock";
    this.heads = prefix + "app_heads";
    this.checkpoints = prefix + "checkpoints";
    this.revisions = prefix + "revisions";
    this.entries = prefix + "revision_entries";
    this.blobs = prefix + "blobs";
    this.conversations = prefix + "conversations";
    this.messages = prefix + "messages";
    this.runs = prefix + "runs";
    this.events = prefix + "events";
    this.leases = prefix + "leases";
    this.labels = prefix + "checkpoint_labels";
    this.appStreams = prefix + "app_streams";
    this.appEvents = prefix + "app_events";
  }

  /** The tables the migrations create (not the runner's own bookkeeping tables). */
  List<String> dataTables() {
    return List.of(heads, checkpoints, revisions, entries, blobs, conversations, messages, runs, events, leases, labels, appStreams, appEvents);
  }
}
