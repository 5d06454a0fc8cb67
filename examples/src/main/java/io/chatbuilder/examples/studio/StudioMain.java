package io.chatbuilder.examples.studio;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the studio from the command line:
 *
 * <pre>
 * StudioMain [--port N] [--host ADDRESS] [--data DIR]
 * </pre>
 *
 * <p>Environment: {@code CHATBUILDER_STUDIO_PORT} (default 8080), {@code CHATBUILDER_STUDIO_DATA}
 * (default {@code .chatbuilder-studio}), and the model variables of {@link ModelSelection}. Runs
 * until interrupted (Ctrl-C).
 */
public final class StudioMain {
  private StudioMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> env = System.getenv();
    int port = Integer.parseInt(env.getOrDefault("CHATBUILDER_STUDIO_PORT", "8080"));
    String host = env.getOrDefault("CHATBUILDER_STUDIO_HOST", "127.0.0.1");
    Path data = Path.of(env.getOrDefault("CHATBUILDER_STUDIO_DATA", ".chatbuilder-studio"));
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(require(args[i], value));
        case "--host" -> host = require(args[i], value);
        case "--data" -> data = Path.of(require(args[i], value));
        default -> {
          System.err.println("usage: StudioMain [--port N] [--host ADDRESS] [--data DIR]");
          System.exit(2);
        }
      }
      i++;
    }
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(env);
    Studio studio = Studio.builder(data).host(host).port(port).model(choice.model()).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      studio.close();
      stopped.countDown();
    }, "studio-shutdown"));
    // A command-line entry point: the banner is its user interface.
    System.out.println("ChatBuilder studio");
    System.out.println("  model:  " + choice.reason());
    System.out.println("  data:   " + studio.dataDir());
    System.out.println("  open:   " + studio.url());
    System.out.println("Press Ctrl-C to stop.");
    stopped.await();
  }

  private static String require(String flag, String value) {
    if (value == null) {
      System.err.println(flag + " needs a value");
      System.exit(2);
    }
    return value;
  }
}
