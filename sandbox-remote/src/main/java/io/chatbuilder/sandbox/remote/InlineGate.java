package io.chatbuilder.sandbox.remote;

/**
 * Keeps the server's dispatcher thread from waiting on a hosted sandbox: a request runs inline only
 * while no request of the same sandbox runs on the pool (which may hold the sandbox's locks, the
 * If-Match lock or an idempotency key for seconds: a search, an apply, a large write). Pool requests
 * that arrive during an inline one wait for it; it is short by construction.
 */
final class InlineGate {
  private int poolRequests;
  private boolean inline;

  /** Claims the sandbox for an inline request; false (and nothing claimed) if the pool uses it. */
  synchronized boolean tryEnterInline() {
    if (poolRequests > 0 || inline) {
      return false;
    }
    inline = true;
    return true;
  }

  synchronized void exitInline() {
    inline = false;
    notifyAll();
  }

  /** A pool request starts using the sandbox; waits for a running inline request to end. */
  synchronized void enterPool() {
    boolean interrupted = false;
    while (inline) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // an inline request ends soon; keep the interrupt for the caller
      }
    }
    poolRequests++;
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized void exitPool() {
    poolRequests--;
  }
}
