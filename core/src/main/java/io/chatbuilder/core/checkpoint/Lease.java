package io.chatbuilder.core.checkpoint;

import java.time.Instant;
import java.util.Objects;

/**
 * The right to touch one app's workspace and append its checkpoints, held until
 * {@code expiresAt} unless renewed. Only one lease per app is live at a time, across every host
 * that shares the store.
 *
 * @param holder who holds it, as given to {@link LeaseStore#acquire} (shown in busy errors)
 * @param token the fencing token: it grows with every acquisition of the app, also across
 *     restarts of a persistent store, so a write carrying an older token can be refused
 * @param expiresAt when it lapses unless renewed, by the store's clock (the database's for JDBC)
 */
public record Lease(String appId, String holder, long token, Instant expiresAt) {
  public Lease {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(holder, "holder == null");
    Objects.requireNonNull(expiresAt, "expiresAt == null");
    if (token < 1) {
      throw new IllegalArgumentException("token < 1");
    }
  }
}
