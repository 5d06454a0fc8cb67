package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Fake processes for {@link InMemorySandbox}: {@code node print N} prints N numbered lines
 * ({@code node flood} prints 9 MiB);
 * {@code npm hang} prints one line and blocks until cancelled; {@code vite gated} prints lines 1-10,
 * waits for {@link #gate}, prints lines 11-20. {@code npx} has no handler (the sandbox fails it).
 */
final class FakeCommands {
  final CountDownLatch gate = new CountDownLatch(1);
  final CountDownLatch hanging = new CountDownLatch(1);

  InMemorySandbox.Builder install(InMemorySandbox.Builder b) {
    return b
        .command("node", (request, sandbox, listener, cancellation) -> {
          if (request.argv().get(1).equals("flood")) {
            // 9 MiB of output, more than the server keeps per process.
            String chunk = "x".repeat(64 * 1024);
            for (int i = 0; i < 144; i++) {
              listener.onStdout(chunk);
            }
            return new CommandResult(0, "", "", false, false, true, false, Duration.ofMillis(1));
          }
          int n = Integer.parseInt(request.argv().get(2));
          StringBuilder out = new StringBuilder();
          for (int i = 1; i <= n; i++) {
            String line = "line " + i + "\n";
            listener.onStdout(line);
            out.append(line);
          }
          listener.onStderr("done\n");
          return new CommandResult(n == 13 ? 13 : 0, out.toString(), "done\n", false, false, false, false, Duration.ofMillis(1));
        })
        .command("npm", (request, sandbox, listener, cancellation) -> {
          CountDownLatch cancelled = new CountDownLatch(1);
          try (var registration = cancellation.onCancel(cancelled::countDown)) {
            listener.onStdout("waiting\n");
            hanging.countDown();
            boolean wasCancelled = cancelled.await(60, TimeUnit.SECONDS);
            return new CommandResult(-1, "waiting\n", "", !wasCancelled, wasCancelled, false, false, Duration.ofMillis(1));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(-1, "waiting\n", "", false, true, false, false, Duration.ofMillis(1));
          }
        })
        .command("vite", (request, sandbox, listener, cancellation) -> {
          StringBuilder out = new StringBuilder();
          for (int i = 1; i <= 20; i++) {
            if (i == 11) {
              try {
                gate.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            String line = "vite line " + i + "\n";
            listener.onStdout(line);
            out.append(line);
          }
          return new CommandResult(0, out.toString(), "", false, false, false, false, Duration.ofMillis(1));
        });
  }
}
