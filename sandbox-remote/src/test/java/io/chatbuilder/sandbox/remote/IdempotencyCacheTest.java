package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.sandbox.remote.IdempotencyCache.StoredResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdempotencyCacheTest {
  private static final byte[] REQUEST = {1, 2, 3};

  @Test
  void aRetryArrivingWhileTheFirstAttemptRunsWaitsForItsAnswer() throws Exception {
    IdempotencyCache cache = new IdempotencyCache(8);
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<StoredResponse> first = CompletableFuture.supplyAsync(() -> cache.run("k", REQUEST, () -> {
      runs.incrementAndGet();
      entered.countDown();
      await(release);
      return new StoredResponse(201, null, "application/json", new byte[] {42});
    }));
    assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<StoredResponse> retry = CompletableFuture.supplyAsync(() -> cache.run("k", REQUEST, () -> {
      runs.incrementAndGet();
      return new StoredResponse(200, null, "application/json", new byte[] {0});
    }));
    release.countDown();
    assertThat(first.get(30, TimeUnit.SECONDS).status()).isEqualTo(201);
    assertThat(retry.get(30, TimeUnit.SECONDS).body()).containsExactly(42);
    assertThat(runs.get()).isEqualTo(1);
  }

  @Test
  void aKeyReusedForAnotherRequestIsAConflictAndOldKeysAreForgotten() {
    IdempotencyCache cache = new IdempotencyCache(2);
    cache.run("a", REQUEST, () -> new StoredResponse(200, null, "x", new byte[0]));
    assertThatThrownBy(() -> cache.run("a", new byte[] {9}, () -> new StoredResponse(200, null, "x", new byte[0])))
        .isInstanceOf(ConflictException.class);
    cache.run("b", REQUEST, () -> new StoredResponse(200, null, "x", new byte[0]));
    cache.run("c", REQUEST, () -> new StoredResponse(200, null, "x", new byte[0]));
    AtomicInteger runs = new AtomicInteger();
    cache.run("a", new byte[] {9}, () -> {
      runs.incrementAndGet();
      return new StoredResponse(200, null, "x", new byte[0]);
    });
    assertThat(runs.get()).as("'a' was evicted, so the key is free again").isEqualTo(1);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
