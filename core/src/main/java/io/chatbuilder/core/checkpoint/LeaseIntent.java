package io.chatbuilder.core.checkpoint;

import java.util.Objects;

/**
 * What a lease holder recorded it was doing ({@link LeaseStore#recordIntent}), kept with the app's
 * lease so that, if the holder dies mid-operation, the next holder can finish or roll it back.
 *
 * @param token the fencing token of the lease that recorded it; a token other than the reader's
 *     own means a previous holder left it behind
 * @param text the intent, opaque to the store (ChatBuilder writes a small JSON object)
 */
public record LeaseIntent(long token, String text) {
  /** The longest intent text stores must keep. */
  public static final int MAX_LENGTH = 8192;

  public LeaseIntent {
    Objects.requireNonNull(text, "text == null");
    if (token < 1) {
      throw new IllegalArgumentException("token < 1");
    }
  }

  /** Whether a holder other than the one with {@code lease} left this intent behind. */
  public boolean abandonedBefore(Lease lease) {
    return token != lease.token();
  }
}
