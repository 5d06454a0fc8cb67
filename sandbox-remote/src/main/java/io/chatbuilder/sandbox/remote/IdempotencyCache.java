package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.ConflictException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Remembers the responses of recent mutating requests by their {@code Idempotency-Key}, so a client
 * that retries after losing a response gets the first answer instead of applying the change twice.
 * A retry that arrives while the first attempt still runs waits for it. Bounded (oldest forgotten).
 */
final class IdempotencyCache {
  private final int capacity;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

  IdempotencyCache(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Runs {@code action} once per key; later calls with the same key and the same request
   * fingerprint get the stored response.
   *
   * @throws ConflictException if the key was used for a different request
   */
  StoredResponse run(String key, byte[] fingerprint, Supplier<StoredResponse> action) {
    Entry entry;
    boolean first = false;
    synchronized (this) {
      entry = entries.get(key);
      if (entry == null) {
        entry = new Entry(fingerprint.clone());
        entries.put(key, entry);
        first = true;
        if (entries.size() > capacity) {
          var oldest = entries.entrySet().iterator();
          while (entries.size() > capacity && oldest.hasNext()) {
            Map.Entry<String, Entry> e = oldest.next();
            if (e.getValue().response.isDone()) {
              oldest.remove();
            }
          }
        }
      }
    }
    if (!Arrays.equals(entry.fingerprint, fingerprint)) {
      throw new ConflictException("Idempotency-Key '" + key + "' was already used for a different request");
    }
    if (first) {
      try {
        entry.response.complete(action.get());
      } catch (RuntimeException | Error e) {
        entry.response.completeExceptionally(e);
        throw e;
      }
    }
    try {
      return entry.response.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the first attempt of an idempotent request", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** A response as sent: status, optional ETag, JSON or raw body. */
  record StoredResponse(int status, String etag, String contentType, byte[] body) {}

  private static final class Entry {
    final byte[] fingerprint;
    final CompletableFuture<StoredResponse> response = new CompletableFuture<>();

    Entry(byte[] fingerprint) {
      this.fingerprint = fingerprint;
    }
  }
}
