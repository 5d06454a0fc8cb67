package io.chatbuilder.examples.studio;

import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.runtime.vite.VitePublisher;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.runtime.vite.ViteTemplates;
import io.chatbuilder.sandbox.local.Isolation;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import io.chatbuilder.store.jdbc.JdbcStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The builder studio: a {@link ChatBuilder} on embedded defaults (an H2 file database, local
 * sandboxes in directories) behind the HTTP API of DESIGN §3.4, with the agent panel UI served by
 * the same process.
 *
 * <pre>{@code
 * try (Studio studio = Studio.builder(Path.of(".chatbuilder-studio")).port(8080).start()) {
 *   System.out.println("open " + studio.url());
 *   Thread.currentThread().join();
 * }
 * }</pre>
 *
 * <pre>
 *  browser ──HTTP/SSE──▶ StudioServer ──▶ ChatBuilder ──▶ model (env, Ollama or offline demo)
 *                         │   │                 ├──────▶ LocalSandbox  (&lt;data&gt;/apps/&lt;app&gt;)
 *                         │   └─ /published     │        JdbcStores    (&lt;data&gt;/db, H2)
 *                         └─ UI (classpath)     └──────▶ DraftRuntime / Publisher (static or Vite;
 *                                                          a preview server per app)
 * </pre>
 *
 * <p>The API has no authentication: the studio listens on 127.0.0.1 unless told otherwise.
 */
public final class Studio implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Studio.class);
  private final ChatBuilder chatBuilder;
  private final HttpServer server;
  private final ExecutorService httpThreads;
  private final JdbcConnectionPool pool;
  private final LocalSandboxProvider sandboxes;
  private final String modelName;
  private final boolean demo;
  private final boolean isolated;
  private final Path dataDir;

  private Studio(Builder b) throws IOException {
    this.dataDir = Files.createDirectories(b.dataDir).toAbsolutePath().normalize();
    this.demo = b.model == null || b.model instanceof DemoModel;
    ModelClient model = b.model != null ? b.model : new DemoModel();
    this.modelName = model.name();
    this.isolated = !b.unisolated;
    if (b.unisolated) {
      LOG.warn("STUDIO RUNS APP CODE UNISOLATED (--unisolated): npm, dev servers, builds and the agent's commands "
          + "run as plain processes of this machine, with its files, environment and network");
    }
    this.pool = JdbcConnectionPool.create("jdbc:h2:file:" + dataDir.resolve("db").resolve("studio") + ";WRITE_DELAY=0", "sa", "");
    pool.setMaxConnections(16);
    List<AutoCloseable> opened = new ArrayList<>();
    opened.add(pool::dispose);
    try {
      JdbcStores stores = JdbcStores.builder(pool).build();
      boolean unisolated = b.unisolated;
      this.sandboxes = LocalSandboxProvider.create(dataDir.resolve("apps"),
          sb -> configureSandbox(sb.policy(CommandPolicy.defaults()), unisolated));
      opened.add(sandboxes);
      Clock clock = Clock.systemUTC();
      DraftRuntime devServer = b.draftRuntime;
      Publisher build = b.publisher;
      List<AppTemplate> templates = new ArrayList<>(b.templates);
      if (b.vite) {
        // Every npm, Vite and build process runs in the app's sandbox (or a build sandbox like it).
        devServer = ViteDraftRuntime.builder(sandboxes).installStateDirectory(dataDir.resolve("vite-installs")).build();
        opened.add(devServer);
        build = VitePublisher.builder(dataDir.resolve("published-vite"),
            (appId, dir) -> configureSandbox(LocalSandbox.builder(dir).id(appId + "-publish"), unisolated).build())
            .build();
        templates.addAll(ViteTemplates.builtIn());
      }
      StaticPublisher copy = new StaticPublisher(dataDir.resolve("published"), clock);
      Publisher publisher = build != null ? PackageJsonSwitch.publishers(build, copy) : copy;
      StaticDraftRuntime staticDrafts = new StaticDraftRuntime(sandboxes::open, b.host, clock);
      DraftRuntime drafts = devServer == null ? staticDrafts : PackageJsonSwitch.drafts(devServer, staticDrafts,
          appId -> sandboxes.open(appId).tryRead(PackageJsonSwitch.PACKAGE_JSON).isPresent());
      ChatBuilder.Builder cb = ChatBuilder.builder()
          .model(model)
          .sandboxes(sandboxes)
          .checkpointStore(stores.checkpointStore())
          .conversationStore(stores.conversationStore())
          .eventLog(stores.eventLog())
          .appEventLog(stores.appEventLog())
          .draftRuntime(drafts)
          .publisher(publisher)
          .template(new StarterTemplate());
      templates.forEach(cb::template);
      this.chatBuilder = cb.build();
      opened.add(chatBuilder);
      this.httpThreads = Executors.newCachedThreadPool(daemonThreads());
      StudioServer handler = new StudioServer(chatBuilder, new StudioServer.Info(modelName, demo,
          devServer == null ? "static" : "dev-server", isolated), publisher, b.heartbeat, b.maxRequestBytes);
      this.server = HttpServer.create(new InetSocketAddress(b.host, b.port), 64);
      server.createContext("/", handler);
      server.setExecutor(httpThreads);
      server.start();
    } catch (IOException | RuntimeException e) {
      java.util.Collections.reverse(opened);
      closeAll(opened);
      throw e;
    }
  }

  /** A studio keeping its database, sandboxes and published sites under {@code dataDir}. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Where the UI is, e.g. {@code http://127.0.0.1:8080/}. */
  public URI url() {
    InetSocketAddress address = server.getAddress();
    String host = address.getAddress().isAnyLocalAddress() ? "localhost" : address.getHostString();
    return URI.create("http://" + host + ":" + address.getPort() + "/");
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The facade behind the API, for hosts that add their own routes or tests that inspect state. */
  public ChatBuilder chatBuilder() {
    return chatBuilder;
  }

  /** The model's name, e.g. {@code offline-demo} or {@code openai:gpt-4.1-mini}. */
  public String modelName() {
    return modelName;
  }

  /** Whether the offline demo model answers (no real model configured). */
  public boolean demo() {
    return demo;
  }

  /** Whether app code runs isolated; false only after {@link Builder#unisolated()}. */
  public boolean isolated() {
    return isolated;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the server, cancels runs, closes sandboxes and the database. */
  @Override
  public void close() {
    server.stop(0);
    httpThreads.shutdownNow();
    // Runs first (they write to the sandboxes and the database), the database last.
    closeAll(List.of(chatBuilder, sandboxes, this::shutdownDatabase, pool::dispose));
  }

  private void shutdownDatabase() throws SQLException {
    // Releases the database file at once, so another process (or a restarted studio) can open it.
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("SHUTDOWN");
    }
  }

  /**
   * The sandbox settings of every app and build: bubblewrap (sandbox-local's default: without it no
   * command or service runs), unless the host opted into running unisolated.
   */
  private static LocalSandbox.Builder configureSandbox(LocalSandbox.Builder sb, boolean unisolated) {
    return unisolated ? sb.unisolated() : sb.isolation(Isolation.BUBBLEWRAP);
  }

  /** Closes each part in order, going on past failures. */
  private static void closeAll(List<AutoCloseable> parts) {
    for (AutoCloseable part : parts) {
      try {
        part.close();
      } catch (Exception ignored) {
        // closing anyway
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "studio-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures a {@link Studio}. */
  public static final class Builder {
    private final Path dataDir;
    private String host = "127.0.0.1";
    private int port = 8080;
    private ModelClient model;
    private DraftRuntime draftRuntime;
    private Publisher publisher;
    private boolean vite;
    private boolean unisolated;
    private final List<AppTemplate> templates = new ArrayList<>();
    private Duration heartbeat = Duration.ofSeconds(15);
    private int maxRequestBytes = 1 << 20;

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir == null");
    }

    /** The address to listen on (default 127.0.0.1: the API has no authentication). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host == null");
      return this;
    }

    /** The port (default 8080; 0 picks a free one). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535");
      }
      this.port = port;
      return this;
    }

    /** The model; the offline demo model when not set. */
    public Builder model(ModelClient model) {
      this.model = Objects.requireNonNull(model, "model == null");
      return this;
    }

    /**
     * Draft mode with a real dev server (e.g. Vite) for apps with a {@code package.json}; plain
     * static apps, and every app when not set, get the static preview.
     */
    public Builder draftRuntime(DraftRuntime draftRuntime) {
      this.draftRuntime = Objects.requireNonNull(draftRuntime, "draftRuntime == null");
      return this;
    }

    /**
     * Publishes checkpoints with a {@code package.json} with a real build (e.g. Vite); the others,
     * and every checkpoint when not set, are published as a copy of their files.
     */
    public Builder publisher(Publisher publisher) {
      this.publisher = Objects.requireNonNull(publisher, "publisher == null");
      return this;
    }

    /**
     * Vite draft mode and Vite builds for apps with a {@code package.json} (runtime-vite, every
     * process in the app's sandbox), and the {@code vite-vanilla} and {@code vite-react} templates.
     * Needs Node 20.19+ and npm, and the npm registry (reached only through the sandbox's proxy).
     */
    public Builder vite() {
      this.vite = true;
      return this;
    }

    /**
     * Runs app code without isolation: an explicit opt-in for machines without bubblewrap. It is
     * logged as a warning, {@code GET /admin/studio} answers {@code "isolated": false}, and the UI
     * shows a warning banner. By default every sandbox requires bubblewrap.
     */
    public Builder unisolated() {
      this.unisolated = true;
      return this;
    }

    /** Adds a template besides the built-in {@code static-vanilla} one. */
    public Builder template(AppTemplate template) {
      templates.add(Objects.requireNonNull(template, "template == null"));
      return this;
    }

    /** How long an idle event stream waits before sending a comment line (default 15 s). */
    public Builder heartbeat(Duration heartbeat) {
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive");
      }
      this.heartbeat = heartbeat;
      return this;
    }

    /** Largest request body accepted (default 1 MiB); larger ones get 413. */
    public Builder maxRequestBytes(int maxRequestBytes) {
      if (maxRequestBytes < 1024) {
        throw new IllegalArgumentException("maxRequestBytes must be >= 1024");
      }
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /** Opens the database and starts listening. */
    public Studio start() {
      try {
        return new Studio(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the studio: " + e.getMessage(), e);
      }
    }
  }
}
