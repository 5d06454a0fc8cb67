package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Helpers for the tests that run real npm and Vite, inside real sandboxes. */
final class ViteTestSupport {
  /** The sandbox settings every test uses (sandbox-local's defaults: bubblewrap required). */
  static LocalSandbox.Builder configure(LocalSandbox.Builder b) {
    return SandboxSetup.configure(b);
  }

  /** One isolated sandbox per app under {@code base}, as a host would configure it. */
  static LocalSandboxProvider sandboxes(Path base) {
    return LocalSandboxProvider.create(base, b -> configure(b));
  }

  static LocalSandboxProvider sandboxes(Path base, java.util.function.Consumer<LocalSandbox.Builder> more) {
    return LocalSandboxProvider.create(base, b -> more.accept(configure(b)));
  }

  /** Build sandboxes for {@link VitePublisher}, isolated like the apps'. */
  static BuildSandboxes buildSandboxes() {
    return (appId, dir) -> configure(LocalSandbox.builder(dir).id(appId + "-publish")).build();
  }

  /**
   * Every process whose working directory is {@code root} or below (a sandbox's processes run with
   * the app's directory mounted at the same path, so the host sees the same path): the dev server,
   * its esbuild service, the bubblewrap supervisor.
   */
  static List<ProcessHandle> processesIn(Path root) {
    Path real;
    try {
      real = root.toRealPath();
    } catch (IOException e) {
      return List.of();
    }
    List<ProcessHandle> out = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> {
      try {
        Path cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd"));
        if (cwd.startsWith(real) && running(p)) {
          out.add(p);
        }
      } catch (IOException | UnsupportedOperationException | SecurityException e) {
        // gone, or not ours to look at
      }
    });
    return out;
  }

  /**
   * Whether a process still runs: alive and not a zombie. A killed process whose parent died is
   * re-parented to the machine's init, which may take a while to reap it; dead all the same.
   */
  static boolean running(ProcessHandle p) {
    if (!p.isAlive()) {
      return false;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      // "pid (comm) S ...": the state follows the last ')' (comm may hold spaces and parentheses)
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException | RuntimeException e) {
      return false; // gone
    }
  }

  /** The app's Vite dev server process (node running vite.js), if one runs. */
  static Optional<ProcessHandle> viteProcess(Path root) {
    return processesIn(root).stream().filter(p -> commandLine(p).contains("vite/bin/vite.js")
        && !commandLine(p).contains("bwrap")).findFirst();
  }

  static String commandLine(ProcessHandle p) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private ViteTestSupport() {}

  record Response(int status, String body, java.net.http.HttpHeaders headers) {}

  static Response get(String url) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether anything accepts connections at {@code url}. */
  static boolean answers(String url) {
    try {
      get(url);
      return true;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /**
   * Waits until {@code condition} holds (file watchers and process exits are asynchronous); fails
   * with {@code what} after 60 s. Not a speed assertion: the limit only stops a broken test.
   */
  static void eventually(String what, BooleanSupplier condition) {
    eventually(() -> what, condition);
  }

  static void eventually(Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what.get());
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what.get());
      }
    }
  }

  /** Polls {@code url} until its body contains {@code text}; returns that body. */
  static String eventuallyServes(String url, String text) {
    String[] last = {""};
    eventually(() -> url + " to serve '" + text + "'; last served:\n" + last[0], () -> {
      Response r = get(url);
      last[0] = r.body();
      return r.status() == 200 && r.body().contains(text);
    });
    return last[0];
  }

  static Path writeTemplate(Path dir, AppTemplate template) {
    try {
      for (var e : template.files().entrySet()) {
        Path target = dir.resolve(e.getKey());
        Files.createDirectories(target.getParent());
        Files.write(target, e.getValue());
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
