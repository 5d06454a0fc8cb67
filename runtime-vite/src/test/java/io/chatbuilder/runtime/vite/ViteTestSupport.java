package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.runtime.AppTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Helpers for the tests that run real npm and Vite. */
final class ViteTestSupport {
  /**
   * One npm cache for the whole module's tests (under target/, so {@code mvn clean} empties it): the
   * first install of a template downloads, the others install from it.
   */
  static final Path NPM_CACHE = Path.of("target", "npm-cache").toAbsolutePath();

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private ViteTestSupport() {}

  record Response(int status, String body) {}

  static Response get(String url) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
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
