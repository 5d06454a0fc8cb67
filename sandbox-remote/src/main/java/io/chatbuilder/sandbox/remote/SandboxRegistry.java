package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.sandbox.Sandbox;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The sandboxes a {@link SandboxServer} serves, each with the bearer token that grants access to it
 * and to nothing else. Thread-safe; sandboxes may be added and removed while the server runs.
 */
public final class SandboxRegistry {
  /** Tokens shorter than this are refused: they could be guessed. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Compared against when the sandbox is unknown, so timing does not reveal which ids exist. */
  private static final byte[] UNKNOWN_DIGEST = sha256("unknown sandbox " + System.nanoTime());

  private final ConcurrentMap<String, Hosted> sandboxes = new ConcurrentHashMap<>();

  /** A fresh random token (256 bits, base64url). */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * Serves {@code sandbox} under its {@link Sandbox#id()} to holders of {@code token}.
   *
   * @throws InvalidArgumentException if the id is taken or the token is too short
   */
  public void register(Sandbox sandbox, String token) {
    Objects.requireNonNull(sandbox, "sandbox == null");
    Objects.requireNonNull(token, "token == null");
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw new InvalidArgumentException("token must be at least " + MIN_TOKEN_LENGTH + " characters");
    }
    Hosted hosted = new Hosted(sandbox, sha256(token));
    if (sandboxes.putIfAbsent(sandbox.id(), hosted) != null) {
      throw new InvalidArgumentException("a sandbox with id '" + sandbox.id() + "' is already registered");
    }
  }

  /** Stops serving a sandbox (running processes are cancelled); returns it, if it was registered. */
  public Optional<Sandbox> remove(String id) {
    Hosted removed = sandboxes.remove(Objects.requireNonNull(id, "id == null"));
    if (removed == null) {
      return Optional.empty();
    }
    removed.processes.cancelAll();
    return Optional.of(removed.sandbox);
  }

  /**
   * The sandbox {@code token} grants access to, if {@code id} names one and the token is its own.
   * Compares digests in constant time ({@link MessageDigest#isEqual}), also for unknown ids.
   */
  Optional<Hosted> authorize(String id, String token) {
    Hosted hosted = sandboxes.get(id);
    byte[] presented = sha256(token);
    boolean match = MessageDigest.isEqual(hosted == null ? UNKNOWN_DIGEST : hosted.tokenDigest, presented);
    return match && hosted != null ? Optional.of(hosted) : Optional.empty();
  }

  Iterable<Hosted> all() {
    return sandboxes.values();
  }

  static byte[] sha256(String token) {
    return ContentHash.sha256Bytes(token);
  }

  /** One served sandbox with its token digest, processes and idempotency cache. */
  static final class Hosted {
    final Sandbox sandbox;
    final byte[] tokenDigest;
    final ProcessTable processes = new ProcessTable();
    final IdempotencyCache idempotency = new IdempotencyCache(1024);
    /** Serializes conditional writes so an If-Match check and its write are one step for remote callers. */
    final Object writeLock = new Object();
    final DraftSession draft = new DraftSession();
    /** Whether the dispatcher may serve a request of this sandbox inline (see {@link RequestExecutor}). */
    final InlineGate gate = new InlineGate();

    Hosted(Sandbox sandbox, byte[] tokenDigest) {
      this.sandbox = sandbox;
      this.tokenDigest = tokenDigest;
    }
  }
}
