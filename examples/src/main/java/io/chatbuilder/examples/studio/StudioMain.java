package io.chatbuilder.examples.studio;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts the studio from the command line:
 *
 * <pre>
 * StudioMain [--port N] [--site-port N] [--site-domain NAME] [--host ADDRESS] [--data DIR] [--runtime static|vite] [--unisolated]
 * </pre>
 *
 * <p>Environment: {@code CHATBUILDER_STUDIO_PORT} (default 8080), {@code CHATBUILDER_STUDIO_SITE_PORT}
 * (published sites, default 0: a free port), {@code CHATBUILDER_STUDIO_SITE_DOMAIN} (default
 * {@code localhost}: each app's sites at {@code http://<label>.localhost:<site port>/}), {@code CHATBUILDER_STUDIO_HOST}
 * (default 127.0.0.1), {@code CHATBUILDER_STUDIO_DATA} (default {@code .chatbuilder-studio}),
 * {@code CHATBUILDER_STUDIO_RUNTIME} (default {@code static}), {@code CHATBUILDER_STUDIO_UNISOLATED}
 * ({@code true} = {@code --unisolated}), and the model variables of {@link ModelSelection}. Runs
 * until interrupted (Ctrl-C).
 *
 * <p>{@code static} previews and publishes the app's files as they are (no Node needed);
 * {@code vite} runs a Vite dev server per app and publishes with {@code vite build} (needs Node and
 * npm, and adds the {@code vite-vanilla} and {@code vite-react} templates). App code runs inside
 * bubblewrap (Debian package {@code bubblewrap}); {@code --unisolated} runs it as plain processes
 * instead, with a warning in the log and the UI.
 */
public final class StudioMain {
  private StudioMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> env = System.getenv();
    int port = Integer.parseInt(env.getOrDefault("CHATBUILDER_STUDIO_PORT", "8080"));
    int sitePort = Integer.parseInt(env.getOrDefault("CHATBUILDER_STUDIO_SITE_PORT", "0"));
    String host = env.getOrDefault("CHATBUILDER_STUDIO_HOST", "127.0.0.1");
    String siteDomain = env.getOrDefault("CHATBUILDER_STUDIO_SITE_DOMAIN", "localhost");
    Path data = Path.of(env.getOrDefault("CHATBUILDER_STUDIO_DATA", ".chatbuilder-studio"));
    String runtime = env.getOrDefault("CHATBUILDER_STUDIO_RUNTIME", "static");
    boolean unisolated = "true".equalsIgnoreCase(env.getOrDefault("CHATBUILDER_STUDIO_UNISOLATED", "false"));
    for (int i = 0; i < args.length; i += 2) {
      if (args[i].equals("--unisolated")) {
        unisolated = true;
        i--; // a flag without a value
        continue;
      }
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(require(args[i], value));
        case "--site-port" -> sitePort = Integer.parseInt(require(args[i], value));
        case "--host" -> host = require(args[i], value);
        case "--site-domain" -> siteDomain = require(args[i], value);
        case "--data" -> data = Path.of(require(args[i], value));
        case "--runtime" -> runtime = require(args[i], value);
        default -> usage();
      }
    }
    Path dataDir = data.toAbsolutePath().normalize();
    ModelSelection.Choice choice = ModelSelection.fromEnvironment(env);
    Studio.Builder builder = Studio.builder(dataDir).host(host).port(port).sitePort(sitePort)
        .siteDomain(siteDomain).model(choice.model());
    if (unisolated) {
      builder.unisolated();
    }
    switch (runtime.toLowerCase(Locale.ROOT)) {
      case "static" -> { }
      case "vite" -> builder.vite();
      default -> usage();
    }
    Studio studio = builder.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      studio.close();
      stopped.countDown();
    }, "studio-shutdown"));
    // A command-line entry point: the banner is its user interface.
    System.out.println("ChatBuilder studio");
    System.out.println("  model:    " + choice.reason());
    System.out.println("  preview:  " + runtime);
    System.out.println("  isolation: " + (studio.isolated() ? "bubblewrap" : "NONE: app code runs unisolated (--unisolated)"));
    System.out.println("  data:     " + studio.dataDir());
    System.out.println("  sites:    http://<app label>." + siteDomain + ":" + studio.sitePort()
        + "/published/<app>/ (an origin of their own per app)");
    System.out.println("  open:     " + studio.url());
    System.out.println("Press Ctrl-C to stop.");
    stopped.await();
  }

  private static void usage() {
    System.err.println("usage: StudioMain [--port N] [--site-port N] [--site-domain NAME] [--host ADDRESS] [--data DIR] [--runtime static|vite] [--unisolated]");
    System.exit(2);
  }

  private static String require(String flag, String value) {
    if (value == null) {
      System.err.println(flag + " needs a value");
      System.exit(2);
    }
    return value;
  }
}
