package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseIntent;
import io.chatbuilder.core.checkpoint.LeaseStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link LeaseStore} must have (DESIGN §3.2). Extend it and implement
 * {@link #createLeaseStore()}; each test uses fresh random app ids, so a store on a shared database
 * needs no cleaning between tests. A store that also holds checkpoints (it implements
 * {@link CheckpointStore}) is checked to refuse a stale holder's checkpoint.
 */
public abstract class LeaseStoreContract {
  private static final Duration LONG = Duration.ofSeconds(60);
  private static final Duration EXPIRY_WAIT = Duration.ofSeconds(30);
  private static final int THREADS = 8;
  private static final int ROUNDS = 24;

  /** A store to test. Called once before each test. */
  protected abstract LeaseStore createLeaseStore() throws Exception;

  /**
   * A new instance on the same storage, as after a restart of the host. Persistent stores return a
   * fresh object; the default (for in-memory stores, whose leases end with them) returns the same.
   */
  protected LeaseStore reopen(LeaseStore leases) throws Exception {
    return leases;
  }

  /** A ttl that lapses quickly but well above the store's clock resolution. */
  protected Duration shortTtl() {
    return Duration.ofMillis(300);
  }

  /** Releases what {@link #createLeaseStore()} opened. */
  protected void closeLeaseStore(LeaseStore leases) throws Exception {
    if (leases instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  protected LeaseStore leases;

  @BeforeEach
  void openLeaseStore() throws Exception {
    leases = createLeaseStore();
  }

  @AfterEach
  void releaseLeaseStore() throws Exception {
    closeLeaseStore(leases);
  }

  protected static String newAppId() {
    return "app-" + UUID.randomUUID();
  }

  @Test
  void anAcquiredLeaseIsTheAppsCurrentOne() {
    String app = newAppId();
    assertThat(leases.current(app)).isEmpty();
    Lease lease = leases.acquire(app, "host-a: run r1", LONG);
    assertThat(lease.appId()).isEqualTo(app);
    assertThat(lease.holder()).isEqualTo("host-a: run r1");
    assertThat(lease.token()).isPositive();
    Lease current = leases.current(app).orElseThrow();
    assertThat(current.token()).isEqualTo(lease.token());
    assertThat(current.holder()).isEqualTo("host-a: run r1");
  }

  @Test
  void aSecondHolderIsBusyAtOnceAndTheMessageNamesTheHolder() {
    String app = newAppId();
    Lease lease = leases.acquire(app, "host-a: run r1", LONG);
    assertThatThrownBy(() -> leases.acquire(app, "host-b: undo", LONG))
        .isInstanceOf(BusyException.class)
        .hasMessageContaining(app)
        .hasMessageContaining("host-a: run r1");
    // The failed attempt changed nothing.
    assertThat(leases.current(app).orElseThrow().token()).isEqualTo(lease.token());
    assertThat(leases.renew(lease, LONG).token()).isEqualTo(lease.token());
  }

  @Test
  void releaseFreesTheAppAndEveryAcquisitionGetsAHigherToken() {
    String app = newAppId();
    long previous = 0;
    for (int i = 0; i < 5; i++) {
      Lease lease = leases.acquire(app, "holder-" + i, LONG);
      assertThat(lease.token()).isGreaterThan(previous);
      previous = lease.token();
      leases.release(lease);
      assertThat(leases.current(app)).isEmpty();
    }
  }

  @Test
  void releaseIsIdempotentAndNeverFreesALaterHoldersLease() {
    String app = newAppId();
    Lease first = leases.acquire(app, "first", LONG);
    leases.release(first);
    leases.release(first);
    Lease second = leases.acquire(app, "second", LONG);
    leases.release(first); // stale: must not free the second holder
    assertThat(leases.current(app).orElseThrow().token()).isEqualTo(second.token());
    assertThatThrownBy(() -> leases.acquire(app, "third", LONG)).isInstanceOf(BusyException.class);
    // A release of a lease the store never saw is harmless too.
    leases.release(new Lease(newAppId(), "nobody", 7, second.expiresAt()));
  }

  @Test
  void renewKeepsTheTokenAndFailsOnceReleased() {
    String app = newAppId();
    Lease lease = leases.acquire(app, "holder", LONG);
    Lease renewed = leases.renew(lease, LONG);
    assertThat(renewed.token()).isEqualTo(lease.token());
    assertThat(renewed.holder()).isEqualTo(lease.holder());
    assertThat(renewed.expiresAt()).isAfterOrEqualTo(lease.expiresAt());
    leases.release(lease);
    assertThatThrownBy(() -> leases.renew(lease, LONG)).isInstanceOf(LeaseLostException.class).hasMessageContaining(app);
  }

  @Test
  void anExpiredLeaseIsTakenOverWithAHigherTokenAndTheOldHolderCannotRenewOrRelease() throws Exception {
    String app = newAppId();
    Lease old = leases.acquire(app, "host-a: run r1", shortTtl());
    awaitExpiry(app);
    Lease taken = leases.acquire(app, "host-b: run r2", LONG);
    assertThat(taken.token()).isGreaterThan(old.token());
    assertThatThrownBy(() -> leases.renew(old, LONG))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("host-b: run r2");
    leases.release(old);
    assertThat(leases.current(app).orElseThrow().token()).isEqualTo(taken.token());
  }

  @Test
  void renewAfterExpiryFailsEvenWhenNobodyTookOver() throws Exception {
    String app = newAppId();
    Lease lease = leases.acquire(app, "holder", shortTtl());
    awaitExpiry(app);
    assertThatThrownBy(() -> leases.renew(lease, LONG)).isInstanceOf(LeaseLostException.class);
    assertThat(leases.current(app)).isEmpty();
  }

  @Test
  void renewingInTimeKeepsALeaseAlivePastItsFirstExpiry() throws Exception {
    String app = newAppId();
    Duration ttl = shortTtl();
    Lease lease = leases.acquire(app, "holder", ttl);
    long end = System.nanoTime() + ttl.toNanos() * 3;
    while (System.nanoTime() < end) {
      Thread.sleep(Math.max(1, ttl.toMillis() / 6));
      leases.renew(lease, ttl);
    }
    leases.renew(lease, LONG);
    assertThatThrownBy(() -> leases.acquire(app, "other", LONG)).isInstanceOf(BusyException.class);
  }

  @Test
  void theSameHolderReacquiringGetsANewTokenAndTheOldOneIsStale() {
    String app = newAppId();
    Lease first = leases.acquire(app, "holder", LONG);
    Lease again = leases.acquire(app, "holder", LONG);
    assertThat(again.token()).isGreaterThan(first.token());
    assertThatThrownBy(() -> leases.renew(first, LONG)).isInstanceOf(LeaseLostException.class);
    assertThat(leases.renew(again, LONG).token()).isEqualTo(again.token());
  }

  @Test
  void appsAreLeasedIndependently() {
    String a = newAppId();
    String b = newAppId();
    Lease la = leases.acquire(a, "one", LONG);
    Lease lb = leases.acquire(b, "two", LONG);
    leases.release(la);
    assertThat(leases.current(a)).isEmpty();
    assertThat(leases.current(b).orElseThrow().token()).isEqualTo(lb.token());
  }

  @Test
  void tokensKeepGrowingAfterTheStoreIsReopened() throws Exception {
    String app = newAppId();
    Lease before = leases.acquire(app, "holder", LONG);
    leases.release(before);
    LeaseStore reopened = reopen(leases);
    try {
      Lease after = reopened.acquire(app, "holder", LONG);
      assertThat(after.token()).isGreaterThan(before.token());
    } finally {
      if (reopened != leases) {
        closeLeaseStore(reopened);
      }
    }
  }

  @Test
  void refusesBadArguments() {
    String app = newAppId();
    assertThatThrownBy(() -> leases.acquire(app, "h", Duration.ZERO)).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> leases.acquire(app, "h", Duration.ofSeconds(-1))).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> leases.acquire(app, "h", LeaseStore.MAX_TTL.plusSeconds(1)))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> leases.acquire(app, " ", LONG)).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> leases.acquire("", "h", LONG)).isInstanceOf(InvalidArgumentException.class);
    assertThat(leases.current(app)).isEmpty();
  }

  /**
   * Many threads acquire one app at the same instant, round after round: on a fresh app (the first
   * row is inserted by a race), after a release, and after an expiry. Exactly one wins each round;
   * every loser gets busy naming the winner; tokens grow from round to round.
   */
  @Test
  void ofManyConcurrentAcquirersExactlyOneWinsEachRound() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      String shared = newAppId();
      long lastToken = 0;
      for (int round = 0; round < ROUNDS; round++) {
        boolean fresh = round % 3 == 0;
        boolean expire = round % 8 == 7;
        String app = fresh ? newAppId() : shared;
        Duration ttl = expire ? shortTtl() : LONG;
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Optional<Lease>>> attempts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          String holder = "round-" + round + "-thread-" + t;
          attempts.add(pool.submit(() -> {
            ready.countDown();
            go.await();
            try {
              return Optional.of(leases.acquire(app, holder, ttl));
            } catch (BusyException e) {
              return Optional.<Lease>empty();
            }
          }));
        }
        ready.await();
        go.countDown();
        List<Lease> winners = new ArrayList<>();
        for (Future<Optional<Lease>> attempt : attempts) {
          attempt.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
        }
        assertThat(winners).as("winners of round %d", round).hasSize(1);
        Lease winner = winners.get(0);
        assertThat(leases.current(app).orElseThrow().holder()).isEqualTo(winner.holder());
        if (!fresh) {
          assertThat(winner.token()).as("token of round %d", round).isGreaterThan(lastToken);
          lastToken = winner.token();
        }
        if (expire) {
          awaitExpiry(app);
        } else if (!fresh) {
          leases.release(winner);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ fencing of checkpoints

  private CheckpointStore fencedStore() {
    Assumptions.assumeTrue(leases instanceof CheckpointStore, "this lease store holds no checkpoints");
    return (CheckpointStore) leases;
  }

  private static CheckpointStoreContract.DraftBuilder initial(String app) {
    return new CheckpointStoreContract.DraftBuilder(app).type(CheckpointType.INITIAL)
        .put("index.html", "<h1>v1</h1>".getBytes(StandardCharsets.UTF_8));
  }

  private static CheckpointStoreContract.DraftBuilder change(Checkpoint head, String content) {
    return new CheckpointStoreContract.DraftBuilder(head.appId()).expectedHead(head.id()).base(head.resultRevisionId())
        .put("index.html", content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aCheckpointAppendsUnderTheLiveLeaseOnly() {
    CheckpointStore store = fencedStore();
    String app = newAppId();
    Lease lease = leases.acquire(app, "holder", LONG);
    Checkpoint first = store.append(initial(app).build(), lease);
    Checkpoint second = store.append(change(first, "v2").build(), lease);
    assertThat(store.head(app)).contains(second);

    leases.release(lease);
    assertThatThrownBy(() -> store.append(change(second, "v3").build(), lease))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining(app);
    assertThat(store.head(app)).contains(second);
    // Without any lease taken since, a token the store never handed out is refused the same way.
    String other = newAppId();
    assertThatThrownBy(() -> store.append(initial(other).build(), new Lease(other, "forged", 99, lease.expiresAt())))
        .isInstanceOf(LeaseLostException.class);
    assertThat(store.head(other)).isEmpty();
  }

  @Test
  void aStaleHoldersCheckpointIsRefusedAfterATakeover() throws Exception {
    CheckpointStore store = fencedStore();
    String app = newAppId();
    Lease stale = leases.acquire(app, "host-a: run r1", shortTtl());
    Checkpoint first = store.append(initial(app).build(), stale);
    awaitExpiry(app);
    // Expired, nobody took over yet: already refused.
    assertThatThrownBy(() -> store.append(change(first, "from a").build(), stale)).isInstanceOf(LeaseLostException.class);
    Lease fresh = leases.acquire(app, "host-b: undo", LONG);
    assertThatThrownBy(() -> store.append(change(first, "from a").build(), stale))
        .isInstanceOf(LeaseLostException.class)
        .hasMessageContaining("token " + stale.token());
    assertThat(store.head(app)).contains(first);
    Checkpoint byB = store.append(change(first, "from b").build(), fresh);
    assertThat(store.head(app)).contains(byB);
    assertThat(store.readFile(byB.resultRevisionId(), "index.html").map(b -> new String(b, StandardCharsets.UTF_8)))
        .contains("from b");
  }

  @Test
  void aLeaseFencesOnlyItsOwnApp() {
    CheckpointStore store = fencedStore();
    String app = newAppId();
    String other = newAppId();
    Lease lease = leases.acquire(app, "holder", LONG);
    assertThatThrownBy(() -> store.append(initial(other).build(), lease)).isInstanceOf(InvalidArgumentException.class);
    assertThat(store.head(other)).isEmpty();
  }

  // ------------------------------------------------------------------ intents

  @Test
  void anIntentIsKeptUntilAHolderClearsIt() {
    String app = newAppId();
    assertThat(leases.intent(app)).isEmpty();
    Lease lease = leases.acquire(app, "host-a: undo", LONG);
    leases.recordIntent(lease, "{\"kind\":\"history\",\"op\":\"undo\"}");
    LeaseIntent intent = leases.intent(app).orElseThrow();
    assertThat(intent.text()).isEqualTo("{\"kind\":\"history\",\"op\":\"undo\"}");
    assertThat(intent.token()).isEqualTo(lease.token());
    assertThat(intent.abandonedBefore(lease)).isFalse();
    leases.recordIntent(lease, "second");
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo("second");
    leases.clearIntent(lease);
    assertThat(leases.intent(app)).isEmpty();
    leases.recordIntent(lease, "third");
    leases.release(lease);
    assertThat(leases.intent(app).orElseThrow().text()).as("a release keeps the intent for the next holder to check")
        .isEqualTo("third");
    Lease next = leases.acquire(app, "host-b: run r2", LONG);
    assertThat(leases.intent(app).orElseThrow().abandonedBefore(next)).isTrue();
    leases.clearIntent(next);
    assertThat(leases.intent(app)).isEmpty();
  }

  @Test
  void clearIntentAndReleaseEndsTheOperationInOneStepAndNeverTouchesANewerHolder() throws Exception {
    String app = newAppId();
    Lease lease = leases.acquire(app, "host-a: undo", LONG);
    leases.recordIntent(lease, "undo");
    leases.clearIntentAndRelease(lease);
    assertThat(leases.intent(app)).isEmpty();
    assertThat(leases.current(app)).as("released").isEmpty();
    Lease next = leases.acquire(app, "host-b: redo", LONG);
    assertThat(next.token()).isGreaterThan(lease.token());
    leases.recordIntent(next, "redo");
    // The old holder's late call neither clears the newer holder's intent nor frees its lease.
    assertThatThrownBy(() -> leases.clearIntentAndRelease(lease)).isInstanceOf(LeaseLostException.class);
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo("redo");
    assertThat(leases.current(app)).map(Lease::token).contains(next.token());
    leases.clearIntentAndRelease(next);
    assertThat(leases.intent(app)).isEmpty();
    assertThat(leases.current(app)).isEmpty();
  }

  @Test
  void anIntentOfAHolderWhoseLeaseLapsedIsFoundByTheNextHolder() throws Exception {
    String app = newAppId();
    Lease dead = leases.acquire(app, "host-a: run r1", shortTtl());
    leases.recordIntent(dead, "run r1");
    awaitExpiry(app);
    Lease next = leases.acquire(app, "host-b: run r2", LONG);
    LeaseIntent left = leases.intent(app).orElseThrow();
    assertThat(left.text()).isEqualTo("run r1");
    assertThat(left.token()).isEqualTo(dead.token());
    assertThat(left.abandonedBefore(next)).isTrue();
    // The dead holder can neither change nor clear it any more.
    assertThatThrownBy(() -> leases.recordIntent(dead, "late")).isInstanceOf(LeaseLostException.class);
    assertThatThrownBy(() -> leases.clearIntent(dead)).isInstanceOf(LeaseLostException.class);
    leases.release(dead);
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo("run r1");
    // A holder that could not recover releases without clearing it: it waits for the next one.
    leases.release(next);
    Lease third = leases.acquire(app, "host-c: undo", LONG);
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo("run r1");
    leases.clearIntent(third);
    assertThat(leases.intent(app)).isEmpty();
  }

  @Test
  void intentsAreRefusedWithoutTheLiveLeaseOrWhenMalformed() {
    String app = newAppId();
    Lease lease = leases.acquire(app, "holder", LONG);
    leases.release(lease);
    assertThatThrownBy(() -> leases.recordIntent(lease, "x")).isInstanceOf(LeaseLostException.class);
    assertThat(leases.intent(app)).isEmpty();
    Lease live = leases.acquire(app, "holder", LONG);
    assertThatThrownBy(() -> leases.recordIntent(live, " ")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> leases.recordIntent(live, "x".repeat(LeaseIntent.MAX_LENGTH + 1)))
        .isInstanceOf(InvalidArgumentException.class);
    String hostile = "'; DROP TABLE leases; -- \u0000\u2028 \uD83D\uDE00";
    leases.recordIntent(live, hostile.replace("\u0000", ""));
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo(hostile.replace("\u0000", ""));
    String longest = "y".repeat(LeaseIntent.MAX_LENGTH);
    leases.recordIntent(live, longest);
    assertThat(leases.intent(app).orElseThrow().text()).isEqualTo(longest);
  }

  /** Waits (bounded) until the app's lease has lapsed by the store's own clock. */
  protected void awaitExpiry(String app) throws InterruptedException {
    long deadline = System.nanoTime() + EXPIRY_WAIT.toNanos();
    Thread.sleep(shortTtl().toMillis());
    while (leases.current(app).isPresent()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the lease on " + app + " did not lapse within " + EXPIRY_WAIT);
      }
      Thread.sleep(20);
    }
  }
}
