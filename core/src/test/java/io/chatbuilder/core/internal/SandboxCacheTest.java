package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.core.Cancellation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SandboxCacheTest {
  private static final Duration IDLE = Duration.ofMinutes(10);

  private final AtomicLong now = new AtomicLong(1_000);
  private final Provider provider = new Provider();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  private SandboxCache manualCache() {
    return new SandboxCache(provider, IDLE, now::get, false);
  }

  @Test
  void aSandboxIdleLongerThanTheTimeoutIsClosedAndReopenedOnNextUse() {
    SandboxCache cache = manualCache();
    Sandbox first;
    try (SandboxCache.Held held = cache.acquire("a")) {
      first = held.sandbox();
    }
    now.addAndGet(IDLE.toNanos() - 1);
    assertThat(cache.evictIdle()).isZero();
    assertThat(provider.closed(first)).isFalse();
    now.addAndGet(1);
    assertThat(cache.evictIdle()).isEqualTo(1);
    assertThat(provider.closed(first)).isTrue();
    assertThat(cache.openApps()).isEmpty();
    try (SandboxCache.Held held = cache.acquire("a")) {
      assertThat(held.sandbox()).isNotSameAs(first);
      assertThat(provider.closed(held.sandbox())).isFalse();
    }
    assertThat(provider.opens.get()).isEqualTo(2);
  }

  @Test
  void aHeldSandboxIsNeverEvictedAndItsIdleTimeStartsAtTheRelease() {
    SandboxCache cache = manualCache();
    SandboxCache.Held run = cache.acquire("a");
    SandboxCache.Held history = cache.acquire("a");
    assertThat(history.sandbox()).isSameAs(run.sandbox());
    now.addAndGet(IDLE.toNanos() * 100);
    assertThat(cache.evictIdle()).isZero();
    run.close();
    run.close(); // idempotent: must not release the other hold
    now.addAndGet(IDLE.toNanos() * 100);
    assertThat(cache.evictIdle()).isZero();
    assertThat(provider.closed(history.sandbox())).isFalse();
    history.close();
    now.addAndGet(IDLE.toNanos() - 1);
    assertThat(cache.evictIdle()).as("idle counts from the last release").isZero();
    now.addAndGet(1);
    assertThat(cache.evictIdle()).isEqualTo(1);
    assertThat(provider.closed(history.sandbox())).isTrue();
  }

  @Test
  void aSlowOpenOfOneAppDoesNotBlockAnother() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    provider.blockOn("slow", release);
    SandboxCache cache = manualCache();
    Future<Sandbox> slow = threads.submit(() -> {
      try (SandboxCache.Held held = cache.acquire("slow")) {
        return held.sandbox();
      }
    });
    assertThat(provider.entered("slow").await(10, TimeUnit.SECONDS)).isTrue();
    Future<Sandbox> fast = threads.submit(() -> {
      try (SandboxCache.Held held = cache.acquire("fast")) {
        held.sandbox().write("x.txt", "x".getBytes(StandardCharsets.UTF_8));
        return held.sandbox();
      }
    });
    // Generous bound: it only detects a block (the slow open waits until released below).
    assertThat(fast.get(30, TimeUnit.SECONDS).id()).isEqualTo("fast");
    assertThat(slow.isDone()).isFalse();
    release.countDown();
    assertThat(slow.get(30, TimeUnit.SECONDS).id()).isEqualTo("slow");
  }

  @Test
  void concurrentCallersForOneAppWaitForOneOpen() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    provider.blockOn("app", release);
    SandboxCache cache = manualCache();
    int callers = 8;
    CyclicBarrier start = new CyclicBarrier(callers);
    List<Future<Sandbox>> results = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      results.add(threads.submit(() -> {
        start.await();
        try (SandboxCache.Held held = cache.acquire("app")) {
          return held.sandbox();
        }
      }));
    }
    assertThat(provider.entered("app").await(10, TimeUnit.SECONDS)).isTrue();
    release.countDown();
    Sandbox first = results.get(0).get(30, TimeUnit.SECONDS);
    for (Future<Sandbox> f : results) {
      assertThat(f.get(30, TimeUnit.SECONDS)).isSameAs(first);
    }
    assertThat(provider.opens.get()).isEqualTo(1);
  }

  @Test
  void aFailedOpenIsReportedToItsCallersAndTriedAgainByTheNext() {
    provider.failNext.set(1);
    SandboxCache cache = manualCache();
    assertThatThrownBy(() -> cache.acquire("a")).isInstanceOf(SandboxException.class).hasMessageContaining("host down");
    assertThat(cache.openApps()).isEmpty();
    try (SandboxCache.Held held = cache.acquire("a")) {
      assertThat(held.sandbox().id()).isEqualTo("a");
    }
    assertThat(provider.opens.get()).isEqualTo(2);
  }

  @Test
  void closeClosesEverySandboxHeldOrNot() {
    SandboxCache cache = manualCache();
    SandboxCache.Held held = cache.acquire("a");
    Sandbox idle;
    try (SandboxCache.Held h = cache.acquire("b")) {
      idle = h.sandbox();
    }
    cache.close();
    assertThat(provider.closed(held.sandbox())).isTrue();
    assertThat(provider.closed(idle)).isTrue();
    assertThat(provider.closes.get()).isEqualTo(2);
    assertThatThrownBy(() -> cache.acquire("c")).isInstanceOf(IllegalStateException.class);
    held.close(); // a late release after close is harmless
    cache.close();
    assertThat(provider.closes.get()).isEqualTo(2);
  }

  @Test
  void theSweeperEvictsOnItsOwn() throws Exception {
    SandboxCache cache = new SandboxCache(provider, Duration.ofMillis(40));
    try {
      Sandbox s;
      try (SandboxCache.Held held = cache.acquire("a")) {
        s = held.sandbox();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!provider.closed(s) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(provider.closed(s)).isTrue();
    } finally {
      cache.close();
    }
  }

  @Test
  void chatBuilderClosesTheSandboxesItOpenedAndEvictsIdleOnes() throws Exception {
    ChatBuilder builder = ChatBuilder.builder().model(ScriptedModel.builder().build()).sandboxes(provider)
        .sandboxIdleTimeout(Duration.ofMillis(40)).build();
    Sandbox idle = builder.sandbox("idle");
    idle.write("a.txt", "a".getBytes(StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (provider.closes.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(provider.closes.get()).as("evicted after 40 ms idle").isEqualTo(1);
    assertThat(provider.closed(idle)).isTrue();
    Sandbox again = builder.sandbox("idle");
    assertThat(again).isNotSameAs(idle);
    assertThat(again.files()).as("a new sandbox on the same files").containsOnlyKeys("a.txt");
    builder.sandbox("open").write("b.txt", "b".getBytes(StandardCharsets.UTF_8));
    builder.close();
    assertThat(provider.closes.get()).isEqualTo(3);
    assertThat(provider.closed(again)).isTrue();
    assertThatThrownBy(() -> ChatBuilder.builder().sandboxIdleTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Opens in-memory sandboxes whose files outlive them (as a directory would), counting opens and closes. */
  private static final class Provider implements SandboxProvider {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger failNext = new AtomicInteger();
    final Map<String, CountDownLatch> blocks = new ConcurrentHashMap<>();
    final Map<String, CountDownLatch> entered = new ConcurrentHashMap<>();
    final Map<String, InMemorySandbox> files = new ConcurrentHashMap<>();
    final List<Sandbox> closedOnes = new CopyOnWriteArrayList<>();

    void blockOn(String appId, CountDownLatch latch) {
      blocks.put(appId, latch);
    }

    CountDownLatch entered(String appId) {
      return entered.computeIfAbsent(appId, k -> new CountDownLatch(1));
    }

    boolean closed(Sandbox s) {
      return closedOnes.stream().anyMatch(c -> c == s);
    }

    @Override
    public Sandbox open(String appId) {
      opens.incrementAndGet();
      entered(appId).countDown();
      CountDownLatch block = blocks.get(appId);
      if (block != null) {
        try {
          block.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SandboxException("interrupted");
        }
      }
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SandboxException("host down");
      }
      return new Closing(files.computeIfAbsent(appId, id -> InMemorySandbox.builder(id).build()), this);
    }
  }

  private static final class Closing implements Sandbox {
    private final Sandbox d;
    private final Provider provider;

    Closing(Sandbox d, Provider provider) {
      this.d = d;
      this.provider = provider;
    }

    @Override public String id() { return d.id(); }
    @Override public List<FileEntry> list(String dir, boolean r, int l) { return d.list(dir, r, l); }
    @Override public FileContent read(String p) { return d.read(p); }
    @Override public Optional<FileContent> tryRead(String p) { return d.tryRead(p); }
    @Override public WriteOutcome write(String p, byte[] c) { return d.write(p, c); }
    @Override public List<String> delete(String p) { return d.delete(p); }
    @Override public void rename(String f, String t) { d.rename(f, t); }
    @Override public SearchResult search(SearchQuery q) { return d.search(q); }
    @Override public CommandResult run(CommandRequest r, CommandListener l, Cancellation c) { return d.run(r, l, c); }
    @Override public CommandPolicy policy() { return d.policy(); }
    @Override public SortedMap<String, Long> files() { return d.files(); }
    @Override public ChangeScan scanChanges() { return d.scanChanges(); }
    @Override public void acknowledgeChanges(long g) { d.acknowledgeChanges(g); }
    @Override public void apply(Map<String, Optional<byte[]>> f) { d.apply(f); }
    @Override public Sandbox fenced(long token) { return d.fenced(token); }

    @Override
    public void close() {
      provider.closes.incrementAndGet();
      provider.closedOnes.add(this);
    }
  }
}
