package io.chatbuilder.models;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CancelledException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Waits between retries; the wait ends early (with {@link CancelledException}) when the run is cancelled. */
interface Sleeper {
  void sleep(Duration duration, Cancellation cancellation);

  Sleeper REAL = (duration, cancellation) -> {
    CountDownLatch cancelled = new CountDownLatch(1);
    try (Cancellation.Registration ignored = cancellation.onCancel(cancelled::countDown)) {
      if (cancelled.await(duration.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new CancelledException("model call cancelled while waiting to retry");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("interrupted while waiting to retry", e);
    }
  };
}
